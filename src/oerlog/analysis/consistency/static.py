"""Findings read from the documents themselves, without generated scenarios: the same parameter with different
values, unfilled template choices, and worked examples in the text that disagree with their rule.
(Dangling references are in :mod:`.references`.)"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
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
from oerlog.testing.scenarios import disagrees_in
from oerlog.values import format_literal, format_value

DAYS_PER_UNIT = {
    "days": Decimal(1),
    "working_days": Decimal(7) / Decimal(5),
    "weeks": Decimal(7),
    "months": Decimal("30.4375"),
    "years": Decimal("365.25"),
}


def parameter_differences(kb: KnowledgeBase, pairs: Mapping[tuple[str, str], str], lang: str = "nl") -> list[Finding]:
    """One finding per pair of compared documents and shared parameter concept (a vocabulary parameter, declared
    by name or with ``@kind``) on which they differ: whatever the parameters are called, and in whatever unit they
    count (six weeks and a month and a half are the same term; terms in different units are compared in days).
    Between institutions (``--across``) the difference is an institutional difference."""
    out: list[Finding] = []
    shared = kb.vocabulary.parameters
    for (a, b), rel in sorted(pairs.items()):
        per_doc = {d: _concepts(kb.documents[d], shared) for d in (a, b)}
        for concept in sorted(set(per_doc[a]) & set(per_doc[b])):
            da, db = per_doc[a][concept], per_doc[b][concept]
            if _same(da, db):
                continue
            sides = []
            for d, decl in ((a, da), (b, db)):
                doc = kb.documents[d]
                cites = [
                    (citation_label(c, doc.provision(c)), provision_text(doc.provision(c))) for c in decl.ann.cites
                ]
                shown = _shown(decl, lang)
                sides.append(Side(d, f"{param_words(decl, lang)}: {shown}", None, [f"${decl.name}"], cites))
            text = f"{param_words(da, lang)}: {a} {_shown(da, lang)}, {b} {_shown(db, lang)}"
            kind = "institutional_difference" if rel == "across" else "parameter_difference"
            out.append(Finding(kind, text, [a, b], concept, [concept, da.name, db.name], sides))
    return out


def _concepts(doc: Document, shared: Mapping[str, object]) -> dict[str, ir.ParamDecl]:
    """The document's filled parameters by the shared concept they declare (first one per concept)."""
    out: dict[str, ir.ParamDecl] = {}
    for p in doc.program.params:
        concept = p.concept(shared)
        if concept and p.value is not None and concept not in out:
            out[concept] = p
    return out


def _same(a: ir.ParamDecl, b: ir.ParamDecl) -> bool:
    if a.unit in DAYS_PER_UNIT and b.unit in DAYS_PER_UNIT and a.unit != b.unit:
        va, vb = a.value, b.value
        if isinstance(va, (int, Decimal)) and isinstance(vb, (int, Decimal)):
            return Decimal(va) * DAYS_PER_UNIT[a.unit] == Decimal(vb) * DAYS_PER_UNIT[b.unit]
    return format_literal(a.value) == format_literal(b.value) if a.value is not None and b.value is not None else False


UNIT_WORDS = {
    "nl": {
        "days": ("dag", "dagen"),
        "working_days": ("werkdag", "werkdagen"),
        "weeks": ("week", "weken"),
        "months": ("maand", "maanden"),
        "years": ("jaar", "jaar"),
        "ec": ("EC", "EC"),
        "grade": ("", ""),
        "minutes": ("minuut", "minuten"),
        "hours": ("uur", "uur"),
    },
    "en": {
        "days": ("day", "days"),
        "working_days": ("working day", "working days"),
        "weeks": ("week", "weeks"),
        "months": ("month", "months"),
        "years": ("year", "years"),
        "ec": ("EC", "EC"),
        "grade": ("", ""),
        "minutes": ("minute", "minutes"),
        "hours": ("hour", "hours"),
    },
}


def param_words(decl: ir.ParamDecl, lang: str) -> str:
    """What a parameter is, for a reader: its ``@nl`` / ``@en`` description, else its name."""
    text = decl.ann.template(lang) or decl.ann.template("en" if lang == "nl" else "nl")
    return text or f"${decl.name}"


def _shown(decl: ir.ParamDecl, lang: str) -> str:
    """The parameter's value with its unit in words (``6 weken``, ``1 day``)."""
    v = format_value(decl.value, lang) if decl.value is not None else "?"
    if not decl.unit:
        return v
    one, many = UNIT_WORDS["nl" if lang == "nl" else "en"].get(decl.unit, (decl.unit, decl.unit))
    word = one if decl.value == 1 else many
    return f"{v} {word}" if word else v


