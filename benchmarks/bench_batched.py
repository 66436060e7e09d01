"""Many cases at once (issue 15): scenario tests and generated scenarios, batched (DuckDB, one run per document)
against the single-case engine (pyDatalog, one evaluation per case), printed side by side in one run.

    python benchmarks/bench_batched.py [--scenarios 10000] [--sample 25] [--repeat 3] [--skip-commands]

1. Scenario tests per document: pyDatalog per scenario (median of a sample, times the number of scenarios) against
   one batched evaluation of all of them (median of --repeat runs, compile included) and the whole
   ``oerlog test DOC`` command.
2. Generated scenarios of uu-geo-ma-oer-2019 (the cohort generator: catalogue and one student per case): scenarios
   per second batched, every derived relation computed, the fixed start-up (compile) cost separately.
3. ``oerlog why`` for the README case and each document's first example case (whole command, median).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from oerlog.cohort.generate import Generator, scopes, used_relations  # noqa: E402
from oerlog.evaluation import batched  # noqa: E402
from oerlog.evaluation.batched import World, evaluate_worlds  # noqa: E402
from oerlog.kb.loader import load_kb  # noqa: E402
from oerlog.testing.scenarios import collect, expectations, run_batched, run_scenario  # noqa: E402

OERLOG = [sys.executable, "-m", "oerlog"]


def median_of(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def command(args: list[str], repeat: int) -> float:
    def run() -> None:
        subprocess.run([*OERLOG, "--kb", str(ROOT / "kb"), *args], capture_output=True, check=False)

    return median_of(run, repeat)


def scenario_tests(kb, sample: int, repeat: int, commands: bool) -> None:  # type: ignore[no-untyped-def]
    print("1. scenario tests per document (seconds)")
    head = f"{'document':<22}{'scenarios':>10}{'pyDatalog/sc':>14}{'pyDatalog all*':>16}{'batched':>10}"
    head += f"{'oerlog test':>13}{'ratio':>9}"
    print(head)
    total_old = total_new = 0.0
    for doc_id in sorted(kb.documents):
        scs = [sc for _, _, s in collect(kb, [doc_id]) for sc in s]
        step = max(1, len(scs) // sample)
        per = statistics.median(median_of(lambda sc=sc: run_scenario(kb, sc), 1) for sc in scs[::step][:sample])
        old = per * len(scs)

        def batch(scs=scs) -> None:  # type: ignore[no-untyped-def]
            batched._CACHE.clear()  # compile included, as `oerlog test` pays it
            run_batched(kb, scs)

        new = median_of(batch, repeat)
        cmd = command(["test", doc_id], repeat) if commands else float("nan")
        total_old += old
        total_new += cmd if commands else new
        print(f"{doc_id:<22}{len(scs):>10}{per:>14.3f}{old:>16.1f}{new:>10.2f}{cmd:>13.2f}{old / new:>8.0f}x")
    whole = command(["test"], 1) if commands else float("nan")
    print(f"{'all five':<22}{'':>10}{'':>14}{total_old:>16.1f}{'':>10}{whole:>13.2f}{total_old / whole:>8.0f}x")
    print(
        "   * pyDatalog all = median per scenario over a sample x scenarios, with the program kept loaded between\n"
        "     cases (the engine before this issue also rebuilt it per case: run `oerlog test DOC` on commit 02fdffa)\n"
    )


def generated(kb, n: int) -> None:  # type: ignore[no-untyped-def]
    doc_id = "uu-geo-ma-oer-2019"
    doc = kb.document(doc_id)
    gen = Generator(kb.vocabulary, scopes(kb, [doc_id]), seed=15, used=used_relations(kb, [doc_id]))
    worlds = [World(facts) for facts in gen.cases(n)]
    plan = doc.plan()
    every = sorted({cr.head.pred for cr in plan.rules if not plan.is_internal(cr.head.pred)})
    asked = Counter(a.pred for _, _, s in collect(kb, [doc_id]) for sc in s for a, _, _ in expectations(sc))
    top = [g for g, _ in asked.most_common(10)]
    rows = sum(len(v) for w in worlds for v in w.facts.values())
    print(f"2. {n:,} generated scenarios of {doc_id} ({rows:,} input facts)")
    for label, goals in (("the 10 relations its scenario tests ask most", top), ("every derived relation", every)):
        print(f"   asking {label} ({len(goals)}):")
        for size in (n // 10, n):
            batched._CACHE.clear()
            t = time.perf_counter()
            run = evaluate_worlds(doc, worlds[:size], goals, timeout=600)
            total = time.perf_counter() - t
            errors = sum(1 for r in run.results if not hasattr(r, "answer"))
            per_s = size / (total - run.seconds_compile)
            print(
                f"   {size:>7,} scenarios: {total:6.2f} s in all, start-up (compile) {run.seconds_compile:.2f} s, "
                f"database {run.seconds_run:.2f} s -> {per_s:,.0f} scenarios/s ({errors} errors)"
            )
    one = kb.document(doc_id)
    first = next(sc for _, _, s in collect(kb, [doc_id]) for sc in s)
    single = median_of(lambda: run_scenario(kb, first), 3)
    print(f"   pyDatalog, one scenario: {single:.3f} s -> {1 / single:.1f} scenarios/s ({one.id})\n")


def why_commands(kb, repeat: int) -> None:  # type: ignore[no-untyped-def]
    print("3. oerlog why, whole command (median seconds)")
    readme = [
        "why",
        'resit_excluded("anna", C)',
        "--case",
        str(ROOT / "kb/uu-gnk-ba-2025/cases/anna-excluded-low-grade.yaml"),
    ]
    print(f"   README case: {command(readme, repeat):.2f}")
    for doc_id in sorted(kb.documents):
        cases = sorted((kb.document(doc_id).path / "cases").glob("*.yaml"))
        if not cases:
            continue
        args = ["query", "passed(S, C)", "--case", str(cases[0]), "--doc", doc_id]
        print(f"   {doc_id:<22} {cases[0].name:<36} {command(args, repeat):.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scenarios", type=int, default=10_000)
    ap.add_argument("--sample", type=int, default=25)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-commands", action="store_true")
    a = ap.parse_args()
    if shutil.which("nproc"):
        print("cores:", subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip())
    kb = load_kb(ROOT / "kb")
    scenario_tests(kb, a.sample, a.repeat, not a.skip_commands)
    generated(kb, a.scenarios)
    if not a.skip_commands:
        why_commands(kb, max(a.repeat, 5))


if __name__ == "__main__":
    main()
