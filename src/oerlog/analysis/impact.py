"""Impact analysis: which conclusions depend on an article or a parameter, and what a conclusion rests on.

Answered by the program's :class:`~oerlog.lang.depgraph.DependencyGraph`: no networkx, so saved queries and
``oerlog check`` can ask it cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass

from oerlog.errors import UsageError
from oerlog.kb.loader import Document
from oerlog.lang import ir
from oerlog.lang.depgraph import DependencyGraph
from oerlog.semantics.plan import rule_params


@dataclass
class Impact:
    """What depends on an article or parameter (or what a conclusion rests on)."""

    target: str
    document: str
    rules: list[str]  # the rules that cite the article / use the parameter
    conclusions: dict[str, list[list[str]]]  # predicate -> paths (rule ids) from a seed rule to it
    articles: list[str]
    parameters: list[str]


def impact(doc: Document, target: str) -> Impact:
    """Every predicate that depends on ``target`` (an article key, ``article lid``, or ``$parameter``)."""
    seeds: list[ir.Rule] = []
    t = target.strip()
    if t.startswith("$") or doc.param_decl(t):
        name = t.lstrip("$")
        if doc.param_decl(name) is None:
            raise UsageError(
                f"{doc.id} has no parameter {name!r}",
                value=t,
                hint="parameters: " + ", ".join(p.name for p in doc.program.params),
            )
        seeds = [r for r in doc.program.rules if name in rule_params(r)]
    else:
        art, _, lid = t.replace("art.", "").strip().partition(" ")
        lid = lid.replace("lid", "").strip()
        if art not in doc.articles:
            raise UsageError(f"{doc.id} has no article {art!r}", value=t, example="oerlog impact A.8 --doc " + doc.id)
        seeds = [
            r
            for r in doc.program.rules
            for c in r.ann.cites
            if c.article == art and (not lid or c.lid in (lid, None)) and (not c.doc or c.doc == doc.id)
        ]
    graph = DependencyGraph.of_rules(doc.program.rules)
    conclusions: dict[str, list[list[str]]] = {}
    for s in seeds:
        for rule_id, path in graph.rule_paths(s.id).items():
            rule = doc.rule(rule_id)
            if rule is None:
                continue
            pred = rule.head.pred  # an exception's head has the defeated rule's predicate
            conclusions.setdefault(pred, []).append(path)
    for k, paths in conclusions.items():
        unique = sorted({tuple(p) for p in paths}, key=lambda p: (len(p), p))
        conclusions[k] = [list(p) for p in unique[:3]]
    return Impact(t, doc.id, sorted({s.id for s in seeds}), dict(sorted(conclusions.items())), [], [])


def rests_on(doc: Document, conclusion: str) -> Impact:
    """Every article and parameter the conclusion (a predicate) depends on, with the rules in between."""
    pred = conclusion.split("(")[0].strip()
    if not any(r.head.pred == pred and not r.defeats for r in doc.program.rules):
        raise UsageError(f"no rule of {doc.id} concludes {pred!r}", value=pred, example="--on resit_excluded")
    graph = DependencyGraph.of_rules(doc.program.rules)
    needed = graph.closure([pred])
    rules = [r for r in doc.program.rules if graph.rule_nodes[r.id] in needed]
    arts = sorted({str(c) for r in rules for c in r.ann.cites})
    params = sorted({"$" + p for r in rules for p in rule_params(r)})
    return Impact(pred, doc.id, sorted({r.id for r in rules}), {}, arts, params)
