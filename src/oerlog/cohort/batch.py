"""Cohorts: a regulation run over exports of student records with the SQL back end (DuckDB, embedded).

- :func:`open_source` finds the input tables: a folder of ``<relation>.csv`` / ``<relation>.parquet`` files
  (Osiris-like exports; the header names the vocabulary's fields, in any order; extra columns are ignored), or a
  DuckDB database file with one table per relation.
- :class:`Cohort` loads them into DuckDB, validated in SQL against the vocabulary with the same rules as
  :func:`oerlog.kb.vocabulary.convert` (every bad row is reported with its file and row number; the run stops, or
  the bad rows are rejected and listed, by option: never silently dropped), compiles the document
  (:mod:`oerlog.backends.sqlgen`) and evaluates it.
- :func:`batch` writes the conclusions with the rule and article that produced each row, and counts them;
  :func:`whatif` lists exactly the students whose conclusions change under other parameter values;
  :func:`explain_student` hands one student's records to the pyDatalog back end for a full proof.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from oerlog.backends.sqlgen import (
    CALENDAR,
    INPUT_DECIMAL_SCALE,
    RULE_COLUMN,
    SQL_TYPES,
    SqlProgram,
    compile_plan,
    quote,
    share_unchanged,
    sql_literal,
)
from oerlog.errors import Location, UsageError, ValidationError
from oerlog.escape import md_cell, md_code, md_text
from oerlog.kb.cases import REFERENCE_RELATION
from oerlog.kb.loader import Document, KnowledgeBase
from oerlog.kb.vocabulary import Field, Relation, Vocabulary
from oerlog.lang import ir
from oerlog.outputs import atomic_path, prepare_target, write_text
from oerlog.values import (
    CONTROL_RANGES,
    DATE_TEXT,
    EDGE_SPACE_RANGES,
    FORMULA_PREFIXES,
    NUMBER_TEXT,
    Value,
    char_class,
    format_literal,
    is_working_day,
    text_problem,
)

Progress = Callable[[int, int, str], None]
Row = tuple[Value, ...]
INPUT_SCHEMA = "input"
MAX_REPORTED = 50  # bad rows shown in an error message (all of them go to the rejects file)


def _connect(memory_limit: str | None = None, threads: int | None = None) -> Any:
    """A new in-memory DuckDB connection (``$OERLOG_DUCKDB_MEMORY`` / ``$OERLOG_DUCKDB_THREADS`` cap it)."""
    try:
        import duckdb
    except ImportError as exc:  # pragma: no cover - duckdb is a dependency
        raise UsageError(
            "the cohort commands need DuckDB", hint="pip install 'duckdb>=2.0'", example="pip install -e ."
        ) from exc
    config: dict[str, Any] = {}
    mem = memory_limit or os.environ.get("OERLOG_DUCKDB_MEMORY")
    if mem:
        config["memory_limit"] = mem
    n = threads or int(os.environ.get("OERLOG_DUCKDB_THREADS", "0") or 0)
    if n:
        config["threads"] = n
    return duckdb.connect(config=config)


# --- input tables ---------------------------------------------------------------------------------------


CSV_DELIMITERS = (",", ";", "\t", "|")


def csv_header(path: str, example: str = "student,test,grade") -> tuple[list[str], str]:
    """The column names of a CSV file's header line and its delimiter (the one of ``, ; tab |`` that splits the
    header into the most names; a comma when none does). Read here rather than sniffed by DuckDB: the header of
    a vocabulary relation names its fields, which is all a reader needs, and sniffing costs a pass over a sample
    of every file."""
    import csv

    loc = Location(path, 1)
    with open(path, "rb") as fh:
        raw = fh.readline(1 << 20)
    try:
        line = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"{path}: the file is not UTF-8 text ({exc.reason} at byte {exc.start})",
            loc,
            value=exc.object[max(0, exc.start - 10) : exc.end + 10].decode("utf-8", "replace"),
            hint="export the table as CSV UTF-8",
            example=example,
        ) from None
    if not line.strip():
        raise ValidationError(
            f"{path}: no header line",
            loc,
            value="",
            hint="the first line names the columns",
            example=example,
        )
    best, delim = [line.strip()], ","
    for d in CSV_DELIMITERS:
        try:
            names = next(csv.reader([line.rstrip("\r\n")], delimiter=d))
        except csv.Error as exc:  # a carriage return inside the header line
            raise ValidationError(
                f"{path}: the header line cannot be read: {exc}",
                loc,
                value=line.rstrip("\n"),
                hint="the first line names the columns, separated by one delimiter, and ends the line",
                example=example,
            ) from None
        if len(names) > len(best):
            best, delim = names, d
    names = [n.strip() for n in best]
    seen: set[str] = set()
    for n in names:
        if n in seen:
            raise ValidationError(
                f"{path}: column {n!r} appears twice in the header",
                loc,
                value=n,
                hint="name each column once",
                example=example,
            )
        seen.add(n)
    return names, delim


@dataclass
class InputFile:
    """One input table: a CSV or Parquet file, or a table of a DuckDB database."""

    relation: str
    path: str
    kind: str  # csv | parquet | duckdb
    example: str = "student,test,grade"  # a valid header, for error messages
    header: list[str] = field(default_factory=list)  # CSV: the column names of the header line
    delimiter: str = ","

    def columns(self) -> list[str]:
        """CSV: the names of the header line (read once)."""
        if not self.header:
            self.header, self.delimiter = csv_header(self.path, self.example)
        return self.header

    def csv_reader(self) -> str:
        """``read_csv`` with the dialect and columns (all text) known from the header: no sniffing."""
        cols = ", ".join(f"{sql_literal(n)}: 'VARCHAR'" for n in self.columns())
        return (
            f"read_csv({sql_literal(self.path)}, header = true, auto_detect = false, delim = "
            f"{sql_literal(self.delimiter)}, quote = '\"', escape = '\"', columns = {{{cols}}})"
        )

    def reader(self, lines: bool = True) -> str:
        """SQL reading the table with every column as text and (``lines``) ``_line``: the file line / row number."""
        p = sql_literal(self.path)
        if not lines:
            if self.kind == "csv":
                return f"SELECT * FROM {self.csv_reader()}"
            if self.kind == "parquet":
                return f"SELECT * FROM read_parquet({p})"
            return f"SELECT * FROM _src.{quote(self.relation)}"
        if self.kind == "csv":
            return f"SELECT CAST(row_number() OVER () + 1 AS BIGINT) AS _line, * FROM {self.csv_reader()}"
        if self.kind == "parquet":
            return (  # the row number DuckDB adds is the line, not a column of the file
                f"SELECT CAST(file_row_number + 1 AS BIGINT) AS _line, * EXCLUDE (file_row_number) "
                f"FROM read_parquet({p}, file_row_number = true)"
            )
        return f"SELECT CAST(rowid + 1 AS BIGINT) AS _line, * FROM _src.{quote(self.relation)}"

    def where(self, line: int) -> str:
        """``file:line`` for a bad-row message."""
        return f"{self.path}:{line}" if self.kind == "csv" else f"{self.path} row {line}"


@dataclass
class DataSource:
    """Where the input tables are: their files by relation name."""

    path: Path
    files: dict[str, InputFile]
    database: str | None = None


def open_source(path: Path | str, voc: Vocabulary) -> DataSource:
    """Find the input tables in a folder of CSV/Parquet files or a DuckDB database file.

    A file named after no input relation is an error (a misspelt file would otherwise be ignored silently)."""
    path = Path(path)
    if not path.exists():
        raise UsageError(
            f"no data at {path}",
            value=str(path),
            hint="--data is a folder of <relation>.csv / .parquet files or a DuckDB database file",
            example="oerlog generate --students 1000 -o cohort/ && oerlog batch --data cohort/ ...",
        )
    files: dict[str, InputFile] = {}
    if path.is_dir():
        for f in sorted(path.iterdir()):
            suffix = f.suffix.lower()
            if suffix not in (".csv", ".parquet") or f.name.startswith("."):
                continue
            name = f.stem
            voc.stated_relation(name, Location(str(f)), "test_result.csv with header student,test,grade")
            if name in files:
                raise UsageError(
                    f"two files for relation {name}: {files[name].path} and {f}",
                    Location(str(f)),
                    value=f.name,
                    hint="keep one file per relation",
                )
            example = ",".join(fl.name for fl in voc.relations[name].fields)
            files[name] = InputFile(name, str(f), suffix[1:], example)
        return DataSource(path, files)
    con = _connect()
    try:
        con.execute(f"ATTACH {sql_literal(str(path))} AS _probe (READ_ONLY)")
        tables = [
            r[0]
            for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = '_probe'").fetchall()
        ]
    except Exception as exc:  # duckdb raises its own error classes
        raise UsageError(
            f"{path} is neither a folder nor a DuckDB database: {exc}",
            Location(str(path)),
            value=str(path),
            example="--data cohort/  (with test_result.csv, course.csv, ...)",
        ) from None
    finally:
        con.close()
    for t in tables:  # tables named after no input relation are not read
        if t in voc.relations:
            voc.stated_relation(t, Location(str(path)), "a table test_result(student, test, grade)")
            files[t] = InputFile(t, str(path), "duckdb")
    return DataSource(path, files, database=str(path))


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


# the characters Python's str.strip() removes (str.isspace), as an RE2 class: values are trimmed as case files are
_WS = r"[\t-\r\x{1c}-\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"


# what no text value holds, and what an id neither starts nor ends with (oerlog.values.id_problem / text_problem)
_CONTROL = char_class(CONTROL_RANGES, "re2")
_EDGE_SPACE = char_class(EDGE_SPACE_RANGES, "re2")


def _strip(v: str) -> str:
    """SQL for ``v.strip()``."""
    return f"regexp_replace({v}, '^{_WS}+|{_WS}+$', '', 'g')"


def _checks(field_name: str, ftype: str, values: Sequence[str]) -> list[tuple[str, str]]:
    """(SQL condition on column ``v`` that makes the value bad, reason) in the order convert() checks."""
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


def _any_bad(fields: Iterable[Field]) -> str:
    """SQL that holds when some field breaks one of its :func:`_checks` (NULL-safe: wrap in coalesce)."""
    return " OR ".join(f"({c})" for fl in fields for c, _ in _checks(fl.name, fl.type, fl.values)) or "FALSE"


def _fast(field_name: str, ftype: str, values: Sequence[str]) -> tuple[str, str]:
    """(condition, value): a cheap test on the raw text that only holds for values :func:`_checks` accepts, and
    the typed value when it holds. Clean exports pass it in one simple match per field; a value that fails it is
    judged by the full checks (so the two together accept exactly what :func:`_checks` accepts)."""
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
    return f"NOT ({_any_bad([Field(field_name, ftype, values=tuple(values))])})", _typed(field_name, ftype)


def _typed(field_name: str, ftype: str) -> str:
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


def create_calendar(con: Any, years: Iterable[int]) -> None:
    """``input._oerlog_calendar(day, working, idx)`` for the years given (two before, three after): whether each
    day is a working day (Monday-Friday, not a Dutch public holiday) and the working days up to and including it."""
    ys = list(years)
    start, end = dt.date(min(ys) - 2, 1, 1), dt.date(max(ys) + 3, 12, 31)
    off: list[dt.date] = []
    d = start
    while d <= end:
        if d.weekday() < 5 and not is_working_day(d):
            off.append(d)
        d += dt.timedelta(days=1)
    cal = f"{quote(INPUT_SCHEMA)}.{CALENDAR}"
    holidays = ", ".join(f"(DATE '{h.isoformat()}')" for h in off) or "(CAST(NULL AS DATE))"
    con.execute(
        f"CREATE OR REPLACE TABLE {cal} AS WITH days AS (SELECT CAST(x AS DATE) AS day FROM "
        f"range(DATE '{start.isoformat()}', DATE '{end.isoformat()}' + INTERVAL 1 DAY, INTERVAL 1 DAY) AS t(x)), "
        f"off(day) AS (VALUES {holidays}), "
        f"w AS (SELECT day, isodow(day) < 6 AND day NOT IN (SELECT day FROM off WHERE day IS NOT NULL) AS working "
        f"FROM days) "
        f"SELECT day, working, CAST(sum(CASE WHEN working THEN 1 ELSE 0 END) OVER (ORDER BY day) AS BIGINT) AS idx "
        f"FROM w ORDER BY day"
    )


class Cohort:
    """One DuckDB connection holding a cohort's validated input tables and the derived tables of runs."""

    def __init__(
        self,
        kb: KnowledgeBase,
        data: Path | str,
        *,
        on_error: str = "stop",
        reference_date: dt.date | None = None,
        progress: Progress | None = None,
    ) -> None:
        if on_error not in ("stop", "reject"):
            raise UsageError(
                f"--on-error is stop or reject, not {on_error!r}", value=on_error, example="--on-error reject"
            )
        self.kb = kb
        self.voc = kb.vocabulary
        self.source = open_source(data, self.voc)
        self.on_error = on_error
        self.reference_date = reference_date
        self.progress = progress
        self.con = _connect()
        self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(INPUT_SCHEMA)}")
        if self.source.database:
            self.con.execute(f"ATTACH {sql_literal(self.source.database)} AS _src (READ_ONLY)")
        self.loaded: set[str] = set()
        self.report = LoadReport()
        self.seconds_load = 0.0

    def close(self) -> None:
        """Close the DuckDB connection."""
        self.con.close()

    # -- loading --------------------------------------------------------------------------------------

    def _columns(self, f: InputFile, rel: Relation) -> list[str]:
        if f.kind == "csv":
            cols = ["_line", *f.columns()]
        else:
            cols = [r[0] for r in self.con.execute(f"DESCRIBE {f.reader()}").fetchall()]
        have = set(cols)
        missing = [fl.name for fl in rel.fields if fl.name not in have]
        if missing:
            raise ValidationError(
                f"{rel.name}: column(s) {', '.join(missing)} missing "
                f"(the header has {_visible(', '.join(cols[1:])) or 'nothing'})",
                Location(f.path, 1 if f.kind == "csv" else 0),
                value=", ".join(cols[1:]),
                hint=f"{rel.name} has the fields {', '.join(fl.name for fl in rel.fields)}",
                example=",".join(fl.name for fl in rel.fields),
            )
        extra = [c for c in cols[1:] if c not in {fl.name for fl in rel.fields}]
        if extra:
            self.report.ignored_columns[rel.name] = [_visible(c) for c in extra]
        return cols

    def raw_select(self, f: InputFile, rel: Relation, lines: bool = True) -> str:
        """The file's rows with the vocabulary's fields as text, and (``lines``) ``_line``."""
        cols = ", ".join(f"CAST({quote(fl.name)} AS VARCHAR) AS {quote(fl.name)}" for fl in rel.fields)
        return f"SELECT {'_line, ' if lines else ''}{cols} FROM ({f.reader(lines)}) AS r"

    def load(self, relations: Iterable[str]) -> LoadReport:
        """Load and validate the input relations (each once). Raises ValidationError when on_error is stop.

        Every relation asked for must have a file (a header-only file is an empty relation); the reference date
        comes from ``--reference-date`` or from exactly one row of its file."""
        start = time.perf_counter()
        todo = [r for r in dict.fromkeys(relations) if r not in self.loaded and r in self.voc.relations]
        self.require(todo)
        for i, name in enumerate(todo):
            if self.progress:
                self.progress(i, len(todo), f"loading {name}")
            self.loaded.add(name)
            f = self.source.files.get(name)
            if name == REFERENCE_RELATION and self.reference_date is not None:
                self._given_reference_date(f)
            elif f is not None:
                self._load_file(f, self.voc.relations[name])
        self.seconds_load += time.perf_counter() - start
        if self.report.bad_count and self.on_error == "stop":
            raise self.bad_rows_error()
        if REFERENCE_RELATION in todo:
            self._one_reference_date()
        return self.report

    def require(self, relations: Sequence[str]) -> None:
        """A located error naming every relation of ``relations`` without a file (the run reads them all)."""
        missing = sorted(
            r
            for r in relations
            if r not in self.source.files and not (r == REFERENCE_RELATION and self.reference_date is not None)
        )
        if not missing:
            return
        where = self.source.path
        fields = {r: ",".join(fl.name for fl in self.voc.relations[r].fields) for r in missing}
        if self.source.database:
            expected = ", ".join(f"table {r}" for r in missing) + "; a relation without rows is an empty table"
            example = "; ".join(f"a table {r}({f})" for r, f in list(fields.items())[:3])
        else:
            expected = ", ".join(str(where / f"{r}.csv") for r in missing) + " (or .parquet); a relation without "
            expected += "rows is a file with only its header line"
            example = "; ".join(f"{r}.csv with the header {f}" for r, f in list(fields.items())[:3])
        message = f"no input for {', '.join(missing)}: the goals depend on " + ("them" if len(missing) > 1 else "it")
        if not self.source.files:
            message += f", and {where} holds no <relation>.csv / .parquet file at all"
        raise ValidationError(
            message,
            Location(str(where)),
            value=", ".join(missing),
            hint=f"expected {expected}"
            + (", or give the date with --reference-date" if REFERENCE_RELATION in missing else ""),
            example=example,
        )

    def _given_reference_date(self, f: InputFile | None) -> None:
        """``--reference-date`` is the reference date of the run: the file, if any, is not read (a note says so)."""
        assert self.reference_date is not None
        target = f"{quote(INPUT_SCHEMA)}.{quote(REFERENCE_RELATION)}"
        col = quote(self.voc.relations[REFERENCE_RELATION].fields[0].name)
        self.con.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT {sql_literal(self.reference_date)} AS {col}")
        self.report.rows[REFERENCE_RELATION] = 1
        if f is not None:
            self.report.notes.append(f"--reference-date {self.reference_date} overrides {f.path} (not read)")

    def _one_reference_date(self) -> None:
        """The run has exactly one reference date: a header-only file (or one whose rows were all rejected) is an
        error (two different dates are refused by the relation's key, as conflicting rows)."""
        n = self.con.execute(f"SELECT count(*) FROM {quote(INPUT_SCHEMA)}.{quote(REFERENCE_RELATION)}").fetchone()[0]
        if n:
            return
        bad = [b for b in self.report.bad if b.file.relation == REFERENCE_RELATION]
        if bad:  # every row was rejected: say why
            err = bad[0].error(self.voc.relations[REFERENCE_RELATION])
            err.message = f"no reference date is left: {err.message}"
            err.hint = "the run needs exactly one reference date; " + "; ".join(
                f"{b.file.where(b.line)}: {b.reason}" for b in bad[:MAX_REPORTED]
            )
            raise err
        f = self.source.files[REFERENCE_RELATION]
        raise ValidationError(
            f"{REFERENCE_RELATION}: {f.path} has no row: the run needs exactly one reference date",
            Location(f.path, 1 if f.kind == "csv" else 0),
            value="",
            hint="add one line with the date the question is asked on, or give it with --reference-date",
            example="date\n2026-02-02",
        )

    def _load_file(self, f: InputFile, rel: Relation) -> None:
        """Stage one input file typed and checked, report its bad rows (values that do not fit, rows that
        conflict on the relation's key) and identical duplicates, and make the relation a view on its good rows."""
        name = rel.name
        self._columns(f, rel)
        # one pass: typed values and whether the row fits the vocabulary; line numbers only when it does not
        stage = f"{quote(INPUT_SCHEMA)}.{quote('_stage_' + name)}"
        try:
            self.con.execute(
                f"CREATE OR REPLACE TABLE {stage} AS SELECT *, {_key_hash(rel)} AS _key "
                f"FROM ({self.validate_select(f, rel)}) AS t"
            )
        except Exception as exc:  # duckdb's own error classes: a file that is not a table of rows
            if str(exc) == "Query interrupted":  # SIGINT: not a problem of the file
                raise KeyboardInterrupt from exc
            raise _read_error(f, rel, exc) from None
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
                    f"NOT EXISTS (SELECT 1 FROM {conflicts} AS k WHERE k._conflict AND {_key_match(rel, 'k', 's')})"
                )
            where = f" WHERE {' AND '.join(conds)}" if conds else ""
            self.con.execute(f"CREATE OR REPLACE VIEW {target} AS SELECT {cols} FROM {stage} AS s{where}")
        self.report.rows[name] = int(total) - int(n_bad) - self.report.conflicting.get(name, 0)

    def _report_bad_values(self, f: InputFile, rel: Relation, n_bad: int) -> None:
        """List the rows whose values do not fit the vocabulary (with line numbers: the file is read again)."""
        raw = quote(f"_raw_{rel.name}")
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {raw} AS {self.raw_select(f, rel)}")
        bad_sql = self._bad_rows_sql(rel, raw)
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
        key = _key_fields(rel)
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
        lined = self.validate_select(f, rel, lines=True)
        cols = ", ".join(f"l.{quote(fl.name)}" for fl in rel.fields)
        order = ", ".join([f"l.{quote(k)}" for k in _key_fields(rel)] + ["l._line"])
        return list(
            self.con.execute(
                f"SELECT l._line, {cols} FROM ({lined}) AS l WHERE NOT l._bad AND EXISTS (SELECT 1 FROM {groups} "
                f"AS g WHERE g._conflict = {'TRUE' if conflict else 'FALSE'} AND {_key_match(rel, 'g', 'l')}) "
                f"ORDER BY {order} LIMIT {limit}"
            ).fetchall()
        )

    def _note_duplicates(self, f: InputFile, rel: Relation, groups: str, n_dup: int) -> None:
        rows = self._rows_of_groups(f, rel, groups, False, 40)
        examples = []
        for _, same in _by_key(rel, rows)[:3]:
            lines = ", ".join(str(r[0]) for r in same)
            examples.append(f"{f.path} lines {lines}: {rel.name}({', '.join(_fmt(v) for v in same[0][1:])})")
        self.report.notes.append(
            f"{rel.name}: {n_dup} identical duplicate row(s), counted once (a relation is a set); e.g. "
            + "; ".join(examples)
        )

    def _report_conflicts(self, f: InputFile, rel: Relation, groups: str, n_conflict: int) -> None:
        """Every row of a conflicting key is a bad row, naming the key, the field that differs and the other row."""
        key = _key_fields(rel)
        rows = self._rows_of_groups(f, rel, groups, True, 100000)
        names = [fl.name for fl in rel.fields]
        rule = f"{rel.name} has one row per {', '.join(key)}" if key else f"{rel.name} has at most one row"
        hint = f"keep one of the rows: {rule} (key: [{', '.join(key)}] in the vocabulary)"
        for key_values, same in _by_key(rel, rows):
            shown_key = ", ".join(f"{k} {_fmt(v)}" for k, v in zip(key, key_values, strict=True))
            for row in same:
                other = next(r for r in same if r is not row and r[1:] != row[1:])
                i = next(i for i, (a, b) in enumerate(zip(row[1:], other[1:], strict=True)) if a != b)
                reason = f"{f.where(int(other[0]))} has " + (f"the same {shown_key} with " if key else "")
                reason += f"{names[i]} {_fmt(other[1 + i])}: {rule}"
                self.report.bad.append(BadRow(f, int(row[0]), names[i], _fmt(row[1 + i]), reason, hint))
        self.report.bad.sort(key=lambda b: (b.file.path, b.line))
        self.report.bad_count += n_conflict
        self.report.conflicting[rel.name] = n_conflict

    def validate_select(self, f: InputFile, rel: Relation, lines: bool = False) -> str:
        """The file's rows typed, with ``_bad``: whether the row breaks a rule of the vocabulary (and ``_line``
        first when ``lines``).

        Each field is first given the cheap test of :func:`_fast` (computed once, in an inner projection); only
        rows where some field fails it get the full checks of :func:`_checks`, and only their fields are typed
        the slow way (spaces trimmed, a decimal comma read)."""
        fast = [_fast(fl.name, fl.type, fl.values) for fl in rel.fields]
        oks = [f"coalesce({ok}, false) AS _ok{i}" for i, (ok, _) in enumerate(fast)]
        names = ("_line, " if lines else "") + ", ".join(quote(fl.name) for fl in rel.fields)
        inner = f"SELECT {names}, {', '.join(oks)} FROM ({self.raw_select(f, rel, lines=lines)}) AS r"

        def value(i: int, fl: Field) -> str:
            quick, slow = fast[i][1], _typed(fl.name, fl.type)
            return slow if quick == slow else f"CASE WHEN _ok{i} THEN {quick} ELSE {slow} END"

        typed = ", ".join(f"{value(i, fl)} AS {quote(fl.name)}" for i, fl in enumerate(rel.fields))
        all_ok = " AND ".join(f"_ok{i}" for i in range(len(rel.fields))) or "TRUE"
        bad = f"CASE WHEN {all_ok} THEN FALSE ELSE coalesce({_any_bad(rel.fields)}, TRUE) END"
        return f"SELECT {'_line, ' if lines else ''}{typed}, {bad} AS _bad FROM ({inner}) AS v"

    def bad_rows_error(self) -> ValidationError:
        """One error for every bad row found (the first ones shown in full)."""
        bad = self.report.bad
        first = bad[0].error(self.voc.relations[bad[0].file.relation])
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

    def _bad_rows_sql(self, rel: Relation, raw: str) -> str:
        parts = []
        for fl in rel.fields:
            checks = _checks(fl.name, fl.type, fl.values)
            reason = "CASE " + " ".join(f"WHEN {c} THEN {sql_literal(r)}" for c, r in checks) + " END"
            cond = " OR ".join(f"({c})" for c, _ in checks)
            parts.append(
                f"SELECT _line, {sql_literal(fl.name)} AS field, {quote(fl.name)} AS value, {reason} AS reason "
                f"FROM {raw} WHERE {cond}"
            )
        return " UNION ALL ".join(parts)

    # -- calendar ----------------------------------------------------------------------------------------

    def ensure_calendar(self, prog: SqlProgram) -> None:
        """Create the working-day calendar for the years the inputs and parameters mention."""
        years: set[int] = set()
        for name in self.loaded:
            rel = self.voc.relations[name]
            for fl in rel.fields:
                if fl.type == "date":
                    lo, hi = self.con.execute(
                        f"SELECT min({quote(fl.name)}), max({quote(fl.name)}) FROM {quote(INPUT_SCHEMA)}.{quote(name)}"
                    ).fetchone()
                    if lo is not None:
                        years.update((lo.year, hi.year))
        for v in prog.plan.params.values():
            if isinstance(v, dt.date):
                years.add(v.year)
        if self.reference_date:
            years.add(self.reference_date.year)
        if not years:
            years.add(dt.date.today().year)
        create_calendar(self.con, years)

    # -- evaluation --------------------------------------------------------------------------------------

    def compile(
        self, doc: Document, goals: Sequence[str] | None, overrides: Mapping[str, Value] | None, schema: str
    ) -> SqlProgram:
        """Compile the document (with parameter overrides) for the goals into ``schema``."""
        plan = doc.plan(dict(overrides) if overrides else None)
        return compile_plan(plan, self.voc, goals, schema=schema, input_schema=INPUT_SCHEMA)

    def run(self, prog: SqlProgram) -> float:
        """Load the inputs the program reads, then create its tables; returns the evaluation time."""
        self.load(prog.inputs)
        for name, rel in prog.inputs.items():  # relations outside the vocabulary (none in a checked KB)
            if name not in self.loaded:
                cols = ", ".join(
                    f"{quote(c)} {SQL_TYPES[t or 'str']}" for c, t in zip(rel.columns, rel.types, strict=True)
                )
                self.con.execute(f"CREATE OR REPLACE TABLE {quote(INPUT_SCHEMA)}.{quote(name)} ({cols})")
                self.loaded.add(name)
        if prog.uses_calendar:
            self.ensure_calendar(prog)
        start = time.perf_counter()
        if prog.schema == INPUT_SCHEMA:
            raise UsageError(
                f"the derived relations cannot go into the input schema {INPUT_SCHEMA!r}",
                value=prog.schema,
                example="derived",
            )
        # a fresh schema: a relation stored by an earlier run may be a view in this one, or the other way round
        self.con.execute(f"DROP SCHEMA IF EXISTS {quote(prog.schema)} CASCADE")
        self.con.execute(f"CREATE SCHEMA {quote(prog.schema)}")
        n = len(prog.statements)
        for i, st in enumerate(prog.statements):
            if self.progress:
                self.progress(i, n, ", ".join(st.preds))
            for sql in st.sqls:
                self.con.execute(sql)
        if self.progress:
            self.progress(n, n, "done")
        return time.perf_counter() - start

    def rows(self, prog: SqlProgram, pred: str, *, with_rule: bool = False) -> list[Row]:
        """The tuples of a derived relation (with the rule id as last column when ``with_rule``)."""
        rel = prog.derived[pred]
        cols = [quote(c) for c in rel.columns] + ([quote(RULE_COLUMN)] if with_rule else [])
        sql = f"SELECT DISTINCT {', '.join(cols) or '1'} FROM {prog.table(pred)}"
        out = self.con.execute(sql).fetchall()
        if not cols:
            return [() for _ in out]
        return [tuple(r) for r in out]