def unfilled_choices(kb: KnowledgeBase, d: str, lang: str = "nl") -> list[Finding]:
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
        nl = lang == "nl"
        arts = _articles(doc, concl)
        shown_arts = arts if len(arts) <= 6 else [*arts[:6], "…"]
        where = f" (art. {', '.join(shown_arts)})" if arts else ""
        n = len(concl)
        what = (
            (f"{n} conclusie{'s' if n != 1 else ''} hangen ervan af" if n != 1 else "1 conclusie hangt ervan af")
            if nl
            else f"{n} conclusion{'s' if n != 1 else ''} depend{'s' if n == 1 else ''} on it"
        )
        words = param_words(p, lang)
        side = Side(
            d,
            (
                f"‘{words}’ is in het model niet ingevuld: wat de regels daarover concluderen, blijft onbepaald"
                if nl
                else f"‘{words}’ is not filled in by the template: what the rules conclude from it stays undetermined"
            ),
            None,
            [f"${p.name}", *blocked, *(f"→ {c}" for c in concl)],
            dedup(cites),
        )
        f = Finding(
            "unfilled_choice",
            (
                f"{d} laat een keuze open: ‘{words}’; {what}{where}"
                if nl
                else f"{d} leaves a choice open: ‘{words}’; {what}{where}"
            ),
            [d],
            p.name,
            [p.name],
            [side],
            note=(
                ("gedeelde begrippen waarvan het afhangt: " if nl else "shared concepts affected: ")
                + "; ".join(_concept_words(kb, c, lang) for c in shared)
            )
            if shared
            else "",
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
        nl = lang == "nl"
        example = sc.source_example or sc.name
        cited = citations_of(infos)
        where = cited[0][0] if cited else ""
        text_side = Side(
            d, f"het voorbeeld in de tekst: ‘{example}’" if nl else f"the text's example: ‘{example}’", None, [], []
        )
        rule_side = Side(
            d,
            f"{'de regel' if nl else 'the rule'}{f' ({where})' if where else ''}: {disagrees_in(sc, lang)}",
            None,
            [i.id for i in infos],
            cited,
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
            (
                f"{d}: het rekenvoorbeeld in de tekst{f' ({where})' if where else ''} wijkt af van de regel"
                f" zelf: ‘{shorten(example, 120)}’"
                if nl
                else f"{d}: the worked example in the text{f' ({where})' if where else ''} disagrees with the rule"
                f" itself: ‘{shorten(example, 120)}’"
            ),
            [d],
            None,
            [sc.rule or "", sc.name],
            [text_side, rule_side],
            witness=witness_yaml(kb, sc.case.facts, sc.case.reference_date, None, None),
            scenario=f"{p.relative_to(kb.root)}: {sc.name}",
            note=_scenario_place(kb, sc, lang),
        )
        out.append(f)
    return out


def _scenario_place(kb: KnowledgeBase, sc: ScenarioTest, lang: str) -> str:
    """Where the worked example is written, for a reader: the scenario file (relative to the KB) and its line."""
    if sc.loc is None:
        return ""
    path = Path(sc.loc.file)
    shown = path.relative_to(kb.root).as_posix() if path.is_relative_to(kb.root) else path.name
    if lang == "nl":
        return f"uitgewerkt in scenariotest ‘{sc.name}’ ({shown}, regel {sc.loc.line})"
    return f"worked out in scenario test ‘{sc.name}’ ({shown}, line {sc.loc.line})"


def _concept_words(kb: KnowledgeBase, concept: str, lang: str) -> str:
    """A shared concept named for a reader: its label in ``lang``, else its name."""
    c = kb.vocabulary.concepts.get(concept)
    return c.label_in(lang) if c is not None else concept


def _articles(doc: Document, preds: list[str]) -> list[str]:
    """The articles (``16 lid 5``) the rules for ``preds`` cite in ``doc``, in article order, no repeats."""
    wanted = set(preds)
    out: set[str] = set()
    for r in doc.program.rules:
        if r.head.pred in wanted:
            out.update(str(c).removeprefix("art. ") for c in r.ann.cites if not c.doc)
    return sorted(out, key=lambda a: [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", a)])


def _depending(doc: Document, preds: set[str]) -> list[str]:
    """``preds`` and every predicate of the document whose rules use one of them (transitively), without the
    relations the exceptions derive (``_defeated_<rule>``: they lead on to the rule's own predicate)."""
    graph = DependencyGraph.of_rules(doc.program.rules)
    internal = {graph.rule_nodes[r.id] for r in doc.program.rules if r.defeats}
    return sorted(graph.dependents(preds) - internal)
