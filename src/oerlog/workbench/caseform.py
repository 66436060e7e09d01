"""The case editor's form: generated from the vocabulary, read back into the text of a case file, and the checks of
``oerlog why --case`` mapped back onto the fields they concern.

A form holds the case's dates and document, and per input relation of the document its records, each field one
input: an enum a list of its values (with their labels), a date a calendar, a boolean yes/no, a grade or decimal
a text field that takes a decimal comma. The form is turned into the YAML of a case file, one record per line, so
that an error the case reader locates at a line and column falls on one record and one field of the form.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import yaml

from oerlog.api import KB
from oerlog.errors import Location, OerlogError, ValidationError
from oerlog.kb.cases import EXAMPLE_CASE, Case
from oerlog.kb.vocabulary import Field, Relation
from oerlog.lang import ir
from oerlog.values import Value, format_value

SECTIONS = ("facts", "false")
PLAIN = re.compile(r"-?\d+(\.\d+)?|\d{4}-\d{2}-\d{2}")
FORM_SOURCE = "formulier"


@dataclass
class FormState:
    """What the form holds: dates, document, records per section and relation (field name -> text as typed),
    and what the form does not show (display names, title, description) carried along as YAML."""

    reference_date: str = ""
    decision_date: str = ""
    document: str = ""
    records: dict[str, dict[str, list[dict[str, str]]]] = field(default_factory=lambda: {s: {} for s in SECTIONS})
    extra: dict[str, Any] = field(default_factory=dict)  # names, title, description


@dataclass
class FieldError:
    """A located error shown beside a field (or a record, or the top of the form)."""

    message: str
    section: str | None = None
    relation: str | None = None
    index: int | None = None
    field: str | None = None
    example: str | None = None


def relations_for(kb: KB, doc: str | None) -> list[Relation]:
    """The input relations a case for ``doc`` can state (those its rules and the scope rules read), ``reference_date``
    excepted (the form has a field of its own); every stated-by-data relation when no document is chosen."""
    voc = kb.vocabulary
    names: set[str] = set()
    if doc:
        for r in kb.document(doc).program.rules:
            names.update(_preds(r.body))
        names.add("enrolment")
    rels = [
        rel
        for rel in voc.relations.values()
        if rel.kind == "input" and rel.stated_by == "data" and rel.name != "reference_date"
    ]
    if doc:
        rels = [r for r in rels if r.name in names]
    return sorted(rels, key=lambda r: r.name)


def _preds(lits: Iterable[Any]) -> Iterable[str]:
    """The relations a rule body reads (inside aggregates too)."""
    for lit in lits:
        atom = getattr(lit, "atom", None)
        if atom is not None:
            yield atom.pred
        yield from _preds(getattr(lit, "body", ()))


# --- from a case file to the form ---------------------------------------------------------------------------------


def from_yaml(text: str, source: str = "<case>") -> FormState:
    """The form for the text of a case file (read as plain YAML: the checks come when the form is judged); text that
    is not YAML is a :class:`~oerlog.errors.ValidationError` at its line and column."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ValidationError(
            f"not a YAML case file: {getattr(exc, 'problem', None) or exc}",
            Location(source, mark.line + 1 if mark else 1, mark.column + 1 if mark else 1),
            example=EXAMPLE_CASE,
            nl=f"geen YAML-casusbestand: {getattr(exc, 'problem', None) or exc}",
        ) from None
    except ValueError as exc:  # a date that does not exist (2025-02-30): the form shows it, the check reports it
        raise ValidationError(
            f"not a readable case file: {exc}",
            Location(source, 1, 1),
            example=EXAMPLE_CASE,
            nl=f"geen leesbaar casusbestand: {exc}",
        ) from None
    if not isinstance(data, Mapping):
        data = {}
    st = FormState(
        reference_date=_text(data.get("reference_date")),
        decision_date=_text(data.get("decision_date")),
        document=_text(data.get("document")),
    )
    for section in SECTIONS:
        sec = data.get(section) or {}
        if not isinstance(sec, Mapping):
            continue
        for rel, recs in sec.items():
            rows = st.records[section].setdefault(str(rel), [])
            for rec in recs or []:
                if isinstance(rec, Mapping):
                    rows.append({str(k): _text(v) for k, v in rec.items()})
    st.extra = {k: data[k] for k in ("names", "title", "description") if k in data}
    return st


