"""The one exception hierarchy of oerlog.

Every error raised on bad input is an :class:`OerlogError` that knows where the bad input is (file, line,
column), what the bad value was, and what a valid example looks like. The CLI turns them into a located
message and exit code 2; nothing else in the package prints a traceback for bad input. A run stopped by a
signal is not an error: it raises :class:`Interrupted` (see :func:`raise_on_signals`).
"""

from __future__ import annotations

import contextlib
import difflib
import signal
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Location:
    """A position in a source file (1-based line and column)."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line and self.column:
            return f"{self.file}:{self.line}:{self.column}"
        if self.line:
            return f"{self.file}:{self.line}"
        return self.file


LANGS = ("nl", "en")

# the frame of a rendered error, per language (English is the fallback)
_FRAME = {
    "en": {"error": "error", "value": "bad value", "hint": "hint", "example": "example"},
    "nl": {"error": "fout", "value": "onjuiste waarde", "hint": "tip", "example": "voorbeeld"},
}


class OerlogError(Exception):
    """Base class of every error oerlog raises on purpose.

    ``code`` is a short machine-readable label (used by the conformance adapter and JSON output).

    The message and the hint are given in English and, where the raise site gives them, in Dutch (``nl=`` and
    ``hint_nl=``, next to the English text, so that both are stated in one place); :meth:`render` and
    :meth:`to_dict` choose by language, English where no Dutch is given. ``message`` and ``hint`` are the
    English texts (for the code that builds one error from another); :meth:`message_in` and :meth:`hint_in` the
    text in a language.
    """

    code = "oerlog_error"
    exit_code = 2

    def __init__(
        self,
        message: str,
        location: Location | None = None,
        *,
        value: object = None,
        hint: str | None = None,
        example: str | None = None,
        span: int = 1,
        nl: str | None = None,
        hint_nl: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.message_nl = nl
        self.location = location
        self.value = value
        self.hint = hint
        self.hint_nl = hint_nl
        self.example = example
        self.span = max(1, span)
        self.source_text: str | None = None  # the offending text when it is not in a file (a goal argument)

    def message_in(self, lang: str) -> str:
        """The message in ``lang`` ("nl" or "en"); the English one where no Dutch is given."""
        return self.message_nl if lang == "nl" and self.message_nl else self.message

    def hint_in(self, lang: str) -> str | None:
        """The hint in ``lang``; the English one where no Dutch is given."""
        return self.hint_nl if lang == "nl" and self.hint_nl else self.hint

    def source_line(self) -> str | None:
        """The text of the offending line, when the file can be read."""
        loc = self.location
        if self.source_text is not None:
            return self.source_text.splitlines()[0] if self.source_text else ""
        if loc is None or not loc.line:
            return None
        try:
            lines = Path(loc.file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return None
        if 0 < loc.line <= len(lines):
            return lines[loc.line - 1]
        return None

    def render(self, lang: str = "en") -> str:
        """Human-readable multi-line message in ``lang``: location, message, the line with a caret, hint, example
        (``error:``, ``bad value:``, ``hint:``, ``example:``; in Dutch ``fout:``, ``onjuiste waarde:``, ``tip:``,
        ``voorbeeld:``)."""
        frame = _FRAME.get(lang, _FRAME["en"])
        head = f"{self.location}: " if self.location else ""
        out = [f"{head}{frame['error']}: {self.message_in(lang)}"]
        if self.value is not None:
            out.append(f"  {frame['value']}: {self.value!r}")
        src = self.source_line()
        if src is not None and self.location is not None:
            col = max(1, self.location.column)
            out.append("  | " + "".join(c if c.isprintable() or c == "\t" else "\ufffd" for c in src))  # no ESC
            out.append("  | " + " " * (col - 1) + "^" * min(self.span, max(1, len(src) - col + 1)))
        hint = self.hint_in(lang)
        if hint:
            out.append(f"  {frame['hint']}: {hint}")
        if self.example:
            out.append(f"  {frame['example']}: {self.example}")
        return "\n".join(out)

    def to_dict(self, lang: str = "en") -> dict[str, object]:
        """JSON-ready form of the error: ``message`` and ``hint`` in ``lang``, ``message_en`` and ``hint_en`` always
        in English (stable for scripts)."""
        loc = self.location
        return {
            "code": self.code,
            "message": self.message_in(lang),
            "message_en": self.message,
            "file": loc.file if loc else None,
            "line": loc.line if loc else None,
            "column": loc.column if loc else None,
            "value": None if self.value is None else str(self.value),
            "hint": self.hint_in(lang),
            "hint_en": self.hint,
            "example": self.example,
        }

    def __str__(self) -> str:
        return self.render()


class KBSyntaxError(OerlogError):
    """A .dl file (or a goal / query text) does not follow the grammar."""

    code = "syntax_error"


class ArityError(OerlogError):
    """A predicate is used with different numbers of arguments."""

    code = "arity_mismatch"


class SafetyError(OerlogError):
    """A variable is not bound by a positive literal (head, negation or comparison)."""

    code = "unbound_variable"


class StratificationError(OerlogError):
    """Negation or aggregation through recursion: the program has no stratification."""

    code = "cyclic_negation"


class UnknownPredicateError(OerlogError):
    """A predicate is neither an input relation, nor defined in the document, nor a built-in."""

    code = "unknown_predicate"


class CitationError(OerlogError):
    """A citation names an article or lid that does not exist."""

    code = "unresolved_citation"


class DefinitionError(OerlogError):
    """A duplicate rule id, a parameter declared twice, an exception naming an unknown rule, ..."""

    code = "definition_error"


class ValidationError(OerlogError):
    """A case file, fact file, CSV row or metadata file holds a value that does not fit the vocabulary."""

    code = "validation_error"


class UsageError(OerlogError):
    """A command-line argument is wrong (unknown document, bad --param, unknown goal predicate)."""

    code = "usage_error"


class EvaluationError(OerlogError):
    """Evaluation failed: a built-in met values of the wrong type, or the engine itself failed."""

    code = "evaluation_error"


class EvaluationTimeout(EvaluationError):
    """Evaluation ran over its time limit; the message names the query that was running."""

    code = "timeout"


# signals that end a run: Ctrl-C, `kill` / `timeout`, a closed terminal (those the platform has)
STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal.Signals, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal.Signals, name)
)


class Interrupted(BaseException):  # noqa: N818 - named for what happened, like KeyboardInterrupt
    """The run was stopped by a signal (SIGINT, SIGTERM, SIGHUP): not an error in the input.

    A ``BaseException``, like ``KeyboardInterrupt``, so that no ``except Exception`` turns it into an error
    message, while every ``finally`` (temporary output files, the engine's child process) still cleans up. The
    CLI reports it as ``interrupted`` with exit code 128 + the signal number (130, 143, 129)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """128 + the signal number, as a shell reports a process ended by that signal."""
        return 128 + self.signum

    def render(self) -> str:
        """``interrupted (SIGTERM)``."""
        try:
            name = signal.Signals(self.signum).name
        except ValueError:
            name = f"signal {self.signum}"
        return f"interrupted ({name})"


@contextlib.contextmanager
def raise_on_signals() -> Iterator[list[int]]:
    """While active, SIGINT, SIGTERM and SIGHUP raise :class:`Interrupted` (in the main thread; elsewhere this does
    nothing). Yields the list of signals received, so that a caller can tell an error that a library made of the
    interruption from a real one. A second signal while the first is being handled is ignored: the clean-up runs
    to its end. The previous handlers are restored on exit."""
    received: list[int] = []

    def handler(signum: int, _frame: object) -> None:
        if received:
            return
        received.append(signum)
        if _held:
            _held[-1].append(signum)  # raised when the held section ends
            return
        raise Interrupted(signum)

    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in STOP_SIGNALS:
            previous[sig] = signal.signal(sig, handler)
    try:
        yield received
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


_held: list[list[int]] = []


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Run a short section (creating a temporary file and taking its name) that an interruption must not split:
    a signal that :func:`raise_on_signals` turns into :class:`Interrupted` is raised when the section ends,
    not inside it. Blocking the signal would not do: the C library hands it to whichever thread it likes, and
    Python runs the handler in the main thread between any two bytecodes."""
    pending: list[int] = []
    _held.append(pending)
    try:
        yield
    finally:
        _held.remove(pending)
    if pending:
        raise Interrupted(pending[0])


def did_you_mean(
    name: str,
    options: Iterable[str],
    n: int = 2,
    *,
    cutoff: float = 0.6,
    quote: bool = True,
    sep: str = " or ",
    lang: str = "en",
) -> str:
    """``"did you mean 'x' or 'y'? "`` for the options closest to ``name`` (empty when none is close): the start of a
    hint that then lists what is allowed. The one place oerlog suggests names; ``quote=False`` and ``sep`` shape
    the list (``did you mean a, b? ``); ``lang="nl"`` asks in Dutch (``"bedoelt u 'x' of 'y'? "``: a ``sep`` of
    " or " becomes " of ")."""
    close = difflib.get_close_matches(name, sorted(options), n=n, cutoff=cutoff)
    if not close:
        return ""
    if lang == "nl":
        return "bedoelt u " + (" of " if sep == " or " else sep).join(repr(c) if quote else c for c in close) + "? "
    return "did you mean " + sep.join(repr(c) if quote else c for c in close) + "? "
