"""Running a batch: a regulation over a cohort's records on the SQL back end, its conclusions written with the rule
and article that produced each row (CSV or Parquet, whole or not at all), counted, and the rejected rows listed."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oerlog.backends.sql import SqlProgram, sql_literal
from oerlog.cohort.database import Cohort, Progress, goal_filters, names_of, parse_goals
from oerlog.cohort.inputs import check_outputs
from oerlog.cohort.report import conclusion_counts, result_select
from oerlog.cohort.spark import SparkOptions, Stage, compile_for_spark, result_counts, run_on_spark, write_result
from oerlog.cohort.validate import LoadReport, write_rejects
from oerlog.errors import UsageError
from oerlog.kb.loader import KnowledgeBase
from oerlog.outputs import atomic_path
from oerlog.values import Value


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
    spark: SparkOptions | None = None,
) -> BatchResult:
    """Run the document over the cohort in ``data`` and write the goals' conclusions to ``output`` (sorted when
    ``sort``; by default a CSV file is sorted and a Parquet file is not, see :func:`write_results`).

    The rules run on DuckDB, or on Spark when ``spark`` is given (:mod:`oerlog.cohort.spark`: the same inputs,
    validation, output and counts).

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
        stage = Stage.open(spark.stage) if spark is not None else None
        try:
            if stage is None:
                prog = c.compile(doc, names, overrides, "derived")
                prog.filters = goal_filters(prog, atoms)
            else:
                prog = compile_for_spark(c, doc, atoms, names, overrides, stage.url)
            t_compile = time.perf_counter() - t0
            if spark is None or stage is None:
                seconds_eval = c.run(prog)
            else:
                seconds_eval = run_on_spark(c, prog, stage, spark, progress)
            c.report.unread = sorted(set(c.source.files) - c.loaded)
            t_out = time.perf_counter()
            if stage is None:
                if output is not None:
                    write_results(c, prog, names, output, sort=sort)
                counted = conclusion_counts(c.con, prog, names)
            else:
                if output is not None:
                    suffix = output_suffix(output)
                    write_result(c, prog, output, FORMATS[suffix], suffix == ".csv" if sort is None else sort)
                counted = result_counts(c, prog, names)
        finally:
            if stage is not None:
                stage.close()
        res = BatchResult(doc.id, prog, *counted, output, {}, c.report)
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
            nl=f"de uitvoer moet een .csv- of .parquet-bestand zijn, niet {output.name}",
        )
    return suffix


def write_results(
    cohort: Cohort, prog: SqlProgram, goals: Sequence[str], output: Path, *, sort: bool | None = None
) -> None:
    """Write the goals' rows (with rule and articles) to CSV or Parquet, by the file's suffix.

    ``sort`` orders the rows by conclusion, arguments and rule; by default a CSV file (read by people, compared
    with diff) is sorted and a Parquet file (read by programs) is written in the order the rows are produced."""
    suffix = output_suffix(output)
    sql, _ = result_select(prog, goals, sort=suffix == ".csv" if sort is None else sort)
    with atomic_path(output) as tmp:  # COPY writes as it goes: into a temporary file, renamed when complete
        cohort.con.execute(f"COPY ({sql}) TO {sql_literal(str(tmp))} {FORMATS[suffix]}")


FORMATS = {".parquet": "(FORMAT parquet)", ".csv": "(FORMAT csv, HEADER, DELIMITER ',')"}


__all__ = ["BatchResult", "batch", "output_suffix", "write_results"]