def from_case(case: Case) -> FormState:
    """The form for a case already read (a scenario's, a cohort student's), values written for the form."""
    st = FormState(
        reference_date=case.reference_date.isoformat() if case.reference_date else "",
        decision_date=case.decision_date.isoformat() if case.decision_date else "",
        document=case.document or "",
    )
    # the relations' field names are not in the case: the form's writer gets them from the vocabulary
    st.extra["_rows"] = {
        section: {
            pred: sorted(([_form_value(v) for v in row] for row in rows), key=lambda r: r)
            for pred, rows in (case.facts if section == "facts" else _false_facts(case)).items()
            if pred != "reference_date" and not pred.startswith(ir.false_name(""))
        }
        for section in SECTIONS
    }
    if case.names:
        st.extra["names"] = {k: {"nl": t.nl, "en": t.en} for k, t in case.names.items()}
    return st


def _false_facts(case: Case) -> dict[str, set[tuple[Value, ...]]]:
    """The facts the case states false, by relation."""
    prefix = ir.false_name("")
    return {p[len(prefix) :]: rows for p, rows in case.facts.items() if p.startswith(prefix) and rows}


def complete(st: FormState, kb: KB) -> FormState:
    """Name the fields of rows taken from a case (:func:`from_case`) by the vocabulary."""
    rows = st.extra.pop("_rows", None)
    if rows:
        for section, preds in rows.items():
            for pred, vals in preds.items():
                rel = kb.vocabulary.relation(pred)
                if rel is None:
                    continue
                st.records[section].setdefault(pred, []).extend(
                    {f.name: v for f, v in zip(rel.fields, vs, strict=False)} for vs in vals
                )
    return st


def _form_value(v: Value) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return format_value(v, "nl")
    return str(v)


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()[:10]
    if isinstance(v, float):
        return format_value(Decimal(repr(v)), "nl")
    return str(v)


# --- from the form to a case file -----------------------------------------------------------------------------------


