"""Rule-dependency graphs with networkx: predicates, rules or articles; impact analysis; statistics.

Node ids are ``doc::name`` so several documents can share one picture. Edge attribute ``polarity`` is
``positive``, ``negative`` (negation or aggregation) or ``exception`` (an exception defeating a rule).
Impact analysis (:mod:`oerlog.analysis.impact`) needs no networkx; its names are re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import networkx as nx

from oerlog.analysis.impact import Impact as Impact
from oerlog.analysis.impact import impact as impact
from oerlog.analysis.impact import rests_on as rests_on
from oerlog.errors import UsageError, did_you_mean
from oerlog.kb.loader import Document, KnowledgeBase
from oerlog.lang import ir
from oerlog.lang.depgraph import DependencyGraph

LEVELS = ("predicate", "rule", "article")


def _pid(doc: Document, pred: str) -> str:
    return f"{doc.id}::{pred}"


def _rid(doc: Document, rule_id: str) -> str:
    return f"{doc.id}::rule:{rule_id}"


def _aid(doc: Document, article: str) -> str:
    return f"{doc.id}::art:{article}"


def _pred_kind(doc: Document, pred: str) -> str:
    voc = doc.kb.vocabulary
    if pred in voc.relations:
        return "input"
    if pred in voc.concepts:
        return "concept"
    return "derived"


def _body_preds(rule: ir.Rule) -> Iterable[tuple[str, bool]]:
    for lit in rule.body:
        for atom, positive in ir.literal_atoms(lit):
            yield atom.pred, positive


def _rule_text(rule: ir.Rule) -> str:
    return str(rule)


def _quote(doc: Document, cites: Iterable[ir.Citation]) -> str:
    parts = []
    for c in cites:
        p = doc.provision(c)
        parts.append(f"{p.label if p else c}: {p.text if p else '(unresolved)'}")
    return "\n".join(parts)


def predicate_graph(doc: Document) -> nx.MultiDiGraph:
    """Predicates of one document; an edge per rule body literal (body predicate -> head predicate)."""
    g: nx.MultiDiGraph = nx.MultiDiGraph()
    strata = DependencyGraph.of_rules(doc.program.rules).strata()
    rules_by_head: dict[str, list[ir.Rule]] = {}
    for r in doc.program.rules:
        if not r.defeats:
            rules_by_head.setdefault(r.head.pred, []).append(r)

    def add(pred: str) -> str:
        nid = _pid(doc, pred)
        if nid not in g:
            rules = rules_by_head.get(pred, [])
            g.add_node(
                nid,
                label=pred,
                kind=_pred_kind(doc, pred) if rules or pred in doc.kb.vocabulary.relations else "input",
                document=doc.id,
                stratum=strata.get(pred, 0),
                rules=" ".join(r.id for r in rules),
                text="\n\n".join(_rule_text(r) for r in rules),
                quote="\n".join(_quote(doc, r.ann.cites) for r in rules),
            )
            if pred in doc.kb.vocabulary.relations:
                g.nodes[nid]["kind"] = "input"
        return nid

    for r in doc.program.rules:
        head = add(r.head.pred)
        for pred, positive in _body_preds(r):
            src = add(pred)
            if r.defeats:
                g.add_edge(src, head, polarity="exception", rule=r.id, label=f"except {r.id}")
            else:
                g.add_edge(src, head, polarity="positive" if positive else "negative", rule=r.id, label=r.id)
    return g


def rule_graph(doc: Document) -> nx.MultiDiGraph:
    """Rules of one document; r1 -> r2 when r2's body uses r1's head; exceptions point at the rule they defeat."""
    g: nx.MultiDiGraph = nx.MultiDiGraph()
    strata = DependencyGraph.of_rules(doc.program.rules).strata()
    producers: dict[str, list[ir.Rule]] = {}
    for r in doc.program.rules:
        if not r.defeats:
            producers.setdefault(r.head.pred, []).append(r)
    for r in doc.program.rules:
        g.add_node(
            _rid(doc, r.id),
            label=r.id,
            kind="exception" if r.defeats else ("concept" if r.head.pred in doc.kb.vocabulary.concepts else "rule"),
            document=doc.id,
            stratum=strata.get(r.head.pred, 0),
            text=_rule_text(r),
            quote=_quote(doc, r.ann.cites),
            cites=", ".join(str(c) for c in r.ann.cites),
        )
    for r in doc.program.rules:
        for pred, positive in _body_preds(r):
            for p in producers.get(pred, []):
                g.add_edge(
                    _rid(doc, p.id), _rid(doc, r.id), polarity="positive" if positive else "negative", label=pred
                )
        if r.defeats:
            g.add_edge(_rid(doc, r.id), _rid(doc, r.defeats), polarity="exception", label="except")
    return g


def article_graph(doc: Document) -> nx.MultiDiGraph:
    """Articles: a1 -> a2 when a rule citing a2 uses a conclusion of a rule citing a1."""
    rg = rule_graph(doc)
    g: nx.MultiDiGraph = nx.MultiDiGraph()
    arts: dict[str, list[str]] = {}
    for r in doc.program.rules:
        keys = sorted({c.article for c in r.ann.cites if not c.doc or c.doc == doc.id})
        arts[r.id] = keys
        for k in keys:
            nid = _aid(doc, k)
            if nid not in g:
                art = doc.articles.get(k)
                g.add_node(
                    nid,
                    label=k,
                    kind="article",
                    document=doc.id,
                    stratum=0,
                    text=art.title if art else "",
                    quote=_quote(doc, [ir.Citation(k)]),
                )
    seen: set[tuple[str, str, str]] = set()
    for u, v, data in rg.edges(data=True):
        ru, rv = rg.nodes[u]["label"], rg.nodes[v]["label"]
        for a in arts.get(ru, []):
            for b in arts.get(rv, []):
                if a != b and (a, b, data["polarity"]) not in seen:
                    seen.add((a, b, data["polarity"]))
                    g.add_edge(_aid(doc, a), _aid(doc, b), polarity=data["polarity"], label="")
    return g


def build(kb: KnowledgeBase, doc_ids: list[str] | None, level: str) -> nx.MultiDiGraph:
    """The graph of the chosen documents (all when none given) at one level."""
    if level not in LEVELS:
        raise UsageError(f"unknown level {level!r}", value=level, hint="levels: " + ", ".join(LEVELS))
    fn = {"predicate": predicate_graph, "rule": rule_graph, "article": article_graph}[level]
    g: nx.MultiDiGraph = nx.MultiDiGraph()
    for d in doc_ids or sorted(kb.documents):
        g = nx.compose(g, fn(kb.document(d)))
    return g


def focus(g: nx.MultiDiGraph, target: str, depth: int | None) -> nx.MultiDiGraph:
    """Ancestors and descendants of the nodes whose label (or ``doc::label``) matches ``target``."""
    name = target.split("(")[0].strip()
    seeds = [n for n, d in g.nodes(data=True) if d.get("label") == name or n == name or n.endswith("::" + name)]
    if not seeds:
        labels = sorted({str(d.get("label")) for _, d in g.nodes(data=True)})
        raise UsageError(
            f"nothing in the graph is called {name!r}",
            value=name,
            hint=did_you_mean(name, labels, n=3, quote=False, sep=", ") + "give a predicate, rule id or article",
            example="--focus resit_excluded",
        )
    keep: set[str] = set(seeds)
    for direction in (g.predecessors, g.successors):
        frontier = set(seeds)
        level = 0
        while frontier and (depth is None or level < depth):
            nxt = {m for n in frontier for m in direction(n)} - keep
            keep |= nxt
            frontier = nxt
            level += 1
    sub: nx.MultiDiGraph = g.subgraph(keep).copy()
    for s in seeds:
        sub.nodes[s]["focus"] = True
    return sub


# --- statistics ---------------------------------------------------------------------------------------


def stats(doc: Document) -> dict[str, Any]:
    """Rules, predicates, strata and the longest dependency chain of a document."""
    strata = DependencyGraph.of_rules(doc.program.rules).strata()
    g = predicate_graph(doc)
    simple = nx.DiGraph(g)
    cond = nx.condensation(simple)
    longest = nx.dag_longest_path(cond)
    chain = [sorted(cond.nodes[c]["members"])[0].split("::")[1] for c in longest]
    derived = {r.head.pred for r in doc.program.rules if not r.defeats}
    exceptions = sum(1 for r in doc.program.rules if r.defeats)
    facts = sum(1 for r in doc.program.rules if r.is_fact and not r.defeats)
    return {
        "document": doc.id,
        "rules": len(doc.program.rules) - exceptions - facts,  # as written: neither exceptions nor facts
        "exceptions": exceptions,
        "facts": facts,
        "compiled_rules": len(doc.plan().rules),  # after expanding options, exceptions, aggregates and negations
        "parameters": len(doc.program.params),
        "unfilled_parameters": len([p for p in doc.program.params if p.value is None]),
        "predicates": len(derived),
        "input_relations_used": len([n for n, d in g.nodes(data=True) if d["kind"] == "input"]),
        "strata": (max(strata.values()) + 1) if strata else 0,
        "longest_chain": len(chain),
        "longest_chain_path": chain,
        "articles": len(doc.articles),
    }
