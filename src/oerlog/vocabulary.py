"""The shared vocabulary: typed input relations and shared concepts (``kb/vocabulary.yaml``).

Case files, ``.dl`` fact files and CSV exports are all validated here, against the same field types.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import yamlpos
from .errors import Location, ValidationError
from .values import Value, parse_date, to_number

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


@dataclass(frozen=True)
class Field:
    """One typed, documented field of a relation."""

    name: str
    type: str
    doc: str = ""
    values: tuple[str, ...] = ()  # for enum

    def example(self) -> str:
        """A valid value for this field."""
        if self.type == "enum" and self.values:
            return self.values[0]
        return EXAMPLES.get(self.type, "x")

    def describe(self) -> str:
        """Human text for the expected type."""
        if self.type == "enum":
            return "one of " + ", ".join(self.values)
        return TYPES.get(self.type, self.type)


@dataclass(frozen=True)
class Relation:
    """An input relation or a shared concept."""

    name: str
    fields: tuple[Field, ...]
    doc: str = ""
    kind: str = "input"  # input | concept
    exclusive_with: tuple[str, ...] = ()
    loc: Location | None = None

    @property
    def arity(self) -> int:
        """Number of fields."""
        return len(self.fields)

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


@dataclass
class Vocabulary:
    """All input relations and concepts, by name."""

    relations: dict[str, Relation] = field(default_factory=dict)
    concepts: dict[str, Relation] = field(default_factory=dict)
    parameters: dict[str, tuple[str, str]] = field(default_factory=dict)  # shared parameter -> (type, doc)
    outcome_sets: dict[str, OutcomeSet] = field(default_factory=dict)  # declared-exhaustive outcomes (checks)
    path: str = ""

    def input_arities(self) -> dict[str, int]:
        """Arity of every input relation."""
        return {n: r.arity for n, r in self.relations.items()}

    def concept_arities(self) -> dict[str, int]:
        """Arity of every shared concept."""
        return {n: r.arity for n, r in self.concepts.items()}


def load_vocabulary(path: Path) -> Vocabulary:
    """Read and check ``vocabulary.yaml``."""
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
                fields_.append(Field(str(f["name"]), ftype, str(f.get("doc") or ""), values))
            rel = Relation(
                name,
                tuple(fields_),
                str(spec.get("doc") or ""),
                kind,
                tuple(str(x) for x in (spec.get("exclusive_with") or ())),
                loc,
            )
            target = voc.relations if kind == "input" else voc.concepts
            if name in voc.relations or name in voc.concepts:
                raise ValidationError(f"{name} is declared twice in the vocabulary", loc, value=name)
            target[name] = rel
    if data.get("outcome_sets") is not None:
        _outcome_sets(data, voc)
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
    return voc


OUTCOME_SET_EXAMPLE = """outcome_sets:
  resit_outcome:
    doc: "every regular result leads to a pass, a resit or an exclusion"
    concepts: [passed, resit_allowed, resit_excluded]
    over: [S, C]
    when: "test_result(S, T, G), test(T, C, regular, _)\""""


def _outcome_sets(data: Any, voc: Vocabulary) -> None:
    """Parse ``outcome_sets:``: name -> {concepts, over, when, doc}; ``when`` is a rule body in the rule language."""
    from . import ir
    from .errors import KBSyntaxError
    from .parser import parse_program

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

    def bad(why: str) -> ValidationError:
        return ValidationError(
            f"{rel.name}.{fld.name}: {why}",
            loc,
            value=raw if raw is not None else value,
            hint=f"{fld.name} must be {fld.describe()}",
            example=f"{rel.name}: {rel.example_record()}",
        )

    t = fld.type
    if value is None:
        raise bad("a value is required")
    if t in ("id", "string"):
        if isinstance(value, (dict, list)):
            raise bad("expected a single value")
        if isinstance(value, bool):
            raise bad("expected text, got a boolean")
        s = raw if raw is not None and not isinstance(value, str) else str(value)
        if t == "id" and (not s or any(c.isspace() for c in s.strip()) or s != s.strip()):
            if not s.strip():
                raise bad("an identifier cannot be empty")
        return s
    if t in ("grade", "decimal", "integer", "ec"):
        if isinstance(value, bool) or isinstance(value, (dict, list, dt.date)):
            raise bad(f"expected a number, got {type(value).__name__}")
        src = raw if (raw is not None and not isinstance(value, str)) else value
        n = to_number(src)
        if n is None:
            raise bad("not a number")
        if t == "integer":
            if isinstance(n, Decimal):
                if n != n.to_integral_value():
                    raise bad("expected a whole number")
                n = int(n)
            return n
        d = Decimal(n) if isinstance(n, int) else n
        if t == "grade" and not (Decimal(1) <= d <= Decimal(10)):
            raise bad("a grade must be between 1.0 and 10.0")
        if t == "ec" and d < 0:
            raise bad("EC cannot be negative")
        return d
    if t == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        day = parse_date(str(value)) if isinstance(value, str) else None
        if day is None:
            raise bad("not a date that exists (YYYY-MM-DD)")
        return day
    if t == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise bad("expected true or false")
    if t == "enum":
        s = str(value)
        if s not in fld.values:
            raise bad(f"{s!r} is not allowed")
        return s
    raise bad(f"unknown type {t}")
