"""Running a program compiled for Spark SQL (:class:`~oerlog.backends.sql.dialects.SparkDialect`): the
statements of its script, exactly as ``--emit-sql --dialect spark`` prints them, in dependency order.

- The settings the SQL relies on (ANSI mode, exact decimals, case-sensitive names) and the views on the validated
  input files come first; then every relation; then the result statements (the rows of the goals).
- Statements that do not depend on each other run at the same time (``threads``): each is one or a few Spark jobs,
  and on a small cohort their fixed cost (planning, code generation, scheduling) is most of the time.
- A recursive relation runs in rounds (:class:`~oerlog.backends.sql.program.Rounds`): when the check after a
  round fails because one more step still derives a new row, the next round starts from every row found.
- A statement Spark refuses or fails on is an :class:`~oerlog.errors.EvaluationError` naming the relation and its
  rules; a run that is interrupted cancels Spark's jobs.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from oerlog.backends.spark.session import first_line
from oerlog.backends.sql import SqlProgram, Statement
from oerlog.backends.sql.program import ROUND
from oerlog.errors import EvaluationError

Progress = Callable[[int, int, str], None]
MAX_ROUNDS = 1000  # a recursion still growing after 32,000 levels is not going to reach a fixpoint


def run(spark: Any, prog: SqlProgram, *, threads: int = 2, progress: Progress | None = None) -> float:
    """Run ``prog`` (compiled for Spark) in the session ``spark``: its settings, input views, relations and result
    statements. Returns the seconds taken."""
    start = time.perf_counter()
    for sql in prog.dialect.setup(prog.schema) + prog.input_views():
        _execute(spark, sql, "the settings and inputs", [])
    statements = prog.statements
    deps = dependencies(prog)
    failed = threading.Event()
    done: list[int] = []
    lock = threading.Lock()

    def task(i: int, waits: Sequence[Future[None]]) -> None:
        for w in waits:
            w.result()
        if failed.is_set():
            return
        try:
            run_statement(spark, statements[i])
        except BaseException:
            failed.set()
            raise
        with lock:
            done.append(i)
            n = len(done)
        if progress:
            progress(n, len(statements), ", ".join(statements[i].preds))

    pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="oerlog-spark")
    futures: list[Future[None]] = []
    try:
        for i in range(len(statements)):  # in dependency order: a statement's inputs were submitted before it
            futures.append(pool.submit(task, i, [futures[j] for j in sorted(deps[i])]))
        for f in futures:
            f.result()
    except BaseException:
        failed.set()
        for f in futures:
            f.cancel()
        spark.sparkContext.cancelAllJobs()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    for sql in prog.result:
        _execute(spark, sql, "the result", [])
    if progress:
        progress(len(statements), len(statements), "done")
    return time.perf_counter() - start


def run_statement(spark: Any, st: Statement) -> None:
    """The statements of one relation (or recursive component), in order; a recursive component's check is
    followed by further rounds while it fails."""
    check = st.rounds.statements(1)[-1] if st.rounds is not None else None
    for sql in st.sqls:
        if st.rounds is not None and sql == check:
            _rounds(spark, st)
        else:
            _execute(spark, sql, ", ".join(st.preds), st.rules)


def _rounds(spark: Any, st: Statement) -> None:
    """Round 1 has run: check it, and run further rounds from the frontier until it is empty."""
    rounds = st.rounds
    assert rounds is not None
    what = ", ".join(st.preds)
    for k in range(1, MAX_ROUNDS + 1):
        sqls = rounds.statements(k)
        if k > 1:
            for sql in sqls[:-1]:
                _execute(spark, sql, what, st.rules)
        try:
            spark.sql(sqls[-1]).collect()
            return
        except Exception as exc:  # noqa: BLE001 - pyspark's error classes
            if f"of round {k} of the recursion" not in str(exc):
                raise _failed(exc, what, st.rules) from None
    raise EvaluationError(
        f"{what}: the recursion still derives new rows after {MAX_ROUNDS} rounds of {rounds.levels} levels "
        f"(rules {', '.join(st.rules)}): it has no end on these data",
        value=what,
        hint="a recursive rule that builds ever new values (a date or number that grows without a bound) never "
        "reaches a fixpoint, on any engine",
    )


def _execute(spark: Any, sql: str, what: str, rules: Sequence[str]) -> None:
    try:
        spark.sql(sql)
    except Exception as exc:  # noqa: BLE001 - pyspark's error classes
        raise _failed(exc, what, rules) from None


def _failed(exc: BaseException, what: str, rules: Sequence[str]) -> EvaluationError:
    return EvaluationError(
        f"Spark failed on {what}" + (f" (rules {', '.join(rules)})" if rules else "") + f": {first_line(exc)}",
        value=what,
        hint="the statement is in the script of --emit-sql --dialect spark; "
        "the same run on DuckDB (--engine duckdb) says whether the data or the engine is the cause",
    )


_NAME = re.compile(r"`((?:[^`]|``)+)`")


def dependencies(prog: SqlProgram) -> list[set[int]]:
    """For each statement, the earlier statements that make a relation it reads."""
    made: dict[str, int] = {}
    for i, st in enumerate(prog.statements):
        for p in st.preds:
            made[prog.table(p).strip("`")] = i
    out: list[set[int]] = []
    for i, st in enumerate(prog.statements):
        text = "\n".join(st.sqls) + ("\n" + st.rounds.first if st.rounds else "")
        names = set(_NAME.findall(text))
        out.append({made[n] for n in names if n in made and made[n] < i})
    return out


def drop_views(spark: Any, prog: SqlProgram) -> None:
    """Drop the temporary views a run made (its inputs and relations), so that a session can run again."""
    names = [prog.table(n) for n in prog.input_columns()] + [prog.table(p) for p in prog.derived]
    for st in prog.statements:
        if st.rounds:
            names += [st.rounds.view, st.rounds.frontier]
    for name in names:
        spark.catalog.dropTempView(name.strip("`"))
    for st in prog.statements:  # the views of the rounds a recursive component took: 1, 2, ... while there are
        k = 1
        while st.rounds and spark.catalog.dropTempView(st.rounds.round_name.replace(ROUND, str(k)).strip("`")):
            k += 1


def copy(spark: Any, source: str, target: str) -> None:
    """Copy a file or folder between two places Hadoop's file systems reach (``file:``, ``hdfs:``, ``s3a:``, ...):
    the stage of a cluster run is written on the driver and copied to shared storage, and back."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    src, dst = jvm.org.apache.hadoop.fs.Path(source), jvm.org.apache.hadoop.fs.Path(target)
    jvm.org.apache.hadoop.fs.FileUtil.copy(
        src.getFileSystem(conf), src, dst.getFileSystem(conf), dst, False, True, conf
    )