def _read_error(f: InputFile, rel: Relation, exc: Exception) -> ValidationError:
    """A file DuckDB cannot read as rows (a line with too few or too many fields, an unclosed quote, a broken
    Parquet file), located at the line DuckDB names. Such a line is not a bad value that ``--on-error reject``
    could leave out: its fields cannot be told apart, so the run stops."""
    import re

    text = str(exc)
    m = re.search(r"CSV Error on Line: (\d+)", text)
    line = int(m.group(1)) if m else 0
    orig = re.search(r"Original Line: ?(.*)", text)
    first = text.splitlines()[0] if text else type(exc).__name__
    # DuckDB's explanation: the first line after "CSV Error on Line" and "Original Line", before its fixes
    head = text.split("Possible fixes")[0].splitlines()[1:]
    detail = next((x.strip() for x in head if x.strip() and not x.startswith("Original Line")), "")
    value = orig.group(1) if orig else first
    if not line and f.kind == "csv":  # DuckDB names no line (a stray carriage return, ...): find it
        found = _first_unreadable_line(f)
        if found:
            line, value, detail = found
    return ValidationError(
        f"{rel.name}: {f.path} cannot be read as a table: " + _visible(detail or first.split(":", 1)[-1].strip()),
        Location(f.path, line),
        value=value,
        hint=f"every line has the {len(f.header) or len(rel.fields)} fields of the header"
        + (f" ({','.join(f.header)})" if f.header else "")
        + "; quote a value that contains the delimiter. --on-error reject leaves out bad values, not lines "
        "that cannot be split into fields",
        example=",".join(fl.name for fl in rel.fields)
        + "\n"
        + ",".join(str(fl.example()).strip('"') for fl in rel.fields),
    )


