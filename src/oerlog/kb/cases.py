"""Case files: the facts about one or more students, validated against the vocabulary.

A case file is YAML (see docs/kb-format.md); facts may also come from ``.dl`` fact files. Every fact keeps its
source (file and line) so proofs can point at it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oerlog.errors import Location, OerlogError, ValidationError, did_you_mean
from oerlog.kb import yamlpos
from oerlog.kb.vocabulary import Field, Relation, Texts, Vocabulary, convert, read_names
from oerlog.lang import ir
from oerlog.lang.parser import parse_file
from oerlog.values import Value, format_literal

Row = tuple[Value, ...]

EXAMPLE_CASE = """reference_date: 2025-11-03
document: uu-gnk-ba-2025
facts:
  test_result:
    - {student: s1, test: vf_2025_1, grade: 3.8}"""

REFERENCE_RELATION = "reference_date"
CASE_KEYS = (
    "reference_date",
    "decision_date",
    "document",
    "facts",
    "false",
    "facts_files",
    "description",
    "title",
    "names",
)
EXAMPLE_FALSE = """false:
  discretionary_decision:
    - {body: examencommissie, matter: cum_laude, student: s1, subject: gnk-ba}"""


@dataclass
class Case:
    """Facts about students, with the date the question is asked and (optionally) the document to use."""

    facts: dict[str, set[Row]] = field(default_factory=dict)
    sources: dict[tuple[str, Row], Location] = field(default_factory=dict)
    reference_date: dt.date | None = None
    decision_date: dt.date | None = None  # when the decision under appeal was made known (for appeal terms)
    document: str | None = None
    path: str | None = None
    text: bytes = b""
    document_loc: Location | None = None  # where the case names its document
    notes: list[str] = field(default_factory=list)  # located remarks on the input (a fact stated twice)
    names: dict[str, Texts] = field(default_factory=dict)  # display names of ids (``names:``), for explanations
    _by_key: dict[tuple[str, Row], tuple[Row, Location | None]] = field(default_factory=dict, repr=False)

    def state_false(self, rel: Relation, row: Row, loc: Location | None = None) -> None:
        """Add a fact the input states false (``false:``): only for an open relation (a closed one is false when
        not stated), and never a fact also stated true."""
        if not rel.is_open:
            raise ValidationError(
                f"{rel.name} is complete (closed world): a fact not stated is false, so it cannot be stated false",
                loc,
                value=_fact_text(rel.name, row),
                hint="leave the fact out; only relations marked 'world: open' in kb/vocabulary.yaml take false:",
                example=EXAMPLE_FALSE,
                nl=f"{rel.name} is volledig (gesloten wereld): een feit dat niet genoemd wordt is onwaar, dus het kan"
                " niet als onwaar worden opgegeven",
                hint_nl="laat het feit weg; alleen relaties met 'world: open' in kb/vocabulary.yaml kunnen onder"
                " false:",
            )
        if row in self.facts.get(rel.name, ()):
            raise ValidationError(
                f"{_fact_text(rel.name, row)} is stated both true (at {self.sources.get((rel.name, row))}) and false",
                loc,
                value=_fact_text(rel.name, row),
                hint="keep the one the record shows",
                example=EXAMPLE_FALSE,
                nl=f"{_fact_text(rel.name, row)} staat er zowel als waar (op {self.sources.get((rel.name, row))}) als"
                " als onwaar",
                hint_nl="houd het feit aan dat het dossier laat zien",
            )
        name = ir.false_name(rel.name)
        if row in self.facts.get(name, ()):
            self.notes.append(f"{loc or self.path}: {_fact_text(rel.name, row)} is stated false twice; it counts once")
            return
        self.add(name, row, loc)

    def stated_false(self, pred: str) -> set[Row]:
        """The facts of ``pred`` the input states false."""
        return self.facts.get(ir.false_name(pred), set())

    def add(self, pred: str, row: Row, loc: Location | None = None) -> None:
        """Add one fact (duplicates are kept once; the first source wins)."""
        self.facts.setdefault(pred, set()).add(row)
        if loc is not None:
            self.sources.setdefault((pred, row), loc)

    def state(self, rel: Relation, row: Row, loc: Location | None = None) -> None:
        """Add a fact as the input states it: a second reference date, or a second fact with the same ``key`` (see
        kb/vocabulary.yaml) and other values, is a located error; the same fact stated twice is a note."""
        pred = rel.name
        first = self.sources.get((pred, row))
        if pred == REFERENCE_RELATION and self.facts.get(pred):
            (other,) = self.facts[pred]
            raise ValidationError(
                f"a case has exactly one reference date; {_located(other, self.sources.get((pred, other)))} already"
                " states one",
                loc,
                value=format_literal(row[0]),
                hint="state it once, as reference_date: at the top of the case file",
                example=EXAMPLE_CASE,
                nl="een casus heeft precies één peildatum; "
                + _located(other, self.sources.get((pred, other)), "nl")
                + " geeft er al een",
                hint_nl="noem hem één keer, als reference_date: bovenaan het casusbestand",
            )
        if row in self.stated_false(pred):
            raise ValidationError(
                f"{_fact_text(pred, row)} is stated both false (at {self.sources.get((ir.false_name(pred), row))})"
                " and true",
                loc,
                value=_fact_text(pred, row),
                hint="keep the one the record shows",
                example=f"{pred}: {rel.example_record()}",
                nl=f"{_fact_text(pred, row)} staat er zowel als onwaar (op"
                f" {self.sources.get((ir.false_name(pred), row))}) als als waar",
                hint_nl="houd het feit aan dat het dossier laat zien",
            )
        if row in self.facts.get(pred, ()):
            self.notes.append(
                f"{loc or self.path}: {_fact_text(pred, row)} is stated twice"
                + (f" (first at {first})" if first else "")
                + "; it counts once"
            )
            return
        positions = rel.key_positions
        if positions is not None:
            key = tuple(row[i] for i in positions)
            seen = self._by_key.get((pred, key))
            if seen is not None:
                raise _key_conflict(rel, positions, seen, row, loc)
            self._by_key[(pred, key)] = (row, loc)
        self.add(pred, row, loc)

    @property
    def digest(self) -> str:
        """SHA-256 of the case's facts in a canonical order (for receipts)."""
        h = hashlib.sha256()
        for pred in sorted(self.facts):
            for row in sorted(self.facts[pred], key=lambda r: tuple(format_literal(v) for v in r)):
                h.update((pred + "(" + ", ".join(format_literal(v) for v in row) + ")\n").encode())
        if self.reference_date:
            h.update(self.reference_date.isoformat().encode())
        return h.hexdigest()

    def students(self) -> list[str]:
        """Student ids mentioned in the case (first field named ``student`` of any relation)."""
        return sorted({str(r[0]) for rows in self.facts.values() for r in rows if r})

    def count(self) -> int:
        """Number of facts."""
        return sum(len(r) for r in self.facts.values())

    def location_of(self, pred: str) -> Location | None:
        """Where the case states its first ``pred`` fact, else the case file itself (for errors about the case)."""
        locs = [loc for (p, _), loc in self.sources.items() if p == pred and loc.line]
        if locs:
            return min(locs, key=lambda loc: (loc.file, loc.line, loc.column))
        return Location(self.path, 1, 1) if self.path else None


