"""The package stays typed (mypy --strict, as configured in pyproject.toml) and ruff-clean; CI runs these, so a
change that breaks either fails the build instead of waiting for someone to run the tools by hand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_is_clean() -> None:
    r = _run("ruff", "check", "src", "tests")
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.slow  # mypy over the whole package: about 10 s
def test_mypy_strict_is_clean(tmp_path: Path) -> None:
    r = _run("mypy", "--cache-dir", str(tmp_path / "mypy-cache"))
    assert r.returncode == 0, r.stdout + r.stderr
