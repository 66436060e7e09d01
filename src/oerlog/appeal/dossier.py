"""Appeal dossiers: one decision about one student, explained as a document for the student, the study
adviser and the examencommissie's secretary (verweerschrift).

The dossier holds the decision, the facts with their sources, the reasoning step by step with the articles, the
exceptions and routes the student could take (force majeure, a request, a body's decision) with what each needs
and who decides it, the student's own argument answered first, why the outcome the student wants fails, the
verified counterfactuals a student or a body could bring about, the appeal route and deadline (from the
regulation, its frame OER or the law), discretionary powers, a receipt, and an annex with the verbatim text of
every provision used. :func:`build` assembles it; ``dossier_render`` turns it into Markdown or
HTML; :meth:`Dossier.to_dict` is the JSON form for other tools.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from oerlog.appeal.route import Route, appeal_route
from oerlog.appeal.student import Route as StudentRoute
from oerlog.appeal.student import Routes, matches
from oerlog.errors import Location, UsageError
from oerlog.evaluation.engine import evaluate
from oerlog.evaluation.judge import Judgement
from oerlog.evaluation.overrides import Override, overridden, overrides_json
from oerlog.explain.counterfactual import MAX_PROBES, Change, Counterfactual, Searcher, _apply
from oerlog.explain.explainer import Explainer, Node, NodeKind, RuleInfo
from oerlog.explain.explanation import phrasing
from oerlog.explain.items import Builder, Item, Options
from oerlog.explain.render import Kinds, node_dict
from oerlog.explain.story import tell
from oerlog.explain.words import Phrasing
from oerlog.kb.vocabulary import Vocabulary
from oerlog.lang import ir
from oerlog.semantics.model import Status
from oerlog.values import Value


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


# 3: the student's side (routes, argument), counterfactuals with who can bring them, the route and term with
# where each comes from, the statutory provisions in the annex
SCHEMA_ID = "oerlog.dossier/3"


@dataclass
class CounterfactualText:
    """A verified counterfactual as the dossier tells it."""

    text: str  # the changes in words
    parties: list[str]  # who can bring each change forward
    fields: list[tuple[str, str | None, str]]  # (relation, field or None for the whole fact, who: student|body)


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
    appeal: Route | None
    discretion: list[dict[str, str]]
    receipt: dict[str, Any]
    annex: list[Any]  # Provision or route.Quoted: label, title, text
    proof: Node | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    waits_for: list[str] = field(default_factory=list)  # an undetermined decision: what it waits for
    wanted_text: str | None = None  # the outcome wanted, in words
    programme_name: str | None = None  # the programme by its display name
    counterfactual_texts: list[CounterfactualText] = field(default_factory=list)
    steps_tree: Item | None = None  # the proof (or why-not) as the reader's items
    overrides: list[Override] = field(default_factory=list)  # parameters given another value for this run
    kinds: Kinds | None = field(default=None, repr=False)  # the judgement's column kinds: JSON values by their kind
    routes: list[StudentRoute] = field(default_factory=list)  # the student's side
    argument: str | None = None  # the student's argument (--argument), as given
    argument_routes: list[StudentRoute] = field(default_factory=list)  # the routes it names
    decided_by: list[str] = field(default_factory=list)  # an undetermined decision: who decides, in words
    status_words: dict[str, str] = field(default_factory=dict)  # route status -> words

    @property
    def status(self) -> str:
        """holds, undetermined or does_not_hold."""
        return "holds" if self.holds else "undetermined" if self.waits_for else "does_not_hold"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (schema ``oerlog.dossier/3``, src/oerlog/schemas/dossier.schema.json)."""
        return {
            "schema": SCHEMA_ID,
            "language": self.lang,
            "decision": self.decision,
            "decision_atom": self.decision_atom,
            "holds": self.holds,
            "status": self.status,
            "waits_for": self.waits_for,
            "decided_by": self.decided_by,
            "document": self.document,
            "student": self.student,
            "programme": self.programme,
            "argument": self.argument,
            "argument_routes": [r.to_dict() for r in self.argument_routes],
            "routes": [r.to_dict() for r in self.routes],
            "facts": [{"fact": f, "source": s} for f, s in self.facts],
            "steps": [s.__dict__ for s in self.steps],
            "exceptions": self.exceptions,
            "wanted": self.wanted,
            "wanted_text": self.wanted_text,
            "wanted_why_not": self.wanted_why_not,
            "counterfactuals": [
                {
                    "changes": [c.describe(self.lang) for c in cf.changes],
                    "text": t.text,
                    "contested_by": t.parties,
                    "fields": [{"relation": r, "field": f, "by": b} for r, f, b in t.fields],
                    "decision_after": cf.decision_after,
                    "decision_undetermined_after": cf.undetermined_after,
                    "wanted_after": cf.wanted_after,
                }
                for cf, t in zip(self.counterfactuals, self.counterfactual_texts, strict=True)
            ],
            "counterfactual_search": self.counterfactual_stats,
            "appeal": self.appeal.to_dict() if self.appeal else None,
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


GRID_DAYS = 61
"""Dates a student could bring forward are probed two months either side of the recorded one (a request made
earlier, a form dated otherwise); the thresholds of the rules beyond that are found by the boundary search."""

PARTY = {
    "nl": {
        "student": "aan te voeren door de student",
        "body": "bij een nieuwe beoordeling of beslissing van een orgaan",
    },
    "en": {"student": "for the student to bring forward", "body": "on a new assessment or decision by a body"},
}


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
    rel = ph.relation(c.pred)
    if rel is not None and rel.is_open:  # a body's decision in the student's favour
        return f"‘{ph.fact(c.pred, c.row)}’"
    return f"{'met daarbij' if nl else 'in addition'} ‘{ph.fact(c.pred, c.row)}’"


def contestable(voc: Vocabulary) -> Callable[[Change], bool]:
    """The changes a student could bring forward: a value of a field the vocabulary marks ``contest`` (a grade, a
    date), a fact whose key fields are marked (a request, a claim, a body's decision) added, a body's finding taken
    back; never the enrolment, the course or the schedule."""

    def allowed(c: Change) -> bool:
        rel = voc.relations.get(c.pred)
        if rel is None:
            return False
        if c.kind == "set":
            return rel.contested_by(c.field) != "none"
        if c.kind == "remove":  # a fact taken back: only a body's finding (a student's own request stays made)
            return rel.contested_by() == "body"
        return rel.contested_by() != "none"

    return allowed


def contested_fields(voc: Vocabulary, c: Change) -> tuple[str, str | None, str]:
    """(relation, field or None for the whole fact, student|body|none) of one change."""
    rel = voc.relations.get(c.pred)
    if rel is None:
        return c.pred, c.field, "none"
    if c.kind == "set":
        return c.pred, c.field, rel.contested_by(c.field)
    return c.pred, None, rel.contested_by()


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


def _open_waits(j: Judgement, tree: Node, ex: Explainer) -> list[tuple[str, tuple[Value, ...], RuleInfo | None]]:
    """The facts of open relations (a body's decision) an undetermined conclusion waits for through the exceptions
    to its rule: per exception whose other conditions hold for the conclusion's binding, each open atom of its body
    that the case states neither true nor false. (The explanation tree shows a negated exception as absent.)"""
    if tree.rule is None:
        return []
    out: list[tuple[str, tuple[Value, ...], RuleInfo | None]] = []
    opens = {n for n, r in j.kb.vocabulary.relations.items() if r.is_open}
    for r in j.document.program.rules:
        if r.defeats != tree.rule.id:
            continue
        b = {
            x.name: tree.binding[h.name]
            for x, h in zip(r.head.args, tree.rule.rule.head.args if tree.rule.rule else (), strict=False)
            if isinstance(x, ir.Var) and isinstance(h, ir.Var) and h.name in tree.binding
        }
        waits: list[tuple[str, tuple[Value, ...]]] = []
        others_hold = True
        for body_lit in r.body:
            if not isinstance(body_lit, ir.Positive):
                continue
            lit = body_lit.atom
            args = tuple(ir.Const(b[a.name]) if isinstance(a, ir.Var) and a.name in b else a for a in lit.args)
            atom = ir.Atom(lit.pred, args)
            if lit.pred in opens and all(isinstance(a, ir.Const) for a in args):
                if j.model.answer(atom) is Status.UNDETERMINED:
                    waits.append((lit.pred, tuple(a.value for a in args if isinstance(a, ir.Const))))
            elif lit.pred not in opens:
                status = j.model.answer(atom) if all(isinstance(a, ir.Const) for a in args) else None
                if status is Status.UNDETERMINED:
                    for row in j.model.match_undetermined(atom)[:3]:
                        for n in _walk(ex.undetermined(lit.pred, row)):
                            if n.kind is NodeKind.UNKNOWN_FACT and n.pred and n.args:
                                waits.append((n.pred, n.args))
                elif not j.model.match(atom):
                    others_hold = False
        if others_hold:
            out += [(p, row, RuleInfo.of(r, j.document)) for p, row in dict.fromkeys(waits)]
    return out


# a reader meets no rule ids, relation names or atoms: a parenthesis naming them, and "vastgelegd als X(...)", go
_ATOM_CALL = r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+\([^()]*\)"
_SNAKE = r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"
_PAREN = re.compile(r"\s*\((?:[^()]|\([^()]*\))*?" + _SNAKE + r"(?:[^()]|\([^()]*\))*\)")
_RECORDED_SENTENCE = re.compile(r"\s*(?:Vastgelegd|Recorded) (?:als|as) " + _ATOM_CALL + r"\.")
_RECORDED = re.compile(r"[,;]?\s*(?:vastgelegd|recorded) (?:als|as) " + _ATOM_CALL)
_CALL = re.compile(_ATOM_CALL)


def reader_text(text: str, lang: str) -> str | None:
    """A note of the KB (an interpretation, a discretion note) for a reader: without the names of rules, relations
    and atoms it gives for whoever writes a case (``(discretionary_decision(...))``, ``zie y3_extra_resit``); None
    when nothing readable is left, or when the note has no text in ``lang`` (an English note in a Dutch dossier)."""
    out = _RECORDED_SENTENCE.sub("", text)
    out = _RECORDED.sub("", out)
    out = _PAREN.sub("", out)
    out = _CALL.sub("", out)
    out = re.sub(r"\s+([,;:])", r"\1", out)
    out = re.sub(r"\s+\.(?!\.)", ".", out)
    out = re.sub(r"\s{2,}", " ", out).strip()
    out = re.sub(r"([;:,])\1+", r"\1", out)
    if re.search(_SNAKE, out) or len(out) < 12:
        return None
    return out


def _notes(info: RuleInfo, lang: str) -> tuple[list[str], str | None]:
    """A rule's interpretations and discretion note in ``lang`` only (a Dutch dossier never shows the English
    text of a note not yet translated), as a reader reads them."""
    if lang == "nl":
        readings = [x for x in info.interpretations_nl if x]
        disc = info.discretion_nl
    else:
        readings, disc = list(info.interpretations), info.discretion
    out = [t for t in (reader_text(x, lang) for x in readings) if t]
    return out, reader_text(disc, lang) if disc else None


def why_not_holding(j: Judgement, decision: ir.Atom, lang: str) -> list[str] | None:
    """When the decision stated does not follow from the rules (neither holds nor is undetermined): a short why-not
    (the goal, the closest rule and what it lacks) instead of a dossier; else None."""
    if j.answers(decision) or j.model.match_undetermined(decision):
        return None
    ex = Explainer(j.model, j.document, j.case.sources, lang)
    ph = phrasing(j, lang)
    builder = Builder(ph, Options(), ex.derivations)
    story = tell("whynot", ex.whynot(decision), ph, builder, ex.derivations)
    return story.summary.lines(lang, "whynot")


def build(
    j: Judgement,
    decision: ir.Atom,
    lang: str = "nl",
    wanted: ir.Atom | None = None,
    counterfactual_budget: int = MAX_PROBES,
    argument: str | None = None,
) -> Dossier:
    """Assemble the dossier for a ground (or single-answer) decision atom that holds or is undetermined."""
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
    decided_by: list[str] = []
    judgement_notes: list[str] = []
    open_waits: list[tuple[str, tuple[Value, ...], RuleInfo | None]] = []
    waited: set[tuple[str, tuple[Value, ...]]] = set()
    if open_rows:
        ground_atom = ir.Atom(decision.pred, tuple(ir.Const(v) for v in open_rows[0]))
        tree = ex.undetermined(decision.pred, open_rows[0])
        holds = False
        proof = None
        waits_for = [w for w in _waits_for(tree, ph, builder) if not w.startswith("‘’")]
        open_waits = _open_waits(j, tree, ex)
        waited = {(p, row) for p, row, _ in open_waits}
        waits_for += [
            f"‘{ph.fact(p, row)}’ " + ("(niet vastgelegd)" if ph.nl else "(not recorded)") for p, row, _ in open_waits
        ]
        waits_for = list(dict.fromkeys(waits_for))  # the tree and the exceptions may name the same decision
        said = builder.statement(tree) if tree.rule is not None else ph.goal(ground_atom)
        decision_text = said
        story = tell("why", tree, ph, builder, ex.derivations)
        # who decides: the bodies named by the exceptions below; else the rules' notes on the room for judgement
        judgement_notes = [t for t in (reader_text(x, lang) for x in story.summary.decided_by) if t]
        subject_row = open_rows[0]
    elif not rows:
        raise UsageError(
            f"{decision} does not hold for this case: there is no decision to explain",
            value=str(decision),
            hint="oerlog whynot explains why it does not hold",
            example=f"oerlog whynot '{decision}' --case ...",
        )
    else:
        ground_atom = ir.Atom(decision.pred, tuple(ir.Const(v) for v in rows[0]))
        proof = ex.why(decision.pred, rows[0])
        tree = proof
        holds = True
        decision_text = builder.statement(proof)
        subject_row = rows[0]
    student = str(subject_row[0]) if subject_row else None
    facts: dict[str, tuple[str, tuple[str, int]]] = {}
    steps: list[Step] = []
    used: dict[str, Any] = {}
    routes_of = Routes(ph, builder, j.case, student)
    routes: list[StudentRoute] = []

    def cite_rule(info: RuleInfo | None) -> None:
        for cit, p in info.citations if info else ():
            if p:
                used.setdefault(p.label + (cit.doc or ""), p)

    def add_fact(pred: str, row: tuple[Value, ...], loc: Location | None) -> None:
        text = ph.fact(pred, row)
        order = (str(loc.file) if loc and loc.file else "~", loc.line if loc and loc.line else 0)
        facts.setdefault(text, (ph.source(loc) or "", order))

    derived: list[Node] = []
    _post_order(tree, derived)
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
        cite_rule(n.rule)
        readings, disc = _notes(n.rule, lang)
        steps.append(
            Step(
                i,
                builder.statement(n),
                str(n.atom),
                n.rule.id,
                [p.label if p else str(c) for c, p in n.rule.citations],
                because,
                readings,
                disc,
            )
        )
    if open_rows and tree.rule is not None:  # the undetermined conclusion itself
        cite_rule(tree.rule)
        readings, disc = _notes(tree.rule, lang)
        steps.append(
            Step(
                len(steps) + 1,
                decision_text + (" — onbepaald" if lang == "nl" else " — undetermined"),
                str(ground_atom),
                tree.rule.id,
                [p.label if p else str(c) for c, p in tree.rule.citations],
                [f"{'wacht op' if lang == 'nl' else 'waits for'}: {w}" for w in waits_for],
                readings,
                disc,
            )
        )
    exceptions: list[dict[str, Any]] = []
    for n in _walk(tree):
        if n.kind is NodeKind.FACT and n.pred:
            add_fact(n.pred, n.args, n.source)
        if n.kind is NodeKind.EXCEPTION_CHECKED and n.rule and n.rule.id not in {e["rule"] for e in exceptions}:
            cite_rule(n.rule)
            r = routes_of.from_exception(n)
            if r is not None:
                routes.append(r)
                exceptions.append(
                    {
                        "rule": n.rule.id,
                        "statement": r.statement,
                        "citations": r.citations,
                        "applies": False,
                        "missing": r.needs,
                    }
                )
        if n.kind is NodeKind.ABSENT and n.pred and n.pred not in j.kb.vocabulary.relations:
            r = routes_of.from_absent(n, ex)
            if r is not None and r.statement not in {x.statement for x in routes}:
                routes.append(r)
        if n.kind is NodeKind.UNKNOWN_FACT and n.pred and open_rows and (n.pred, n.args) not in waited:
            cites = [p.label if p else str(c) for c, p in tree.rule.citations] if tree.rule else []
            r = routes_of.from_open_fact(n, cites)
            if r is not None and r.statement not in {x.statement for x in routes}:
                routes.append(r)
    # every fact the case states about the student (a withdrawal form, a claim of force majeure) is a fact of the
    # dossier, also when the rules did not need it to reach the decision
    for p, row, info in open_waits if open_rows else []:
        cite_rule(info)
        decider = routes_of.body_of(p, row)
        where = "; ".join(x.label for _, x in info.citations if x) if info else ""
        named = f"{decider} ({where})" if where else decider
        if named and named not in decided_by:
            decided_by.append(named)
        node = Node(NodeKind.UNKNOWN_FACT, None, p, row)
        r = routes_of.from_open_fact(node, [x.label if x else str(c) for c, x in info.citations] if info else [])
        if r is not None and r.statement not in {x.statement for x in routes}:
            routes.append(r)
    if open_rows and not decided_by:
        decided_by = judgement_notes
    if student is not None:
        for pred, rowset in j.case.facts.items():
            rel = j.kb.vocabulary.relations.get(pred)
            if rel is None or rel.stated_by != "data" or pred == "reference_date":
                continue
            for row in rowset:
                if student in row:
                    add_fact(pred, row, j.case.sources.get((pred, row)))
    wanted_lines: list[str] = []
    if wanted is not None:
        wtree = ex.whynot(wanted)
        if wtree.kind is NodeKind.HOLDS:
            wanted_lines = ["geldt wel" if lang == "nl" else "holds"]
        elif j.model.answer(wanted) is Status.UNDETERMINED:
            wanted_lines = [
                "ook hierover is nog niet beslist: het hangt af van hetzelfde als het besluit"
                if lang == "nl"
                else "not decided yet either: it depends on the same as the decision"
            ]
        else:
            wanted_lines = _plain_why_not(wtree, builder)
            for n in _walk(wtree):
                cite_rule(n.rule)
            for rule_node in wtree.children:  # a rule for the outcome wanted that the student could bring about
                r = routes_of.from_wanted_rule(rule_node, wtree)
                if r is not None and all(r.needs != x.needs and r.statement != x.statement for x in routes):
                    routes.append(r)
    cfs: list[Counterfactual] = []
    cf_texts: list[CounterfactualText] = []
    stats = {"variants": 0, "found": 0}
    if holds:
        voc = j.kb.vocabulary
        searcher = Searcher(
            j.model.plan, j.model, j.case, voc, ex, j.overrides, allowed=contestable(voc), grid_days=GRID_DAYS
        )
        res = searcher.search(ground_atom, wanted, counterfactual_budget)
        for cf in res.found[:6]:
            if not _proved(j, cf, ground_atom, wanted):
                continue
            cfs.append(cf)
            who = [contested_fields(voc, c) for c in cf.changes]
            cf_texts.append(
                CounterfactualText(
                    " + ".join(change_words(ph, c) for c in cf.changes),
                    list(dict.fromkeys(PARTY[lang][b] for _, _, b in who if b in PARTY[lang])),
                    who,
                )
            )
        stats = {"variants": res.evaluations, "found": len(cfs)}
    discretion: list[dict[str, str]] = []
    inputs = set(j.kb.vocabulary.relations)
    in_play = {n.pred for n in _walk(tree) if n.pred and n.pred not in inputs} | {decision.pred}
    if wanted is not None:
        in_play.add(wanted.pred)
    # the provisions the decision rests on: its steps and the exceptions and routes considered (not the rules of
    # the outcome wanted, which reach into other parts of the regulation)
    decisive = {c for s in steps for c in s.citations} | {c for r in routes for c in r.citations}
    for rl in j.document.program.rules:
        body = {a.pred for lit in rl.body for a, _ in ir.literal_atoms(lit)}
        note = rl.ann.discretion_nl if lang == "nl" else rl.ann.discretion
        text = reader_text(note, lang) if note else None
        on_point = any(_cite_label(c) in decisive for c in rl.ann.cites)
        if text and on_point and (body | {rl.head.pred}) & in_play and text not in {d["text"] for d in discretion}:
            discretion.append(
                {"rule": rl.id, "text": text, "citations": ", ".join(_cite_label(c) for c in rl.ann.cites)}
            )
    cited_articles = {c.split()[1] for c in decisive if c.startswith("art. ")}
    for art in j.document.articles.values():
        for prov in art.provisions():
            if prov.status != "not_computable" or not (prov.reason or "").startswith("discretionary"):
                continue
            # the general hardship / deviation clauses always matter in an appeal; other discretionary
            # provisions only when they sit in an article the decision rests on
            general = any(w in prov.text.lower() for w in _HARDSHIP_WORDS)
            if general or prov.article in cited_articles:
                discretion.append({"rule": "", "text": prov.text, "citations": prov.label})
                used.setdefault(prov.label, prov)
            if general:
                routes.append(routes_of.hardship(prov.label, prov.text))
    appeal = appeal_route(j, lang)
    argument_routes: list[StudentRoute] = []
    if argument:
        argument_routes = [r for r in routes if matches(r, argument, ph)]
        routes = argument_routes + [r for r in routes if r not in argument_routes]
    doc = j.document
    annex = sorted(used.values(), key=lambda p: (p.article, p.lid or ""))
    if appeal is not None:
        for q in appeal.quoted:
            if all(q.label != p.label or q.text != p.text for p in annex):
                annex.append(q)
    programme = _programme(j, student)
    return Dossier(
        lang=lang,
        decision=decision_text,
        decision_atom=str(ground_atom),
        holds=holds,
        waits_for=waits_for,
        decided_by=decided_by,
        document={
            "id": doc.id,
            "title": doc.title,
            "kind": doc.meta.get("kind"),
            "academic_year": doc.meta.get("academic_year"),
            "institution": doc.meta.get("institution"),
            "version": doc.version,
        },
        student=student,
        programme=programme,
        facts=[(f, s) for f, (s, _) in sorted(facts.items(), key=lambda kv: kv[1][1])],
        steps=steps,
        exceptions=exceptions,
        wanted=str(wanted) if wanted else None,
        wanted_why_not=wanted_lines,
        counterfactuals=cfs,
        counterfactual_stats=stats,
        appeal=appeal,
        discretion=discretion,
        receipt=j.receipt(),
        annex=annex,
        proof=proof if proof is not None else tree,
        seconds=time.perf_counter() - start,
        notes=notes,
        wanted_text=ph.goal(wanted) if wanted is not None else None,
        programme_name=ph.value(programme) if programme else None,
        counterfactual_texts=cf_texts,
        steps_tree=Builder(ph, Options(), ex.derivations).tree(tree),
        overrides=overridden(j.document, j.overrides),
        kinds=j.kinds,
        routes=routes,
        argument=argument,
        argument_routes=argument_routes,
        status_words={k: routes_of.w[k] for k in ("present", "pending", "claimed", "missing")},
    )


def _cite_label(c: ir.Citation) -> str:
    return f"art. {c.article}" + (f" lid {c.lid}" if c.lid else "")


def _proved(j: Judgement, cf: Counterfactual, decision: ir.Atom, wanted: ir.Atom | None) -> bool:
    """The counterfactual checked once more by pyDatalog, the engine behind every proof a user reads: with its
    changes the decision no longer holds for certain. What the dossier then says (undetermined, the outcome wanted
    holds) is taken from this evaluation."""
    model = evaluate(j.model.plan, _apply(j.case.facts, cf.changes))
    status = model.answer(decision)
    if status is Status.HOLDS:
        return False
    cf.undetermined_after = status is Status.UNDETERMINED
    cf.wanted_after = model.answer(wanted) is Status.HOLDS if wanted is not None else None
    return True
