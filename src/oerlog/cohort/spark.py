"""A batch on Spark (``oerlog batch --engine spark``): the same inputs, validation, outputs and counts as on DuckDB,
the rules evaluated by Spark SQL.

1. The inputs are read and validated by the DuckDB cohort (:class:`~oerlog.cohort.database.Cohort`), exactly as
   for a DuckDB run: every bad row is reported with its file and line (Spark's CSV reader knows no line numbers),
   ``--on-error stop|reject`` and the rejects file work the same, and so does the working-day calendar.
2. The validated rows of every input relation the program reads are written as one typed Parquet file each to the
   *stage* folder (``input/in-<relation>.parquet``); a stage on shared storage (an ``hdfs://`` or ``s3a://`` URL)
   is filled from a local copy through Hadoop's file systems.
3. The program, compiled to Spark SQL (:class:`~oerlog.backends.sql.dialects.SparkDialect`), runs on Spark
   (:mod:`oerlog.backends.spark`): the relations read more than once are stored under the stage, and the rows of
   the goals, with rule, articles and status, are written to ``result/`` there.
4. DuckDB reads those rows back, writes the output file (CSV sorted as on DuckDB, so that the two engines' files
   can be compared byte for byte) and counts them as a DuckDB run does.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oerlog.backends.sql import SparkDialect, SqlProgram, quote, sql_literal
from oerlog.cohort.database import Cohort, Progress, goal_filters
from oerlog.cohort.inputs import INPUT_SCHEMA
from oerlog.cohort.report import HOLDS, UNDETERMINED, count_entry, result_select
from oerlog.errors import UsageError
from oerlog.kb.loader import Document
from oerlog.lang import ir
from oerlog.outputs import atomic_path
from oerlog.values import Value

RESULT = "_oerlog_result"  # the result rows in DuckDB, read from the stage


@dataclass
class SparkOptions:
    """How a batch runs on Spark: the master (``--master``; by default the one spark-submit gave, else
    ``local[*]``), the stage (a folder, or a URL of shared storage, that the driver and every executor reach; by
    default a temporary folder, removed afterwards), Spark settings, how many statements run at once, and an
    existing session to use (and leave running) instead of starting one."""

    master: str | None = None
    stage: str | None = None
    conf: Mapping[str, str] = field(default_factory=dict)
    threads: int = 2
    session: Any = None


@dataclass
class Stage:
    """Where a run's files go: ``local`` (written and read by DuckDB on this machine) and ``url`` (read and
    written by Spark; the same folder unless the stage is on shared storage named by a URL)."""

    local: Path
    url: str
    temporary: bool

    @property
    def remote(self) -> bool:
        """Whether Spark's side is another place than the local folder (files are copied there and back)."""
        return self.url != str(self.local)

    @classmethod
    def open(cls, stage: str | None) -> Stage:
        """The stage of a run: a new temporary folder, the folder given, or a local copy of the URL given."""
        if stage is None:
            local = Path(tempfile.mkdtemp(prefix="oerlog-spark-"))
            return cls(local, str(local), True)
        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", stage):
            return cls(Path(tempfile.mkdtemp(prefix="oerlog-spark-")), stage.rstrip("/"), True)
        path = Path(stage).resolve()
        if path.exists() and not path.is_dir():
            raise UsageError(
                f"--stage must be a folder, and {stage} is a file", value=stage, example="--stage /shared/oerlog-stage"
            )
        path.mkdir(parents=True, exist_ok=True)
        return cls(path, str(path), False)

    def close(self) -> None:
        """Remove the local folder when it is temporary."""
        if self.temporary:
            shutil.rmtree(self.local, ignore_errors=True)


def compile_for_spark(
    c: Cohort,
    doc: Document,
    atoms: Sequence[ir.Atom],
    names: Sequence[str],
    overrides: Mapping[str, Value] | None,
    stage: str,
) -> SqlProgram:
    """The program of a batch in Spark SQL, storing under ``stage``, with its result statement
    (:func:`with_result`)."""
    return with_result(c.compile(doc, names, overrides, "derived", SparkDialect(stage)), atoms, names)


def with_result(prog: SqlProgram, atoms: Sequence[ir.Atom], names: Sequence[str]) -> SqlProgram:
    """``prog`` (Spark SQL) with the goals' constants as conditions and the statement that writes the result rows
    (the goals' rows with rule, articles and status) to ``stage/result``."""
    dialect = prog.dialect
    assert isinstance(dialect, SparkDialect)
    prog.filters = goal_filters(prog, atoms)
    sql, _ = result_select(prog, names, sort=False)
    prog.result = [f"INSERT OVERWRITE DIRECTORY {dialect.string(dialect.path('result'))} USING parquet\n{sql}"]
    return prog


def export_inputs(c: Cohort, prog: SqlProgram, folder: Path) -> None:
    """Write the validated rows of every input relation ``prog`` reads (and the calendar) as typed Parquet files
    to ``folder/input``, named as the program's views read them."""
    dialect = prog.dialect
    assert isinstance(dialect, SparkDialect)
    target = folder / "input"
    target.mkdir(parents=True, exist_ok=True)
    for name, cols in prog.input_columns().items():
        select = ", ".join(f"CAST({quote(col)} AS {t}) AS {quote(col)}" for col, t in cols)
        path = target / Path(dialect.input_path(name)).name
        c.con.execute(
            f"COPY (SELECT {select} FROM {quote(INPUT_SCHEMA)}.{quote(name)}) TO {sql_literal(str(path))} "
            "(FORMAT parquet)"
        )