def _same_label(name: str, *labels: str) -> bool:
    """``cijfer`` or ``datum_van_aanmelding`` written for a field labelled so."""
    key = " ".join(name.replace("_", " ").lower().split())
    return any(key == " ".join(label.lower().split()) for label in labels)


def _fact_text(pred: str, row: Row) -> str:
    return f"{pred}(" + ", ".join(format_literal(v) for v in row) + ")"


def _located(row: Row, loc: Location | None, lang: str = "en") -> str:
    at = " op " if lang == "nl" else " at "
    return format_literal(row[0]) if loc is None else f"{format_literal(row[0])}{at}{loc}"


def _key_conflict(
    rel: Relation, positions: tuple[int, ...], seen: tuple[Row, Location | None], row: Row, loc: Location | None
) -> ValidationError:
    """Two facts with the same key and different other values (two grades for one sitting)."""
    first, first_loc = seen
    others = [i for i in range(rel.arity) if i not in positions]
    key_text = ", ".join(f"{rel.fields[i].name} {format_literal(row[i])}" for i in positions)
    differ = [i for i in others if row[i] != first[i]]

    def values(r: Row) -> str:
        return ", ".join(f"{rel.fields[i].name} {format_literal(r[i])}" for i in differ)

    where = f" at {first_loc}" if first_loc else ""
    return ValidationError(
        f"{rel.name}: two facts for {key_text or 'the case'} with different values: {values(first)}{where}, and"
        f" {values(row)} here",
        loc,
        value=_fact_text(rel.name, row),
        hint=f"{rel.name} has one fact per "
        + (", ".join(rel.key or ()) or "case")
        + " (its key in kb/vocabulary.yaml); keep the right one",
        example=f"{rel.name}: {rel.example_record()}",
        nl=f"{rel.name}: twee feiten voor {key_text or 'de casus'} met verschillende waarden: {values(first)}"
        + (f" op {first_loc}" if first_loc else "")
        + f", en hier {values(row)}",
        hint_nl=f"{rel.name} heeft één feit per "
        + (", ".join(rel.key or ()) or "casus")
        + " (de sleutel in kb/vocabulary.yaml); houd het juiste aan",
    )


