"""The shared vocabulary: typed input relations and shared concepts (``kb/vocabulary.yaml``).

Case files, ``.dl`` fact files and CSV exports are all validated here, against the same field types.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from oerlog.errors import KBSyntaxError, Location, ValidationError, did_you_mean
from oerlog.kb import yamlpos
from oerlog.lang import ir
from oerlog.lang.grammar import cached
from oerlog.lang.parser import code_key, parse_program
from oerlog.values import Value, id_problem, parse_date, text_problem, to_number

TYPES = {
    "id": "an identifier such as s1001 or vorm_en_functie",
    "string": "any text",
    "grade": 'a grade from 1.0 to 10.0, e.g. 5.45 or "5,45"',
    "decimal": "a decimal number, e.g. 4.5",
    "integer": "a whole number, e.g. 2",
    "ec": "study credits (EC), a number >= 0, e.g. 7.5",
    "date": "a date YYYY-MM-DD that exists, e.g. 2025-09-01",
    "boolean": "true or false",
    "enum": "one of the listed values",
}

TYPES_NL = {
    "id": "een identificatie zoals s1001 of vorm_en_functie",
    "string": "een willekeurige tekst",
    "grade": 'een cijfer van 1,0 tot en met 10,0, bijvoorbeeld 5.45 of "5,45"',
    "decimal": "een decimaal getal, bijvoorbeeld 4.5",
    "integer": "een geheel getal, bijvoorbeeld 2",
    "ec": "studiepunten (EC), een getal >= 0, bijvoorbeeld 7.5",
    "date": "een bestaande datum JJJJ-MM-DD, bijvoorbeeld 2025-09-01",
    "boolean": "true of false",
    "enum": "een van de genoemde waarden",
}

EXAMPLES = {
    "id": "s1001",
    "string": '"tekst"',
    "grade": "5.45",
    "decimal": "4.5",
    "integer": "2",
    "ec": "7.5",
    "date": "2025-09-01",
    "boolean": "true",
}


LANGS = ("nl", "en")
"""The languages of every text for readers: a label, a sentence template, a display name."""

TEXTS_EXAMPLE = '{nl: "toetsresultaat", en: "test result"}'


def texts_by_lang(
    value: object, loc: Location, *, key: str, key_nl: str, example: str, of: str = "", of_nl: str = ""
) -> dict[str, str]:
    """A text for readers as a KB file writes it outside the rules (an accepted finding's ``reason``, a worked
    example's ``disagrees``): one text, its language unsaid (keyed ""), or ``{nl: ..., en: ...}`` with either left
    out; {} when empty. ``of`` / ``of_nl`` begin the error messages (``accepted finding X: ``)."""
    if isinstance(value, dict):
        unknown = [str(k) for k in value if k not in LANGS]
        if unknown:
            where = value.locs.get(unknown[0], loc) if isinstance(value, yamlpos.YDict) else loc
            raise ValidationError(
                f"{of}{key} in an unknown language {unknown[0]!r}",
                where,
                value=unknown[0],
                hint="languages: nl, en",
                example=example,
                nl=f"{of_nl}{key_nl} in een onbekende taal {unknown[0]!r}",
                hint_nl="talen: nl, en",
            )
        out = {str(k): " ".join(str(v or "").split()) for k, v in value.items()}
        return {k: v for k, v in out.items() if v}
    if isinstance(value, list):
        raise ValidationError(
            f"{of}{key} is a text or {{nl: ..., en: ...}}",
            loc,
            value=value,
            example=example,
            nl=f"{of_nl}{key_nl} is een tekst of {{nl: ..., en: ...}}",
        )
    text = " ".join(str(value or "").split())
    return {"": text} if text else {}


def text_in(texts: dict[str, str], lang: str) -> str:
    """A text of :func:`texts_by_lang` in ``lang``; else as written (one language unsaid), else the other one."""
    for k in (lang, "", *LANGS):
        if texts.get(k):
            return texts[k]
    return ""


@dataclass(frozen=True)
class Texts:
    """One text for readers in each of :data:`LANGS` (a label, a sentence template, a display name)."""

    nl: str
    en: str

    def in_(self, lang: str) -> str:
        """The text in ``lang`` (``nl`` or ``en``)."""
        return self.nl if lang == "nl" else self.en


@dataclass(frozen=True)
class Field:
    """One typed, documented field of a relation; ``label`` names it for readers (``cijfer`` / ``grade``) and
    ``value_labels`` name the values of an enum (``regular`` -> ``reguliere toets`` / ``regular sitting``)."""

    name: str
    type: str
    doc: str = ""
    values: tuple[str, ...] = ()  # for enum
    label: Texts | None = None
    value_labels: tuple[tuple[str, Texts], ...] = ()
    contest: str = "none"  # who can bring another value forward: student, body or none (CONTEST)

    def value_label(self, value: str, lang: str) -> str | None:
        """The reader's word for an enum value, None when it has none."""
        for v, t in self.value_labels:
            if v == value:
                return t.in_(lang)
        return None

    def label_in(self, lang: str) -> str:
        """The field's label in ``lang``; its name, with spaces, when it has none."""
        return self.label.in_(lang) if self.label else self.name.replace("_", " ")

    def example(self) -> str:
        """A valid value for this field."""
        if self.type == "enum" and self.values:
            return self.values[0]
        return EXAMPLES.get(self.type, "x")

    def describe(self, lang: str = "en") -> str:
        """Human text for the expected type (in ``lang``: "en" or "nl")."""
        if self.type == "enum":
            return ("een van " if lang == "nl" else "one of ") + ", ".join(self.values)
        return (TYPES_NL if lang == "nl" else TYPES).get(self.type, self.type)


STATED_BY = ("data", "engine")
CONTEST = ("none", "student", "body")
"""Who can contest or supply a field's value (counterfactuals a student could act on): ``student`` (a request, a
claim, a form the student can bring forward), ``body`` (a grade, a judgement or a decision a body can give
otherwise, on the student's request) or ``none`` (the default: the schedule, the enrolment, the course)."""
WORLDS = ("closed", "open")


@dataclass(frozen=True)
class Relation:
    """An input relation or a shared concept.

    ``key`` names the fields that determine the others (``test_result``: one grade per student and test; ``()``: at
    most one fact); None for a plain set. ``stated_by`` is ``data`` (case files, fact files and cohort exports state
    it) or ``engine`` (generated by the engine from the KB, e.g. ``document_scope``; data may not state it).
    ``world`` is ``closed`` (complete: a fact not stated is false, e.g. the grades on record) or ``open`` (a fact
    not stated is unknown; a case states it false explicitly).
    """

    name: str
    fields: tuple[Field, ...]
    doc: str = ""
    kind: str = "input"  # input | concept
    exclusive_with: tuple[str, ...] = ()
    loc: Location | None = None
    key: tuple[str, ...] | None = None
    stated_by: str = "data"
    world: str = "closed"
    label: Texts | None = None  # the relation named for readers: ``toetsresultaat`` / ``test result``
    text: Texts | None = None  # a sentence per language, ``{field}`` placeholders: how one fact reads

    def label_in(self, lang: str) -> str:
        """The relation's label in ``lang``; its name, with spaces, when it has none."""
        return self.label.in_(lang) if self.label else self.name.replace("_", " ")

    def field(self, name: str) -> Field | None:
        """The field called ``name``."""
        return next((f for f in self.fields if f.name == name), None)

    def contested_by(self, field: str | None = None) -> str:
        """Who can bring another value of ``field`` forward (``student``, ``body`` or ``none``); without a field,
        who can bring the whole fact forward or take it back: the ``contest`` of its key fields, or, for a relation
        without a key, of its first field (the one the fact is about: the student who makes the claim, the body that
        decides). ``force_majeure_claim.student: contest student``: the student can make the claim;
        ``test_result.grade: contest body`` alone: the grade can be given otherwise, the result cannot be taken
        away; ``exam_event.minutes: contest body``: the minutes can be found otherwise, the event stays."""
        if field is not None:
            f = self.field(field)
            return f.contest if f is not None else "none"
        identifying = [f for f in self.fields if f.name in self.key] if self.key is not None else list(self.fields[:1])
        return next((f.contest for f in identifying if f.contest != "none"), "none")

    @property
    def is_open(self) -> bool:
        """An open relation: absence of a fact means unknown, and a case may state a fact false (``false:``)."""
        return self.world == "open"

    @property
    def arity(self) -> int:
        """Number of fields."""
        return len(self.fields)

    @property
    def key_positions(self) -> tuple[int, ...] | None:
        """Positions of the ``key`` fields in a row (None for a plain set)."""
        if self.key is None:
            return None
        names = [f.name for f in self.fields]
        return tuple(names.index(k) for k in self.key)

    def example_record(self) -> str:
        """A valid case-file record for this relation."""
        return "{" + ", ".join(f"{f.name}: {f.example()}" for f in self.fields) + "}"

    def signature(self) -> str:
        """``name(field: type, ...)``."""
        return f"{self.name}(" + ", ".join(f"{f.name}: {f.type}" for f in self.fields) + ")"


@dataclass(frozen=True)
class OutcomeSet:
    """Concepts of which, for every tuple of ``over`` that the ``when`` body yields, at least one must hold
    (``oerlog check`` reports a gap when none does). ``body`` is the parsed ``when``; ``over`` are its variables
    that give the concepts' arguments, in order."""

    name: str
    concepts: tuple[str, ...]
    over: tuple[str, ...]
    when: str
    body: tuple[Any, ...]  # ir.Literal (typed loosely: ir is not imported here to keep this module light)
    doc: str = ""
    loc: Location | None = None


@dataclass(frozen=True)
class Constraint:
    """An integrity constraint of the world: a situation that cannot occur in a real case (a resit before its
    regular sitting, a result for a sitting after the reference date). ``body`` is the parsed ``violation`` (a rule
    body over input relations); ``over`` its variables bound by positive atoms, in order of appearance."""

    name: str
    violation: tuple[str, ...]  # alternatives: the situation occurs when one of them holds
    bodies: tuple[tuple[tuple[Any, ...], tuple[str, ...]], ...]  # per alternative: (ir.Literal body, over)
    doc: str = ""
    doc_nl: str = ""
    loc: Location | None = None


@dataclass
class Vocabulary:
    """All input relations and concepts, by name."""

    relations: dict[str, Relation] = field(default_factory=dict)
    concepts: dict[str, Relation] = field(default_factory=dict)
    parameters: dict[str, tuple[str, str]] = field(default_factory=dict)  # shared parameter -> (type, doc)
    outcome_sets: dict[str, OutcomeSet] = field(default_factory=dict)  # declared-exhaustive outcomes (checks)
    path: str = ""
    names: dict[str, Texts] = field(default_factory=dict)  # display names of ids (programme codes, matters ...)
    constraints: dict[str, Constraint] = field(default_factory=dict)  # integrity constraints of the world
    parameter_units: dict[str, str] = field(default_factory=dict)  # shared parameter -> unit (weeks, months ...)

    def relation(self, name: str) -> Relation | None:
        """The input relation or concept called ``name``."""
        return self.relations.get(name) or self.concepts.get(name)

    def by_label(self, name: str) -> list[str]:
        """The relations and concepts whose label in some language is ``name`` or holds each of its words
        (``herkansing_uitgesloten`` for ``resit_excluded``, labelled "uitgesloten van de herkansing"), for "did you
        mean" on a name written in Dutch."""
        key = _label_key(name)
        words = set(key.split())
        out: list[str] = []
        for n, r in (*self.relations.items(), *self.concepts.items()):
            if r.label is None:
                continue
            for label in (_label_key(r.label.nl), _label_key(r.label.en)):
                # the label itself, or every word of the name in it ("herkansing uitgesloten" for "uitgesloten van
                # de herkansing")
                if key == label or (len(words) >= 2 and words <= set(label.split())):
                    out.append(n)
                    break
        return out

    def input_arities(self) -> dict[str, int]:
        """Arity of every input relation."""
        return {n: r.arity for n, r in self.relations.items()}

    def concept_arities(self) -> dict[str, int]:
        """Arity of every shared concept."""
        return {n: r.arity for n, r in self.concepts.items()}

    def stated_relation(self, name: str, loc: Location | None, example: str) -> Relation:
        """The input relation ``name`` that data (a case file, fact file or cohort export) states, or a located
        error: not declared (with a suggestion), a concept the rules derive, or a relation only the engine states."""
        rel = self.relations.get(name)
        if rel is not None and rel.stated_by == "data":
            return rel
        if rel is not None:
            raise ValidationError(
                f"{name} cannot be stated by data: the engine generates it from the knowledge base",
                loc,
                value=name,
                hint="relations marked 'stated_by: engine' in kb/vocabulary.yaml come from the knowledge base; a case"
                " names the document to judge it under with 'document:'",
                example=example,
                nl=f"{name} kan niet in de gegevens staan: de engine leidt het af uit de kennisbank",
                hint_nl="relaties met 'stated_by: engine' in kb/vocabulary.yaml komen uit de kennisbank; een casus"
                " noemt het document waaronder hij wordt beoordeeld met 'document:'",
            )
        if name in self.concepts:
            raise ValidationError(
                f"{name} is a conclusion the rules derive, not an input relation: a case states the facts it rests on",
                loc,
                value=name,
                hint="input relations are declared in kb/vocabulary.yaml (oerlog docs --vocabulary lists them)",
                example=example,
                nl=f"{name} is een conclusie die de regels afleiden, geen invoerrelatie: een casus geeft de feiten"
                " waarop die conclusie rust",
                hint_nl="de invoerrelaties staan in kb/vocabulary.yaml (oerlog docs --vocabulary somt ze op)",
            )
        stateable = sorted(n for n, r in self.relations.items() if r.stated_by == "data")
        dutch = [n for n in self.by_label(name) if n in stateable]
        raise ValidationError(
            f"unknown input relation {name!r}",
            loc,
            value=name,
            hint=did_you_mean(name, stateable)
            + (f"{name!r} reads as the label of {', '.join(dutch[:3])}; " if dutch else "")
            + "input relations are declared in kb/vocabulary.yaml (oerlog docs --vocabulary lists them)",
            example=example,
            nl=f"onbekende invoerrelatie {name!r}",
            hint_nl=did_you_mean(name, stateable, lang="nl")
            + (f"{name!r} is de omschrijving van {', '.join(dutch[:3])}; " if dutch else "")
            + "de invoerrelaties staan in kb/vocabulary.yaml (oerlog docs --vocabulary somt ze op)",
        )


def _label_key(text: str) -> str:
    return " ".join(text.replace("_", " ").replace("-", " ").lower().split())


def load_vocabulary(path: Path) -> Vocabulary:
    """Read and check ``vocabulary.yaml``. The checked vocabulary is kept in the user's private cache, keyed by the
    file's path and text and by the code that reads it (:func:`oerlog.lang.grammar.cached`), so the next command
    does not read an unchanged file again; a vocabulary with an error is never cached."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return _read_vocabulary(path)  # reports the problem with its place
    key = f"{_code_key()}\0{path}\0{text}"
    return cached("vocabulary", key, lambda: _read_vocabulary(path), Vocabulary)


@lru_cache(maxsize=1)
def _code_key() -> str:
    """A hash of the code that reads a vocabulary (this module, the YAML reader, the rule parser)."""
    h = hashlib.sha256(code_key().encode())
    for name in ("vocabulary.py", "yamlpos.py"):
        h.update(resources.files("oerlog.kb").joinpath(name).read_bytes())
    h.update(resources.files("oerlog").joinpath("values.py").read_bytes())
    return h.hexdigest()


def _read_vocabulary(path: Path) -> Vocabulary:
    """Read and check ``vocabulary.yaml`` (see :func:`load_vocabulary`)."""
    data = yamlpos.load(path)
    voc = Vocabulary(path=str(path))
    if not isinstance(data, yamlpos.YDict):
        raise ValidationError("vocabulary.yaml must be a mapping with 'relations' and 'concepts'", Location(str(path)))
    for section, kind in (("relations", "input"), ("concepts", "concept")):
        block = data.get(section)
        if block is None:
            continue
        if not isinstance(block, yamlpos.YDict):
            raise ValidationError(f"'{section}' must be a mapping", data.locs.get(section, data.loc))
        for name, spec in block.items():
            loc = block.locs[name]
            if not isinstance(spec, yamlpos.YDict):
                raise ValidationError(f"relation {name} must be a mapping with 'fields'", loc, value=name)
            fields_raw = spec.get("fields")
            if not isinstance(fields_raw, yamlpos.YList) or not fields_raw:
                raise ValidationError(
                    f"relation {name} needs a non-empty 'fields' list",
                    loc,
                    value=name,
                    example="fields: [{name: student, type: id, doc: student number}]",
                )
            fields_: list[Field] = []
            for i, f in enumerate(fields_raw):
                floc = fields_raw.locs[i]
                if not isinstance(f, yamlpos.YDict) or "name" not in f or "type" not in f:
                    raise ValidationError(
                        f"field {i + 1} of {name} needs 'name' and 'type'",
                        floc,
                        example="{name: grade, type: grade}",
                    )
                ftype = str(f["type"])
                if ftype not in TYPES:
                    raise ValidationError(
                        f"unknown field type {ftype!r}",
                        f.locs["type"],
                        value=ftype,
                        hint="types: " + ", ".join(TYPES),
                    )
                values = tuple(str(v) for v in (f.get("values") or ()))
                if ftype == "enum" and not values:
                    raise ValidationError(f"enum field {f['name']} needs 'values'", floc, example="values: [a, b]")
                fields_.append(
                    Field(
                        str(f["name"]),
                        ftype,
                        str(f.get("doc") or ""),
                        values,
                        _texts(f, "label", f"{name}.{f['name']}"),
                        _value_labels(f, f"{name}.{f['name']}", values),
                        _contest(f, f"{name}.{f['name']}", kind),
                    )
                )
            rel = Relation(
                name,
                tuple(fields_),
                str(spec.get("doc") or ""),
                kind,
                tuple(str(x) for x in (spec.get("exclusive_with") or ())),
                loc,
                _key(spec, name, fields_, loc),
                _stated_by(spec, name, loc),
                _world(spec, name, kind, loc),
                _texts(spec, "label", name),
                _sentence(spec, name, fields_),
            )
            if rel.stated_by == "engine" and rel.contested_by() != "none":
                raise ValidationError(
                    f"{name}: a relation the engine states cannot be contested",
                    loc,
                    value=name,
                    example="contest: none",
                )
            target = voc.relations if kind == "input" else voc.concepts
            if name in voc.relations or name in voc.concepts:
                raise ValidationError(f"{name} is declared twice in the vocabulary", loc, value=name)
            target[name] = rel
    if data.get("outcome_sets") is not None:
        _outcome_sets(data, voc)
    if data.get("names") is not None:
        voc.names = read_names(data, "names")
    if data.get("constraints") is not None:
        _constraints(data, voc)
    params = data.get("parameters")
    if params is None:
        return voc
    if not isinstance(params, yamlpos.YDict):
        raise ValidationError("'parameters' must be a mapping", data.locs.get("parameters", data.loc))
    for name, spec in params.items():
        if not isinstance(spec, yamlpos.YDict) or "type" not in spec:
            raise ValidationError(
                f"shared parameter {name} needs a type", params.locs[name], example="pass_grade: {type: decimal}"
            )
        voc.parameters[name] = (str(spec["type"]), str(spec.get("doc") or ""))
        if spec.get("unit") is not None:
            unit = str(spec["unit"])
            if unit not in ir.PARAM_UNITS:
                raise ValidationError(
                    f"shared parameter {name}: unknown unit {unit!r}",
                    spec.locs["unit"],
                    value=unit,
                    hint="units: " + ", ".join(ir.PARAM_UNITS),
                    example="appeal_weeks: {type: integer, unit: weeks}",
                )
            voc.parameter_units[str(name)] = unit
    return voc


def _texts(spec: yamlpos.YDict, key: str, what: str) -> Texts | None:
    """``key: {nl: ..., en: ...}`` of ``spec``: one non-empty text per language of :data:`LANGS`, or a located
    error; None when ``spec`` has no ``key``."""
    if key not in spec:
        return None
    return texts_value(spec[key], spec.locs[key], f"{what}: {key}", allow_plain=False)


def texts_value(raw: Any, loc: Location, what: str, *, allow_plain: bool) -> Texts:
    """A text per language (``{nl: ..., en: ...}``; with ``allow_plain`` a single text serves both), or a located
    error naming the bad value and a valid example."""
    example = (
        TEXTS_EXAMPLE if not allow_plain else '"Vorm en functie"  or  {nl: "Vorm en functie", en: "Form and Function"}'
    )
    if allow_plain and isinstance(raw, str):
        problem = text_problem(raw)
        if problem or not raw.strip():
            raise ValidationError(f"{what}: {problem or 'an empty text'}", loc, value=raw, example=example)
        return Texts(raw, raw)
    if not isinstance(raw, yamlpos.YDict):
        raise ValidationError(f"{what} must give a text per language: nl and en", loc, value=raw, example=example)
    for k in raw:
        if k not in LANGS:
            raise ValidationError(
                f"{what}: unknown language {k!r}",
                raw.key_locs[k],
                value=k,
                hint="languages: " + ", ".join(LANGS),
                example=example,
            )
    out: list[str] = []
    for lang in LANGS:
        if lang not in raw:
            raise ValidationError(f"{what}: the {lang} text is missing", raw.loc, value=dict(raw), example=example)
        text = raw[lang]
        if not isinstance(text, str) or not text.strip():
            raise ValidationError(
                f"{what}: the {lang} text must be a non-empty text", raw.locs[lang], value=text, example=example
            )
        problem = text_problem(text)
        if problem:
            raise ValidationError(f"{what}: {problem}", raw.locs[lang], value=text, example=example)
        out.append(text)
    return Texts(*out)


SENTENCE_EXAMPLE = (
    '{nl: "{student} behaalde een {grade} voor de toets {test}", en: "{student} obtained {grade} for test {test}"}'
)


def _sentence(spec: yamlpos.YDict, name: str, fields_: list[Field]) -> Texts | None:
    """``text:`` of a relation: a sentence per language whose ``{placeholders}`` are field names of the relation
    (each error located at the text, naming the placeholder)."""
    texts = _texts(spec, "text", name)
    if texts is None:
        return None
    raw = spec["text"]
    names = [f.name for f in fields_]
    for lang in LANGS:
        text = texts.in_(lang)
        loc = raw.locs[lang]
        for problem, value in template_problems(text, names):
            raise ValidationError(
                f"{name}: text ({lang}): {problem}",
                loc,
                value=value,
                hint=did_you_mean(value.strip("{}"), names, n=1) + "fields: " + ", ".join(names),
                example=SENTENCE_EXAMPLE,
            )
    return texts


def template_problems(text: str, names: list[str]) -> list[tuple[str, str]]:
    """What is wrong with a sentence template over the fields ``names``: a placeholder that names no field, a
    brace that opens no placeholder. (problem, the bad part) pairs, in order."""
    problems: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        ch = text[pos]
        if ch == "}":
            problems.append(("a '}' without its '{'", text[max(0, pos - 20) : pos + 1]))
            pos += 1
        elif ch == "{":
            end = text.find("}", pos)
            inner = text[pos + 1 : end] if end > 0 else ""
            if end < 0 or not inner.isidentifier():
                problems.append(("a '{' that opens no {field} placeholder", text[pos : pos + 20]))
                pos += 1
                continue
            if inner not in names:
                problems.append((f"{{{inner}}} is not a field of the relation", "{" + inner + "}"))
            pos = end + 1
        else:
            pos += 1
    return problems


def _value_labels(f: yamlpos.YDict, what: str, values: tuple[str, ...]) -> tuple[tuple[str, Texts], ...]:
    """``value_labels: {value: {nl: ..., en: ...}}`` of an enum field: each key one of its ``values``."""
    if "value_labels" not in f:
        return ()
    raw = f["value_labels"]
    loc = f.locs["value_labels"]
    example = "value_labels: {regular: {nl: reguliere toets, en: regular sitting}}"
    if not values:
        raise ValidationError(f"{what}: value_labels are for an enum field (with values)", loc, example=example)
    if not isinstance(raw, yamlpos.YDict):
        raise ValidationError(f"{what}: value_labels must map values to texts", loc, value=raw, example=example)
    out: list[tuple[str, Texts]] = []
    for v, t in raw.items():
        if v not in values:
            raise ValidationError(
                f"{what}: value_labels names {v!r}, which is not one of its values",
                raw.key_locs[v],
                value=v,
                hint=did_you_mean(v, values, n=1) + "values: " + ", ".join(values),
                example=example,
            )
        out.append((v, texts_value(t, raw.locs[v], f"{what}: value_labels.{v}", allow_plain=False)))
    return tuple(out)


NAMES_EXAMPLE = (
    'names:\n  vorm_en_functie: "Vorm en functie"\n  gnk-ba: {nl: "Bachelor Geneeskunde", en: "Bachelor of Medicine"}'
)


def read_names(data: yamlpos.YDict, key: str) -> dict[str, Texts]:
    """A ``names:`` section (of the vocabulary or of a case file): id -> the name a reader sees instead of the id,
    one text for both languages or ``{nl: ..., en: ...}``."""
    raw = data[key]
    if not isinstance(raw, yamlpos.YDict):
        raise ValidationError(
            f"'{key}' must map ids to names", data.locs.get(key, data.loc), value=raw, example=NAMES_EXAMPLE
        )
    out: dict[str, Texts] = {}
    for ident, name in raw.items():
        problem = id_problem(ident)
        if problem:
            raise ValidationError(f"{key}: {problem}", raw.key_locs[ident], value=ident, example=NAMES_EXAMPLE)
        out[ident] = texts_value(name, raw.locs[ident], f"{key}: {ident}", allow_plain=True)
    return out


KEY_EXAMPLE = "key: [student, test]"


def _key(spec: yamlpos.YDict, name: str, fields_: list[Field], loc: Location) -> tuple[str, ...] | None:
    """``key:`` of a relation: a list of distinct field names, not every field (that is a plain set: no key)."""
    if "key" not in spec:
        return None
    raw = spec["key"]
    kloc = spec.locs["key"]
    if not isinstance(raw, yamlpos.YList):
        raise ValidationError(f"{name}: 'key' must be a list of field names", kloc, value=raw, example=KEY_EXAMPLE)
    names = [f.name for f in fields_]
    key = tuple(str(k) for k in raw)
    for i, k in enumerate(key):
        if k not in names:
            raise ValidationError(
                f"{name}: key field {k!r} is not a field of {name}",
                raw.locs[i],
                value=k,
                hint=did_you_mean(k, names) + "fields: " + ", ".join(names),
                example=KEY_EXAMPLE,
            )
        if k in key[:i]:
            raise ValidationError(f"{name}: key field {k!r} is listed twice", raw.locs[i], value=k, example=KEY_EXAMPLE)
    if len(key) == len(names):
        raise ValidationError(
            f"{name}: a key of every field determines nothing; leave 'key' out for a plain set",
            kloc,
            value=list(key),
            example=KEY_EXAMPLE,
        )
    return key


def _one_of(spec: yamlpos.YDict, key: str, allowed: tuple[str, ...], name: str, loc: Location, example: str) -> str:
    """A relation setting that takes one of ``allowed`` (the first is the default), or a located error."""
    value = str(spec.get(key) or allowed[0])
    if value not in allowed:
        raise ValidationError(
            f"{name}: {key} must be one of {', '.join(allowed)}",
            spec.locs.get(key, loc),
            value=value,
            example=example,
        )
    return value


def _contest(f: yamlpos.YDict, what: str, kind: str) -> str:
    """``contest:`` of a field: one of :data:`CONTEST`; only an input relation's field can be contested (a concept
    is concluded by the rules)."""
    value = _one_of(f, "contest", CONTEST, what, f.loc, "contest: student")
    if value != "none" and kind != "input":
        raise ValidationError(
            f"{what}: only a field of an input relation can be contested; a concept is concluded by the rules",
            f.locs.get("contest", f.loc),
            value=value,
            example="contest: none",
        )
    return value


def _stated_by(spec: yamlpos.YDict, name: str, loc: Location) -> str:
    return _one_of(spec, "stated_by", STATED_BY, name, loc, "stated_by: engine")


def _world(spec: yamlpos.YDict, name: str, kind: str, loc: Location) -> str:
    value = _one_of(spec, "world", WORLDS, name, loc, "world: open")
    if value == "open" and kind != "input":
        raise ValidationError(
            f"{name}: only an input relation can be open; a concept is derived by the rules",
            spec.locs.get("world", loc),
            value=value,
            example="world: closed",
        )
    return value


OUTCOME_SET_EXAMPLE = """outcome_sets:
  resit_outcome:
    doc: "every regular result leads to a pass, a resit or an exclusion"
    concepts: [passed, resit_allowed, resit_excluded]
    over: [S, C]
    when: "test_result(S, T, G), test(T, C, regular, _)\""""


