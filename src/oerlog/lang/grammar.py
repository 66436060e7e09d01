"""The lark parser of the rule language, and lark's errors as located syntax errors.

The grammar is ``grammar.lark`` beside this module; :mod:`oerlog.lang.parser` turns the trees into the IR.
Building the LALR tables takes longer than loading them, so they are cached in the user's cache directory,
keyed by a hash of the grammar, lark's version and Python's (``$XDG_CACHE_HOME/oerlog``, else
``~/.cache/oerlog``); when that directory cannot be written, the tables are built at every start, as before.
:func:`load_private` / :func:`save_private` keep such cache files (also the parsed rules of each ``.dl`` file, see
:func:`oerlog.lang.parser.parse_file`): private to the user, written atomically.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import BinaryIO, TypeVar

import lark

from oerlog.errors import KBSyntaxError, Location

EXAMPLE_RULE = "resit_allowed(S, C) :- final_grade(S, C, G), G >= 4.0, not passed(S, C)."


@lru_cache(maxsize=1)
def lark_parser() -> lark.Lark:
    """The LALR parser of ``grammar.lark`` (start symbols ``start`` and ``goal``), its tables loaded from the cache
    (:func:`_cache_path`) or built and saved there."""
    text = resources.files("oerlog.lang").joinpath("grammar.lark").read_text(encoding="utf-8")
    path = _cache_path(text)
    cached = _load_cached(path) if path is not None else None
    if cached is not None:
        return cached
    parser = lark.Lark(text, parser="lalr", start=["start", "goal"], propagate_positions=True)
    if path is not None:
        _save_cached(parser, path)
    return parser


def cache_dir() -> Path | None:
    """The user's cache directory of oerlog (``$XDG_CACHE_HOME/oerlog``, else ``~/.cache/oerlog``); None when none
    can be named."""
    try:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    except (KeyError, RuntimeError):  # no home directory
        return None
    if not base.is_absolute():  # the XDG specification: a relative path is invalid and ignored
        return None
    return base / "oerlog"


def _cache_path(grammar: str) -> Path | None:
    """The cache file of the parser tables: one file per grammar, lark version and Python version in
    :func:`cache_dir`; None when no cache directory can be named."""
    base = cache_dir()
    if base is None:
        return None
    key = hashlib.sha256(f"{grammar}\0{lark.__version__}\0{sys.version_info[:2]}".encode()).hexdigest()[:32]
    return base / f"parser-{key}.lark"


def _load_cached(path: Path) -> lark.Lark | None:
    """The parser saved at ``path``, or None (then it is rebuilt and saved again)."""
    return load_private(path, lark.Lark.load)


def _save_cached(parser: lark.Lark, path: Path) -> None:
    """Save the parser at ``path``."""
    buf = io.BytesIO()
    parser.save(buf)
    save_private(buf.getvalue(), path)


T = TypeVar("T")


def cached(kind: str, key: str, build: Callable[[], T], expect: type) -> T:
    """What ``build`` makes, kept in the private cache (:func:`cache_dir` / ``kind``) under a hash of ``key``: the
    next call with the same key loads it instead (when it is an ``expect``). An error raised by ``build`` is never
    cached."""
    base = cache_dir()
    if base is None:
        return build()
    path = base / kind / f"{hashlib.sha256(key.encode()).hexdigest()[:40]}.pickle"
    hit = load_private(path, pickle.load)
    if isinstance(hit, expect):
        return hit  # type: ignore[return-value]
    value = build()
    save_private(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), path)
    return value


def load_private(path: Path, read: Callable[[BinaryIO], T]) -> T | None:
    """What ``read`` makes of the cache file at ``path``, or None when there is none, it is not the user's own
    private file (a cache file is a pickle: only a file no one else can have written is loaded), or it cannot be
    read."""
    try:
        with path.open("rb") as f:
            st = os.fstat(f.fileno())
            getuid = getattr(os, "getuid", None)
            if (getuid is not None and st.st_uid != getuid()) or st.st_mode & 0o022:
                return None
            return read(f)
    except Exception:  # missing, unreadable, truncated or from another version: the caller rebuilds it
        return None


def save_private(data: bytes, path: Path) -> None:
    """Save ``data`` at ``path`` in a private cache directory (atomically: a concurrent reader sees the old file or
    the whole new one, mode 0600); nothing happens when the cache directory cannot be written."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".cache-", suffix=".part", dir=path.parent)  # mode 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError:  # a read-only or missing cache directory: rebuilt next time too
        pass


