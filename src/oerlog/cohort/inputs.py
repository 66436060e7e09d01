"""Finding and reading a cohort's input tables: a folder of ``<relation>.csv`` / ``<relation>.parquet`` files
(Osiris-like exports; the header names the vocabulary's fields, in any order; extra columns are ignored) or a
DuckDB database file with one table per relation; the CSV dialect and header, read without sniffing; files DuckDB
cannot read as rows, located; outputs that would overwrite an input."""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from oerlog.backends.sql import quote, sql_literal
from oerlog.errors import Location, UsageError, ValidationError
from oerlog.kb.vocabulary import Field, Relation, Vocabulary
from oerlog.lang import ir
from oerlog.outputs import prepare_target
from oerlog.values import text_problem

INPUT_SCHEMA = "input"  # the schema the input relations are loaded into
CSV_DELIMITERS = (",", ";", "\t", "|")


def connect(memory_limit: str | None = None, threads: int | None = None) -> Any:
    """A new in-memory DuckDB connection (``$OERLOG_DUCKDB_MEMORY`` / ``$OERLOG_DUCKDB_THREADS`` cap it)."""
    try:
        import duckdb  # deferred: DuckDB is needed by the cohort commands only
    except ImportError as exc:  # pragma: no cover - duckdb is a dependency
        raise UsageError(
            "the cohort commands need DuckDB",
            hint="pip install 'duckdb>=2.0'",
            example="pip install -e .",
            nl="de cohortcommando's hebben DuckDB nodig",
            hint_nl="pip install 'duckdb>=2.0'",
        ) from exc
    config: dict[str, Any] = {}
    mem = memory_limit or os.environ.get("OERLOG_DUCKDB_MEMORY")
    if mem:
        config["memory_limit"] = mem
    n = threads or int(os.environ.get("OERLOG_DUCKDB_THREADS", "0") or 0)
    if n:
        config["threads"] = n
    return duckdb.connect(config=config)


def visible(text: str) -> str:
    """``text`` with its control and invisible characters written as escapes (``\\x1b``, ``\\u202e``): shown,
    never obeyed by a terminal."""
    return "".join(c.encode("unicode_escape").decode("ascii") if text_problem(c) else c for c in text)


