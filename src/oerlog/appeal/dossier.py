"""Appeal dossiers: one decision about one student, explained as a document for the student, the study
adviser and the examencommissie's secretary (verweerschrift).

The dossier holds the decision, the facts with their sources, the reasoning step by step with the articles, the
exceptions and discretionary powers that could apply, why the outcome the student wants fails, the verified
counterfactuals, the appeal route and deadline as the regulation states them, a receipt, and an annex with the
verbatim text of every provision used. :func:`build` assembles it; ``dossier_render`` turns it into Markdown or
HTML; :meth:`Dossier.to_dict` is the JSON form for other tools.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

from oerlog.errors import UsageError
from oerlog.evaluation.judge import Judgement
from oerlog.evaluation.overrides import Override, overridden, overrides_json
from oerlog.explain.counterfactual import MAX_PROBES, Change, Counterfactual, Searcher
from oerlog.explain.explainer import Explainer, Node, NodeKind
from oerlog.explain.explanation import phrasing
from oerlog.explain.items import Builder, Item, Options
from oerlog.explain.render import Kinds, node_dict
from oerlog.explain.words import Phrasing
from oerlog.kb.loader import Provision
from oerlog.lang import ir
from oerlog.values import format_value, json_value


@dataclass
class Step:
    """One step of the reasoning."""

    number: int
    statement: str
    atom: str
    rule: str
    citations: list[str]
    because: list[str]  # facts (with source) and comparisons this step uses
    interpretations: list[str]
    discretion: str | None


# 2: overrides with the declared values; every value in the JSON type of its kind (oerlog.values.json_value)
SCHEMA_ID = "oerlog.dossier/2"


@dataclass
class Dossier:
    """Everything an appeal dossier shows (language-specific texts already rendered)."""

    lang: str
    decision: str
    decision_atom: str
    holds: bool
    document: dict[str, Any]
    student: str | None
    programme: str | None
    facts: list[tuple[str, str]]  # (fact, source)
    steps: list[Step]
    exceptions: list[dict[str, Any]]
    wanted: str | None
    wanted_why_not: list[str]
    counterfactuals: list[Counterfactual]
    counterfactual_stats: dict[str, int]
    appeal: dict[str, Any] | None
    discretion: list[dict[str, str]]
    receipt: dict[str, Any]
    annex: list[Provision]
    proof: Node | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    waits_for: list[str] = field(default_factory=list)  # an undetermined decision: what it waits for
    wanted_text: str | None = None  # the outcome wanted, in words
    programme_name: str | None = None  # the programme by its display name
    counterfactual_texts: list[str] = field(default_factory=list)  # each counterfactual's changes, in words
    steps_tree: Item | None = None  # the proof (or why-not) as the reader's items
    overrides: list[Override] = field(default_factory=list)  # parameters given another value for this run
    kinds: Kinds | None = field(default=None, repr=False)  # the judgement's column kinds: JSON values by their kind

    @property
    def status(self) -> str:
        """holds, undetermined or does_not_hold."""
        return "holds" if self.holds else "undetermined" if self.waits_for else "does_not_hold"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (schema ``oerlog.dossier/2``, src/oerlog/schemas/dossier.schema.json)."""
        return {
            "schema": SCHEMA_ID,
            "language": self.lang,
            "decision": self.decision,
            "decision_atom": self.decision_atom,
            "holds": self.holds,
            "status": self.status,
            "waits_for": self.waits_for,
            "document": self.document,
            "student": self.student,
            "programme": self.programme,
            "facts": [{"fact": f, "source": s} for f, s in self.facts],
            "steps": [s.__dict__ for s in self.steps],
            "exceptions": self.exceptions,
            "wanted": self.wanted,
            "wanted_text": self.wanted_text,
            "wanted_why_not": self.wanted_why_not,
            "counterfactuals": [
                {
                    "changes": [c.describe(self.lang) for c in cf.changes],
                    "text": text,
                    "decision_after": cf.decision_after,
                    "decision_undetermined_after": cf.undetermined_after,
                    "wanted_after": cf.wanted_after,
                }
                for cf, text in zip(
                    self.counterfactuals, self.counterfactual_texts or [""] * len(self.counterfactuals), strict=False
                )
            ],
            "counterfactual_search": self.counterfactual_stats,
            "appeal": {k: json_value(v) for k, v in (self.appeal or {}).items()} or None,
            "discretion": self.discretion,
            "receipt": self.receipt,
            "annex": [{"label": p.label, "title": p.title, "text": p.text} for p in self.annex],
            "proof": node_dict(self.proof, self.lang, self.kinds or (lambda _p: ())) if self.proof else None,
            "notes": self.notes,
            "overrides": overrides_json(self.overrides),
        }