def _first_unreadable_line(f: InputFile) -> tuple[int, str, str] | None:
    """(line, its text, why) of the first line of a CSV file that cannot be a row: a carriage return where the
    file's lines end otherwise, or (read as Python's csv module does) a number of fields other than the header's."""
    import csv

    with open(f.path, "rb") as fh:
        crlf = False
        for n, raw in enumerate(fh, start=1):
            crlf = crlf or (n == 1 and raw.endswith(b"\r\n"))
            body = raw[:-1] if raw.endswith(b"\n") else raw
            if crlf and body.endswith(b"\r"):
                body = body[:-1]
            if b"\r" in body:
                text = body.decode("utf-8", "replace")
                return (
                    n,
                    text,
                    "a carriage return inside the line (" + ("CR LF" if crlf else "LF") + " ends a line here)",
                )
    width = len(f.columns())
    with open(f.path, encoding="utf-8", errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=f.delimiter)
        start = 1
        try:
            for row in reader:
                if reader.line_num > 1 and len(row) != width:
                    return start, f.delimiter.join(row), f"{len(row)} field(s) where the header has {width}"
                start = reader.line_num + 1
        except csv.Error as exc:
            return start, "", str(exc)
    return None


def _key_fields(rel: Relation) -> list[str]:
    """The fields that determine a row: the declared key, or every field of a plain set."""
    return list(rel.key) if rel.key is not None else [fl.name for fl in rel.fields]


