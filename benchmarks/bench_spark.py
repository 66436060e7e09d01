"""Spark against DuckDB: ``oerlog batch`` on the same cohort with ``--engine duckdb`` and ``--engine spark``
(``local[*]`` on this machine, or ``--master URL``), side by side, for 100,000 and 1,000,000 students.

The rules are those of ``bench_cohort.py``: three conclusions of uu-gnk-ba-2025 (resit band, exclusion from the
resit with its exception and the registration rules it rests on, referral to the study adviser). Each run is the
whole command in its own process (reading and validating the CSV files, evaluating, writing Parquet), wall time
and peak memory of its largest process (the JVM's, for Spark); the Spark row also gives the seconds of the phases
oerlog reports (validation with DuckDB, Spark's evaluation, output). Every pair of runs must write the same facts
(the two Parquet files compared as sets): the column says so. Spark is not expected to win on one machine: the
point is that the same rules run unchanged on a cluster.

    python benchmarks/bench_spark.py [--sizes 100000,1000000] [--repeat 1] [--master local[*]]
        [--spark-conf spark.driver.memory=6g ...]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = "uu-gnk-ba-2025"
GOALS = ["resit_invited", "resit_excluded", "refer_to_study_adviser"]


def run(args: list[str]) -> tuple[float, float, dict[str, float]]:
    """Run ``python -m oerlog ARGS``: wall seconds, peak memory of its processes (GB), the phases it reports."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "oerlog", *args], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if out.returncode:
        raise SystemExit(f"oerlog {' '.join(args)} failed:\n{out.stderr}")
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024**2
    return wall, peak, json.loads(out.stdout)["seconds"]


def same_facts(a: Path, b: Path) -> bool:
    import duckdb

    con = duckdb.connect()
    query = "SELECT * FROM '{}' EXCEPT SELECT * FROM '{}'"
    return not con.execute(query.format(a, b)).fetchall() and not con.execute(query.format(b, a)).fetchall()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--master", default="local[*]")
    ap.add_argument("--spark-conf", action="append", default=[])
    ap.add_argument("--work", default="/tmp/oerlog-bench-spark")
    a = ap.parse_args()
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    goals = [x for g in GOALS for x in ("--goal", g)]
    conf = [x for c in a.spark_conf for x in ("--spark-conf", c)]
    rows = []
    for n in (int(x) for x in a.sizes.split(",")):
        data = work / f"cohort-{n}"
        if not data.is_dir():
            subprocess.run(
                [sys.executable, "-m", "oerlog", "generate", "--students", str(n), "--doc", DOC, "--seed", "7",
                 "-o", str(data), "--no-progress"],
                env=dict(os.environ, PYTHONPATH=str(ROOT / "src")), check=True, capture_output=True,
            )  # fmt: skip
        base = ["batch", "--doc", DOC, "--data", str(data), *goals, "--no-progress", "--format", "json"]
        for _ in range(a.repeat):
            duck = run([*base, "-o", str(work / f"duckdb-{n}.parquet")])
            spark = run([*base, "-o", str(work / f"spark-{n}.parquet"), "--engine", "spark", "--master", a.master,
                         *conf])  # fmt: skip
            same = same_facts(work / f"duckdb-{n}.parquet", work / f"spark-{n}.parquet")
            rows.append((n, duck, spark, same))
            print(f"{n:>9,} students: DuckDB {duck[0]:6.1f} s  Spark {spark[0]:6.1f} s  same facts: {same}", flush=True)
    print()
    print("| students | DuckDB | Spark (local) | Spark: validate / evaluate / output | ratio | same facts |")
    print("|---:|---:|---:|---|---:|---|")
    for n, duck, spark, same in rows:
        s = spark[2]
        phases = " / ".join(f"{float(s[k]):.1f}" for k in ("load", "evaluate", "output")) + " s"  # JSON: decimal text
        print(
            f"| {n:,} | {duck[0]:.1f} s ({duck[1]:.1f} GB) | {spark[0]:.1f} s ({spark[1]:.1f} GB) | {phases} | "
            f"{spark[0] / duck[0]:.1f}x | {'yes' if same else 'NO'} |"
        )


if __name__ == "__main__":
    main()
