"""The one exception hierarchy of oerlog.

Every error raised on bad input is an :class:`OerlogError` that knows where the bad input is (file, line,
column), what the bad value was, and what a valid example looks like. The CLI turns them into a located
message and exit code 2; nothing else in the package prints a traceback for bad input.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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


class OerlogError(Exception):
    """Base class of every error oerlog raises on purpose.

    ``code`` is a short machine-readable label (used by the conformance adapter and JSON output).
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
    ) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.value = value
        self.hint = hint
        self.example = example
        self.span = max(1, span)
        self.source_text: str | None = None  # the offending text when it is not in a file (a goal argument)

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

    def render(self) -> str:
        """Human-readable multi-line message: location, message, the line with a caret, hint, example."""
        head = f"{self.location}: " if self.location else ""
        out = [f"{head}error: {self.message}"]
        if self.value is not None:
            out.append(f"  bad value: {self.value!r}")
        src = self.source_line()
        if src is not None and self.location is not None:
            col = max(1, self.location.column)
            out.append("  | " + src)
            out.append("  | " + " " * (col - 1) + "^" * min(self.span, max(1, len(src) - col + 1)))
        if self.hint:
            out.append(f"  hint: {self.hint}")
        if self.example:
            out.append(f"  example: {self.example}")
        return "\n".join(out)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form of the error."""
        loc = self.location
        return {
            "code": self.code,
            "message": self.message,
            "file": loc.file if loc else None,
            "line": loc.line if loc else None,
            "column": loc.column if loc else None,
            "value": None if self.value is None else str(self.value),
            "hint": self.hint,
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