def csv_header(path: str, example: str = "student,test,grade") -> tuple[list[str], str]:
    """The column names of a CSV file's header line and its delimiter (the one of ``, ; tab |`` that splits the
    header into the most names; a comma when none does). Read here rather than sniffed by DuckDB: the header of
    a vocabulary relation names its fields, which is all a reader needs, and sniffing costs a pass over a sample
    of every file."""
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
            nl=f"{path}: het bestand is geen UTF-8-tekst ({exc.reason} bij byte {exc.start})",
            hint_nl="exporteer de tabel als CSV UTF-8",
        ) from None
    if not line.strip():
        raise ValidationError(
            f"{path}: no header line",
            loc,
            value="",
            hint="the first line names the columns",
            example=example,
            nl=f"{path}: geen kopregel",
            hint_nl="de eerste regel noemt de kolommen",
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
                nl=f"{path}: de kopregel kan niet worden gelezen: {exc}",
                hint_nl="de eerste regel noemt de kolommen, gescheiden door één scheidingsteken, en sluit de regel af",
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
                nl=f"{path}: de kolom {n!r} staat twee keer in de kopregel",
                hint_nl="noem elke kolom één keer",
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

    def raw_select(self, fields: Sequence[Field], lines: bool = True) -> str:
        """The file's rows with the given fields as text, and (``lines``) ``_line``."""
        cols = ", ".join(f"CAST({quote(fl.name)} AS VARCHAR) AS {quote(fl.name)}" for fl in fields)
        return f"SELECT {'_line, ' if lines else ''}{cols} FROM ({self.reader(lines)}) AS r"

    def check_columns(self, con: Any, rel: Relation) -> list[str]:
        """The columns beyond the relation's fields (ignored); a located error when a field has no column."""
        if self.kind == "csv":
            cols = ["_line", *self.columns()]
        else:
            cols = [r[0] for r in con.execute(f"DESCRIBE {self.reader()}").fetchall()]
        have = set(cols)
        missing = [fl.name for fl in rel.fields if fl.name not in have]
        if missing:
            raise ValidationError(
                f"{rel.name}: column(s) {', '.join(missing)} missing "
                f"(the header has {visible(', '.join(cols[1:])) or 'nothing'})",
                Location(self.path, 1 if self.kind == "csv" else 0),
                value=", ".join(cols[1:]),
                hint=f"{rel.name} has the fields {', '.join(fl.name for fl in rel.fields)}",
                example=",".join(fl.name for fl in rel.fields),
                nl=f"{rel.name}: kolom(men) {', '.join(missing)} ontbreken "
                f"(de kopregel heeft {visible(', '.join(cols[1:])) or 'niets'})",
                hint_nl=f"{rel.name} heeft de velden {', '.join(fl.name for fl in rel.fields)}",
            )
        return [c for c in cols[1:] if c not in {fl.name for fl in rel.fields}]

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
            nl=f"geen gegevens op {path}",
            hint_nl="--data is een map met bestanden <relatie>.csv / .parquet of een DuckDB-databasebestand",
        )
    files: dict[str, InputFile] = {}
    if path.is_dir():
        for f in sorted(path.iterdir()):
            suffix = f.suffix.lower()
            if suffix not in (".csv", ".parquet") or f.name.startswith("."):
                continue
            name = f.stem
            if name.endswith(FALSE_SUFFIX):  # facts of an open relation the export states false
                name = _false_file(name[: -len(FALSE_SUFFIX)], f, voc)
            else:
                voc.stated_relation(name, Location(str(f)), "test_result.csv with header student,test,grade")
            if name in files:
                raise UsageError(
                    f"two files for relation {name}: {files[name].path} and {f}",
                    Location(str(f)),
                    value=f.name,
                    hint="keep one file per relation",
                    nl=f"twee bestanden voor de relatie {name}: {files[name].path} en {f}",
                    hint_nl="houd één bestand per relatie",
                )
            example = ",".join(fl.name for fl in stated_fields(voc, name))
            files[name] = InputFile(name, str(f), suffix[1:], example)
        return DataSource(path, files)
    con = connect()
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
            nl=f"{path} is geen map en geen DuckDB-database: {exc}",
        ) from None
    finally:
        con.close()
    for t in tables:  # tables named after no input relation are not read
        if t in voc.relations:
            voc.stated_relation(t, Location(str(path)), "a table test_result(student, test, grade)")
            files[t] = InputFile(t, str(path), "duckdb")
    return DataSource(path, files, database=str(path))


def read_error(f: InputFile, rel: Relation, exc: Exception) -> ValidationError:
    """A file DuckDB cannot read as rows (a line with too few or too many fields, an unclosed quote, a broken
    Parquet file), located at the line DuckDB names. Such a line is not a bad value that ``--on-error reject``
    could leave out: its fields cannot be told apart, so the run stops."""
    text = str(exc)
    m = re.search(r"CSV Error on Line: (\d+)", text)
    line = int(m.group(1)) if m else 0
    orig = re.search(r"Original Line: ?(.*)", text)
    first = text.splitlines()[0] if text else type(exc).__name__
    # DuckDB's explanation: the first line after "CSV Error on Line" and "Original Line", before its fixes
    head = text.split("Possible fixes")[0].splitlines()[1:]
    detail = next((x.strip() for x in head if x.strip() and not x.startswith("Original Line")), "")
    value = orig.group(1) if orig else first
    detail_nl = ""  # DuckDB's own explanation is English
    if not line and f.kind == "csv":  # DuckDB names no line (a stray carriage return, ...): find it
        found = _first_unreadable_line(f)
        if found:
            line, value, detail, detail_nl = found
    width = len(f.header) or len(rel.fields)
    return ValidationError(
        f"{rel.name}: {f.path} cannot be read as a table: " + visible(detail or first.split(":", 1)[-1].strip()),
        Location(f.path, line),
        value=value,
        hint=f"every line has the {len(f.header) or len(rel.fields)} fields of the header"
        + (f" ({','.join(f.header)})" if f.header else "")
        + "; quote a value that contains the delimiter. --on-error reject leaves out bad values, not lines "
        "that cannot be split into fields",
        example=",".join(fl.name for fl in rel.fields)
        + "\n"
        + ",".join(str(fl.example()).strip('"') for fl in rel.fields),
        nl=f"{rel.name}: {f.path} kan niet als tabel worden gelezen: "
        + visible(detail_nl or detail or first.split(":", 1)[-1].strip()),
        hint_nl=f"elke regel heeft de {width} velden van de kopregel"
        + (f" ({','.join(f.header)})" if f.header else "")
        + "; zet een waarde met het scheidingsteken erin tussen aanhalingstekens. --on-error reject laat onjuiste"
        " waarden weg, geen regels die niet in velden te splitsen zijn",
    )


