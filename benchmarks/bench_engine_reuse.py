"""Benchmark the pyDatalog engine with and without reuse of each plan's loaded program (issue 15, item 2).

For every document's example case (kb/<doc>/cases/*.yaml, evaluated with the document that judges it), prints
side by side the median time of one evaluation

- fresh: a one-off worker process that loads the program afresh (what every evaluation did before);
- reused: the thread's long-lived worker, whose program is already loaded (after one warm-up evaluation);
- in process: the same reuse without a worker (``isolate=False``, no time limit);

and the ratio fresh / reused. The cases of a document are evaluated in turn, so a reused program always comes
from another case. Then the whole `oerlog why` command for the README case, as a subprocess (one evaluation per
process: reuse does not apply; ``--baseline SRC`` times the same command with another source tree, e.g. the
main branch, side by side).

Run against a tree without reuse (``PYTHONPATH=OTHER/src``), it prints the fresh column only.

    python benchmarks/bench_engine_reuse.py [--repeat N] [--doc ID] [--baseline SRC]
"""

from __future__ import annotations

import argparse
import inspect
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if "oerlog" not in sys.modules and not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, str(ROOT / "src"))

from oerlog.backends.pydatalog import evaluate  # noqa: E402
from oerlog.evaluation.judge import select_document  # noqa: E402
from oerlog.kb.cases import load_case  # noqa: E402
from oerlog.kb.loader import load_kb  # noqa: E402

README_GOAL = 'resit_excluded("anna", C)'
README_CASE = "kb/uu-gnk-ba-2025/cases/anna-excluded-low-grade.yaml"
HAS_REUSE = "reuse" in inspect.signature(evaluate).parameters


def median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


def run_cases(kb_path: str, repeat: int, only: str | None) -> list[tuple[str, str, dict[str, float]]]:
    """Per example case: the median milliseconds of each way of evaluating it."""
    kb = load_kb(kb_path)
    by_doc: dict[str, list[tuple[str, object, object]]] = {}
    for path in sorted(Path(kb_path).glob("*/cases/*.yaml")):
        case = load_case(path, kb.vocabulary)
        doc, _, _ = select_document(kb, case)
        if only is None or doc.id == only:
            by_doc.setdefault(doc.id, []).append((path.name, doc, case))
    ways: dict[str, Callable[[object, object], object]] = {}
    if HAS_REUSE:
        ways["fresh"] = lambda doc, case: evaluate(doc.plan(), case.facts, reuse=False)  # type: ignore[attr-defined]
        ways["reused"] = lambda doc, case: evaluate(doc.plan(), case.facts)  # type: ignore[attr-defined]
        ways["in process"] = lambda doc, case: evaluate(doc.plan(), case.facts, isolate=False)  # type: ignore[attr-defined]
    else:
        ways["fresh"] = lambda doc, case: evaluate(doc.plan(), case.facts)  # type: ignore[attr-defined]
    rows = []
    for doc_id, cases in by_doc.items():
        times: dict[tuple[str, str], list[float]] = {}
        for way, fn in ways.items():
            fn(cases[0][1], cases[0][2])  # warm-up: the program is loaded (for the reusing ways)
            for _ in range(repeat):
                for name, doc, case in cases:  # in turn: each case follows another one
                    t = time.perf_counter()
                    fn(doc, case)
                    times.setdefault((name, way), []).append(time.perf_counter() - t)
        for name, _, _ in cases:
            rows.append((doc_id, name, {way: median_ms(times[name, way]) for way in ways}))
    return rows


def why_command(kb_path: str, src: str, repeat: int) -> float:
    """Median milliseconds of the whole `oerlog why` command for the README case, with ``src`` on the path."""
    env = {**os.environ, "PYTHONPATH": src}
    cmd = [sys.executable, "-m", "oerlog", "--kb", kb_path, "why", README_GOAL, "--case", str(ROOT / README_CASE)]
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True, env=env, cwd=ROOT)
        times.append(time.perf_counter() - t)
    return median_ms(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kb", default=str(ROOT / "kb"))
    ap.add_argument("--repeat", type=int, default=10, help="runs per case and way (median over them); default 10")
    ap.add_argument("--doc", help="only this document's cases")
    ap.add_argument("--baseline", help="another source tree (its src/ folder) to time `oerlog why` with as well")
    a = ap.parse_args()

    import oerlog

    src = str(Path(oerlog.__file__).resolve().parent.parent)
    print(f"oerlog from {src}; medians over {a.repeat} runs; reuse {'available' if HAS_REUSE else 'NOT available'}\n")
    rows = run_cases(a.kb, a.repeat, a.doc)
    ways = list(rows[0][2]) if rows else []
    head = f"{'document':<22}{'case':<36}" + "".join(f"{w:>12}" for w in ways)
    print(head + (f"{'fresh/reused':>14}" if HAS_REUSE else ""))
    for doc_id, name, t in rows:
        line = f"{doc_id:<22}{name:<36}" + "".join(f"{t[w]:>9.1f} ms" for w in ways)
        print(line + (f"{t['fresh'] / t['reused']:>13.1f}x" if HAS_REUSE else ""))
    if HAS_REUSE and rows:
        fresh = sum(t["fresh"] for _, _, t in rows)
        reused = sum(t["reused"] for _, _, t in rows)
        print(f"{'all cases, summed':<58}{fresh:>9.1f} ms{reused:>9.1f} ms{'':>12}{fresh / reused:>13.1f}x")

    n = max(10, a.repeat)
    print(f"\nwhole `oerlog why` command, README case ({README_CASE}), median over {n} runs:")
    mine = why_command(a.kb, src, n)
    print(f"  {src:<60}{mine:>9.1f} ms")
    if a.baseline:
        base = why_command(a.kb, str(Path(a.baseline).resolve()), n)
        print(f"  {str(Path(a.baseline).resolve()):<60}{base:>9.1f} ms")
        print(f"  ratio baseline / this tree: {base / mine:.2f}")


if __name__ == "__main__":
    main()
