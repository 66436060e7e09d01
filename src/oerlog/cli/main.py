"""The ``oerlog`` command line (click): the entry point, its exit codes and its handling of signals.

Errors on bad input are reported in the language of the command's ``--lang`` (Dutch by default).

Exit codes: 0 success, 1 a check or test found problems (or a single goal does not hold), 2 bad input (with
file:line:column, the bad value and a valid example), 3 an internal error, 4 a single goal is undetermined (it
may hold, but waits for a fact the case does not establish, a body's decision or a choice the document leaves
open); 130 / 143 / 129 interrupted by SIGINT / SIGTERM / SIGHUP.

The commands live in one module per group, each registering its commands on :data:`cli` when imported:
:mod:`~oerlog.cli.single` (why, whynot, query, appeal), :mod:`~oerlog.cli.kbinfo` (docs, lint, coverage, test,
graph, impact), :mod:`~oerlog.cli.check`, :mod:`~oerlog.cli.cohort` (batch, whatif, generate) and
:mod:`~oerlog.cli.run` (saved queries) and :mod:`~oerlog.cli.serve` (the workbench); the group and the options
they share are :mod:`~oerlog.cli.group`.
"""

from __future__ import annotations

import os
import signal
import sys

import click

from oerlog.cli import authoring, check, cohort, kbinfo, run, serve, single  # noqa: F401 - imported to register their commands
from oerlog.cli.group import cli, error_lang
from oerlog.errors import Interrupted, OerlogError, raise_on_signals

__all__ = ["cli", "main"]


def main(argv: list[str] | None = None) -> None:
    """Entry point: runs the CLI and turns oerlog errors into located messages with exit code 2; a run stopped by
    SIGINT, SIGTERM or SIGHUP is reported as interrupted, with exit code 130, 143 or 129 (128 + the signal)."""
    with raise_on_signals() as received:
        try:
            code = _run(argv, received)
        except Interrupted:  # the signal came after the command, while its outcome was being reported
            code = None
        if received:
            code = _interrupted(Interrupted(received[0]))
    sys.exit(code)


def _run(argv: list[str] | None, received: list[int]) -> int | str | None:
    """Run the command; its exit code (a failure reported on stderr; an interruption is left to :func:`main`)."""
    try:
        cli.main(args=argv, prog_name="oerlog", standalone_mode=False)
    except SystemExit as exc:
        return exc.code
    except BaseException as exc:  # noqa: BLE001 - every way a command can end is reported
        if received:  # whatever a library made of the interruption (an error of its own, a failed read), it is one
            return None
        return _failed(exc)
    return 0


def _interrupted(exc: Interrupted) -> int:
    click.echo(exc.render(), err=True)
    return exc.exit_code


def _failed(exc: BaseException) -> int:
    """Report an exception that ended a command; the exit code."""
    if isinstance(exc, Interrupted):
        return _interrupted(exc)
    if isinstance(exc, OerlogError):  # in the command's --lang (Dutch by default)
        click.echo(exc.render(error_lang()), err=True)
        return exc.exit_code
    if isinstance(exc, click.exceptions.Abort):  # click's form of KeyboardInterrupt (no handler of ours was set)
        return _interrupted(Interrupted(signal.SIGINT))
    if isinstance(exc, click.ClickException):
        exc.show()
        return 2 if exc.exit_code == 2 else exc.exit_code
    if isinstance(exc, BrokenPipeError):
        return 0
    if not isinstance(exc, Exception) or os.environ.get("OERLOG_DEBUG"):
        raise exc
    # an oerlog bug, not bad input: say so plainly
    click.echo(
        f"internal error: {type(exc).__name__}: {exc}\n(set OERLOG_DEBUG=1 for the traceback; please report it)",
        err=True,
    )
    return 3


if __name__ == "__main__":
    main()