def _outcome_sets(data: Any, voc: Vocabulary) -> None:
    """Parse ``outcome_sets:``: name -> {concepts, over, when, doc}; ``when`` is a rule body in the rule language."""
    block = data["outcome_sets"]
    if not isinstance(block, yamlpos.YDict):
        raise ValidationError(
            "'outcome_sets' must be a mapping", data.locs.get("outcome_sets"), example=OUTCOME_SET_EXAMPLE
        )
    for name, spec in block.items():
        loc = block.locs[name]
        if not isinstance(spec, yamlpos.YDict) or not all(k in spec for k in ("concepts", "over", "when")):
            raise ValidationError(
                f"outcome set {name} needs 'concepts', 'over' and 'when'", loc, value=name, example=OUTCOME_SET_EXAMPLE
            )
        concepts = tuple(str(c) for c in (spec["concepts"] or ()))
        over = tuple(str(v) for v in (spec["over"] or ()))
        for c in concepts:
            rel = voc.concepts.get(c)
            if rel is None:
                raise ValidationError(
                    f"outcome set {name}: {c!r} is not a declared concept",
                    spec.locs["concepts"],
                    value=c,
                    hint="concepts: " + ", ".join(sorted(voc.concepts)),
                    example=OUTCOME_SET_EXAMPLE,
                )
            if rel.arity != len(over):
                raise ValidationError(
                    f"outcome set {name}: {c} has {rel.arity} field(s) but 'over' lists {len(over)} variable(s)",
                    spec.locs["over"],
                    value=list(over),
                    example=OUTCOME_SET_EXAMPLE,
                )
        if len(concepts) < 2:
            raise ValidationError(f"outcome set {name} needs at least two concepts", spec.locs["concepts"], value=name)
        when = str(spec["when"])
        wloc = spec.locs["when"]
        head = "outcome_domain(" + ", ".join(over) + ")" if over else "outcome_domain"
        prefix = head + " :- "
        try:
            prog = parse_program(prefix + when.strip().rstrip(".") + ".", str(wloc.file))
        except KBSyntaxError as exc:
            col = exc.location.column if exc.location else 1
            raise ValidationError(
                f"outcome set {name}: 'when' is not a rule body: {exc.message}",
                Location(wloc.file, wloc.line, wloc.column + max(0, col - 1 - len(prefix))),
                value=when,
                example='when: "test_result(S, T, G), test(T, C, regular, _)"',
            ) from None
        body = prog.rules[0].body if prog.rules else ()
        bound = {t.name for lit in body if isinstance(lit, ir.Positive) for t in lit.atom.args if isinstance(t, ir.Var)}
        missing = [v for v in over if v not in bound]
        if missing:
            raise ValidationError(
                f"outcome set {name}: variable(s) {', '.join(missing)} of 'over' are not bound by a positive atom of"
                " 'when'",
                wloc,
                value=when,
                example=OUTCOME_SET_EXAMPLE,
            )
        voc.outcome_sets[str(name)] = OutcomeSet(
            str(name), concepts, over, when, tuple(body), str(spec.get("doc") or ""), loc
        )


