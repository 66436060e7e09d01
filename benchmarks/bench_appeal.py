"""Benchmark `oerlog appeal`, the whole command as a user runs it (a fresh process each time: start-up, KB load,
judgement, counterfactual search on the batched path, pyDatalog proofs, rendering), for the bundled decision of
every document, in Markdown, HTML and PDF. Prints the median wall-clock time per decision and format with the
median CPU time (user + system of the command and its children, which a busy machine inflates far less than the
wall-clock time), and the PDF's extra time over HTML. Targets (issue 18): Markdown and HTML under 2 s, PDF at
most 3 s more than HTML.

    python benchmarks/bench_appeal.py [--repeat N] [--formats md,html,pdf] [--lang nl]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DECISIONS = [  # the bundled decision of each document (the dossier goldens, tests/test_appeal.py)
    ("uu-gnk-ba-2025", "anna-excluded-low-grade.yaml", 'resit_excluded("anna", "vorm_en_functie")'),
    ("uu-gnk-ba-2025", "femke-no-show-overmacht.yaml", 'resit_excluded("femke", "vorm_en_functie")'),
    ("rug-ma-oer-2019", "milan-resit-refused.yaml", 'resit_excluded("milan", "c1")'),
    ("rug-tg-ra-2018", "daan-resit-refused.yaml", 'resit_excluded("daan", "celbiologie")'),
    ("vumc-gnk-ma-rr-2018", "carmen-late-for-vgt.yaml", 'late_admission_refused("carmen", "vgt_0123")'),
    ("uu-geo-ma-oer-2019", "bas-grade-5-45.yaml", 'failed("bas", "geochemistry")'),
]
TARGET = {"md": 2.0, "html": 2.0}
PDF_EXTRA = 3.0


def run(doc: str, case: str, decision: str, fmt: str, lang: str, out: Path) -> tuple[float, float]:
    """Wall-clock seconds and CPU seconds (user + system, the command and its children: Chromium for a PDF)."""
    cmd = [
        sys.executable, "-m", "oerlog", "--kb", str(ROOT / "kb"), "appeal",
        "--case", str(ROOT / "kb" / doc / "cases" / case), "--decision", decision,
        "--lang", lang, "--format", fmt, "-o", str(out / f"dossier.{fmt}"),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--formats", default="md,html,pdf")
    ap.add_argument("--lang", default="nl", choices=["nl", "en"])
    a = ap.parse_args()
    formats = a.formats.split(",")
    if "pdf" in formats and not shutil.which("chromium"):
        print("no chromium on the PATH: PDF left out", file=sys.stderr)
        formats.remove("pdf")
    load = os.getloadavg()[0]
    print(f"oerlog appeal, whole command, median of {a.repeat} runs (after one warm-up run); wall seconds and, in")
    print(f"brackets, CPU seconds of the command and its children; load average at the start {load:.1f}")
    print(f"{'decision':<52} " + " ".join(f"{f:>14}" for f in formats) + ("   pdf - html" if "pdf" in formats else ""))
    worst: dict[str, float] = {f: 0.0 for f in formats}
    extra_worst = 0.0
    with tempfile.TemporaryDirectory(prefix="bench-appeal-") as tmp:
        out = Path(tmp)
        for doc, case, decision in DECISIONS:
            medians: dict[str, float] = {}
            cells = []
            for fmt in formats:
                run(doc, case, decision, fmt, a.lang, out)  # warm-up: the KB cache, the browser's first start
                runs = [run(doc, case, decision, fmt, a.lang, out) for _ in range(a.repeat)]
                medians[fmt] = statistics.median(w for w, _ in runs)
                cpu = statistics.median(c for _, c in runs)
                worst[fmt] = max(worst[fmt], medians[fmt])
                cells.append(f"{medians[fmt]:5.2f} (cpu {cpu:4.2f})")
            extra = ""
            if "pdf" in medians and "html" in medians:
                d = medians["pdf"] - medians["html"]
                extra_worst = max(extra_worst, d)
                extra = f"   {d:+.2f} s"
            label = f"{doc}: {decision}"
            print(f"{label[:52]:<52} " + " ".join(f"{c:>14}" for c in cells) + extra)
    verdicts = [f"{f} slowest median {worst[f]:.2f} s (target < {TARGET[f]:.0f} s)" for f in formats if f in TARGET]
    if "pdf" in formats and "html" in formats:
        verdicts.append(f"pdf at most {extra_worst:+.2f} s over html (target <= +{PDF_EXTRA:.0f} s)")
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