_HARDSHIP_WORDS = ("hardheid", "bijzondere gevallen", "afwijken", "in afwijking", "onbillijk")


def _walk(n: Node) -> list[Node]:
    out = [n]
    for c in n.children:
        out.extend(_walk(c))
    return out


def _post_order(n: Node, out: list[Node], seen: set[str] | None = None) -> None:
    """Derived nodes, premises before conclusions, each conclusion once (a proof tree repeats shared
    sub-proofs; the reasoning states each step once)."""
    seen = set() if seen is None else seen
    if n.kind is NodeKind.DERIVED and n.atom in seen:
        return
    for c in n.children:
        _post_order(c, out, seen)
    if n.kind is NodeKind.DERIVED and n.atom not in seen:
        seen.add(str(n.atom))
        out.append(n)


def _wanted_for(j: Judgement, decision: ir.Atom) -> ir.Atom | None:
    """The outcome the student presumably wants: the first concept the vocabulary declares exclusive with the
    decision's predicate, with the same arguments."""
    concept = j.kb.vocabulary.concepts.get(decision.pred)
    for other in concept.exclusive_with if concept else ():
        oc = j.kb.vocabulary.concepts.get(other)
        if oc and oc.arity == decision.arity and any(r.head.pred == other for r in j.document.program.rules):
            return ir.Atom(other, decision.args)
    return None


def _plain_why_not(tree: Node, builder: Builder) -> list[str]:
    """One line per rule that could give the wanted outcome: its provisions and what fails, in words."""
    lines: list[str] = []
    for rule_node in tree.children:
        if rule_node.kind not in (NodeKind.RULE_FAILED, NodeKind.BLOCKED, NodeKind.DEFEATED) or not rule_node.rule:
            continue
        it = builder.item(rule_node, tree, 1)
        if it is None:
            continue
        cite = builder.ph.citations(rule_node.rule)
        reasons = [c.text for c in it.children if c.mark in ("✘", "?", "⚑")]
        if rule_node.kind is not NodeKind.RULE_FAILED:
            reasons = [it.text]
        lines.append(f"{cite}: " + "; ".join(dict.fromkeys(reasons)))
    return lines


def change_words(ph: Phrasing, c: Change) -> str:
    """A counterfactual change in words: ``cijfer 4,0 in plaats van 3,8: ‘anna behaalde een 4,0 voor ...’``."""
    nl = ph.nl
    if c.kind == "set" and c.new_row is not None:
        fld = next((f for f in ph.fields_of(c.pred) if f is not None and f.name == c.field), None)
        label = fld.label_in(ph.lang) if fld is not None else (c.field or "")
        now = ph.fact(c.pred, c.new_row)
        return (
            f"{label} {ph.value(c.new, fld)} {'in plaats van' if nl else 'instead of'} {ph.value(c.old, fld)}: ‘{now}’"
        )
    if c.kind == "remove":
        return f"{'zonder' if nl else 'without'} ‘{ph.fact(c.pred, c.row)}’"
    return f"{'met daarbij' if nl else 'with in addition'} ‘{ph.fact(c.pred, c.row)}’"


def _programme(j: Judgement, student: str | None) -> str | None:
    if student is None:
        return None
    for name, rel in j.kb.vocabulary.relations.items():
        names = [f.name for f in rel.fields]
        if "student" in names and "programme" in names:
            si, pi = names.index("student"), names.index("programme")
            for row in j.case.facts.get(name, ()):
                if row[si] == student:
                    return str(row[pi])
    return None


def _appeal_route(j: Judgement, lang: str) -> tuple[dict[str, Any] | None, list[Provision]]:
    spec = j.document.meta.get("appeal")
    if not isinstance(spec, dict):
        return None, []
    provs: list[Provision] = []
    cite = spec.get("cite") or {}
    if cite:
        p = j.document.provision(ir.Citation(str(cite.get("article")), str(cite["lid"]) if cite.get("lid") else None))
        if p:
            provs.append(p)
    term = spec.get("term") or {}
    weeks: int | None = None
    if "weeks" in term:
        weeks = int(term["weeks"])
    elif "parameter" in term:
        v = j.document.plan(j.overrides or None).params.get(str(term["parameter"]))
        weeks = int(v) if isinstance(v, (int,)) or (v is not None and not isinstance(v, (str, dt.date))) else None
    start = j.case.decision_date or j.case.reference_date
    deadline = start + dt.timedelta(weeks=weeks) if (start and weeks) else None
    return {
        "body": spec.get("body"),
        "via": spec.get("via"),
        "weeks": weeks,
        "from": start,
        "deadline": deadline,
        "from_is_reference_date": j.case.decision_date is None,
        "provision": provs[0].label if provs else None,
        "deadline_text": format_value(deadline, lang) if deadline else None,
    }, provs