def convert(value: Any, raw: str | None, fld: Field, rel: Relation, loc: Location) -> Value:
    """Validate one field value and convert it to its exact internal form."""

    def bad(why: str, nl: str) -> ValidationError:
        return ValidationError(
            f"{rel.name}.{fld.name}: {why}",
            loc,
            value=raw if raw is not None else value,
            hint=f"{fld.name} must be {fld.describe()}",
            example=f"{rel.name}: {rel.example_record()}",
            nl=f"{rel.name}.{fld.name}: {nl}",
            hint_nl=f"{fld.name} moet {fld.describe('nl')} zijn",
        )

    t = fld.type
    if value is None:
        raise bad("a value is required", "er is een waarde nodig")
    if t in ("id", "string"):
        if isinstance(value, (dict, list)):
            raise bad("expected a single value", "verwacht een enkele waarde")
        if isinstance(value, bool):
            raise bad("expected text, got a boolean", "verwacht een tekst, niet true of false")
        s = raw if raw is not None and not isinstance(value, str) else str(value)
        problem = id_problem(s) if t == "id" else text_problem(s)
        if problem:
            raise bad(problem, (id_problem(s, "nl") if t == "id" else text_problem(s, "nl")) or problem)
        return s
    if t in ("grade", "decimal", "integer", "ec"):
        if isinstance(value, bool) or isinstance(value, (dict, list, dt.date)):
            kind = _KIND_NL.get(type(value).__name__, type(value).__name__)
            raise bad(f"expected a number, got {type(value).__name__}", f"verwacht een getal, niet {kind}")
        src = raw if (raw is not None and not isinstance(value, str)) else value
        n = to_number(src)
        if n is None:
            raise bad("not a number", "geen getal")
        if t == "integer":
            if isinstance(n, Decimal):
                if n != n.to_integral_value():
                    raise bad("expected a whole number", "verwacht een geheel getal")
                n = int(n)
            return n
        d = Decimal(n) if isinstance(n, int) else n
        if t == "grade" and not (Decimal(1) <= d <= Decimal(10)):
            raise bad("a grade must be between 1.0 and 10.0", "een cijfer ligt tussen 1,0 en 10,0")
        if t == "ec" and d < 0:
            raise bad("EC cannot be negative", "het aantal EC kan niet negatief zijn")
        return d
    if t == "date":
        if isinstance(value, dt.datetime):  # also YAML's unquoted 2025-01-05T10:00:00
            raise bad(
                "a date is written YYYY-MM-DD, without a time", "een datum schrijft u als JJJJ-MM-DD, zonder tijdstip"
            )
        if isinstance(value, dt.date) and raw is None:
            return value
        text = raw if raw is not None else value
        day = parse_date(text) if isinstance(text, str) else None
        if day is None:
            raise bad("not a date that exists (YYYY-MM-DD)", "verwacht een bestaande datum, bijvoorbeeld 2025-11-20")
        return day
    if t == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise bad("expected true or false", "verwacht true of false")
    if t == "enum":
        s = str(value)
        if s not in fld.values:
            raise bad(f"{s!r} is not allowed", f"{s!r} is niet toegestaan")
        return s
    raise bad(f"unknown type {t}", f"onbekend type {t}")