def _record(
    voc: Vocabulary, rel: Relation, rec: Any, loc: Location, case: Case, pred: str, *, false: bool = False
) -> None:
    state = case.state_false if false else case.state
    if isinstance(rec, yamlpos.YList):
        if len(rec) != rel.arity:
            raise ValidationError(
                f"{pred} has {rel.arity} fields ({', '.join(f.name for f in rel.fields)}), this record has {len(rec)}",
                loc,
                value=list(rec),
                example=f"{pred}: {rel.example_record()}",
                nl=f"{pred} heeft {rel.arity} velden ({', '.join(f.name for f in rel.fields)}), dit record heeft er"
                f" {len(rec)}",
            )
        row = tuple(
            convert(v, rec.raw[i], f, rel, rec.locs[i]) for i, (v, f) in enumerate(zip(rec, rel.fields, strict=True))
        )
        state(rel, row, loc)
        return
    if not isinstance(rec, yamlpos.YDict):
        raise ValidationError(
            f"a {pred} record must be a mapping of field names to values",
            loc,
            value=rec,
            example=f"{pred}: {rel.example_record()}",
            nl=f"een record van {pred} moet een mapping van veldnamen naar waarden zijn",
        )
    names = [f.name for f in rel.fields]
    for k in rec:
        if k not in names:
            dutch = [f.name for f in rel.fields if f.label and _same_label(k, f.label.nl, f.label.en)]
            raise ValidationError(
                f"{pred} has no field {k!r}",
                rec.key_locs[k],
                value=k,
                hint=did_you_mean(k, names, n=1)
                + (f"{k!r} is the label of field {dutch[0]}; " if dutch else "")
                + "fields: "
                + ", ".join(names),
                example=f"{pred}: {rel.example_record()}",
                nl=f"{pred} heeft geen veld {k!r}",
                hint_nl=did_you_mean(k, names, n=1, lang="nl")
                + (f"{k!r} is de omschrijving van het veld {dutch[0]}; " if dutch else "")
                + "velden: "
                + ", ".join(names),
            )
    values: list[Value] = []
    for f in rel.fields:
        if f.name not in rec:
            raise ValidationError(
                f"{pred} record lacks field {f.name!r} ({f.describe()})",
                loc,
                value=dict(rec),
                example=f"{pred}: {rel.example_record()}",
                nl=f"het record van {pred} mist het veld {f.name!r} ({f.describe('nl')})",
            )
        values.append(convert(rec[f.name], rec.raw.get(f.name), f, rel, rec.locs[f.name]))
    state(rel, tuple(values), loc)


