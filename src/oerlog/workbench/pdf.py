"""A printable HTML page made into PDF by a headless Chromium, when one is installed (nothing is downloaded)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from oerlog.errors import UsageError

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
SECONDS = 60


def browser() -> str | None:
    """The Chromium found on the PATH, or None."""
    return next((p for p in (shutil.which(b) for b in BROWSERS) if p), None)


def html_to_pdf(html: str) -> bytes:
    """The page printed to PDF by headless Chromium (offline: a fresh profile, no network services)."""
    exe = browser()
    if exe is None:
        raise UsageError(
            "a PDF needs Chromium, which is not installed",
            hint="download the HTML page and print it from the browser, or install chromium",
            example="apt-get install chromium",
        )
    with tempfile.TemporaryDirectory(prefix="oerlog-pdf-") as tmp:
        src, out = Path(tmp) / "page.html", Path(tmp) / "page.pdf"
        src.write_text(html, encoding="utf-8")
        cmd = [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={out}",
            src.as_uri(),
        ]
        try:
            subprocess.run(cmd, capture_output=True, timeout=SECONDS, check=False)
        except subprocess.TimeoutExpired as exc:
            raise UsageError("Chromium did not print the PDF in time", hint="download the HTML page instead") from exc
        if not out.is_file() or out.stat().st_size == 0:
            raise UsageError("Chromium could not print the PDF", hint="download the HTML page instead")
        return out.read_bytes()