_KIND_NL = {"bool": "true of false", "dict": "een mapping", "list": "een lijst", "date": "een datum"}


CONSTRAINT_EXAMPLE = """constraints:
  resit_after_regular:
    doc: "a resit comes after the regular sitting of the same course and year"
    violation: "test(T1, C, regular, D1), test(T2, C, resit, D2), academic_year(D1) = academic_year(D2), D2 <= D1\""""


def _constraints(data: Any, voc: Vocabulary) -> None:
    """Parse ``constraints:``: name -> {violation, doc, doc_nl}; ``violation`` is a rule body over input relations
    that holds in a situation the world does not allow."""
    block = data["constraints"]
    if not isinstance(block, yamlpos.YDict):
        raise ValidationError(
            "'constraints' must be a mapping", data.locs.get("constraints"), example=CONSTRAINT_EXAMPLE
        )
    for name, spec in block.items():
        loc = block.locs[name]
        if not isinstance(spec, yamlpos.YDict) or "violation" not in spec:
            raise ValidationError(
                f"constraint {name} needs 'violation' (a rule body)", loc, value=name, example=CONSTRAINT_EXAMPLE
            )
        raw = spec["violation"]
        vloc = spec.locs["violation"]
        alternatives = (
            [(str(x), raw.locs[i]) for i, x in enumerate(raw)] if isinstance(raw, yamlpos.YList) else [(str(raw), vloc)]
        )
        bodies = tuple(_constraint_body(str(name), text, wloc, voc) for text, wloc in alternatives)
        voc.constraints[str(name)] = Constraint(
            str(name),
            tuple(t for t, _ in alternatives),
            bodies,
            str(spec.get("doc") or ""),
            str(spec.get("doc_nl") or ""),
            loc,
        )


