"""Validating a cohort's input values in SQL against the vocabulary, with the same rules as
:func:`oerlog.kb.vocabulary.convert` (ids, text, numbers, dates, booleans, enumerations) and the relations' keys;
every bad row is reported with its file and line (the run stops, or the bad rows are rejected and listed in the
rejects file, by option: never silently dropped)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oerlog.backends.sql import INPUT_DECIMAL_SCALE, quote, sql_literal
from oerlog.cohort.inputs import INPUT_SCHEMA, InputFile, read_error, stated_relation_of, visible
from oerlog.cohort.report import show
from oerlog.errors import Location, ValidationError
from oerlog.kb.vocabulary import Field, Relation, Vocabulary
from oerlog.outputs import write_text
from oerlog.values import CONTROL_RANGES, DATE_TEXT, EDGE_SPACE_RANGES, FORMULA_PREFIXES, NUMBER_TEXT, char_class

MAX_REPORTED = 50  # bad rows shown in an error message (all of them go to the rejects file)


@dataclass
class BadRow:
    """A row that does not fit the vocabulary."""

    file: InputFile
    line: int
    field: str
    value: str | None
    reason: str
    hint: str | None = None  # by default: what the field must be

    def error(self, rel: Relation) -> ValidationError:
        """The located error, worded as for case files."""
        fld = next((f for f in rel.fields if f.name == self.field), None)
        return ValidationError(
            f"{rel.name}.{self.field}: {self.reason}",
            Location(self.file.path, self.line if self.file.kind == "csv" else 0),
            value=self.value if self.file.kind == "csv" else f"row {self.line}: {self.value!r}",
            hint=self.hint or (f"{self.field} must be {fld.describe()}" if fld else None),
            example=f"{rel.name}: {rel.example_record()}",
        )


@dataclass
class LoadReport:
    """What was loaded: rows per relation, the bad rows (rejected or fatal), what was not read, notes."""

    rows: dict[str, int] = field(default_factory=dict)
    bad: list[BadRow] = field(default_factory=list)
    bad_count: int = 0
    conflicting: dict[str, int] = field(default_factory=dict)  # rows sharing a key with different values
    ignored_columns: dict[str, list[str]] = field(default_factory=dict)
    unread: list[str] = field(default_factory=list)  # relations with a file that the goals do not read
    notes: list[str] = field(default_factory=list)  # duplicates, a --reference-date overriding the file


# --- the checks of a value, as SQL ---------------------------------------------------------------------------

# the characters Python's str.strip() removes (str.isspace), as an RE2 class: values are trimmed as case files are
_WS = r"[\t-\r\x{1c}-\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"


# what no text value holds, and what an id neither starts nor ends with (oerlog.values.id_problem / text_problem)
_CONTROL = char_class(CONTROL_RANGES, "re2")
_EDGE_SPACE = char_class(EDGE_SPACE_RANGES, "re2")


def _strip(v: str) -> str:
    """SQL for ``v.strip()``."""
    return f"regexp_replace({v}, '^{_WS}+|{_WS}+$', '', 'g')"


def field_checks(field_name: str, ftype: str, values: Sequence[str]) -> list[tuple[str, str]]:
    """(SQL condition on column ``field_name`` that makes the value bad, reason) in the order convert() checks."""
    v = quote(field_name)
    num = f"replace({_strip(v)}, ',', '.')"
    number_re = f"^{NUMBER_TEXT.pattern}$"  # as case files read numbers and dates (oerlog.values)
    out: list[tuple[str, str]] = [(f"{v} IS NULL", "a value is required")]
    if ftype == "id":  # oerlog.values.id_problem, in the same order
        formula = ", ".join(sql_literal(c) for c in FORMULA_PREFIXES)
        out.append((f"{v} = ''", "an identifier cannot be empty"))
        out.append((f"regexp_matches({v}, '{_CONTROL}')", "an identifier holds a control or invisible character"))
        out.append(
            (f"regexp_matches({v}, '^{_EDGE_SPACE}|{_EDGE_SPACE}$')", "an identifier cannot start or end with a space")
        )
        out.append(
            (
                f"left({v}, 1) IN ({formula})",
                f"an identifier cannot start with {' '.join(FORMULA_PREFIXES)} (a spreadsheet reads it as a formula)",
            )
        )
    elif ftype == "string":  # oerlog.values.text_problem
        out.append((f"regexp_matches({v}, '{_CONTROL}')", "holds a control or invisible character"))
    elif ftype in ("grade", "decimal", "integer", "ec"):
        out.append((f"NOT regexp_full_match({num}, '{number_re}')", "not a number"))
        if ftype == "integer":
            out.append((f"NOT regexp_full_match({num}, '^[+-]?([0-9]+([.]0*)?|[.]0+)$')", "expected a whole number"))
            out.append((f"NOT regexp_full_match({num}, '^[+-]?(0*[0-9]{{1,18}}([.]0*)?|[.]0+)$')", "too large"))
        else:
            s = INPUT_DECIMAL_SCALE
            out.append(
                (
                    f"NOT regexp_full_match({num}, '^[+-]?([0-9]*([.][0-9]{{0,{s}}}0*)?|[.][0-9]{{1,{s}}}0*)$')",
                    f"more than {s} decimals (the SQL back end keeps {s})",
                )
            )
            out.append((f"NOT regexp_full_match({num}, '^[+-]?0*[0-9]{{0,13}}([.][0-9]*)?$')", "too large"))
            dec = f"TRY_CAST({num} AS DECIMAL(18,{s}))"
            if ftype == "grade":
                out.append((f"{dec} < 1 OR {dec} > 10", "a grade must be between 1.0 and 10.0"))
            if ftype == "ec":
                out.append((f"{dec} < 0", "EC cannot be negative"))
    elif ftype == "date":
        out.append(
            (
                f"NOT regexp_full_match({_strip(v)}, '^{DATE_TEXT.pattern}$') "
                f"OR TRY_CAST({_strip(v)} AS DATE) IS NULL OR starts_with({_strip(v)}, '0000')",  # no year 0
                "not a date that exists (YYYY-MM-DD)",
            )
        )
    elif ftype == "boolean":
        out.append((f"lower({v}) NOT IN ('true', 'false')", "expected true or false"))
    elif ftype == "enum":
        allowed = ", ".join(sql_literal(x) for x in values)
        out.append((f"{v} NOT IN ({allowed})", "value is not allowed"))
    return out


def any_bad(fields: Iterable[Field]) -> str:
    """SQL that holds when some field breaks one of its :func:`field_checks` (NULL-safe: wrap in coalesce)."""
    return " OR ".join(f"({c})" for fl in fields for c, _ in field_checks(fl.name, fl.type, fl.values)) or "FALSE"


def fast_check(field_name: str, ftype: str, values: Sequence[str]) -> tuple[str, str]:
    """(condition, value): a cheap test on the raw text that only holds for values :func:`field_checks` accepts,
    and the typed value when it holds. Clean exports pass it in one simple match per field; a value that fails it
    is judged by the full checks (so the two together accept exactly what :func:`field_checks` accepts)."""
    v = quote(field_name)
    s = INPUT_DECIMAL_SCALE
    # a number is read as DuckDB reads it, and accepted when the text is how DuckDB writes that number back (up to
    # its trailing zeros): plain digits and a point, no sign, spaces, comma, exponent or leading zero (a round
    # trip costs less than a regular expression)
    if ftype == "grade":
        d = f"TRY_CAST({v} AS DECIMAL(18,{s}))"
        return f"{d} BETWEEN 1 AND 10 AND starts_with(CAST({d} AS VARCHAR), {v})", d
    if ftype in ("decimal", "ec"):
        d = f"TRY_CAST({v} AS DECIMAL(18,{s}))"
        return f"{d} BETWEEN 0 AND 9999999999999 AND starts_with(CAST({d} AS VARCHAR), {v})", d
    if ftype == "integer":
        n = f"TRY_CAST({v} AS BIGINT)"
        return f"{n} BETWEEN 0 AND 999999999999999999 AND CAST({n} AS VARCHAR) = {v}", n
    if ftype == "date":  # the date's own ISO text: YYYY-MM-DD, a day that exists
        return f"length({v}) = 10 AND CAST(TRY_CAST({v} AS DATE) AS VARCHAR) = {v}", f"TRY_CAST({v} AS DATE)"
    if ftype == "id":  # printable ASCII without spaces, starting with a letter, digit or _: what ids usually are
        return f"regexp_full_match({v}, '[0-9A-Za-z_][!-~]*')", v
    return f"NOT ({any_bad([Field(field_name, ftype, values=tuple(values))])})", typed_value(field_name, ftype)


def typed_value(field_name: str, ftype: str) -> str:
    """SQL reading the text of column ``field_name`` as a value of the field type ``ftype`` (as case files do:
    spaces trimmed, a decimal comma read as a point)."""
    v = quote(field_name)
    if ftype in ("grade", "decimal", "ec"):
        return f"TRY_CAST(replace({_strip(v)}, ',', '.') AS DECIMAL(18,{INPUT_DECIMAL_SCALE}))"
    if ftype == "integer":
        return f"TRY_CAST(TRY_CAST(replace({_strip(v)}, ',', '.') AS DECIMAL(38,{INPUT_DECIMAL_SCALE})) AS BIGINT)"
    if ftype == "date":
        return f"TRY_CAST({_strip(v)} AS DATE)"
    if ftype == "boolean":
        return f"lower({v}) = 'true'"
    return v


def validate_select(f: InputFile, rel: Relation, lines: bool = False) -> str:
    """The file's rows typed, with ``_bad``: whether the row breaks a rule of the vocabulary (and ``_line``
    first when ``lines``).

    Each field is first given the cheap test of :func:`fast_check` (computed once, in an inner projection); only
    rows where some field fails it get the full checks of :func:`field_checks`, and only their fields are typed
    the slow way (spaces trimmed, a decimal comma read)."""
    fast = [fast_check(fl.name, fl.type, fl.values) for fl in rel.fields]
    oks = [f"coalesce({ok}, false) AS _ok{i}" for i, (ok, _) in enumerate(fast)]
    names = ("_line, " if lines else "") + ", ".join(quote(fl.name) for fl in rel.fields)
    inner = f"SELECT {names}, {', '.join(oks)} FROM ({f.raw_select(rel.fields, lines=lines)}) AS r"

    def value(i: int, fl: Field) -> str:
        quick, slow = fast[i][1], typed_value(fl.name, fl.type)
        return slow if quick == slow else f"CASE WHEN _ok{i} THEN {quick} ELSE {slow} END"

    typed = ", ".join(f"{value(i, fl)} AS {quote(fl.name)}" for i, fl in enumerate(rel.fields))
    all_ok = " AND ".join(f"_ok{i}" for i in range(len(rel.fields))) or "TRUE"
    bad = f"CASE WHEN {all_ok} THEN FALSE ELSE coalesce({any_bad(rel.fields)}, TRUE) END"
    return f"SELECT {'_line, ' if lines else ''}{typed}, {bad} AS _bad FROM ({inner}) AS v"


# --- keys ---------------------------------------------------------------------------------------------------


def key_fields(rel: Relation) -> list[str]:
    """The fields that determine a row: the declared key, or every field of a plain set."""
    return list(rel.key) if rel.key is not None else [fl.name for fl in rel.fields]


def _key_hash(rel: Relation) -> str:
    """SQL: a hash of the row's key (a constant for the empty key: every row has the same key)."""
    key = key_fields(rel)
    return f"hash({', '.join(quote(k) for k in key)})" if key else "0"


