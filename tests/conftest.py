"""Shared fixtures: the mini KB used by unit tests, the bundled KB, and a CLI runner."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from oerlog.cli.main import main
from oerlog.kb.loader import KnowledgeBase, load_kb

HERE = Path(__file__).parent
MINI = HERE / "fixtures" / "kb-mini"
BUNDLED = HERE.parent / "kb"
GOLDEN = HERE / "golden"


@dataclass
class Result:
    """Outcome of one CLI run."""

    code: int
    out: str
    err: str


@pytest.fixture(scope="session")
def mini_kb() -> KnowledgeBase:
    return load_kb(MINI)


@pytest.fixture(scope="session")
def bundled_kb() -> KnowledgeBase:
    return load_kb(BUNDLED)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run ``oerlog ARGS`` in-process; returns code, stdout, stderr."""
    return _runner(capsys)


def _runner(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """``oerlog ARGS`` run in-process: code, stdout, stderr."""

    def run(*args: str, cwd: Path | None = None) -> Result:
        old = Path.cwd()
        if cwd:
            os.chdir(cwd)
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        finally:
            os.chdir(old)
        cap = capsys.readouterr()
        return Result(code, cap.out, cap.err)

    return run


# the commands that have --lang (the others report errors in Dutch, the default)
LANG_COMMANDS = {"why", "whynot", "query", "appeal", "test", "check", "batch", "whatif", "run", "diff"}


@pytest.fixture
def cli_en(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """``cli`` with ``--lang en`` added to every command that has it: for tests that read English error texts."""
    cli = _runner(capsys)

    def run(*args: str, cwd: Path | None = None) -> Result:
        rest = list(args)
        while rest[:1] == ["--kb"]:
            rest = rest[2:]
        if rest and rest[0] in LANG_COMMANDS and "--lang" not in args:
            args = (*args, "--lang", "en")
        return cli(*args, cwd=cwd)

    return run


def golden(name: str, text: str) -> None:
    """Compare ``text`` with tests/golden/NAME; OERLOG_UPDATE_GOLDEN=1 rewrites the file."""
    path = GOLDEN / name
    if os.environ.get("OERLOG_UPDATE_GOLDEN") or not path.exists():
        if not os.environ.get("OERLOG_UPDATE_GOLDEN") and os.environ.get("CI"):
            raise AssertionError(f"golden file {path} is missing")
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"output differs from {path} (OERLOG_UPDATE_GOLDEN=1 to accept)"


def chromium_flags(tmp_path: Path) -> list[str]:
    """Headless Chromium flags for this closed network, with a fresh profile under ``tmp_path``."""
    return [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]


def wait_until(predicate: Callable[[], object], seconds: float) -> bool:
    """Poll ``predicate`` every 50 ms until it is true or ``seconds`` pass; its last answer."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())
