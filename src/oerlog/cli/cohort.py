"""Commands on cohorts, run on the SQL back end: ``batch``, ``whatif`` and ``generate``.

The cohort package (DuckDB, ~0.1 s to import) is imported by each command when it runs, so that the commands on
one case do not pay for it.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Callable
from pathlib import Path

import click

from oerlog.cli.group import Ctx, F, cli, echo_json, override_notice
from oerlog.errors import UsageError
from oerlog.evaluation.judge import parse_overrides
from oerlog.evaluation.overrides import overridden
from oerlog.outputs import write_text
from oerlog.values import counted, parse_date


def _progress_printer(enabled: bool | None) -> Callable[[int, int, str], None] | None:
    """A progress line on stderr (by default only when stderr is a terminal)."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    start = time.perf_counter()

    def show(i: int, n: int, what: str) -> None:
        pct = 100 * i // max(n, 1)
        end = "\n" if i >= n and what == "done" else ""
        click.echo(f"\r[{pct:3d}%] {time.perf_counter() - start:6.1f} s  {what[:70]:<70}", err=True, nl=bool(end))

    return show


def _reference_date(text: str | None) -> dt.date | None:
    """The date of --reference-date (None when not given)."""
    if text is None:
        return None
    d = parse_date(text)
    if d is None:
        raise UsageError(
            f"--reference-date must be a date, got {text!r}",
            value=text,
            example="--reference-date 2026-02-02",
            nl=f"--reference-date moet een bestaande datum zijn, niet {text!r}; verwacht een datum, bijvoorbeeld"
            " 2025-11-20",
        )
    return d


