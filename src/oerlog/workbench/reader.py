"""The regulation reader's content: each article verbatim, per lid the rules that encode it in words (the Datalog
on request), their interpretations and discretionary powers, the coverage status with its reason, and the
scenarios about each rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from oerlog.api import KB
from oerlog.values import format_value


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


def articles(kb: KB, doc_id: str, lang: str, scenario_list: list[Any] | None = None) -> list[ArticleView]:
    """The document's articles for the reader (``scenario_list``: the document's scenarios, when already read)."""
    doc = kb.document(doc_id)
    cov = kb.coverage(doc_id)
    by_label = {(it.provision.article, it.provision.lid): it for it in cov.items}
    scenarios: dict[str, list[tuple[int, str]]] = {}
    try:
        for i, sc in enumerate(scenario_list if scenario_list is not None else kb.scenarios(doc_id)):
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
                        kb.rule_words(doc_id, r.id, lang),
                        str(r),
                        [doc.provision(c).label if doc.provision(c) else str(c) for c in r.ann.cites],  # type: ignore[union-attr]
                        _defeated(doc, rules.get(r.defeats), lang) if r.defeats else None,
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


def _defeated(doc: Any, rule: Any, lang: str) -> str:
    """The rule an exception overrides, for a reader: the provisions it cites (its id when it cites none)."""
    if rule is None:
        return "?"
    labels = [p.label for p in (doc.provision(c) for c in rule.ann.cites) if p is not None]
    if not labels:
        return str(rule.id)
    return ("de regel van " if lang == "nl" else "the rule of ") + "; ".join(labels)