def _constraint_body(name: str, text: str, wloc: Location, voc: Vocabulary) -> tuple[tuple[Any, ...], tuple[str, ...]]:
    """One alternative of a constraint's ``violation``: its parsed body and the variables its positive atoms bind."""
    prefix = "violation :- "
    try:
        prog = parse_program(prefix + text.strip().rstrip(".") + ".", str(wloc.file))
    except KBSyntaxError as exc:
        col = exc.location.column if exc.location else 1
        raise ValidationError(
            f"constraint {name}: 'violation' is not a rule body: {exc.message}",
            Location(wloc.file, wloc.line, wloc.column + max(0, col - 1 - len(prefix))),
            value=text,
            example=CONSTRAINT_EXAMPLE,
        ) from None
    body = prog.rules[0].body if prog.rules else ()
    over: list[str] = []
    for lit in body:
        if isinstance(lit, ir.Positive):
            for t in lit.atom.args:
                if isinstance(t, ir.Var) and not ir.is_anonymous(t.name) and t.name not in over:
                    over.append(t.name)
        for a, _neg in ir.literal_atoms(lit):
            if a.pred not in voc.relations:
                raise ValidationError(
                    f"constraint {name}: {a.pred} is not an input relation",
                    wloc,
                    value=a.pred,
                    hint="a constraint speaks of the facts of a case only",
                    example=CONSTRAINT_EXAMPLE,
                )
    if not over:
        raise ValidationError(f"constraint {name}: 'violation' has no positive atom", wloc, value=text)
    return tuple(body), tuple(over)