def _key_hash(rel: Relation) -> str:
    """SQL: a hash of the row's key (a constant for the empty key: every row has the same key)."""
    key = _key_fields(rel)
    return f"hash({', '.join(quote(k) for k in key)})" if key else "0"


def _key_match(rel: Relation, a: str, b: str) -> str:
    """SQL: the rows ``a`` and ``b`` have the same key."""
    return " AND ".join(f"{a}.{quote(k)} = {b}.{quote(k)}" for k in _key_fields(rel)) or "TRUE"


def _by_key(rel: Relation, rows: Sequence[Any]) -> list[tuple[tuple[Any, ...], list[Any]]]:
    """``(line, values...)`` rows ordered by key, grouped by key."""
    names = [fl.name for fl in rel.fields]
    pos = [1 + names.index(k) for k in _key_fields(rel)]
    out: list[tuple[tuple[Any, ...], list[Any]]] = []
    for row in rows:
        k = tuple(row[i] for i in pos)
        if out and out[-1][0] == k:
            out[-1][1].append(row)
        else:
            out.append((k, [row]))
    return out


def write_rejects(report: LoadReport, path: Path) -> None:
    """Write every bad row (file, line, relation, field, value, reason) as CSV, atomically. A value is shown as
    text a spreadsheet does not run and a terminal does not obey: a leading ``= + - @`` gets a quote before it,
    control and invisible characters are written as escapes (``\\x1b``)."""
    import csv
    import io

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
    out = _visible(value)
    return "'" + out if out[:1] in tuple(FORMULA_PREFIXES) else out