def load_case(path: Path | str, voc: Vocabulary, text: str | None = None) -> Case:
    """Read and validate a YAML case file."""
    path = Path(path)
    data = yamlpos.load(path, text)
    raw_bytes = text.encode() if text is not None else path.read_bytes()
    return case_from_mapping(data, voc, path, Case(path=str(path), text=raw_bytes))


def case_from_mapping(data: Any, voc: Vocabulary, path: Path, case: Case) -> Case:
    """Validate a case given as a YAML mapping (a case file, or a scenario's inline ``case:``) into ``case``."""
    if not isinstance(data, yamlpos.YDict):
        raise ValidationError(
            "a case file must be a mapping with reference_date, document (optional) and facts",
            Location(str(path), 1, 1),
            example=EXAMPLE_CASE,
            nl="een casusbestand moet een mapping zijn met reference_date, document (niet verplicht) en facts",
        )
    yamlpos.check_keys(data, CASE_KEYS, "a case", EXAMPLE_CASE, "een casus")
    if "reference_date" in data:
        case.reference_date = _setting(data, "reference_date", "date")  # type: ignore[assignment]
        if REFERENCE_RELATION in voc.relations:
            ref_rel = voc.relations[REFERENCE_RELATION]
            case.state(ref_rel, (case.reference_date,), data.locs["reference_date"])  # type: ignore[arg-type]
    if "decision_date" in data:
        case.decision_date = _setting(data, "decision_date", "date")  # type: ignore[assignment]
    if "document" in data and data["document"] is not None:
        case.document = str(_setting(data, "document", "id"))
        case.document_loc = data.locs["document"]
    if data.get("names") is not None:
        case.names = read_names(data, "names")
    _section(data, "facts", voc, case, EXAMPLE_CASE)
    _section(data, "false", voc, case, EXAMPLE_FALSE)
    files = data.get("facts_files") or yamlpos.YList()
    if not isinstance(files, yamlpos.YList):
        raise ValidationError(
            "'facts_files' must be a list of .dl files (relative to the case file)",
            data.locs["facts_files"],
            value=files,
            example="facts_files: [grades.dl]",
            nl="het veld 'facts_files' moet een lijst van .dl-bestanden zijn (ten opzichte van het casusbestand)",
        )
    for i, f in enumerate(files):
        fpath = (path.parent / str(f)).resolve()
        if not fpath.is_file():
            raise ValidationError(
                f"fact file not found: {fpath}",
                files.locs[i],
                value=f,
                example="facts_files: [grades.dl]",
                nl=f"feitenbestand niet gevonden: {fpath}",
            )
        load_fact_file(fpath, voc, case)
    stated = case.facts.get(REFERENCE_RELATION)
    if case.reference_date is None and stated:
        (case.reference_date,) = next(iter(stated))  # type: ignore[assignment]
    return case


def _section(data: yamlpos.YDict, key: str, voc: Vocabulary, case: Case, example: str) -> None:
    """The ``facts:`` section (facts stated true) or the ``false:`` section (facts of open relations stated false)."""
    facts = data.get(key) or yamlpos.YDict()
    if not isinstance(facts, yamlpos.YDict):
        raise ValidationError(
            f"'{key}' must map relation names to lists of records",
            data.locs.get(key, data.loc),
            example=example,
            nl=f"het veld '{key}' moet relatienamen afbeelden op lijsten van records",
        )
    if not hasattr(facts, "locs"):
        facts.locs, facts.key_locs, facts.raw, facts.loc = {}, {}, {}, data.loc
    for pred, records in facts.items():
        rel = voc.stated_relation(pred, facts.key_locs[pred], example)
        if records is None:
            continue
        if not isinstance(records, yamlpos.YList):
            raise ValidationError(
                f"{pred} must be a list of records",
                facts.locs[pred],
                value=records,
                example=f"{pred}:\n    - {rel.example_record()}",
                nl=f"{pred} moet een lijst van records zijn",
            )
        for i, rec in enumerate(records):
            _record(voc, rel, rec, records.locs[i], case, pred, false=key == "false")