def _settings(pairs: tuple[str, ...]) -> dict[str, str]:
    """The Spark settings of --spark-conf KEY=VALUE."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not key.strip().startswith("spark."):
            raise UsageError(
                f"--spark-conf takes a Spark setting KEY=VALUE, got {pair!r}",
                value=pair,
                example="--spark-conf spark.executor.memory=8g",
                nl=f"--spark-conf verwacht een Spark-instelling SLEUTEL=WAARDE, niet {pair!r}",
            )
        out[key.strip()] = value.strip()
    return out


def _echo_notes(notes: list[str]) -> None:
    for note in notes:
        click.echo(f"note: {note}", err=True)


COHORT_OPTIONS = [
    click.option("--doc", "doc_id", required=True, help="Document to run."),
    click.option(
        "--data",
        required=True,
        type=click.Path(exists=False),
        help="Folder of <relation>.csv / .parquet files, or a DuckDB database file.",
    ),
    click.option(
        "--on-error",
        type=click.Choice(["stop", "reject"]),
        default="stop",
        show_default=True,
        help="A row that does not fit the vocabulary stops the run, or is rejected (and listed).",
    ),
    click.option(
        "--reference-date", default=None, help="The reference_date of the run (overrides reference_date.csv)."
    ),
    click.option("--progress/--no-progress", default=None, help="Progress on stderr (default: when a terminal)."),
]


def cohort_options(f: F) -> F:
    """--doc, --data, --on-error, --reference-date, --progress."""
    for opt in reversed(COHORT_OPTIONS):
        f = opt(f)
    return f


@cli.command()
@cohort_options
@click.option("--goal", "goals", multiple=True, help="Conclusion to compute (repeatable), e.g. resit_excluded.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="Override a parameter (repeatable).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="OUT.csv or OUT.parquet.")
@click.option(
    "--sort/--no-sort",
    "sort",
    default=None,
    help="Sort the output rows (conclusion, arguments, rule). Default: a CSV file is sorted (to read and diff), "
    "a Parquet file is written in the order the rows are produced (sorting costs ~10% of a 1,000,000-student run).",
)
@click.option(
    "--rejects", type=click.Path(dir_okay=False), default=None, help="Where --on-error reject lists bad rows."
)
@click.option(
    "--explain", "explain", default=None, metavar="STUDENT", help="Prove one student's conclusions (pyDatalog)."
)
@click.option(
    "--engine",
    type=click.Choice(["duckdb", "spark"]),
    default="duckdb",
    show_default=True,
    help="Where the rules run: DuckDB (embedded) or Apache Spark (pip install 'oerlog[spark]', Java 17 or later).",
)
@click.option(
    "--master",
    default=None,
    metavar="URL",
    help="--engine spark: the Spark master (spark://host:7077, yarn, k8s://..., local[4]). Default: the one "
    "spark-submit gave, else local[*].",
)
@click.option(
    "--stage",
    default=None,
    metavar="DIR|URL",
    help="--engine spark: where the validated inputs, the stored relations and the result rows go, a folder or "
    "URL (hdfs://, s3a://) the driver and every executor reach. Default: a temporary folder, removed afterwards.",
)
@click.option(
    "--spark-conf",
    "spark_conf",
    multiple=True,
    metavar="KEY=VALUE",
    help="--engine spark: a Spark setting (repeatable), e.g. spark.executor.memory=8g.",
)
@click.option("--emit-sql", is_flag=True, help="Print the compiled SQL instead of running it.")
@click.option(
    "--dialect",
    type=click.Choice(["duckdb", "spark", "trino"]),
    default=None,
    help="With --emit-sql: the SQL dialect (default: the --engine's). spark is what --engine spark runs; trino is "
    "translated with sqlglot and only parsed, never run.",
)
@click.option(
    "--lang",
    type=click.Choice(["nl", "en"]),
    default="nl",
    show_default=True,
    help="Language of the summary and the proofs.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def batch(
    ctx: Ctx,
    doc_id: str,
    data: str,
    on_error: str,
    reference_date: str | None,
    progress: bool | None,
    goals: tuple[str, ...],
    params: tuple[str, ...],
    output: str | None,
    sort: bool | None,
    rejects: str | None,
    explain: str | None,
    engine: str,
    master: str | None,
    stage: str | None,
    spark_conf: tuple[str, ...],
    emit_sql: bool,
    dialect: str | None,
    lang: str,
    fmt: str,
) -> None:
    """Run a document over a cohort (CSV / Parquet / DuckDB tables) with the SQL back end: DuckDB, or Apache Spark
    (--engine spark, on this machine or a cluster with --master).

    Every output row names the rule and the articles that produced it; the summary counts conclusions per rule
    and article. Input rows that do not fit the vocabulary are reported with file and row number.

    \b
    Examples:
      oerlog generate --students 100000 -o cohort/
      oerlog batch --doc uu-gnk-ba-2025 --data cohort/ --goal resit_excluded --goal resit_invited -o out.parquet
      oerlog batch --doc uu-gnk-ba-2025 --data cohort/ --goal resit_excluded --explain s0000042
      oerlog batch --doc uu-gnk-ba-2025 --data cohort/ --goal resit_excluded --engine spark -o out.parquet
      oerlog batch --doc uu-gnk-ba-2025 --data cohort/ --goal resit_excluded --emit-sql --dialect spark
    """
    # deferred: the cohort package (DuckDB)
    from oerlog.cohort.batch import batch as run_batch
    from oerlog.cohort.explain import explain_student
    from oerlog.cohort.spark import SparkOptions
    from oerlog.cohort.summary import batch_dict, batch_text, load_notes, sql_script

    kb = ctx.kb
    doc = kb.document(doc_id)
    if not goals:
        raise UsageError(
            "give at least one --goal",
            example=f"oerlog batch --doc {doc_id} --data cohort/ --goal resit_excluded -o out.csv",
            nl="geef ten minste één --goal",
        )
    overrides = parse_overrides(doc, list(params))
    ref = _reference_date(reference_date)
    spark = None
    if engine == "spark":
        spark = SparkOptions(master=master, stage=stage, conf=_settings(spark_conf))
    elif master or spark_conf or (stage and not (emit_sql and dialect == "spark")):
        raise UsageError(
            "--master, --stage and --spark-conf are options of the Spark engine",
            value=" ".join(x for x in (master, stage, *spark_conf) if x),
            example=f"oerlog batch --doc {doc_id} --data cohort/ --goal {goals[0]} --engine spark --master local[4]",
            nl="--master, --stage en --spark-conf zijn opties van de Spark-engine",
        )
    if emit_sql:
        script, notes = sql_script(kb, doc_id, goals, overrides, dialect or engine, stage)
        click.echo(script)
        _echo_notes(notes)
        return
    if explain:
        click.echo(
            override_notice(doc, overrides, lang)
            + explain_student(kb, doc_id, data, explain, goals, overrides=overrides, reference_date=ref, lang=lang)
        )
        return
    res = run_batch(
        kb,
        doc_id,
        data,
        goals,
        Path(output) if output else None,
        overrides=overrides,
        on_error=on_error,
        reference_date=ref,
        progress=_progress_printer(progress),
        sort=sort,
        rejects=Path(rejects) if rejects else None,
        spark=spark,
    )
    if res.rejects:
        click.echo(f"{res.report.bad_count} bad row(s) rejected, listed in {res.rejects}", err=True)
    if res.stale_rejects:
        click.echo(f"removed {res.stale_rejects}: the rejects of an earlier run (this run rejected nothing)", err=True)
    _echo_notes(load_notes(res.report))
    changed = overridden(doc, overrides)
    if fmt == "json":
        echo_json(batch_dict(res, changed))
    else:
        click.echo(batch_text(res, lang, changed))


@cli.command()
@cohort_options
@click.option("--set", "sets", multiple=True, required=True, metavar="PARAM=VALUE", help="Parameter to change.")
@click.option("--goal", "goals", multiple=True, help="Conclusion(s) to compare (default: the shared concepts).")
@click.option("--format", "fmt", type=click.Choice(["md", "csv", "json"]), default="md", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Write to a file, not stdout.")
@click.option(
    "--examples",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="Example students per conclusion and direction, with their reason (pyDatalog proofs; 0: none).",
)
@click.option("--lang", type=click.Choice(["nl", "en"]), default="nl", show_default=True, help="Language of the memo.")
@click.pass_obj
def whatif(
    ctx: Ctx,
    doc_id: str,
    data: str,
    on_error: str,
    reference_date: str | None,
    progress: bool | None,
    sets: tuple[str, ...],
    goals: tuple[str, ...],
    fmt: str,
    output: str | None,
    examples: int,
    lang: str,
) -> None:
    """What changes when parameters change: a memo (counts per conclusion gained and lost, the rules and articles
    behind them, a few example students with their reason), or every changed conclusion per student (CSV, JSON).

    \b
    Example:
      oerlog whatif --doc uu-gnk-ba-2025 --data cohort/ --set resit_min_grade=4.5 --goal resit_excluded
      oerlog whatif --doc uu-gnk-ba-2025 --data cohort/ --set resit_max_grade=5.5 --format csv -o changes.csv
    """
    # deferred: the cohort package (DuckDB)
    from oerlog.cohort.summary import load_notes, rejected_rows
    from oerlog.cohort.whatif import whatif as run_whatif
    from oerlog.cohort.whatif import whatif_csv, whatif_json, whatif_markdown

    kb = ctx.kb
    overrides = parse_overrides(kb.document(doc_id), list(sets))
    res = run_whatif(
        kb,
        doc_id,
        data,
        overrides,
        goals or None,
        on_error=on_error,
        reference_date=_reference_date(reference_date),
        progress=_progress_printer(progress),
        output=Path(output) if output else None,
        examples=examples if fmt != "csv" else 0,
        lang=lang,
    )
    if res.report.bad_count:
        shown = rejected_rows(res.report)
        click.echo(f"{res.report.bad_count} bad row(s) rejected (left out of both runs): {shown}", err=True)
    _echo_notes(load_notes(res.report))
    text = whatif_json(res) if fmt == "json" else whatif_csv(res) if fmt == "csv" else whatif_markdown(res)
    if output:
        write_text(Path(output), text)
        changes = counted(len(res.changes), "changed conclusion", "changed conclusions", "en")
        click.echo(f"{output}: {changes}, {counted(len(res.students()), 'student', 'students', 'en')}", err=True)
    else:
        click.echo(text, nl=False)


@cli.command()
@click.option("--students", type=click.IntRange(min=1), required=True, help="Number of students.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (same seed, same files).")
@click.option(
    "--doc", "doc_ids", multiple=True, help="Documents whose programmes and thresholds to use (default: all)."
)
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True)
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), help="Folder to write the tables to.")
@click.option("--progress/--no-progress", default=None, help="Progress on stderr (default: when a terminal).")
@click.option("--force", is_flag=True, help="Replace the output folder (of tables) if it is not empty.")
@click.pass_obj
def generate(
    ctx: Ctx,
    students: int,
    seed: int,
    doc_ids: tuple[str, ...],
    fmt: str,
    output: str,
    progress: bool | None,
    force: bool,
) -> None:
    """Write a synthetic, seeded cohort (Osiris-like tables, one file per input relation) with boundary cases.

    The folder is written whole or not at all; a folder that is not empty is refused unless --force, which
    replaces it (only a folder of tables).

    \b
    Example:
      oerlog generate --students 100000 --seed 1 -o cohort/
      oerlog generate --students 1000 --doc uu-gnk-ba-2025 --format parquet -o small/ --force
    """
    from oerlog.cohort.generate import generate as run_generate  # deferred: the cohort package (DuckDB)

    kb = ctx.kb
    for d in doc_ids:
        kb.document(d)
    start = time.perf_counter()
    counts = run_generate(
        kb,
        output,
        students,
        seed=seed,
        doc_ids=list(doc_ids) or None,
        fmt=fmt,
        progress=_progress_printer(progress),
        force=force,
    )
    click.echo(
        f"{output}: {students} students, {sum(counts.values())} rows in {len(counts)} tables "
        f"({time.perf_counter() - start:.1f} s)"
    )
