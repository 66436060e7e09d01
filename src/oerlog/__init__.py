"""oerlog: Dutch examination regulations as Datalog, with proofs, checks and cohort runs.

The public Python API (docs/api.md) is importable from here: ``oerlog.load_kb()``, :class:`KB`, :class:`Judgement`,
:class:`Explanation`, ... It is loaded on first use, so that ``import oerlog`` stays cheap.
"""

from __future__ import annotations

from oerlog.version import __version__

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (type checkers read it as True)
if TYPE_CHECKING:  # for type checkers: the names below, imported on first use by __getattr__
    from typing import Any

    from oerlog.api import KB, CheckReport, DoesNotHold, Dossier, Explanation, Judgement, load_kb
    from oerlog.errors import OerlogError

__all__ = [
    "KB",
    "CheckReport",
    "DoesNotHold",
    "Dossier",
    "Explanation",
    "Judgement",
    "OerlogError",
    "__version__",
    "load_kb",
]

_API = {"KB", "CheckReport", "DoesNotHold", "Dossier", "Explanation", "Judgement", "load_kb"}


def __getattr__(name: str) -> Any:
    """The API's names, imported on first use (the API loads the engine: pyDatalog, the rule parser)."""
    if name in _API:
        from oerlog import api  # deferred: the engine and the parser, not needed by `import oerlog`

        return getattr(api, name)
    if name == "OerlogError":
        from oerlog.errors import OerlogError  # deferred: keeps `import oerlog` free of imports

        return OerlogError
    raise AttributeError(f"module 'oerlog' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*__all__, *(n for n in globals() if n.startswith("__"))})