def run_on_spark(c: Cohort, prog: SqlProgram, stage: Stage, options: SparkOptions, progress: Progress | None) -> float:
    """Validate and hand over the inputs, run ``prog`` on Spark and read the result rows back into DuckDB (view
    :data:`RESULT`); returns the seconds Spark took."""
    from oerlog.backends import spark as engine  # deferred: pyspark only for --engine spark

    c.prepare(prog)
    export_inputs(c, prog, stage.local)
    session = options.session
    own = session is None
    if own:
        session = engine.start(options.master, options.conf)
    try:
        if stage.remote:
            engine.copy(session, f"file://{stage.local / 'input'}", f"{stage.url}/input")
        seconds = engine.run(session, prog, threads=options.threads, progress=progress)
        if stage.remote:
            shutil.rmtree(stage.local / "result", ignore_errors=True)
            engine.copy(session, f"{stage.url}/result", f"file://{stage.local / 'result'}")
    finally:
        if own:
            session.stop()
        else:
            engine.drop_views(session, prog)
    read_result(c, prog, stage.local / "result")
    return seconds


def read_result(c: Cohort, prog: SqlProgram, folder: Path) -> None:
    """The result rows Spark wrote, as the DuckDB view :data:`RESULT` (typed and empty when there are none)."""
    files = sorted(str(p) for p in folder.glob("*.parquet")) if folder.is_dir() else []
    if files:
        paths = "[" + ", ".join(sql_literal(f) for f in files) + "]"
        c.con.execute(f"CREATE OR REPLACE VIEW {quote(RESULT)} AS SELECT * FROM read_parquet({paths})")
        return
    cols = ", ".join(f"CAST(NULL AS {t}) AS {quote(n)}" for n, t in result_columns(prog))
    c.con.execute(f"CREATE OR REPLACE VIEW {quote(RESULT)} AS SELECT {cols} WHERE FALSE")


def result_columns(prog: SqlProgram) -> list[tuple[str, str]]:
    """The columns of the result rows and their (DuckDB) types, as :func:`~oerlog.cohort.report.result_select`
    makes them."""
    goals = prog.goals
    text = [("rule", "VARCHAR"), ("articles", "VARCHAR"), ("status", "VARCHAR")]
    if len(goals) == 1:
        rel = prog.derived[goals[0]]
        return [(col, rel.sql_type(i)) for i, col in enumerate(rel.columns)] + text
    width = max(len(prog.derived[g].columns) for g in goals)
    return [("conclusion", "VARCHAR")] + [(f"arg{i + 1}", "VARCHAR") for i in range(width)] + text


def write_result(c: Cohort, prog: SqlProgram, output: Path, fmt: str, sort: bool) -> None:
    """Write the result rows to ``output`` (CSV or Parquet), sorted as a DuckDB run sorts them."""
    n = len(result_columns(prog)) - 2  # the goal's columns and the rule (or conclusion, arguments, rule)
    order = f" ORDER BY {', '.join(str(i + 1) for i in range(n))}" if sort else ""
    with atomic_path(output) as tmp:
        c.con.execute(f"COPY (SELECT * FROM {quote(RESULT)}{order}) TO {sql_literal(str(tmp))} {fmt}")


def result_counts(
    c: Cohort, prog: SqlProgram, goals: Sequence[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Counts per conclusion (facts, students, undetermined) and per conclusion, rule and article (rows), from the
    result rows: the same figures :func:`~oerlog.cohort.report.conclusion_counts` takes from a DuckDB run's
    tables."""
    counts: list[dict[str, Any]] = []
    by_rule: list[dict[str, Any]] = []
    single = len(goals) == 1
    table = quote(RESULT)
    for g in goals:
        rel = prog.derived[g]
        cols = [quote(col) for col in rel.columns] if single else [f"arg{i + 1}" for i in range(len(rel.columns))]
        mine = "TRUE" if single else f"conclusion = {sql_literal(g)}"
        listed = ", ".join(cols) or "1"
        facts, students = c.con.execute(
            f"SELECT (SELECT count(*) FROM (SELECT DISTINCT {listed} FROM {table} WHERE {mine} AND status = "
            f"{sql_literal(HOLDS)})), (SELECT count(DISTINCT {cols[0] if cols else '1'}) FROM {table} WHERE {mine} "
            f"AND status = {sql_literal(HOLDS)})"
        ).fetchone()
        entry = count_entry(g, rel.columns, facts, students)
        if g in prog.plan.uncertain and ir.possible_name(g) in prog.derived:
            (open_facts,) = c.con.execute(
                f"SELECT count(*) FROM (SELECT DISTINCT {listed} FROM {table} WHERE {mine} AND status = "
                f"{sql_literal(UNDETERMINED)})"
            ).fetchone()
            entry[UNDETERMINED] = int(open_facts)
        counts.append(entry)
        for rule, n in c.con.execute(
            f"SELECT rule, count(*) FROM {table} WHERE {mine} AND status = {sql_literal(HOLDS)} GROUP BY 1 ORDER BY 1"
        ).fetchall():
            by_rule.append({"conclusion": g, "rule": rule, "articles": prog.rule_cites.get(rule, ""), "rows": int(n)})
    return counts, by_rule


__all__ = [
    "RESULT",
    "SparkOptions",
    "Stage",
    "compile_for_spark",
    "with_result",
    "export_inputs",
    "read_result",
    "result_counts",
    "result_columns",
    "run_on_spark",
    "write_result",
]