def _visible(text: str) -> str:
    """``text`` with its control and invisible characters written as escapes (``\\x1b``, ``\\u202e``): shown,
    never obeyed by a terminal."""
    return "".join(c.encode("unicode_escape").decode("ascii") if text_problem(c) else c for c in text)


def check_outputs(source: DataSource, outputs: Mapping[str, Path | None]) -> None:
    """Before a run: no output (by option name) is an input file or a table file in the ``--data`` folder (the
    next run would read it as a relation, or refuse it), no two outputs are one file, and each can be written
    (its folder is created). A located error otherwise."""
    inputs = {Path(f.path).resolve() for f in source.files.values()}
    folder = source.path.resolve() if source.database is None else None
    seen: dict[Path, str] = {}
    for option, path in outputs.items():
        if path is None:
            continue
        target = path.resolve()
        example = f"{option} results/{path.name}  (a file outside --data {source.path})"
        if target in inputs or (source.database is not None and target == source.path.resolve()):
            raise UsageError(
                f"the output {path} is an input of this run (--data {source.path}): writing it would destroy it",
                Location(str(path)),
                value=str(path),
                example=example,
            )
        if target.parent == folder and target.suffix.lower() in (".csv", ".parquet") and not path.name.startswith("."):
            raise UsageError(
                f"the output {path} is in the --data folder {source.path}: the next run would read it as the input "
                f"relation {target.stem!r}",
                Location(str(path)),
                value=str(path),
                example=example,
            )
        if target in seen:
            raise UsageError(
                f"{option} and {seen[target]} name the same file {path}",
                Location(str(path)),
                value=str(path),
                example="-o results.csv --rejects results.rejects.csv",
            )
        seen[target] = option
        prepare_target(path)


# --- batch ---------------------------------------------------------------------------------------------------


