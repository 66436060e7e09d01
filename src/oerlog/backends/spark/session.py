"""Starting Spark for oerlog: Java and pyspark present, the master (``--master``, the one spark-submit gave, or
``local[*]``), quiet logs, Spark 4.1 or later (recursive CTEs), and oerlog's handling of Ctrl-C kept."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from oerlog.errors import UsageError

MIN_VERSION = (4, 1)  # WITH RECURSIVE (and MAX RECURSION LEVEL) came with Apache Spark 4.1
LOG_CONFIG = Path(__file__).with_name("log4j2.properties")


def java_problem() -> str | None:
    """Why Java cannot be started (None when ``$JAVA_HOME/bin/java`` or ``java`` on the PATH exists)."""
    home = os.environ.get("JAVA_HOME")
    if home:
        if (Path(home) / "bin" / "java").exists():
            return None
        return f"JAVA_HOME is {home}, which has no bin/java"
    if shutil.which("java"):
        return None
    return "java is not on the PATH and JAVA_HOME is not set"


def start(master: str | None = None, conf: Mapping[str, str] | None = None, *, app: str = "oerlog") -> Any:
    """A SparkSession for a run: on ``master`` (by default the master spark-submit gave, else ``local[*]``), with the
    Spark settings in ``conf``. Raises a :class:`~oerlog.errors.UsageError` that says what to install when Java or
    pyspark is missing or Spark is older than 4.1.

    A driver started here writes its own output (Java's warnings, Spark's log) to a temporary file, not to the
    terminal (``$OERLOG_SPARK_LOG`` names a file to keep it in): a failure reaches oerlog as an exception and is
    reported as an error; when Spark does not start, the end of that output is the error's hint."""
    problem = java_problem()
    if problem:
        raise UsageError(
            f"the Spark engine needs Java (17 or later): {problem}",
            value="--engine spark",
            hint="install a Java runtime (Debian/Ubuntu: apt-get install openjdk-17-jre-headless) or set JAVA_HOME; "
            "or run on DuckDB (--engine duckdb)",
            example="--engine duckdb",
        )
    try:
        from pyspark import SparkConf, SparkContext  # deferred: pyspark (and its JVM) only for --engine spark
        from pyspark.java_gateway import launch_gateway
        from pyspark.sql import SparkSession
    except ImportError:
        raise UsageError(
            "the Spark engine needs pyspark",
            value="--engine spark",
            hint="pip install 'oerlog[spark]' (pyspark 4.1 or later)",
            example="--engine duckdb",
        ) from None
    given = dict(conf or {})
    existing: dict[str, str] = {}
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ  # run by spark-submit: its JVM and settings (--master ...)
    if submitted:
        SparkContext._ensure_initialized()
        existing = dict(SparkConf().getAll())
    chosen = master or given.pop("spark.master", None) or existing.get("spark.master") or "local[*]"
    if chosen.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # no lookup of this machine's name in the network
    settings = SparkConf(loadDefaults=False) if not submitted else SparkConf()
    settings.setMaster(chosen).setAppName(app).set("spark.ui.showConsoleProgress", "false")
    java_opts = given.get("spark.driver.extraJavaOptions", existing.get("spark.driver.extraJavaOptions", ""))
    if "log4j2.configurationFile" not in java_opts:
        given["spark.driver.extraJavaOptions"] = f"{java_opts} -Dlog4j2.configurationFile=file:{LOG_CONFIG}".strip()
    for k, v in given.items():
        settings.set(k, v)
    previous = signal.getsignal(signal.SIGINT) if threading.current_thread() is threading.main_thread() else None
    named = os.environ.get("OERLOG_SPARK_LOG")  # keep the driver's output in this file (to debug Spark itself)
    log = open(named, "ab") if named else tempfile.TemporaryFile()  # noqa: SIM115 - open while the JVM writes
    try:
        gateway = None
        if SparkContext._gateway is None:  # a JVM of our own, its output in the log file
            gateway = launch_gateway(settings, popen_kwargs={"stdout": log, "stderr": log})  # type: ignore[no-untyped-call]
        spark = SparkSession(SparkContext(conf=settings, gateway=gateway))
    except Exception as exc:  # noqa: BLE001 - py4j / pyspark errors of their own kinds
        log.seek(0)
        tail = log.read().decode("utf-8", "replace").strip().splitlines()[-5:]
        raise UsageError(
            f"Spark did not start on {chosen}: {first_line(exc)}",
            value=chosen,
            hint="check --master and the Spark settings (--spark-conf)"
            + ("; Spark said: " + " | ".join(tail) if tail else ""),
            example="--master local[2]",
        ) from None
    finally:
        if previous is not None:  # pyspark installs a SIGINT handler of its own: oerlog's stops the run
            signal.signal(signal.SIGINT, previous)
    _LOGS.append(log)
    _quiet(spark)
    version = tuple(int(x) for x in spark.version.split(".")[:2] if x.isdigit())
    if version < MIN_VERSION:
        spark.stop()
        raise UsageError(
            f"the Spark engine needs Apache Spark {'.'.join(map(str, MIN_VERSION))} or later (recursive queries); "
            f"{chosen} runs Spark {spark.version}",
            value=spark.version,
            hint="pip install 'pyspark>=4.1', or a cluster with Spark 4.1 or later",
            example="--engine duckdb",
        )
    return spark


_LOGS: list[Any] = []  # the drivers' output files: open while this process runs (the JVM writes to them)


def _quiet(spark: Any) -> None:
    """No log lines of Spark's on the terminal: failures come back as exceptions (and pyspark 4 would print every
    failed statement as JSON)."""
    spark.sparkContext.setLogLevel("OFF")
    try:
        from pyspark.logger import PySparkLogger  # deferred: pyspark only for --engine spark
    except ImportError:  # pragma: no cover - older pyspark (refused above anyway)
        return
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL + 1)


def first_line(exc: BaseException) -> str:
    """The message of a Spark error without the Java stack trace: its first line (the error class and text)."""
    java = getattr(exc, "java_exception", None)
    text = str(java.getMessage()) if java is not None and type(exc).__name__ == "Py4JJavaError" else str(exc)
    lines = [x for x in text.strip().splitlines() if x.strip()]
    return lines[0].strip() if lines else type(exc).__name__