def key_match(rel: Relation, a: str, b: str) -> str:
    """SQL: the rows ``a`` and ``b`` have the same key."""
    return " AND ".join(f"{a}.{quote(k)} = {b}.{quote(k)}" for k in key_fields(rel)) or "TRUE"


def _by_key(rel: Relation, rows: Sequence[Any]) -> list[tuple[tuple[Any, ...], list[Any]]]:
    """``(line, values...)`` rows ordered by key, grouped by key."""
    names = [fl.name for fl in rel.fields]
    pos = [1 + names.index(k) for k in key_fields(rel)]
    out: list[tuple[tuple[Any, ...], list[Any]]] = []
    for row in rows:
        k = tuple(row[i] for i in pos)
        if out and out[-1][0] == k:
            out[-1][1].append(row)
        else:
            out.append((k, [row]))
    return out


# --- staging a file and reporting its bad rows -----------------------------------------------------------------


class Validator:
    """Stages input files in the DuckDB connection ``con`` typed and checked, and lists their bad rows in
    ``report``; with ``on_error`` ``stop`` a relation with bad rows is left empty (the run stops once every
    relation is checked), with ``reject`` it holds the good rows."""

    def __init__(self, con: Any, report: LoadReport, on_error: str) -> None:
        self.con = con
        self.report = report
        self.on_error = on_error

    def load_file(self, f: InputFile, rel: Relation) -> None:
        """Stage one input file typed and checked, report its bad rows (values that do not fit, rows that
        conflict on the relation's key) and identical duplicates, and make the relation a view on its good rows."""
        name = rel.name
        extra = f.check_columns(self.con, rel)
        if extra:
            self.report.ignored_columns[rel.name] = [visible(c) for c in extra]
        # one pass: typed values and whether the row fits the vocabulary; line numbers only when it does not
        stage = f"{quote(INPUT_SCHEMA)}.{quote('_stage_' + name)}"
        try:
            self.con.execute(
                f"CREATE OR REPLACE TABLE {stage} AS SELECT *, {_key_hash(rel)} AS _key "
                f"FROM ({validate_select(f, rel)}) AS t"
            )
        except Exception as exc:  # duckdb's own error classes: a file that is not a table of rows
            if str(exc) == "Query interrupted":  # SIGINT: not a problem of the file
                raise KeyboardInterrupt from exc
            raise read_error(f, rel, exc) from None
        # one scan: rows, bad rows, and distinct keys among the good rows (by a hash of the key: fewer distinct
        # hashes than good rows, and only then, some rows may share a key, which _key_check then finds exactly)
        total, n_bad, n_keys = self.con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE _bad), count(DISTINCT _key) FILTER (WHERE NOT _bad) FROM {stage}"
        ).fetchone()
        if n_bad:
            self._report_bad_values(f, rel, int(n_bad))
        conflicts = self._key_check(f, rel, stage, bool(n_bad)) if n_keys < total - n_bad else None
        target = f"{quote(INPUT_SCHEMA)}.{quote(name)}"
        cols = ", ".join(quote(fl.name) for fl in rel.fields)
        if (n_bad or conflicts) and self.on_error == "stop":  # the run stops once every relation is checked
            self.con.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT {cols} FROM {stage} WHERE FALSE")
        else:
            # the input relation is a view on the staged rows that fit (no second copy of a large table)
            conds = ["NOT _bad"] if n_bad else []
            if conflicts:
                conds.append(
                    f"NOT EXISTS (SELECT 1 FROM {conflicts} AS k WHERE k._conflict AND {key_match(rel, 'k', 's')})"
                )
            where = f" WHERE {' AND '.join(conds)}" if conds else ""
            self.con.execute(f"CREATE OR REPLACE VIEW {target} AS SELECT {cols} FROM {stage} AS s{where}")
        self.report.rows[name] = int(total) - int(n_bad) - self.report.conflicting.get(name, 0)

    def _report_bad_values(self, f: InputFile, rel: Relation, n_bad: int) -> None:
        """List the rows whose values do not fit the vocabulary (with line numbers: the file is read again)."""
        raw = quote(f"_raw_{rel.name}")
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {raw} AS {f.raw_select(rel.fields)}")
        bad_sql = _bad_rows_sql(rel, raw)
        rows = self.con.execute(f"SELECT * FROM ({bad_sql}) ORDER BY _line LIMIT 100000").fetchall()
        seen: set[int] = set()
        for line, fld, val, why in rows:
            if line in seen:
                continue
            seen.add(line)
            self.report.bad.append(BadRow(f, int(line), fld, val, why))
        self.report.bad_count += n_bad
        self.con.execute(f"DROP TABLE {raw}")

    def _key_check(self, f: InputFile, rel: Relation, stage: str, has_bad: bool) -> str | None:
        """Rows with the same key (``rel.key``; every field for a plain set) among the good rows: different other
        values are bad rows (every row of such a key, each naming another), identical rows a note. Run only when
        the cheap count of distinct key hashes says some key may repeat: one GROUP BY over the staged rows, and
        the file is read again with line numbers only for what it finds. Returns the temporary table of the keys
        found (their ``_conflict`` column tells conflicts from duplicates), None when no key conflicts."""
        key = key_fields(rel)
        others = [fl for fl in rel.fields if fl.name not in key]
        by = ", ".join(quote(k) for k in key)
        differ = " OR ".join(f"min({quote(o.name)}) <> max({quote(o.name)})" for o in others) or "FALSE"
        groups = quote(f"_groups_{rel.name}")
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE {groups} AS SELECT {by + ', ' if by else ''}count(*) AS _n, "
            f"({differ}) AS _conflict FROM {stage}{' WHERE NOT _bad' if has_bad else ''}"
            f"{' GROUP BY ' + by if by else ''} HAVING count(*) > 1"
        )
        n_conflict, n_dup = self.con.execute(
            f"SELECT coalesce(sum(_n) FILTER (WHERE _conflict), 0), coalesce(sum(_n - 1) FILTER (WHERE NOT "
            f"_conflict), 0) FROM {groups}"
        ).fetchone()
        if n_dup:
            self._note_duplicates(f, rel, groups, int(n_dup))
        if not n_conflict:
            self.con.execute(f"DROP TABLE {groups}")
            return None
        self._report_conflicts(f, rel, groups, int(n_conflict))
        return groups

    def _rows_of_groups(self, f: InputFile, rel: Relation, groups: str, conflict: bool, limit: int) -> list[Any]:
        """``(line, typed values...)`` of the good rows whose key is in ``groups`` (conflicting or duplicate ones),
        ordered by key and line: the file is read again, with line numbers."""
        lined = validate_select(f, rel, lines=True)
        cols = ", ".join(f"l.{quote(fl.name)}" for fl in rel.fields)
        order = ", ".join([f"l.{quote(k)}" for k in key_fields(rel)] + ["l._line"])
        return list(
            self.con.execute(
                f"SELECT l._line, {cols} FROM ({lined}) AS l WHERE NOT l._bad AND EXISTS (SELECT 1 FROM {groups} "
                f"AS g WHERE g._conflict = {'TRUE' if conflict else 'FALSE'} AND {key_match(rel, 'g', 'l')}) "
                f"ORDER BY {order} LIMIT {limit}"
            ).fetchall()
        )

    def _note_duplicates(self, f: InputFile, rel: Relation, groups: str, n_dup: int) -> None:
        rows = self._rows_of_groups(f, rel, groups, False, 40)
        examples = []
        for _, same in _by_key(rel, rows)[:3]:
            lines = ", ".join(str(r[0]) for r in same)
            examples.append(f"{f.path} lines {lines}: {rel.name}({', '.join(show(v) for v in same[0][1:])})")
        self.report.notes.append(
            f"{rel.name}: {n_dup} identical duplicate row(s), counted once (a relation is a set); e.g. "
            + "; ".join(examples)
        )

    def _report_conflicts(self, f: InputFile, rel: Relation, groups: str, n_conflict: int) -> None:
        """Every row of a conflicting key is a bad row, naming the key, the field that differs and the other row."""
        key = key_fields(rel)
        rows = self._rows_of_groups(f, rel, groups, True, 100000)
        names = [fl.name for fl in rel.fields]
        rule = f"{rel.name} has one row per {', '.join(key)}" if key else f"{rel.name} has at most one row"
        hint = f"keep one of the rows: {rule} (key: [{', '.join(key)}] in the vocabulary)"
        for key_values, same in _by_key(rel, rows):
            shown_key = ", ".join(f"{k} {show(v)}" for k, v in zip(key, key_values, strict=True))
            for row in same:
                other = next(r for r in same if r is not row and r[1:] != row[1:])
                i = next(i for i, (a, b) in enumerate(zip(row[1:], other[1:], strict=True)) if a != b)
                reason = f"{f.where(int(other[0]))} has " + (f"the same {shown_key} with " if key else "")
                reason += f"{names[i]} {show(other[1 + i])}: {rule}"
                self.report.bad.append(BadRow(f, int(row[0]), names[i], show(row[1 + i]), reason, hint))
        self.report.bad.sort(key=lambda b: (b.file.path, b.line))
        self.report.bad_count += n_conflict
        self.report.conflicting[rel.name] = n_conflict

    def bad_rows_error(self, voc: Vocabulary) -> ValidationError:
        """One error for every bad row found (the first ones shown in full)."""
        bad = self.report.bad
        rel = stated_relation_of(voc, bad[0].file.relation)
        assert rel is not None
        first = bad[0].error(rel)
        lines = [
            f"{b.file.where(b.line)}: {b.file.relation}.{b.field}: {b.reason} ({b.value!r})"
            for b in bad[1:MAX_REPORTED]
        ]
        more = self.report.bad_count - min(len(bad), MAX_REPORTED)
        extra = "\n  ".join(lines)
        hint = (first.hint or "") + (
            f"\n  {self.report.bad_count} bad row(s) in all" + (":\n  " + extra if extra else "")
        )
        if more > 0:
            hint += f"\n  ... and {more} more"
        hint += "\n  fix them, or run with --on-error reject to leave them out (they are listed in the rejects file)"
        first.hint = hint
        return first