def _waits_for(tree: Node, ph: Phrasing, builder: Builder) -> list[str]:
    """What an undetermined decision waits for: the facts the case states neither true nor false (a body's decision,
    a notice) and the choices the document leaves unfilled, in words."""
    out: list[str] = []
    for n in _walk(tree):
        if n.kind is NodeKind.UNKNOWN_FACT and n.pred:
            out.append(f"‘{ph.fact(n.pred, n.args)}’ " + ("(niet vastgelegd)" if ph.nl else "(not recorded)"))
        elif n.kind is NodeKind.UNFILLED:
            choice = builder.params(n.params)
            out.append(f"{choice} ({'keuze open in de regeling' if ph.nl else 'choice left open by the text'})")
    return list(dict.fromkeys(out))


def build(
    j: Judgement,
    decision: ir.Atom,
    lang: str = "nl",
    wanted: ir.Atom | None = None,
    counterfactual_budget: int = MAX_PROBES,
) -> Dossier:
    """Assemble the dossier for a ground (or single-answer) decision atom."""
    start = time.perf_counter()
    rows = j.answers(decision)
    if len(rows) > 1:
        raise UsageError(
            f"{decision} matches {len(rows)} facts; an appeal dossier is about one decision",
            value=str(decision),
            example=f"{decision.pred}(" + ", ".join(f'"{v}"' for v in rows[0]) + ")",
        )
    ex = Explainer(j.model, j.document, j.case.sources, lang)
    ph = phrasing(j, lang)
    builder = Builder(ph, Options(), ex.derivations)
    wanted = wanted or _wanted_for(j, decision)
    notes: list[str] = []
    open_rows = [] if rows else j.model.match_undetermined(decision)
    waits_for: list[str] = []
    if open_rows:
        ground_atom = ir.Atom(decision.pred, tuple(ir.Const(v) for v in open_rows[0]))
        tree = ex.undetermined(decision.pred, open_rows[0])
        holds = False
        proof = None
        waits_for = _waits_for(tree, ph, builder)
        said = builder.statement(tree) if tree.rule is not None else ph.goal(ground_atom)
        decision_text = f"{said}: {'onbepaald' if lang == 'nl' else 'undetermined'}"
    elif not rows:
        tree = ex.whynot(decision)
        holds = False
        ground_atom = decision
        proof = None
        decision_text = f"{ph.goal(decision)}: {'geldt niet' if lang == 'nl' else 'does not hold'}"
    else:
        ground_atom = ir.Atom(decision.pred, tuple(ir.Const(v) for v in rows[0]))
        proof = ex.why(decision.pred, rows[0])
        tree = proof
        holds = True
        decision_text = builder.statement(proof)
    student = str(rows[0][0]) if rows and rows[0] else None
    facts: dict[str, str] = {}
    steps: list[Step] = []
    used: dict[str, Provision] = {}
    exceptions: list[dict[str, Any]] = []
    if proof is not None:
        derived: list[Node] = []
        _post_order(proof, derived)
        for i, n in enumerate(derived, 1):
            assert n.rule is not None
            because: list[str] = []
            for c in n.children:
                if c.kind is NodeKind.DERIVED:
                    because.append(builder.statement(c))
                    continue
                it = builder.item(c, n, 99)  # one line each, nothing below it
                if it is not None and it.text:
                    src = f" ({it.source})" if it.source else ""
                    because.append(it.text + src)
            for cit, p in n.rule.citations:
                if p:
                    used.setdefault(p.label + (cit.doc or ""), p)
            steps.append(
                Step(
                    i,
                    builder.statement(n),
                    str(n.atom),
                    n.rule.id,
                    [p.label if p else str(c) for c, p in n.rule.citations],
                    because,
                    list(n.rule.readings(lang)),
                    n.rule.discretion_in(lang),
                )
            )
        for n in _walk(proof):
            if n.kind is NodeKind.FACT and n.pred:
                facts.setdefault(ph.fact(n.pred, n.args), ph.source(n.source) or "")
            if n.kind is NodeKind.EXCEPTION_CHECKED and n.rule and n.rule.id not in {e["rule"] for e in exceptions}:
                it = builder.item(n, None, 1)
                missing = [c.text for c in (it.children if it else []) if c.mark in ("✘", "?")]
                for cit, p in n.rule.citations:
                    if p:
                        used.setdefault(p.label + (cit.doc or ""), p)
                exceptions.append(
                    {
                        "rule": n.rule.id,
                        "statement": ph.statement(n.rule, n.binding, loose=True) or ph.citations(n.rule),
                        "citations": [p.label if p else str(c) for c, p in n.rule.citations],
                        "applies": False,
                        "missing": missing,
                    }
                )
    wanted_lines: list[str] = []
    if wanted is not None:
        wtree = ex.whynot(wanted)
        if wtree.kind is NodeKind.HOLDS:
            wanted_lines = ["geldt wel" if lang == "nl" else "holds"]
        else:
            wanted_lines = _plain_why_not(wtree, builder)
            for n in _walk(wtree):
                if n.rule:
                    for cit, p in n.rule.citations:
                        if p:
                            used.setdefault(p.label + (cit.doc or ""), p)
    cfs: list[Counterfactual] = []
    stats = {"candidates": 0, "evaluations": 0}
    if holds:
        searcher = Searcher(j.model.plan, j.model, j.case, j.kb.vocabulary, ex, j.overrides)
        res = searcher.search(ground_atom, wanted, counterfactual_budget)
        cfs = res.found[:8]
        stats = {"candidates": res.tried, "evaluations": res.evaluations}
    discretion: list[dict[str, str]] = []
    inputs = set(j.kb.vocabulary.relations)
    in_play = {n.pred for n in _walk(tree) if n.pred and n.pred not in inputs} | {decision.pred}
    if wanted is not None:
        in_play.add(wanted.pred)
    for r in j.document.program.rules:
        body = {a.pred for lit in r.body for a, _ in ir.literal_atoms(lit)}
        note = r.ann.discretion_in(lang)
        if note and (body | {r.head.pred}) & in_play:
            discretion.append({"rule": r.id, "text": note, "citations": ", ".join(str(c) for c in r.ann.cites)})
    cited_articles = {p.article for p in used.values()}
    for art in j.document.articles.values():
        for p in art.provisions():
            if p.status != "not_computable" or not (p.reason or "").startswith("discretionary"):
                continue
            # the general hardship / deviation clauses always matter in an appeal; other discretionary
            # provisions only when they sit in an article the decision rests on
            general = any(w in p.text.lower() for w in _HARDSHIP_WORDS)
            if general or p.article in cited_articles:
                discretion.append({"rule": "", "text": p.text, "citations": p.label})
                used.setdefault(p.label, p)
    appeal, appeal_provs = _appeal_route(j, lang)
    for p in appeal_provs:
        used.setdefault(p.label, p)
    if appeal is None:
        notes.append(
            "Deze regeling noemt zelf geen beroepsroute of beroepstermijn; die staan in de OER of het reglement van "
            "de examencommissie van de opleiding."
            if lang == "nl"
            else "This regulation states no appeal route or term itself; see the programme's OER or the board's rules."
        )
    doc = j.document
    return Dossier(
        lang=lang,
        decision=decision_text,
        decision_atom=str(ground_atom),
        holds=holds,
        waits_for=waits_for,
        document={
            "id": doc.id,
            "title": doc.title,
            "kind": doc.meta.get("kind"),
            "academic_year": doc.meta.get("academic_year"),
            "institution": doc.meta.get("institution"),
            "version": doc.version,
        },
        student=student,
        programme=_programme(j, student),
        facts=sorted(facts.items()),
        steps=steps,
        exceptions=exceptions,
        wanted=str(wanted) if wanted else None,
        wanted_why_not=wanted_lines,
        counterfactuals=cfs,
        counterfactual_stats=stats,
        appeal=appeal,
        discretion=discretion,
        receipt=j.receipt(),
        annex=sorted(used.values(), key=lambda p: (p.article, p.lid or "")),
        proof=proof if proof is not None else tree,
        seconds=time.perf_counter() - start,
        notes=notes,
        wanted_text=ph.goal(wanted) if wanted is not None else None,
        programme_name=ph.value(programme) if (programme := _programme(j, student)) else None,
        counterfactual_texts=[" + ".join(change_words(ph, c) for c in cf.changes) for cf in cfs],
        steps_tree=Builder(ph, Options(), ex.derivations).tree(proof if proof is not None else tree),
        overrides=overridden(j.document, j.overrides),
        kinds=j.kinds,
    )