@dataclass
class BatchResult:
    """What a batch run produced."""

    document: str
    program: SqlProgram
    counts: list[dict[str, Any]]  # per goal: facts, students
    by_rule: list[dict[str, Any]]  # per goal, rule, articles: rows
    output: Path | None
    seconds: dict[str, float]
    report: LoadReport
    rejects: Path | None = None  # where the bad rows were listed (--on-error reject)
    stale_rejects: Path | None = None  # a rejects file of an earlier run, removed by this clean one


def parse_goals(doc: Document, goals: Sequence[str]) -> list[ir.Atom]:
    """The goals (``resit_excluded`` or ``resit_excluded("s0000001", C)``), checked against the document, their
    constants read by their fields' types (:func:`oerlog.evaluation.goals.parse_goal`)."""
    from oerlog.evaluation.goals import parse_goal

    atoms = []
    for g in goals:
        text = g.strip()
        atoms.append(parse_goal(doc, text) if "(" in text else ir.Atom(text, ()))
    return atoms


def names_of(atoms: Sequence[ir.Atom]) -> list[str]:
    """The goals' predicates, each once, in the order given."""
    return list(dict.fromkeys(a.pred for a in atoms))


def goal_filters(prog: SqlProgram, atoms: Sequence[ir.Atom]) -> dict[str, str]:
    """Per goal predicate, the SQL condition its constants and repeated variables put on its rows (several
    goals on one predicate: any of them); a goal written without them (``resit_excluded``, ``p(S, C)``) asks for
    every row."""
    conds: dict[str, list[str | None]] = {}
    for atom in atoms:
        conds.setdefault(atom.pred, []).append(_goal_condition(prog, atom))
    return {p: " OR ".join(f"({c})" for c in cs) for p, cs in conds.items() if all(cs)}


def _goal_condition(prog: SqlProgram, atom: ir.Atom) -> str | None:
    if not atom.args:
        return None
    rel = prog.derived[atom.pred]
    conds: list[str] = []
    first: dict[str, str] = {}
    for col, arg in zip(rel.columns, atom.args, strict=True):
        c = quote(col)
        if isinstance(arg, ir.Const):
            conds.append(f"{c} = {sql_literal(arg.value)}")
        elif isinstance(arg, ir.Var) and not arg.anonymous:
            if arg.name in first:
                conds.append(f"{c} = {first[arg.name]}")
            first.setdefault(arg.name, c)
        elif isinstance(arg, ir.Param):
            raise UsageError(
                f"a goal's argument is a constant or a variable, not the parameter {arg}",
                arg.loc,
                value=str(arg),
                example=f"--goal '{atom.pred}({', '.join('_' for _ in atom.args)})'",
            )
    return " AND ".join(conds) or None


def _result_select(prog: SqlProgram, goals: Sequence[str], sort: bool = True) -> tuple[str, list[str]]:
    cites = (
        " UNION ALL ".join(
            f"SELECT {sql_literal(r)} AS rule, {sql_literal(c)} AS articles" for r, c in sorted(prog.rule_cites.items())
        )
        or "SELECT CAST(NULL AS VARCHAR) AS rule, CAST(NULL AS VARCHAR) AS articles WHERE FALSE"
    )
    if len(goals) == 1:
        g = goals[0]
        rel = prog.derived[g]
        cols = [f"d.{quote(c)}" for c in rel.columns]
        names = list(rel.columns) + ["rule", "articles"]
        order = ", ".join(str(i + 1) for i in range(len(cols) + 1))
        sql = (
            f"SELECT {', '.join(cols + [f'd.{quote(RULE_COLUMN)} AS rule', 'c.articles'])} "
            f"FROM {prog.goal_rows(g)} AS d "
            f"LEFT JOIN ({cites}) AS c ON c.rule = d.{quote(RULE_COLUMN)}" + (f" ORDER BY {order}" if sort else "")
        )
        return sql, names
    width = max(len(prog.derived[g].columns) for g in goals)
    parts = []
    for g in goals:
        rel = prog.derived[g]
        vals = [f"CAST(d.{quote(c)} AS VARCHAR) AS arg{i + 1}" for i, c in enumerate(rel.columns)]
        vals += [f"CAST(NULL AS VARCHAR) AS arg{i + 1}" for i in range(len(rel.columns), width)]
        parts.append(
            f"SELECT {sql_literal(g)} AS conclusion, {', '.join(vals)}, d.{quote(RULE_COLUMN)} AS rule "
            f"FROM {prog.goal_rows(g)} AS d"
        )
    names = ["conclusion"] + [f"arg{i + 1}" for i in range(width)] + ["rule", "articles"]
    sql = f"SELECT u.*, c.articles FROM ({' UNION ALL '.join(parts)}) AS u LEFT JOIN ({cites}) AS c ON c.rule = u.rule"
    if sort:
        sql += f" ORDER BY {', '.join(str(i + 1) for i in range(width + 2))}"
    return sql, names