EXPECT_NAMES = {
    "DOT": "'.'",
    "COMMA": "','",
    "LPAR": "'('",
    "RPAR": "')'",
    "IF": "':-'",
    "__ANON_0": "':-'",
    "NAME": "a name",
    "VARIABLE": "a variable",
    "STRING": "a string",
    "NUMBER": "a number",
    "COMPARATOR": "a comparison",
    "EQ": "'='",
    "COLON": "':'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "AT": "'@'",
}


EXPECT_NAMES_NL = {
    "NAME": "een naam",
    "VARIABLE": "een variabele",
    "STRING": "een tekst",
    "NUMBER": "een getal",
    "COMPARATOR": "een vergelijking",
}


def syntax_error(exc: lark.exceptions.LarkError, file: str, text: str) -> KBSyntaxError:
    """Turn lark's exception into a located :class:`KBSyntaxError` naming what was expected (in English and
    Dutch: a goal's syntax error is a user's error)."""
    line = getattr(exc, "line", 0) or 0
    col = getattr(exc, "column", 0) or 0
    if isinstance(exc, lark.exceptions.UnexpectedToken):
        tok = exc.token
        expected = sorted({EXPECT_NAMES.get(e, e) for e in exc.expected})
        expected_nl = sorted({EXPECT_NAMES_NL.get(e) or EXPECT_NAMES.get(e, e) for e in exc.expected})
        end = tok.type == "$END"
        got = "end of file" if end else repr(str(tok))
        hint = "expected " + ", ".join(expected[:8])
        hint_nl = "verwacht: " + ", ".join(expected_nl[:8])
        if end:
            hint += " (is a '.' missing at the end of the last rule?)"
            hint_nl += " (ontbreekt een '.' aan het eind van de laatste regel?)"
        return KBSyntaxError(
            f"unexpected {got}",
            Location(file, line, col),
            value=str(tok),
            hint=hint,
            example=EXAMPLE_RULE,
            span=max(1, len(str(tok))),
            nl="onverwacht einde van de tekst" if end else f"onverwacht {got}",
            hint_nl=hint_nl,
        )
    if isinstance(exc, lark.exceptions.UnexpectedCharacters):
        pos = exc.pos_in_stream or 0
        ch = text[pos] if 0 <= pos < len(text) else "?"
        hint = 'variables start with an upper-case letter, constants are "quoted", decimals use a dot (4.0)'
        hint_nl = (
            'variabelen beginnen met een hoofdletter, constanten staan "tussen aanhalingstekens", decimalen hebben'
            " een punt (4.0)"
        )
        if ch == ",":
            hint = "decimals use a dot in rules: 4.0, not 4,0"
            hint_nl = "in regels en doelen hebben decimalen een punt: 4.0, niet 4,0"
        return KBSyntaxError(
            f"unexpected character {ch!r}",
            Location(file, line, col),
            value=ch,
            hint=hint,
            example=EXAMPLE_RULE,
            nl=f"onverwacht teken {ch!r}",
            hint_nl=hint_nl,
        )
    if isinstance(exc, lark.exceptions.UnexpectedEOF):
        return KBSyntaxError(
            "unexpected end of input",
            Location(file, line, col),
            hint="is a '.' missing?",
            example=EXAMPLE_RULE,
            nl="onverwacht einde van de tekst",
            hint_nl="ontbreekt een '.'?",
        )
    return KBSyntaxError(str(exc), Location(file, line, col), example=EXAMPLE_RULE, nl=f"syntaxisfout: {exc}")
