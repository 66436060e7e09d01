"""Findings read from the documents themselves, without generated scenarios: the same parameter with different
values, unfilled template choices, and worked examples in the text that disagree with their rule.
(Dangling references are in :mod:`.references`.)"""

from __future__ import annotations

from pathlib import Path

from oerlog.analysis.consistency.findings import Finding, Side, Stats
from oerlog.analysis.consistency.text import citation_label, citations_of, dedup, fact_text, provision_text, shorten
from oerlog.analysis.consistency.witnesses import witness_yaml
from oerlog.errors import OerlogError
from oerlog.evaluation.engine import evaluate
from oerlog.evaluation.judge import parse_overrides
from oerlog.explain.explainer import Explainer, RuleInfo
from oerlog.kb.loader import Document, KnowledgeBase
from oerlog.lang import ir
from oerlog.lang.depgraph import DependencyGraph
from oerlog.lang.parser import parse_atom
from oerlog.testing.scenarios import Scenario as ScenarioTest
from oerlog.values import Value, format_literal, format_value


def parameter_differences(kb: KnowledgeBase, docs: list[str], selected: list[str]) -> list[Finding]:
    """One finding per parameter that has different values in ``docs`` (one of them among ``selected``)."""
    out: list[Finding] = []
    for name in sorted(kb.vocabulary.parameters):
        values: dict[str, tuple[Value, ir.ParamDecl]] = {}
        for d in docs:
            decl = kb.documents[d].param_decl(name)
            if decl is not None and decl.value is not None:
                values[d] = (decl.value, decl)
        distinct = {format_literal(v) for v, _ in values.values()}
        if len(distinct) < 2 or not set(values) & set(selected):
            continue
        sides = []
        for d, (v, decl) in sorted(values.items()):
            doc = kb.documents[d]
            cites = [(citation_label(c, doc.provision(c)), provision_text(doc.provision(c))) for c in decl.ann.cites]
            sides.append(Side(d, f"${name} = {format_value(v)}", None, [], cites))
        shown = ", ".join(f"{d}: {format_value(v)}" for d, (v, _) in sorted(values.items()))
        out.append(Finding("parameter_difference", f"${name}: {shown}", sorted(values), None, [name], sides))
    return out


def unfilled_choices(kb: KnowledgeBase, d: str) -> list[Finding]:
    """One finding per template parameter of document ``d`` left open that blocks rules."""
    out: list[Finding] = []
    doc = kb.documents[d]
    plan = doc.plan()
    for p in doc.program.params:
        if p.value is not None:
            continue
        blocked = [rid for rid, ps in plan.blocked.items() if p.name in ps]
        if not blocked:
            continue
        concl = _depending(doc, {r.head.pred for r in doc.program.rules if r.id in blocked})
        shared = [c for c in concl if c in kb.vocabulary.concepts]
        cites = [(citation_label(c, doc.provision(c)), provision_text(doc.provision(c))) for c in p.ann.cites]
        for r in doc.program.rules:
            if r.id in blocked:
                cites += [
                    (citation_label(c, doc.provision(c)), shorten(provision_text(doc.provision(c))))
                    for c in r.ann.cites
                ]
        side = Side(d, f"${p.name} is unfilled: rules {', '.join(blocked)} derive nothing", None, blocked, dedup(cites))
        f = Finding(
            "unfilled_choice",
            f"{d}: the template leaves ${p.name} open; {', '.join(concl) or 'no conclusion'} depend(s) on it",
            [d],
            p.name,
            [p.name],
            [side],
            note=("shared concepts affected: " + ", ".join(shared)) if shared else "",
        )
        out.append(f)
    return out


def worked_examples(
    kb: KnowledgeBase,
    d: str,
    scenarios: list[tuple[Path, ScenarioTest]],
    lang: str,
    stats: Stats,
    notes: list[str],
) -> list[Finding]:
    """One finding per scenario test of document ``d`` marked ``disagrees:`` (a worked example of the text that
    the rule decides otherwise), with the rule's proof; evaluations are counted in ``stats``, failures noted."""
    out: list[Finding] = []
    doc = kb.documents[d]
    for p, sc in scenarios:
        if not sc.disagrees:
            continue
        rule = doc.rule(sc.rule) if sc.rule else None
        infos = [RuleInfo.of(rule, doc)] if rule else []
        text_side = Side(d, f"the text's example: {sc.source_example or sc.name}", None, [], [])
        rule_side = Side(
            d,
            f"the rule{' ' + rule.id if rule else ''}: {sc.disagrees}",
            None,
            [i.id for i in infos],
            citations_of(infos),
        )
        try:
            overrides = parse_overrides(doc, sc.params)
            model = evaluate(doc.plan(overrides or None), sc.case.facts, isolate=False)
            stats.evaluations += 1
            ex = Explainer(model, doc, sc.case.sources, lang)
            for text, _ in sc.expect:
                g = parse_atom(text)
                rows = model.match(g)
                if rows:
                    rule_side.proof = ex.why(g.pred, rows[0])
                    rule_side.goal = fact_text(g.pred, rows[0])
                    rule_side.holds = True
                    break
            if rule_side.proof is None and sc.expect_not:
                rule_side.proof = ex.whynot(parse_atom(sc.expect_not[0][0]))
                rule_side.goal = sc.expect_not[0][0]
                rule_side.holds = False
        except OerlogError as exc:
            notes.append(f"{p}: {sc.name}: {exc.message}")
        f = Finding(
            "worked_example",
            f"{d}: worked example '{sc.name}' disagrees with rule {sc.rule or '?'}",
            [d],
            None,
            [sc.rule or "", sc.name],
            [text_side, rule_side],
            witness=witness_yaml(kb, sc.case.facts, sc.case.reference_date, None, None),
            scenario=f"{p.relative_to(kb.root)}: {sc.name}",
            note=f"scenario {sc.loc}" if sc.loc else "",
        )
        out.append(f)
    return out


def _depending(doc: Document, preds: set[str]) -> list[str]:
    """``preds`` and every predicate of the document whose rules use one of them (transitively), without the
    relations the exceptions derive (``_defeated_<rule>``: they lead on to the rule's own predicate)."""
    graph = DependencyGraph.of_rules(doc.program.rules)
    internal = {graph.rule_nodes[r.id] for r in doc.program.rules if r.defeats}
    return sorted(graph.dependents(preds) - internal)
