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

from . import ir, yamlpos
from .errors import Location, OerlogError, ValidationError
from .parser import parse_file
from .values import Value, format_literal
from .vocabulary import Field, Relation, Vocabulary, convert

Row = tuple[Value, ...]

EXAMPLE_CASE = """reference_date: 2025-11-03
document: uu-gnk-ba-2025
facts:
  test_result:
    - {student: s1, test: vf_2025_1, grade: 3.8}"""

REFERENCE_RELATION = "reference_date"


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

    def add(self, pred: str, row: Row, loc: Location | None = None) -> None:
        """Add one fact (duplicates are kept once; the first source wins)."""
        self.facts.setdefault(pred, set()).add(row)
        if loc is not None:
            self.sources.setdefault((pred, row), loc)

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


def _record(voc: Vocabulary, rel: Relation, rec: Any, loc: Location, case: Case, pred: str) -> None:
    if isinstance(rec, yamlpos.YList):
        if len(rec) != rel.arity:
            raise ValidationError(
                f"{pred} has {rel.arity} fields ({', '.join(f.name for f in rel.fields)}), this record has {len(rec)}",
                loc,
                value=list(rec),
                example=f"{pred}: {rel.example_record()}",
            )
        row = tuple(
            convert(v, rec.raw[i], f, rel, rec.locs[i]) for i, (v, f) in enumerate(zip(rec, rel.fields, strict=True))
        )
        case.add(pred, row, loc)
        return
    if not isinstance(rec, yamlpos.YDict):
        raise ValidationError(
            f"a {pred} record must be a mapping of field names to values",
            loc,
            value=rec,
            example=f"{pred}: {rel.example_record()}",
        )
    names = {f.name for f in rel.fields}
    for k in rec:
        if k not in names:
            import difflib

            close = difflib.get_close_matches(k, sorted(names), n=1)
            raise ValidationError(
                f"{pred} has no field {k!r}",
                rec.key_locs[k],
                value=k,
                hint=(f"did you mean {close[0]!r}? " if close else "")
                + "fields: "
                + ", ".join(f.name for f in rel.fields),
                example=f"{pred}: {rel.example_record()}",
            )
    values: list[Value] = []
    for f in rel.fields:
        if f.name not in rec:
            raise ValidationError(
                f"{pred} record lacks field {f.name!r} ({f.describe()})",
                loc,
                value=dict(rec),
                example=f"{pred}: {rel.example_record()}",
            )
        values.append(convert(rec[f.name], rec.raw.get(f.name), f, rel, rec.locs[f.name]))
    case.add(pred, tuple(values), loc)


def unknown_relation(voc: Vocabulary, name: str, loc: Location) -> ValidationError:
    """The error for a relation name the vocabulary does not declare."""
    import difflib

    close = difflib.get_close_matches(name, sorted(voc.relations), n=2)
    return ValidationError(
        f"unknown input relation {name!r}",
        loc,
        value=name,
        hint=("did you mean " + " or ".join(repr(c) for c in close) + "? " if close else "")
        + "input relations are declared in kb/vocabulary.yaml (oerlog docs --vocabulary lists them)",
        example=EXAMPLE_CASE,
    )


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
        )
    allowed = {
        "reference_date",
        "decision_date",
        "document",
        "facts",
        "facts_files",
        "description",
        "title",
        "students",
    }
    for k in data:
        if k not in allowed:
            raise ValidationError(
                f"unknown key {k!r} in case file",
                data.key_locs[k],
                value=k,
                hint="keys: " + ", ".join(sorted(allowed)),
                example=EXAMPLE_CASE,
            )
    if "reference_date" in data:
        rd = data["reference_date"]
        fld = Field("reference_date", "date")
        case.reference_date = convert(
            rd, data.raw.get("reference_date"), fld, Relation("case", (fld,)), data.locs["reference_date"]
        )  # type: ignore[assignment]
    if "decision_date" in data:
        fld = Field("decision_date", "date")
        case.decision_date = convert(  # type: ignore[assignment]
            data["decision_date"],
            data.raw.get("decision_date"),
            fld,
            Relation("case", (fld,)),
            data.locs["decision_date"],
        )
    if "document" in data and data["document"] is not None:
        case.document = str(data["document"])
    facts = data.get("facts") or yamlpos.YDict()
    if not isinstance(facts, yamlpos.YDict):
        raise ValidationError(
            "'facts' must map relation names to lists of records",
            data.locs.get("facts", data.loc),
            example=EXAMPLE_CASE,
        )
    if not hasattr(facts, "locs"):
        facts.locs, facts.key_locs, facts.raw, facts.loc = {}, {}, {}, data.loc
    for pred, records in facts.items():
        rel = voc.relations.get(pred)
        if rel is None:
            raise unknown_relation(voc, pred, facts.key_locs[pred])
        if records is None:
            continue
        if not isinstance(records, yamlpos.YList):
            raise ValidationError(
                f"{pred} must be a list of records",
                facts.locs[pred],
                value=records,
                example=f"{pred}:\n    - {rel.example_record()}",
            )
        for i, rec in enumerate(records):
            _record(voc, rel, rec, records.locs[i], case, pred)
    for f in data.get("facts_files") or []:
        fpath = (path.parent / str(f)).resolve()
        load_fact_file(fpath, voc, case)
    if case.reference_date is not None and REFERENCE_RELATION in voc.relations:
        case.add(REFERENCE_RELATION, (case.reference_date,), data.locs.get("reference_date"))
    return case


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
            )
        rel = voc.relations.get(r.head.pred)
        if rel is None:
            raise unknown_relation(voc, r.head.pred, r.head.loc or Location(str(path)))
        if r.head.arity != rel.arity:
            raise ValidationError(
                f"{rel.name} has {rel.arity} fields, this fact has {r.head.arity}",
                r.head.loc,
                value=str(r.head),
                example=rel.signature(),
            )
        row = []
        for t, f in zip(r.head.args, rel.fields, strict=True):
            assert isinstance(t, ir.Const)
            raw = format_literal(t.value) if not isinstance(t.value, str) else None
            row.append(convert(t.value, raw, f, rel, t.loc or Location(str(path))))
        case.add(rel.name, tuple(row), r.head.loc)
    return case


def case_from_records(
    voc: Vocabulary,
    records: dict[str, list[dict[str, Any]]],
    reference_date: dt.date | None = None,
    source: str = "<records>",
) -> Case:
    """Build a case from Python records (API use); validated like a case file."""
    case = Case(reference_date=reference_date, path=source)
    for pred, recs in records.items():
        rel = voc.relations.get(pred)
        if rel is None:
            raise unknown_relation(voc, pred, Location(source))
        for i, rec in enumerate(recs):
            loc = Location(source, i + 1)
            row = []
            for f in rel.fields:
                if f.name not in rec:
                    raise ValidationError(f"{pred} record lacks {f.name}", loc, example=rel.example_record())
                v = rec[f.name]
                row.append(convert(v, None, f, rel, loc))
            case.add(pred, tuple(row), loc)
    if reference_date is not None and REFERENCE_RELATION in voc.relations:
        case.add(REFERENCE_RELATION, (reference_date,))
    return case


__all__ = ["Case", "load_case", "load_fact_file", "case_from_records", "OerlogError"]
