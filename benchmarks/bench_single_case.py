"""Benchmark one case end to end: load the KB, answer a query, build a proof, and the whole `oerlog why` command.

Prints medians over repeated runs, side by side, with the in-process vs forked engine ratio.

    python benchmarks/bench_single_case.py [--case FILE] [--goal ATOM] [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from oerlog.backends.pydatalog import evaluate  # noqa: E402
from oerlog.evaluation.judge import Judgement, select_document  # noqa: E402
from oerlog.explain.explainer import Explainer  # noqa: E402
from oerlog.explain.explanation import Explanation  # noqa: E402
from oerlog.explain.items import Options  # noqa: E402
from oerlog.kb.cases import load_case  # noqa: E402
from oerlog.kb.loader import load_kb  # noqa: E402
from oerlog.lang.parser import parse_atom  # noqa: E402


def timed(fn, repeat):  # type: ignore[no-untyped-def]
    times = []
    result = None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--kb", default=str(ROOT / "kb"))
    ap.add_argument("--case", default=str(ROOT / "kb/uu-gnk-ba-2025/cases/anna-excluded-low-grade.yaml"))
    ap.add_argument("--goal", default='resit_excluded("anna", C)')
    ap.add_argument("--repeat", type=int, default=15)
    a = ap.parse_args()

    t_load, kb = timed(lambda: load_kb(a.kb), a.repeat)
    case = load_case(Path(a.case), kb.vocabulary)
    doc, _, _ = select_document(kb, case)
    plan = doc.plan()
    goal = parse_atom(a.goal)
    t_fork, model = timed(lambda: evaluate(plan, case.facts, isolate=True), a.repeat)
    t_here, _ = timed(lambda: evaluate(plan, case.facts, isolate=False), a.repeat)
    rows = model.match(goal)

    judgement = Judgement(kb, doc, case, model)

    def proof() -> str:  # the proof trees, their summary and their words, as `oerlog why` prints them
        ex = Explainer(model, doc, case.sources)
        trees = tuple(ex.why(goal.pred, r) for r in rows)
        return Explanation("why", a.goal, trees, judgement, "nl", Options(), ex.derivations).text()

    t_proof, _ = timed(proof, a.repeat)
    cmd = [sys.executable, "-m", "oerlog", "--kb", a.kb, "why", a.goal, "--case", a.case]
    t_cli, _ = timed(lambda: subprocess.run(cmd, capture_output=True, check=True), max(3, a.repeat // 3))
    t_ver, _ = timed(
        lambda: subprocess.run([sys.executable, "-c", "import oerlog.cli.main"], capture_output=True, check=True),
        max(3, a.repeat // 3),
    )

    n_facts = sum(len(v) for v in case.facts.values())
    print(f"KB {a.kb}: {len(kb.documents)} document(s); document {doc.id}: {len(plan.rules)} compiled rules")
    print(f"case {a.case}: {n_facts} facts; goal {a.goal}: {len(rows)} answer(s)\n")
    print(f"{'step':<44}{'median':>12}")
    for name, t in [
        ("load + check the whole KB (parse, lint, cite)", t_load),
        ("evaluate the case, forked engine (default)", t_fork),
        ("evaluate the case, in-process engine", t_here),
        ("build and render the proof(s)", t_proof),
        ("python start + import oerlog.cli.main", t_ver),
        ("whole `oerlog why` command (subprocess)", t_cli),
    ]:
        print(f"{name:<44}{t * 1000:>10.1f} ms")
    print(f"\nratio forked / in-process evaluation: {t_fork / t_here:.2f}")
    print(f"target: whole `oerlog why` < 1000 ms -> {'met' if t_cli < 1.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
