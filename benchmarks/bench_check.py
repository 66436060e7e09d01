"""Benchmark ``oerlog check`` on the bundled KB (issue 16): the complete run (every seed with all its mutations),
serial and with the groups of documents explored by two worker processes, side by side.

For each mode it prints the wall time (median of ``--repeat`` runs), the CPU time of the process and its workers,
the seconds per phase (generate, evaluate, minimise, prove), the distinct valid scenarios evaluated, and scenarios
per second; then the ratio serial / parallel. The reports of all runs must be byte-identical (the check is
deterministic): the script says so, or exits 1.

    python benchmarks/bench_check.py [--repeat N] [DOC ...]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

from oerlog.analysis.consistency import Checker, to_markdown_report
from oerlog.analysis.consistency import checker as checker_module
from oerlog.kb.loader import load_kb

ROOT = Path(__file__).resolve().parent.parent


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run(docs: list[str] | None, workers: int) -> tuple[float, float, dict[str, float], int, str]:
    """One complete check: wall, CPU, phases, scenarios, the Markdown report."""
    checker_module._workers = lambda: workers  # type: ignore[attr-defined]
    kb = load_kb(ROOT / "kb")
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    report = Checker(kb, docs).run()
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    return wall, cpu, dict(report.stats.phases), report.stats.scenarios, to_markdown_report(report)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("docs", nargs="*", help="documents to check (default: all)")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    docs = args.docs or None
    print(
        f"oerlog check, {'whole KB' if not docs else ', '.join(docs)}; {os.cpu_count()} cores; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    rows = []
    reports: set[str] = set()
    for label, workers in (("serial", 1), ("2 workers", 2)):
        runs = [run(docs, workers) for _ in range(args.repeat)]
        reports.update(r[4] for r in runs)
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        phases = runs[0][2]
        rows.append((label, wall, cpu, phases, runs[0][3]))
    print(
        f"{'mode':<10} {'wall s':>7} {'cpu s':>7} {'generate':>9} {'evaluate':>9} {'minimise':>9} {'prove':>7} "
        f"{'scenarios':>10} {'scen/s':>7}"
    )
    for label, wall, cpu, ph, n in rows:
        print(
            f"{label:<10} {wall:7.1f} {cpu:7.1f} {ph.get('generate', 0):9.1f} {ph.get('evaluate', 0):9.1f} "
            f"{ph.get('minimise', 0):9.1f} {ph.get('prove', 0):7.1f} {n:10d} {n / wall:7.0f}"
        )
    print(f"serial / 2 workers: {rows[0][1] / rows[1][1]:.2f}x")
    if len(reports) != 1:
        print("REPORTS DIFFER between runs", file=sys.stderr)
        return 1
    print("reports: byte-identical in every run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