def from_form(form: Mapping[str, str]) -> FormState:
    """The form as posted: ``reference_date``, ``decision_date``, ``document``, ``extra`` (JSON), and one input per
    field named ``<section>:<relation>:<index>:<field>``; a record with every field empty is left out."""
    st = FormState(
        reference_date=form.get("reference_date", "").strip(),
        decision_date=form.get("decision_date", "").strip(),
        document=form.get("document", "").strip(),
    )
    try:
        extra = json.loads(form.get("extra") or "{}")
        st.extra = extra if isinstance(extra, dict) else {}
    except ValueError:
        st.extra = {}
    rows: dict[tuple[str, str, int], dict[str, str]] = {}
    for key, value in form.items():
        parts = key.split(":")
        if len(parts) != 4 or parts[0] not in SECTIONS or not parts[2].isdigit():
            continue
        rows.setdefault((parts[0], parts[1], int(parts[2])), {})[parts[3]] = value.strip()
    for (section, rel, _), rec in sorted(rows.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
        if any(rec.values()):
            st.records[section].setdefault(rel, []).append(rec)
    return st


@dataclass
class Written:
    """A form written as a case file: the text, and where each record and field of the form landed in it."""

    text: str
    lines: dict[int, tuple[str, str, int | None]]  # line -> (section, relation, record index or None)
    columns: dict[int, list[tuple[int, int, str]]]  # line -> [(first column, last column, field)]
    top: dict[int, str]  # line -> top-level key


def to_yaml(st: FormState, kb: KB) -> Written:
    """The form as the text of a case file, one record per line."""
    out: list[str] = []
    lines: dict[int, tuple[str, str, int | None]] = {}
    columns: dict[int, list[tuple[int, int, str]]] = {}
    top: dict[int, str] = {}
    for key in ("title", "description"):
        if st.extra.get(key):
            out.append(f"{key}: {json.dumps(str(st.extra[key]), ensure_ascii=False)}")
            top[len(out)] = key
    for key in ("reference_date", "decision_date", "document"):
        value = getattr(st, key)
        if value:
            out.append(f"{key}: {_scalar(value)}")
            top[len(out)] = key
    for section in SECTIONS:
        recs = {k: v for k, v in st.records[section].items() if v}
        if not recs:
            continue
        out.append(f"{section}:")
        for rel, rows in recs.items():
            out.append(f"  {rel}:")
            lines[len(out)] = (section, rel, None)
            relation = kb.vocabulary.relation(rel)
            order = [f.name for f in relation.fields] if relation else []
            for i, rec in enumerate(rows):
                text = "    - {"
                spans: list[tuple[int, int, str]] = []
                names = [n for n in order if rec.get(n, "") != ""] + [n for n in rec if n not in order and rec[n]]
                for j, name in enumerate(names):
                    if j:
                        text += ", "
                    start = len(text) + 1
                    fld = relation.field(name) if relation else None
                    text += f"{name}: {_value(rec[name], fld)}"
                    spans.append((start, len(text), name))
                text += "}"
                out.append(text)
                lines[len(out)] = (section, rel, i)
                columns[len(out)] = spans
    if st.extra.get("names"):
        dumped = yaml.safe_dump({"names": st.extra["names"]}, allow_unicode=True, sort_keys=True, width=200)
        out.extend(dumped.rstrip("\n").split("\n"))
    return Written("\n".join(out) + "\n", lines, columns, top)


def _scalar(value: str) -> str:
    return value if PLAIN.fullmatch(value) else json.dumps(value, ensure_ascii=False)


def _value(value: str, fld: Field | None) -> str:
    """A field's text as a YAML value the case reader takes as typed: numbers and dates plain, a decimal comma and
    every other text quoted (so that ``yes``, ``1e1`` or ``: x`` stay the text typed)."""
    if fld is not None and fld.type == "boolean" and value.lower() in ("true", "false"):
        return value.lower()
    if fld is not None and fld.type in ("id", "string", "enum"):
        return json.dumps(value, ensure_ascii=False)
    return _scalar(value)


def locate(exc: OerlogError, written: Written, lang: str = "nl") -> FieldError:
    """The form's field (or record, or top-level field) an error of the case reader concerns; its message in
    ``lang``."""
    loc = exc.location
    msg = exc.message_in(lang)
    line = loc.line if loc is not None and loc.line else None
    col = loc.column if loc is not None and loc.column else None
    err = FieldError(msg, example=exc.example)
    if line is None:
        return err
    if line in written.top:
        err.field = written.top[line]
        return err
    where = written.lines.get(line)
    if where is None:
        return err
    err.section, err.relation, err.index = where
    spans = written.columns.get(line, [])
    if col is not None:
        for start, end, name in spans:
            if start <= col <= end:
                err.field = name
                break
    if err.field is None and exc.value is not None:
        for _, _, name in spans:
            if f"{err.relation}.{name}" in msg or f" {name}" in msg.split(":")[0]:
                err.field = name
                break
    return err


def field_kind(fld: Field) -> str:
    """The input the form uses for a field: select (enum), bool, date, decimal (comma), integer, text."""
    return {
        "enum": "select",
        "boolean": "bool",
        "date": "date",
        "grade": "decimal",
        "decimal": "decimal",
        "ec": "decimal",
        "integer": "integer",
    }.get(fld.type, "text")


def example_names(paths: Iterable[Any]) -> list[str]:
    """The names of example case files, without ``.yaml``."""
    return [p.stem for p in paths]
