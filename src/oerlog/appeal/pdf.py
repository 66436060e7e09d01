"""The dossier as an A4 PDF: the HTML page printed by headless Chromium.

Why Chromium and not WeasyPrint: the PDF is then the very page `--format html` gives (same markup, same CSS,
same fonts), so "the same content as HTML" holds by construction; Chromium is already a system package of this
project (README: CI installs it for the HTML tests) and needs no Python dependency with native libraries
(WeasyPrint needs Pango and its fonts). Its print engine supports CSS paged media: ``@page {size: A4}`` and the
margin boxes that carry the page numbers (``counter(page)`` / ``counter(pages)``), so no header or footer
template (and no URL or date of Chromium's own) is printed.

The browser is found as ``$OERLOG_CHROMIUM`` or, on the PATH, ``chromium``, ``chromium-browser``,
``google-chrome`` or ``google-chrome-stable``; none found is a usage error (exit 2) that says how to install it.
It runs without network, with a fresh profile in a temporary folder, and is given at most
``$OERLOG_PDF_TIMEOUT`` seconds (default 60).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from oerlog.errors import EvaluationError, UsageError

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_browser() -> str:
    """The Chromium executable, or a usage error naming how to get one."""
    env = os.environ.get("OERLOG_CHROMIUM")
    if env:
        if shutil.which(env) or Path(env).is_file():
            return env
        raise UsageError(
            f"OERLOG_CHROMIUM names {env!r}, which is not an executable",
            value=env,
            example="OERLOG_CHROMIUM=/usr/bin/chromium",
        )
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise UsageError(
        "--format pdf needs Chromium (headless) to print the dossier, and none was found",
        value="pdf",
        hint="install it (Debian/Ubuntu: apt-get install chromium) or set OERLOG_CHROMIUM to its path; "
        "--format html gives the same page to print from a browser",
        example="oerlog appeal ... --format html -o dossier.html",
    )


def html_to_pdf(html: str) -> bytes:
    """Print ``html`` (a self-contained page) to PDF bytes with headless Chromium."""
    browser = find_browser()
    timeout = float(os.environ.get("OERLOG_PDF_TIMEOUT") or 60)
    with tempfile.TemporaryDirectory(prefix="oerlog-pdf-") as tmp:
        page = Path(tmp) / "dossier.html"
        out = Path(tmp) / "dossier.pdf"
        page.write_text(html, encoding="utf-8")
        cmd = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)  # noqa: S603 - fixed argv
        except subprocess.TimeoutExpired as exc:
            raise EvaluationError(f"Chromium did not print the dossier within {timeout:.0f} s") from exc
        if not out.is_file() or out.stat().st_size == 0:
            tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise EvaluationError("Chromium did not print the dossier: " + " / ".join(tail))
        return out.read_bytes()