def _setting(data: yamlpos.YDict, key: str, ftype: str) -> Value:
    """A top-level value of a case file (reference_date, decision_date, document), typed like a field."""
    fld = Field(key, ftype)
    return convert(data[key], data.raw.get(key), fld, Relation("case", (fld,)), data.locs[key])


def load_fact_file(path: Path, voc: Vocabulary, case: Case | None = None) -> Case:
    """Read ground facts from a ``.dl`` file into ``case`` (validated like case-file records)."""
    case = case or Case(path=str(path))
    prog = parse_file(path)
    for r in prog.rules:
        if r.body or not r.is_fact:
            raise ValidationError(
                "a fact file may only hold ground facts",
                r.loc,
                value=str(r),
                example='test_result("s1", "vf_2025_1", 5.5).',
                nl="een feitenbestand bevat alleen feiten zonder variabelen",
            )
        rel = voc.stated_relation(r.head.pred, r.head.loc or Location(str(path)), 'test_result("s1", "t1", 5.5).')
        if r.head.arity != rel.arity:
            raise ValidationError(
                f"{rel.name} has {rel.arity} fields, this fact has {r.head.arity}",
                r.head.loc,
                value=str(r.head),
                example=rel.signature(),
                nl=f"{rel.name} heeft {rel.arity} velden, dit feit heeft er {r.head.arity}",
            )
        row = []
        for t, f in zip(r.head.args, rel.fields, strict=True):
            assert isinstance(t, ir.Const)
            raw = format_literal(t.value) if not isinstance(t.value, str) else None
            row.append(convert(t.value, raw, f, rel, t.loc or Location(str(path))))
        case.state(rel, tuple(row), r.head.loc)
    return case


def case_from_records(
    voc: Vocabulary,
    records: dict[str, list[dict[str, Any]]],
    reference_date: dt.date | None = None,
    source: str = "<records>",
) -> Case:
    """Build a case from Python records (API use); validated like a case file."""
    case = Case(reference_date=reference_date, path=source)
    if reference_date is not None and REFERENCE_RELATION in voc.relations:
        case.state(voc.relations[REFERENCE_RELATION], (reference_date,))
    for pred, recs in records.items():
        rel = voc.stated_relation(pred, Location(source), EXAMPLE_CASE)
        for i, rec in enumerate(recs):
            loc = Location(source, i + 1)
            names = [f.name for f in rel.fields]
            for k in rec:
                if k not in names:
                    raise ValidationError(
                        f"{pred} has no field {k!r}",
                        loc,
                        value=k,
                        hint=did_you_mean(str(k), names, n=1) + "fields: " + ", ".join(names),
                        example=f"{pred}: {rel.example_record()}",
                        nl=f"{pred} heeft geen veld {k!r}",
                        hint_nl=did_you_mean(str(k), names, n=1, lang="nl") + "velden: " + ", ".join(names),
                    )
            row = []
            for f in rel.fields:
                if f.name not in rec:
                    raise ValidationError(
                        f"{pred} record lacks {f.name}",
                        loc,
                        example=rel.example_record(),
                        nl=f"het record van {pred} mist het veld {f.name}",
                    )
                v = rec[f.name]
                row.append(convert(v, None, f, rel, loc))
            case.state(rel, tuple(row), loc)
    return case


__all__ = ["Case", "load_case", "load_fact_file", "case_from_records", "OerlogError"]
