"""Run a program compiled with a world key (:mod:`oerlog.semantics.worlds`) over many cases in one DuckDB database.

The caller gives, per input relation, the rows of every world with the world number as first value. They are
written to CSV files in a private temporary folder and read with their column types (far faster than inserting
rows one by one), the statements run in one in-memory database, and the rows of the relations asked for come
back split by world. A time limit interrupts the database and names the relation that was being computed.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from oerlog.backends.sql.calendar import CALENDAR, calendar_sql
from oerlog.backends.sql.program import INPUT_DECIMAL_SCALE, RULE_COLUMN, RelSchema, SqlProgram, quote, sql_literal
from oerlog.errors import EvaluationError, EvaluationTimeout
from oerlog.lang.types import DATE, DEC
from oerlog.values import Value

Row = tuple[Value, ...]
WorldRows = dict[int, dict[str, set[Row]]]


def connect() -> Any:
    """A new in-memory DuckDB connection."""
    import duckdb  # deferred: the single-case commands never need DuckDB

    return duckdb.connect()


@dataclass
class WorldsResult:
    """What :func:`run_worlds` read back: per world, the rows of each relation asked for (without the world number);
    the rows of the relations that are the same in every world; for the relations asked with their rules, each row
    with the id of a rule that derived it (per world, and shared); the seconds the statements took."""

    rows: WorldRows = field(default_factory=dict)
    common: dict[str, set[Row]] = field(default_factory=dict)
    rules: dict[int, dict[str, set[tuple[Row, str]]]] = field(default_factory=dict)
    common_rules: dict[str, set[tuple[Row, str]]] = field(default_factory=dict)
    seconds: float = 0.0


def run_worlds(
    prog: SqlProgram,
    inputs: Mapping[str, Iterable[Row]],
    read: Iterable[str],
    *,
    years: Iterable[int] = (),
    timeout: float | None = None,
    shared: Iterable[str] = (),
    with_rules: Iterable[str] = (),
) -> WorldsResult:
    """Evaluate ``prog`` over ``inputs`` (relation -> rows, each starting with its world number) and read back the
    relations of ``read`` (see :class:`WorldsResult`): those of ``shared`` have no world key, those of
    ``with_rules`` (goals of the program, whose rows carry the deriving rule) are read with their rule ids too.
    Raises :class:`~oerlog.errors.EvaluationTimeout` when ``timeout`` seconds pass (loading included), and
    :class:`~oerlog.errors.EvaluationError` when the database refuses a statement."""
    con = connect()
    current = ["loading the cases"]
    timer = threading.Timer(timeout, con.interrupt) if timeout else None
    if timer:
        timer.start()
    try:
        con.execute(f"CREATE SCHEMA {quote(prog.input_schema)}")
        con.execute(f"CREATE SCHEMA {quote(prog.schema)}")
        with tempfile.TemporaryDirectory(prefix="oerlog-worlds-") as tmp:
            for name, rel in prog.inputs.items():
                _load(con, prog, rel, inputs.get(name, ()), Path(tmp))
        if prog.uses_calendar:
            ys = sorted(set(years) | _input_years(con, prog)) or [dt.date.today().year]
            con.execute(calendar_sql(f"{quote(prog.input_schema)}.{CALENDAR}", ys))
        start = time.perf_counter()
        for st in prog.statements:
            current[0] = ", ".join(st.preds)
            for sql in st.sqls:
                con.execute(sql)
        out = WorldsResult(seconds=time.perf_counter() - start)
        same = set(shared)
        ruled = set(with_rules) & set(prog.goals)
        for pred in read:
            current[0] = f"reading {pred}"
            _read(con, prog, pred, pred in same, pred in ruled, out)
        return out
    except Exception as exc:  # the database's own errors: an interrupt (time limit) or a refused statement
        if type(exc).__name__ == "InterruptException":
            raise EvaluationTimeout(
                f"the evaluation ran over its time limit of {timeout:g} s while computing {current[0]}",
                hint="give it more time with $OERLOG_TIMEOUT, or evaluate fewer cases at once",
            ) from None
        if type(exc).__module__.startswith("duckdb"):
            raise EvaluationError(f"the database refused the evaluation while computing {current[0]}: {exc}") from None
        raise
    finally:
        if timer:
            timer.cancel()
        con.close()


def _read(con: Any, prog: SqlProgram, pred: str, shared: bool, ruled: bool, out: WorldsResult) -> None:
    """Read one relation into ``out`` (split by world unless ``shared``; with rule ids when ``ruled``)."""
    rel = prog.derived[pred]
    cols = ", ".join(quote(c) for c in rel.columns)
    rows = con.execute(f"SELECT DISTINCT {cols} FROM {prog.table(pred)}").fetchall()
    if shared:
        out.common[pred] = set(rows)
    else:
        for row in rows:
            out.rows.setdefault(int(row[0]), {}).setdefault(pred, set()).add(tuple(row[1:]))
    if not ruled:
        return
    n = len(rel.columns)
    ruled_rows = con.execute(f"SELECT DISTINCT {cols}, {quote(RULE_COLUMN)} FROM {prog.table(pred)}").fetchall()
    if shared:
        out.common_rules[pred] = {(tuple(r[:n]), str(r[n])) for r in ruled_rows}
        return
    for r in ruled_rows:
        out.rules.setdefault(int(r[0]), {}).setdefault(pred, set()).add((tuple(r[1:n]), str(r[n])))


def _input_years(con: Any, prog: SqlProgram) -> set[int]:
    """The years of every date in the input tables (the working-day calendar covers them)."""
    parts = [
        f"SELECT DISTINCT year({quote(c)}) FROM {quote(prog.input_schema)}.{quote(rel.name)} "
        f"WHERE {quote(c)} IS NOT NULL"
        for rel in prog.inputs.values()
        for c, t in zip(rel.columns, rel.types, strict=True)
        if t == DATE
    ]
    if not parts:
        return set()
    return {int(r[0]) for r in con.execute(" UNION ".join(parts)).fetchall()}


def _load(con: Any, prog: SqlProgram, rel: RelSchema, rows: Iterable[Row], folder: Path) -> None:
    """Create the input table of ``rel`` and fill it with ``rows`` through a CSV file in ``folder``."""
    table = f"{quote(prog.input_schema)}.{quote(rel.name)}"
    cols = [quote(c) for c in rel.columns]
    types = [rel.sql_type(i) for i in range(len(rel.columns))]
    con.execute(f"CREATE TABLE {table} ({', '.join(f'{c} {t}' for c, t in zip(cols, types, strict=True))})")
    path = folder / f"{len(list(folder.iterdir()))}.csv"
    # the csv module writes str(value): text, numbers, dates (ISO) and booleans (True/False) as DuckDB reads them
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\n")
        before = f.tell()
        w.writerows(rows)
        if f.tell() == before:
            return
    # decimals are read as text first and checked to fit their column (a cast would round them silently)
    read = [t if rel.types[i] != DEC else "VARCHAR" for i, t in enumerate(types)]
    spec = "{" + ", ".join(f"{sql_literal(c)}: {sql_literal(t)}" for c, t in zip(rel.columns, read, strict=True)) + "}"
    source = (
        f"read_csv({sql_literal(str(path))}, header = false, columns = {spec}, "
        "quote = '\"', escape = '\"', allow_quoted_nulls = false, auto_detect = false)"
    )
    decimals = [c for c, t in zip(cols, rel.types, strict=True) if t == DEC]
    if decimals:
        plain = f"'-?[0-9]*(\\.[0-9]{{0,{INPUT_DECIMAL_SCALE}}})?'"
        suspect = " OR ".join(f"NOT regexp_full_match({c}, {plain})" for c in decimals)
        for (text,) in con.execute(
            f"SELECT DISTINCT v FROM (SELECT UNNEST([{', '.join(decimals)}]) AS v FROM {source} WHERE {suspect})"
        ).fetchall():
            try:
                value = Decimal(text)
            except ArithmeticError:
                raise EvaluationError(f"{text!r} is not a number", value=text, example="5.5") from None
            _check_scale(value)  # an exponent (1E+1) is fine when it has no more decimals
    casts = ", ".join(f"CAST({c} AS {t})" for c, t in zip(cols, types, strict=True))
    con.execute(f"INSERT INTO {table} SELECT {casts} FROM {source}")


def _check_scale(v: Value) -> None:
    """Refuse a decimal with more decimals than an input column keeps."""
    text = str(v)
    dot = text.find(".")
    if "E" not in text and (dot < 0 or len(text) - dot - 1 <= INPUT_DECIMAL_SCALE):
        return
    if isinstance(v, Decimal) and -int(v.as_tuple().exponent) <= INPUT_DECIMAL_SCALE:
        return
    raise EvaluationError(
        f"{v} has more than {INPUT_DECIMAL_SCALE} decimals, more than an input column keeps",
        value=text,
        example="5.5",
    )
