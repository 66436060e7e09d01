"""The regulation reader's content: each article verbatim, per lid the rules that encode it in words (the Datalog
on request), their interpretations and discretionary powers, the coverage status with its reason, and the
scenarios about each rule."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from oerlog.api import KB
from oerlog.kb.loader import Document
from oerlog.lang import ir
from oerlog.values import format_value

PLACEHOLDER = re.compile(r"\{(\$?)([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass
class RuleView:
    """One rule as the reader shows it."""

    id: str
    head: str  # the concluded predicate
    words: list[tuple[str, bool]]  # the sentence, as (text, is a placeholder) pieces
    datalog: str
    cites: list[str]
    exception_of: str | None
    interpretations: list[str]
    discretion: str | None
    scenarios: list[tuple[int, str]]  # (index among the document's scenarios, name)
    location: str


@dataclass
class LidView:
    """One article or lid: text, coverage status (encoded, not_computable, not_encoded), reason, rules."""

    label: str
    lid: str | None
    text: str
    status: str
    reason: str | None
    problem: str | None
    rules: list[RuleView] = field(default_factory=list)
    parameters: list[tuple[str, str]] = field(default_factory=list)  # ($name, value)


@dataclass
class ArticleView:
    """An article with its lids."""

    key: str
    title: str
    section: str
    lids: list[LidView]


def rule_words(doc: Document, rule: ir.Rule, lang: str) -> list[tuple[str, bool]]:
    """The rule's sentence template in ``lang``: a parameter filled with its value, a variable shown as a
    placeholder (the reader sees where a case's value goes)."""
    template = rule.ann.template(lang)
    if not template:
        return [(f"{rule.head.pred}({', '.join(str(a) for a in rule.head.args)})", False)]
    pieces: list[tuple[str, bool]] = []
    pos = 0
    for m in PLACEHOLDER.finditer(template):
        if m.start() > pos:
            pieces.append((template[pos : m.start()], False))
        if m.group(1):
            decl = doc.param_decl(m.group(2))
            value = getattr(decl, "value", None) if decl is not None else None
            pieces.append((format_value(value, lang) if value is not None else "$" + m.group(2), False))
        else:
            pieces.append((m.group(2), True))
        pos = m.end()
    pieces.append((template[pos:], False))
    return [p for p in pieces if p[0]]


def articles(kb: KB, doc_id: str, lang: str) -> list[ArticleView]:
    """The document's articles for the reader."""
    doc = kb.document(doc_id)
    cov = kb.coverage(doc_id)
    by_label = {(it.provision.article, it.provision.lid): it for it in cov.items}
    scenarios: dict[str, list[tuple[int, str]]] = {}
    try:
        for i, sc in enumerate(kb.scenarios(doc_id)):
            if sc.rule:
                scenarios.setdefault(sc.rule, []).append((i, sc.name))
    except Exception:  # noqa: BLE001 - a scenario file that does not read leaves the links out, not the page
        scenarios = {}
    rules = {r.id: r for r in doc.program.rules}
    params = {p.name: p for p in doc.program.params}
    out: list[ArticleView] = []
    for art in doc.articles.values():
        lids: list[LidView] = []
        for prov in art.provisions():
            it = by_label.get((art.key, prov.lid))
            lv = LidView(
                prov.label,
                prov.lid,
                prov.text,
                it.status if it else prov.status,
                prov.reason,
                it.problem if it else None,
            )
            for rid in it.rules if it else []:
                r = rules.get(rid)
                if r is None:
                    continue
                lv.rules.append(
                    RuleView(
                        r.id,
                        r.head.pred,
                        rule_words(doc, r, lang),
                        str(r),
                        [doc.provision(c).label if doc.provision(c) else str(c) for c in r.ann.cites],  # type: ignore[union-attr]
                        r.defeats,
                        list(r.ann.readings(lang)),
                        r.ann.discretion_in(lang),
                        scenarios.get(r.id, []),
                        f"{r.loc.file.rsplit('/', 1)[-1]}:{r.loc.line}" if r.loc else "",
                    )
                )
            for pname in it.parameters if it else []:
                decl = params.get(pname.lstrip("$"))
                value = getattr(decl, "value", None) if decl is not None else None
                lv.parameters.append((pname, format_value(value, lang) if value is not None else "—"))
            lids.append(lv)
        out.append(ArticleView(art.key, art.title, art.section, lids))
    return out