def summary(
    cohort: Cohort, prog: SqlProgram, goals: Sequence[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Counts per conclusion (facts, students) and per conclusion, rule and article (rows)."""
    counts = []
    by_rule = []
    for g in goals:
        rel = prog.derived[g]
        cols = ", ".join(quote(c) for c in rel.columns)
        first = quote(rel.columns[0]) if rel.columns else "1"
        facts, students = cohort.con.execute(
            f"SELECT (SELECT count(*) FROM (SELECT DISTINCT {cols or '1'} FROM {prog.goal_rows(g)})), "
            f"(SELECT count(DISTINCT {first}) FROM {prog.goal_rows(g)})"
        ).fetchone()
        counts.append({"conclusion": g, "facts": int(facts), rel.columns[0] if rel.columns else "rows": int(students)})
        for rule, n in cohort.con.execute(
            f"SELECT {quote(RULE_COLUMN)}, count(*) FROM {prog.goal_rows(g)} GROUP BY 1 ORDER BY 1"
        ).fetchall():
            by_rule.append({"conclusion": g, "rule": rule, "articles": prog.rule_cites.get(rule, ""), "rows": int(n)})
    return counts, by_rule


def batch(
    kb: KnowledgeBase,
    doc_id: str,
    data: Path | str,
    goals: Sequence[str],
    output: Path | None = None,
    *,
    overrides: Mapping[str, Value] | None = None,
    on_error: str = "stop",
    reference_date: dt.date | None = None,
    progress: Progress | None = None,
    cohort: Cohort | None = None,
    sort: bool | None = None,
    rejects: Path | None = None,
) -> BatchResult:
    """Run the document over the cohort in ``data`` and write the goals' conclusions to ``output`` (sorted when
    ``sort``; by default a CSV file is sorted and a Parquet file is not, see :func:`write_results`).

    Rejected rows (``on_error="reject"``) are listed in ``rejects`` (by default ``OUT.rejects.csv`` beside the
    output, or ``rejects.csv``); a clean run removes a rejects file an earlier run left there. Every file is
    written whole or not at all (:mod:`oerlog.outputs`)."""
    t0 = time.perf_counter()
    if output is not None:
        output_suffix(output)
    doc = kb.document(doc_id)
    atoms = parse_goals(doc, goals)
    names = names_of(atoms)
    own = cohort is None
    c = cohort or Cohort(kb, data, on_error=on_error, reference_date=reference_date, progress=progress)
    try:
        companion = rejects or (output.with_suffix(".rejects.csv") if output is not None else None)
        check_outputs(c.source, {"-o": output, "--rejects": companion})
        prog = c.compile(doc, names, overrides, "derived")
        prog.filters = goal_filters(prog, atoms)
        t_compile = time.perf_counter() - t0
        seconds_eval = c.run(prog)
        c.report.unread = sorted(set(c.source.files) - c.loaded)
        t_out = time.perf_counter()
        if output is not None:
            write_results(c, prog, names, output, sort=sort)
        res = BatchResult(doc.id, prog, *summary(c, prog, names), output, {}, c.report)
        if c.report.bad:
            res.rejects = companion or Path("rejects.csv")
            write_rejects(c.report, res.rejects)
        elif companion is not None and companion.is_file():
            companion.unlink()
            res.stale_rejects = companion
        t_end = time.perf_counter()
        res.seconds = {
            "compile": t_compile,
            "load": c.seconds_load,
            "evaluate": seconds_eval,
            "output": t_end - t_out,
            "total": t_end - t0,
        }
        return res
    finally:
        if own:
            c.close()


def output_suffix(output: Path) -> str:
    """``.csv`` or ``.parquet``: the kind of output file, checked before a run rather than after it."""
    suffix = output.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise UsageError(
            f"the output must be a .csv or .parquet file, not {output.name}",
            value=str(output),
            example="-o results.parquet",
        )
    return suffix


def write_results(
    cohort: Cohort, prog: SqlProgram, goals: Sequence[str], output: Path, *, sort: bool | None = None
) -> None:
    """Write the goals' rows (with rule and articles) to CSV or Parquet, by the file's suffix.

    ``sort`` orders the rows by conclusion, arguments and rule; by default a CSV file (read by people, compared
    with diff) is sorted and a Parquet file (read by programs) is written in the order the rows are produced."""
    suffix = output_suffix(output)
    sql, _ = _result_select(prog, goals, sort=suffix == ".csv" if sort is None else sort)
    fmt = "(FORMAT parquet)" if suffix == ".parquet" else "(FORMAT csv, HEADER, DELIMITER ',')"
    with atomic_path(output) as tmp:  # COPY writes as it goes: into a temporary file, renamed when complete
        cohort.con.execute(f"COPY ({sql}) TO {sql_literal(str(tmp))} {fmt}")


# --- what-if ----------------------------------------------------------------------------------------------


@dataclass
class Change:
    """A conclusion that holds in one run and not in the other."""

    conclusion: str
    args: Row
    direction: str  # gained | lost
    rules: str


@dataclass
class WhatIfResult:
    """The students whose conclusions change when parameters are overridden."""

    document: str
    overrides: dict[str, Value]
    baseline: dict[str, Value]
    goals: list[str]
    columns: dict[str, list[str]]
    changes: list[Change]
    counts: list[dict[str, Any]]
    seconds: float
    shared: list[str] = field(default_factory=list)  # relations the overrides cannot change (computed once)
    relations: list[str] = field(default_factory=list)  # every derived relation of the run
    report: LoadReport = field(default_factory=LoadReport)  # what was loaded, rejected, not read, noted

    def recomputed(self) -> list[str]:
        """The derived relations that depend on the parameters changed (evaluated twice)."""
        shared = set(self.shared)
        return [r for r in self.relations if r not in shared]

    def students(self) -> list[str]:
        """Distinct first arguments (students) of the changed conclusions."""
        return sorted({str(c.args[0]) for c in self.changes if c.args})


def whatif(
    kb: KnowledgeBase,
    doc_id: str,
    data: Path | str,
    overrides: Mapping[str, Value],
    goals: Sequence[str] | None = None,
    *,
    on_error: str = "stop",
    reference_date: dt.date | None = None,
    progress: Progress | None = None,
    output: Path | None = None,
) -> WhatIfResult:
    """Evaluate the cohort with the document's parameters and with ``overrides``; list every conclusion that
    differs (gained: holds only with the overrides; lost: holds only without). ``output``, the file the caller
    writes the result to, is checked against the inputs before the run (:func:`check_outputs`)."""
    t0 = time.perf_counter()
    doc = kb.document(doc_id)
    if goals:
        atoms = parse_goals(doc, goals)
        goal_names = names_of(atoms)
    else:
        concepts = set(kb.vocabulary.concepts)
        goal_names = sorted(p for p in doc.predicates() if p in concepts) or sorted(
            p for p in doc.predicates() if not p.startswith("_")
        )
        atoms = [ir.Atom(g, ()) for g in goal_names]
    c = Cohort(kb, data, on_error=on_error, reference_date=reference_date, progress=progress)
    try:
        check_outputs(c.source, {"-o": output})
        base = c.compile(doc, goal_names, None, "base")
        alt = c.compile(doc, goal_names, overrides, "alt")
        shared = share_unchanged(base, alt)  # what the overrides cannot change is computed once
        base.filters = alt.filters = goal_filters(base, atoms)
        c.run(base)
        c.run(alt)
        c.report.unread = sorted(set(c.source.files) - c.loaded)
        changes: list[Change] = []
        counts = []
        columns: dict[str, list[str]] = {}
        for g in goal_names:
            rel = base.derived[g]
            columns[g] = list(rel.columns)
            cols = ", ".join(quote(x) for x in rel.columns)
            rule_list = f"string_agg(DISTINCT {quote(RULE_COLUMN)}, '; ' ORDER BY {quote(RULE_COLUMN)})"
            gained = lost = 0
            for direction, a, b in (("gained", alt, base), ("lost", base, alt)):
                sql = (
                    f"SELECT {cols}, {rule_list} FROM {a.goal_rows(g)} AS x WHERE ({cols}) NOT IN "
                    f"(SELECT ({cols}) FROM {b.goal_rows(g)} AS y) GROUP BY {cols} ORDER BY {cols}"
                    if len(rel.columns) > 1
                    else f"SELECT {cols}, {rule_list} FROM {a.goal_rows(g)} AS x WHERE NOT EXISTS (SELECT 1 FROM "
                    f"{b.goal_rows(g)} AS y WHERE y.{cols} = x.{cols}) GROUP BY {cols} ORDER BY {cols}"
                )
                for row in c.con.execute(sql).fetchall():
                    changes.append(Change(g, tuple(row[:-1]), direction, row[-1]))
                    if direction == "gained":
                        gained += 1
                    else:
                        lost += 1
            n_base, n_alt = (
                c.con.execute(f"SELECT count(*) FROM (SELECT DISTINCT {cols} FROM {p.goal_rows(g)})").fetchone()[0]
                for p in (base, alt)
            )
            students = len({ch.args[0] for ch in changes if ch.conclusion == g})
            counts.append(
                {
                    "conclusion": g,
                    "before": int(n_base),
                    "after": int(n_alt),
                    "gained": gained,
                    "lost": lost,
                    "students_affected": students,
                }
            )
        baseline = {k: doc.plan().params.get(k) for k in overrides}
        return WhatIfResult(
            doc.id,
            dict(overrides),
            {k: v for k, v in baseline.items() if v is not None},
            goal_names,
            columns,
            changes,
            counts,
            time.perf_counter() - t0,
            shared,
            sorted(alt.derived),
            c.report,
        )
    finally:
        c.close()


def _fmt(v: object) -> str:
    if isinstance(v, Decimal):
        return _plain_decimal(v)
    if isinstance(v, (dt.date, bool, int)):
        return format_literal(v).strip('"')
    return str(v)


def _plain_decimal(d: Decimal) -> str:
    s = format(d, "f")
    if "." in s:
        s = s.rstrip("0")
        if s.endswith("."):
            s += "0"
    return s


def whatif_markdown(res: WhatIfResult) -> str:
    """A policy-memo section: the change, the counts, and every affected student."""
    changes = ", ".join(
        f"{md_code(k)} {md_text(_fmt(res.baseline.get(k, '?')))} → {md_text(_fmt(v))}" for k, v in res.overrides.items()
    )
    recomputed = ", ".join(md_code(r) for r in res.recomputed() if not r.startswith("_")) or "none"
    out = [
        f"# What if: {changes}",
        "",
        f"Document {md_code(res.document)}; conclusions compared: {', '.join(md_code(g) for g in res.goals)}.",
        f"{len(res.students())} student(s) affected, {len(res.changes)} conclusion(s) change.",
        f"Recomputed with the change: {len(res.recomputed())} of {len(res.relations)} relations "
        f"({recomputed}); the others do not depend on the parameters changed.",
        "",
        "| conclusion | before | after | gained | lost | students affected |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for c in res.counts:
        out.append(
            f"| {md_code(c['conclusion'], cell=True)} | {c['before']} | {c['after']} | {c['gained']} | {c['lost']} | "
            f"{c['students_affected']} |"
        )
    for g in res.goals:
        rows = [ch for ch in res.changes if ch.conclusion == g]
        if not rows:
            continue
        cols = res.columns[g]
        out += [
            "",
            f"## {md_code(g)}",
            "",
            "| change | " + " | ".join(md_cell(c) for c in cols) + " | rule(s) |",
            "|---|" + "---|" * (len(cols) + 1),
        ]
        for ch in rows:
            sign = "+ gained" if ch.direction == "gained" else "− lost"
            out.append(f"| {sign} | " + " | ".join(md_cell(_fmt(v)) for v in ch.args) + f" | {md_cell(ch.rules)} |")
    return "\n".join(out) + "\n"


def whatif_csv(res: WhatIfResult) -> str:
    """One line per changed conclusion: conclusion, direction, arg1..argN, rules."""
    import csv
    import io

    width = max((len(c) for c in res.columns.values()), default=0)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["conclusion", "change"] + [f"arg{i + 1}" for i in range(width)] + ["rules"])
    for ch in res.changes:
        args = [_fmt(v) for v in ch.args] + [""] * (width - len(ch.args))
        w.writerow([ch.conclusion, ch.direction] + args + [ch.rules])
    return buf.getvalue()


def whatif_json(res: WhatIfResult) -> str:
    """The whole result as JSON (decimals as exact strings)."""
    return json.dumps(
        {
            "document": res.document,
            "overrides": {k: _fmt(v) for k, v in res.overrides.items()},
            "baseline": {k: _fmt(v) for k, v in res.baseline.items()},
            "goals": res.goals,
            "counts": res.counts,
            "recomputed": res.recomputed(),
            "students_affected": res.students(),
            "changes": [
                {
                    "conclusion": ch.conclusion,
                    "change": ch.direction,
                    "args": dict(zip(res.columns[ch.conclusion], (_fmt(v) for v in ch.args), strict=True)),
                    "rules": ch.rules,
                }
                for ch in res.changes
            ],
        },
        indent=2,
        ensure_ascii=False,
    )


# --- one student to the pyDatalog back end -------------------------------------------------------------------


def student_case(cohort: Cohort, relations: Iterable[str], student: str) -> Any:
    """The student's records (and every record of relations without a student field) as a :class:`Case`,
    each fact located at its file and line."""
    from oerlog.kb.cases import Case

    case = Case(path=f"{cohort.source.path} (student {student})")
    voc = cohort.voc
    for name in sorted(set(relations)):
        rel = voc.relations.get(name)
        if rel is None:
            continue
        f = cohort.source.files.get(name)
        if f is None:
            if name == REFERENCE_RELATION and cohort.reference_date is not None:
                case.add(name, (cohort.reference_date,))
                case.reference_date = cohort.reference_date
            continue
        raw = cohort.raw_select(f, rel)
        typed = ", ".join(f"{_typed(fl.name, fl.type)} AS {quote(fl.name)}" for fl in rel.fields)
        has_student = any(fl.name == "student" for fl in rel.fields)
        cond = f"{quote('student')} = {sql_literal(student)} AND " if has_student else ""
        # the student's rows first, then the checks on those only (the bad ones stay out, as in the batch run)
        sql = (
            f"WITH r AS ({raw}) SELECT _line, {typed} FROM r WHERE {cond}NOT coalesce({_any_bad(rel.fields)}, TRUE) "
            f"ORDER BY _line"
        )
        for line, *vals in cohort.con.execute(sql).fetchall():
            row = tuple(_py(v) for v in vals)
            case.add(name, row, Location(f.path, int(line) if f.kind == "csv" else 0))
        if name == REFERENCE_RELATION:
            dates = case.facts.get(name)
            if cohort.reference_date is not None:
                case.facts[name] = {(cohort.reference_date,)}
                case.reference_date = cohort.reference_date
            elif dates:
                first = min(str(d[0]) for d in dates)
                case.reference_date = dt.date.fromisoformat(first)
    return case


def _py(v: object) -> Value:
    if isinstance(v, Decimal):
        return Decimal(_plain_decimal(v))
    return v  # type: ignore[return-value]


def explain_student(
    kb: KnowledgeBase,
    doc_id: str,
    data: Path | str,
    student: str,
    goals: Sequence[str],
    *,
    overrides: Mapping[str, Value] | None = None,
    reference_date: dt.date | None = None,
    lang: str = "nl",
) -> str:
    """Proofs (pyDatalog back end) of the goals' conclusions about one student of the cohort, as text."""
    from oerlog.evaluation.judge import judge
    from oerlog.explain.explainer import Explainer
    from oerlog.explain.render import to_text

    doc = kb.document(doc_id)
    c = Cohort(kb, data, on_error="reject", reference_date=reference_date)
    try:
        goal_names = names_of(parse_goals(doc, goals))
        prog = c.compile(doc, goal_names, overrides, "derived")
        c.require([r for r in prog.inputs if r in c.voc.relations])
        case = student_case(c, prog.inputs, student)
    finally:
        c.close()
    j = judge(kb, case, doc.id, dict(overrides) if overrides else None)
    ex = Explainer(j.model, j.document, case.sources, lang)
    out: list[str] = []
    for g in goal_names:
        rows = [
            r
            for r in sorted(j.model.tuples(g), key=lambda r: tuple(format_literal(v) for v in r))
            if r and r[0] == student
        ]
        if not rows:
            msg = "geldt niet" if lang == "nl" else "does not hold"
            out.append(f"{g}({student}, ...): {msg}\n")
            continue
        for r in rows:
            out.append(to_text(ex.why(g, r), lang))
            out.append("")
    return "\n".join(out)


__all__ = [
    "Cohort",
    "BatchResult",
    "WhatIfResult",
    "batch",
    "whatif",
    "explain_student",
    "open_source",
    "whatif_markdown",
    "whatif_csv",
    "whatif_json",
]
