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
from oerlog.explain.counterfactual import MAX_PROBES, Counterfactual, Searcher
from oerlog.explain.explainer import Explainer, Node, NodeKind
from oerlog.explain.render import fill, node_dict, statement
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
    overrides: list[Override] = field(default_factory=list)  # parameters given another value for this run

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
            "wanted_why_not": self.wanted_why_not,
            "counterfactuals": [
                {
                    "changes": [c.describe(self.lang) for c in cf.changes],
                    "decision_after": cf.decision_after,
                    "decision_undetermined_after": cf.undetermined_after,
                    "wanted_after": cf.wanted_after,
                }
                for cf in self.counterfactuals
            ],
            "counterfactual_search": self.counterfactual_stats,
            "appeal": {k: json_value(v) for k, v in (self.appeal or {}).items()} or None,
            "discretion": self.discretion,
            "receipt": self.receipt,
            "annex": [{"label": p.label, "title": p.title, "text": p.text} for p in self.annex],
            "proof": node_dict(self.proof, self.lang) if self.proof else None,
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


def _first_reason(rule_node: Node, lang: str, depth: int = 0) -> str:
    """The failure of one tried rule in words, following a failed sub-goal one level down."""
    for c in rule_node.children:
        if c.kind is NodeKind.BUILTIN_FALSE:
            return f"de voorwaarde {c.text} is niet vervuld" if lang == "nl" else f"the condition {c.text} is not met"
        if c.kind is NodeKind.MISSING_FACT:
            return f"er is geen {c.atom}" if lang == "nl" else f"there is no {c.atom}"
        if c.kind is NodeKind.PRESENT:
            return f"{c.atom} geldt" if lang == "nl" else f"{c.atom} holds"
        if c.kind is NodeKind.DEFEATED:
            rid = c.rule.id if c.rule else "?"
            return f"uitzondering {rid} is van toepassing" if lang == "nl" else f"exception {rid} applies"
        if c.kind in (NodeKind.GOAL, NodeKind.NOT_DERIVED):
            head = f"{c.atom} geldt niet" if lang == "nl" else f"{c.atom} does not hold"
            subs = [_first_reason(r, lang, depth + 1) for r in c.children if r.kind is NodeKind.RULE_FAILED]
            subs = [x for x in subs if x]
            if subs and depth < 1:
                return head + (" (" + "; ".join(dict.fromkeys(subs)) + ")")
            return head
    return ""


def _plain_why_not(tree: Node, lang: str) -> list[str]:
    """One line per rule that could give the wanted outcome: what fails, in words."""
    lines: list[str] = []
    for rule_node in tree.children:
        if rule_node.kind is NodeKind.BLOCKED:
            lines.append(statement(rule_node, lang) + ": " + ", ".join("$" + p for p in rule_node.params))
            continue
        if rule_node.kind is not NodeKind.RULE_FAILED or not rule_node.rule:
            continue
        cite = "; ".join(p.label if p else str(c) for c, p in rule_node.rule.citations)
        reason = _first_reason(rule_node, lang)
        lines.append(f"{rule_node.rule.id} ({cite}): {reason}")
    return lines


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


def _waits_for(tree: Node, lang: str) -> list[str]:
    """What an undetermined decision waits for: the facts the case states neither true nor false (a body's decision,
    a notice) and the choices the document leaves unfilled."""
    out: list[str] = []
    for n in _walk(tree):
        if n.kind is NodeKind.UNKNOWN_FACT and n.atom:
            out.append(n.atom + (" (niet vastgelegd)" if lang == "nl" else " (not recorded)"))
        elif n.kind is NodeKind.UNFILLED:
            choice = ", ".join("$" + p for p in n.params)
            out.append(f"{choice} ({'keuze open in de regeling' if lang == 'nl' else 'choice left open by the text'})")
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
    wanted = wanted or _wanted_for(j, decision)
    notes: list[str] = []
    open_rows = [] if rows else j.model.match_undetermined(decision)
    waits_for: list[str] = []
    if open_rows:
        ground_atom = ir.Atom(decision.pred, tuple(ir.Const(v) for v in open_rows[0]))
        tree = ex.undetermined(decision.pred, open_rows[0])
        holds = False
        proof = None
        waits_for = _waits_for(tree, lang)
        decision_text = f"{ground_atom} is onbepaald." if lang == "nl" else f"{ground_atom} is undetermined."
    elif not rows:
        tree = ex.whynot(decision)
        holds = False
        ground_atom = decision
        proof = None
        decision_text = f"{decision} geldt niet." if lang == "nl" else f"{decision} does not hold."
    else:
        ground_atom = ir.Atom(decision.pred, tuple(ir.Const(v) for v in rows[0]))
        proof = ex.why(decision.pred, rows[0])
        tree = proof
        holds = True
        decision_text = statement(proof, lang)
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
                if c.kind is NodeKind.FACT:
                    because.append(f"{c.atom} ({c.source})" if c.source else str(c.atom))
                elif c.kind in (NodeKind.BUILTIN, NodeKind.AGGREGATE):
                    because.append(str(c.text))
                elif c.kind is NodeKind.ABSENT:
                    because.append(("niet aanwezig: " if lang == "nl" else "absent: ") + str(c.text))
                elif c.kind is NodeKind.DERIVED:
                    because.append(statement(c, lang))
            for cit, p in n.rule.citations:
                if p:
                    used.setdefault(p.label + (cit.doc or ""), p)
            steps.append(
                Step(
                    i,
                    statement(n, lang),
                    str(n.atom),
                    n.rule.id,
                    [p.label if p else str(c) for c, p in n.rule.citations],
                    because,
                    list(n.rule.readings(lang)),
                    n.rule.discretion,
                )
            )
        for n in _walk(proof):
            if n.kind is NodeKind.FACT and n.atom:
                facts.setdefault(n.atom, str(n.source) if n.source else "")
            if n.kind is NodeKind.EXCEPTION_CHECKED and n.rule:
                missing = [
                    m.atom or ""
                    for m in _walk(n)
                    if m.kind in (NodeKind.MISSING_FACT, NodeKind.BUILTIN_FALSE, NodeKind.NOT_DERIVED)
                ]
                for cit, p in n.rule.citations:
                    if p:
                        used.setdefault(p.label + (cit.doc or ""), p)
                exceptions.append(
                    {
                        "rule": n.rule.id,
                        "statement": fill(n.rule.nl if lang == "nl" else n.rule.en, n.binding, lang, "…") or n.rule.id,
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
            wanted_lines = _plain_why_not(wtree, lang)
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
        if r.ann.discretion and (body | {r.head.pred}) & in_play:
            discretion.append(
                {"rule": r.id, "text": r.ann.discretion, "citations": ", ".join(str(c) for c in r.ann.cites)}
            )
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
        overrides=overridden(j.document, j.overrides),
    )