def _first_unreadable_line(f: InputFile) -> tuple[int, str, str, str] | None:
    """(line, its text, why, why in Dutch) of the first line of a CSV file that cannot be a row: a carriage return
    where the file's lines end otherwise, or (read as Python's csv module does) a number of fields other than the
    header's."""
    with open(f.path, "rb") as fh:
        crlf = False
        for n, raw in enumerate(fh, start=1):
            crlf = crlf or (n == 1 and raw.endswith(b"\r\n"))
            body = raw[:-1] if raw.endswith(b"\n") else raw
            if crlf and body.endswith(b"\r"):
                body = body[:-1]
            if b"\r" in body:
                text = body.decode("utf-8", "replace")
                ends = "CR LF" if crlf else "LF"
                return (
                    n,
                    text,
                    f"a carriage return inside the line ({ends} ends a line here)",
                    f"een carriage return midden in de regel (hier sluit {ends} een regel af)",
                )
    width = len(f.columns())
    with open(f.path, encoding="utf-8", errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=f.delimiter)
        start = 1
        try:
            for row in reader:
                if reader.line_num > 1 and len(row) != width:
                    return (
                        start,
                        f.delimiter.join(row),
                        f"{len(row)} field(s) where the header has {width}",
                        f"{len(row)} veld(en) waar de kopregel er {width} heeft",
                    )
                start = reader.line_num + 1
        except csv.Error as exc:
            return start, "", str(exc), ""
    return None


FALSE_SUFFIX = ".false"  # discretionary_decision.false.csv: the facts of an open relation stated false


def _false_file(base: str, f: Path, voc: Vocabulary) -> str:
    """The table a ``<relation>.false.csv`` file fills; the relation must be open."""
    rel = voc.stated_relation(base, Location(str(f)), "discretionary_decision.false.csv")
    if not rel.is_open:
        raise UsageError(
            f"{base} is complete (closed world): a fact not in {base}.csv is false, so it cannot be stated false",
            Location(str(f)),
            value=f.name,
            hint="only relations marked 'world: open' in kb/vocabulary.yaml take a .false file",
            example="discretionary_decision.false.csv",
            nl=f"{base} is volledig (gesloten wereld): een feit dat niet in {base}.csv staat is onwaar, dus het kan"
            " niet als onwaar worden opgegeven",
            hint_nl="alleen relaties met 'world: open' in kb/vocabulary.yaml hebben een .false-bestand",
        )
    return ir.false_name(base)


def stated_relation_of(voc: Vocabulary, name: str) -> Relation | None:
    """The relation an input table holds: a vocabulary relation, or (for ``_false_<relation>``) the facts of an
    open relation stated false, with the same fields and no key; None for another name."""
    if name in voc.relations:
        return voc.relations[name]
    for base, rel in voc.relations.items():
        if rel.is_open and ir.false_name(base) == name:
            return replace(rel, name=name, key=None)
    return None


def stated_fields(voc: Vocabulary, name: str) -> tuple[Field, ...]:
    """The fields of the relation an input table holds."""
    rel = stated_relation_of(voc, name)
    return rel.fields if rel is not None else ()


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
                nl=f"de uitvoer {path} is invoer van deze run (--data {source.path}): wegschrijven zou hem vernietigen",
            )
        if target.parent == folder and target.suffix.lower() in (".csv", ".parquet") and not path.name.startswith("."):
            raise UsageError(
                f"the output {path} is in the --data folder {source.path}: the next run would read it as the input "
                f"relation {target.stem!r}",
                Location(str(path)),
                value=str(path),
                example=example,
                nl=f"de uitvoer {path} staat in de --data-map {source.path}: de volgende run zou hem lezen als de"
                f" invoerrelatie {target.stem!r}",
            )
        if target in seen:
            raise UsageError(
                f"{option} and {seen[target]} name the same file {path}",
                Location(str(path)),
                value=str(path),
                example="-o results.csv --rejects results.rejects.csv",
                nl=f"{option} en {seen[target]} noemen hetzelfde bestand {path}",
            )
        seen[target] = option
        prepare_target(path)
