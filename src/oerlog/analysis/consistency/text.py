"""How findings name facts and quote the provisions they rest on."""

from __future__ import annotations

from oerlog.explain.explainer import RuleInfo
from oerlog.kb.loader import Provision
from oerlog.lang import ir
from oerlog.semantics.model import Row
from oerlog.values import format_literal

QUOTE_CHARS = 400


def row_text(r: Row) -> str:
    """A fact's arguments in rule-language syntax, comma-separated: ``"anna", 3.8``."""
    return ", ".join(format_literal(v) for v in r)


def args_text(t: Row) -> str:
    """A fact's arguments in parentheses: ``("anna", 3.8)``."""
    return "(" + row_text(t) + ")"


def fact_text(pred: str, t: Row) -> str:
    """A fact in rule-language syntax (always with parentheses): ``resit_excluded("anna", "vf")``."""
    return f"{pred}({row_text(t)})"


def citation_label(c: ir.Citation, p: Provision | None) -> str:
    """The label of a cited provision, prefixed by its document when the citation names one."""
    return (f"{c.doc} " if c.doc else "") + (p.label if p else str(c))


def provision_text(p: Provision | None) -> str:
    """The verbatim text of a provision ("" when the citation does not resolve)."""
    return p.text if p else ""


def shorten(text: str, n: int = QUOTE_CHARS) -> str:
    """``text`` on one line, cut at a word boundary to at most ``n`` characters (with " …")."""
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rsplit(" ", 1)[0] + " …"


def citations_of(infos: list[RuleInfo]) -> list[tuple[str, str]]:
    """(label, shortened quote) of every provision the rules cite, without repeats."""
    out: list[tuple[str, str]] = []
    for info in infos:
        for c, p in info.citations:
            out.append((citation_label(c, p), shorten(p.text) if p else ""))
    return dedup(out)


def dedup(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``items`` without repeats, in their first order."""
    return list(dict.fromkeys(items))
