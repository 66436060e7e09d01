"""Benchmark the workbench (``oerlog serve``): start-up, and each answer page for every bundled case.

- start-up: from starting ``python -m oerlog serve --port 0`` until it prints its address (the server listens),
  median of ``--starts`` runs;
- answer page: for every example case of every document (``kb/<doc>/cases/*.yaml``), over HTTP as a browser asks
  for it: the case form posted (the case read and checked, the document chosen), the answer page (every
  conclusion of the case judged, in words), and the proof the page opens with; median of ``--repeat`` rounds,
  after the server's warm-up (the first page of a document right after start-up is shown too).

    python benchmarks/bench_serve.py [--starts N] [--repeat N]
"""

from __future__ import annotations

import argparse
import html
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KB = ROOT / "kb"
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}


def start(work: Path) -> tuple[subprocess.Popen[str], str, float]:
    t = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "oerlog", "--kb", str(KB), "serve", "--port", "0", "--workdir", str(work)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=ENV,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    took = time.perf_counter() - t
    m = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
    if m is None:
        proc.kill()
        raise SystemExit(f"no address: {line!r}")
    return proc, m.group(1), took


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.wait(timeout=10)


class Browser:
    """A minimal client: cookies, no redirects followed automatically (so each step is timed on its own)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), NoRedirect())

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path.lstrip("/")) as r:
            return str(r.read().decode("utf-8"))

    def post(self, path: str, data: dict[str, str]) -> str:
        body = urllib.parse.urlencode(data).encode()
        req = urllib.request.Request(self.base + path.lstrip("/"), data=body, headers={"Origin": self.base.rstrip("/")})
        try:
            with self.opener.open(req) as r:
                return str(r.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            if exc.code == 303:
                return str(exc.headers["Location"])
            raise


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def form_fields(page: str) -> dict[str, str]:
    form = page[page.index('id="caseform"') :]
    fields = {
        html.unescape(n): html.unescape(v)
        for n, v in re.findall(r'<input type="(?:text|date|hidden)"[^>]*?name="([^"]+)" value="([^"]*)"', form)
    }
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        m = re.search(r'<option value="([^"]*)" selected', body)
        fields[html.unescape(name)] = html.unescape(m.group(1)) if m else ""
    return fields


def answer_once(b: Browser, doc: str, name: str) -> tuple[float, float, float]:
    """Seconds for: posting the form (read, checked, document chosen), the answer page, its first proof."""
    fields = form_fields(b.get(f"/case/example/{doc}/{name}"))
    t0 = time.perf_counter()
    location = b.post("/case/judge", {**fields, "action": "judge"})
    t1 = time.perf_counter()
    page = b.get(location)
    t2 = time.perf_counter()
    m = re.search(r'hx-get="(/answer/[^"]+/why\?goal=[^"]+)" hx-trigger="load"', page)
    if m:
        b.get(html.unescape(m.group(1)))
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--starts", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        starts = []
        for _ in range(args.starts):
            proc, _, took = start(work)
            starts.append(took)
            stop(proc)
        print(
            f"start-up (address printed): median {statistics.median(starts):.2f} s  (runs: "
            + ", ".join(f"{s:.2f}" for s in starts)
            + ")"
        )
        proc, base, _ = start(work)
        try:
            b = Browser(base)
            token = re.search(r'name="_token" value="([^"]+)"', b.get("/case")).group(1)  # type: ignore[union-attr]
            b.post = _with_token(b.post, token)  # type: ignore[method-assign]
            cases = sorted(KB.glob("*/cases/*.yaml"))
            first = answer_once(b, cases[0].parent.parent.name, cases[0].stem)
            print(
                f"first answer after start-up ({cases[0].stem}): form {first[0]:.3f} s, page {first[1]:.3f} s, "
                f"proof {first[2]:.3f} s"
            )
            print(f"{'case':46} {'form':>7} {'page':>7} {'proof':>7} {'total':>7}  (medians of {args.repeat}, s)")
            worst = 0.0
            for c in cases:
                doc = c.parent.parent.name
                runs = [answer_once(b, doc, c.stem) for _ in range(args.repeat)]
                med = [statistics.median(r[i] for r in runs) for i in range(3)]
                total = sum(med)
                worst = max(worst, total)
                print(f"{doc + '/' + c.stem:46} {med[0]:7.3f} {med[1]:7.3f} {med[2]:7.3f} {total:7.3f}")
            print(f"slowest answer (form + page + first proof): {worst:.3f} s")
        finally:
            stop(proc)


def _with_token(post, token):  # type: ignore[no-untyped-def]
    def run(path: str, data: dict[str, str]) -> str:
        return post(path, {**data, "_token": token})

    return run


if __name__ == "__main__":
    main()