def _bad_rows_sql(rel: Relation, raw: str) -> str:
    parts = []
    for fl in rel.fields:
        checks = field_checks(fl.name, fl.type, fl.values)
        reason = "CASE " + " ".join(f"WHEN {c} THEN {sql_literal(r)}" for c, r in checks) + " END"
        cond = " OR ".join(f"({c})" for c, _ in checks)
        parts.append(
            f"SELECT _line, {sql_literal(fl.name)} AS field, {quote(fl.name)} AS value, {reason} AS reason "
            f"FROM {raw} WHERE {cond}"
        )
    return " UNION ALL ".join(parts)


# --- the rejects file --------------------------------------------------------------------------------------


def write_rejects(report: LoadReport, path: Path) -> None:
    """Write every bad row (file, line, relation, field, value, reason) as CSV, atomically. A value is shown as
    text a spreadsheet does not run and a terminal does not obey: a leading ``= + - @`` gets a quote before it,
    control and invisible characters are written as escapes (``\\x1b``)."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["file", "line", "relation", "field", "value", "reason"])
    for b in report.bad:
        w.writerow([b.file.path, b.line, b.file.relation, b.field, _inert(b.value), b.reason])
    write_text(path, buf.getvalue())


def _inert(value: str | None) -> str | None:
    """``value`` for a CSV cell: control and invisible characters escaped, a formula start quoted (OWASP)."""
    if value is None:
        return None
    out = visible(value)
    return "'" + out if out[:1] in tuple(FORMULA_PREFIXES) else out
