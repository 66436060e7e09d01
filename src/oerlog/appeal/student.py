"""The student's side of an appeal: every exception, hardship route and decision of a body that could change the
outcome, with whether the case already contains what it needs and, if not, which fact or evidence and which body;
and the answer to the argument the student raises (``--argument overmacht``).

A route comes from the explanation itself, never from a list of known grounds: an exception the proof considered
(overmacht lifts the exclusion, a resit-only request), a fact of an open relation the decision waits for (the study
adviser's decision on force majeure), a rule that would give the outcome the student wants. What the student or a
body must bring forward is told by the vocabulary's ``contest`` marks on the relations the route needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from oerlog.explain.explainer import Explainer, Node, NodeKind
from oerlog.explain.items import Builder
from oerlog.explain.story import tell
from oerlog.explain.words import Phrasing
from oerlog.kb.cases import Case
from oerlog.lang import ir
from oerlog.lang.parser import parse_atom

WORDS = {
    "nl": {
        "present": "de casus bevat wat hiervoor nodig is",
        "pending": "de beslissing is nog niet vastgelegd",
        "claimed": "de casus bevat het verzoek of beroep; de beslissing is nog niet vastgelegd",
        "missing": "de casus bevat dit niet",
        "student": "aan te voeren door de student",
        "body": "te beslissen door {body}",
        "a_body": "het bevoegde orgaan",
        "request": "een verzoek van de student om toepassing, met de omstandigheden die het rechtvaardigen",
        "named_body": "te beslissen door het orgaan dat de bepaling noemt",
    },
    "en": {
        "present": "the case contains what it needs",
        "pending": "the decision is not recorded yet",
        "claimed": "the case contains the request or claim; the decision is not recorded yet",
        "missing": "the case does not contain this",
        "student": "to be brought forward by the student",
        "body": "to be decided by {body}",
        "a_body": "the competent body",
        "request": "a request by the student to apply it, with the circumstances that justify it",
        "named_body": "to be decided by the body the provision names",
    },
}
BODY_FIELDS = ("body", "adviser", "decided_by")


@dataclass
class Route:
    """One exception or route that could change the outcome."""

    kind: str  # exception | decision | wanted | hardship
    statement: str  # what would apply, in words
    citations: list[str]
    status: str  # present | pending | missing
    needs: list[str]  # what is missing, in words
    parties: list[str]  # who brings it forward / decides, in words
    keys: set[str] = field(default_factory=set)  # words the student's argument is matched against
    rule: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "kind": self.kind,
            "rule": self.rule,
            "statement": self.statement,
            "citations": self.citations,
            "status": self.status,
            "needs": self.needs,
            "parties": self.parties,
        }


def _walk(n: Node) -> list[Node]:
    out = [n]
    for c in n.children:
        out.extend(_walk(c))
    return out


def _atom_args(n: Node) -> tuple[str | None, list[object]]:
    """The relation of a missing or unknown fact node and the values it names, in field order (None where the
    node leaves a field open)."""
    if n.pred is None:
        return None, []
    values: list[object] = list(n.args)
    if not values and n.atom:
        try:
            atom = parse_atom(n.atom)
            values = [a.value if isinstance(a, ir.Const) else None for a in atom.args]
        except Exception:  # noqa: BLE001 - a text that is no atom names no values
            values = []
    return n.pred, values


class Routes:
    """Builds the routes of one dossier."""

    def __init__(self, ph: Phrasing, builder: Builder, case: Case, subject: str | None):
        self.ph = ph
        self.builder = builder
        self.case = case
        self.subject = subject
        self.voc = ph.vocabulary
        self.w = WORDS[ph.lang]

    def _party(self, n: Node) -> tuple[str | None, set[str]]:
        """Who brings the fact of node ``n`` forward or decides it, in words, and the words that name it."""
        pred, values = _atom_args(n)
        rel = self.voc.relations.get(pred) if (self.voc and pred) else None
        if rel is None:
            return None, set()
        keys = {rel.name, rel.label_in("nl").lower(), rel.label_in("en").lower()}
        for v in values:
            if isinstance(v, str):
                keys.add(v.lower())
                name = self.ph.names.get(v)
                if name:
                    keys |= {name.nl.lower(), name.en.lower()}
        who = rel.contested_by()
        if who == "student":
            return self.w["student"], keys
        if who == "body":
            body = None
            for i, f in enumerate(rel.fields):
                v = values[i] if i < len(values) else None
                if f.name in BODY_FIELDS and isinstance(v, str):
                    body = self.ph.value(v, f)
            if body is None:  # a relation that names no body: the competent one, by what the fact is
                body = f"{self.w['a_body']} ({rel.label_in(self.ph.lang)})"
            return self.w["body"].format(body=body), keys
        return None, keys

    def body_of(self, pred: str, row: tuple[object, ...]) -> str | None:
        """The body that decides an open fact (``discretionary_decision(study_adviser, ...)``: de studieadviseur),
        by the value of its body field; None when the relation names none."""
        rel = self.voc.relations.get(pred) if self.voc else None
        for i, f in enumerate(rel.fields if rel else ()):
            v = row[i] if i < len(row) else None
            if f.name in BODY_FIELDS and isinstance(v, str):
                return self.ph.value(v, f)
        return None

    def _claims_for(self, pred: str) -> list[str]:
        """What the student can bring forward for a conclusion the route needs: the relations the student
        contests whose name shares the conclusion's stem (``force_majeure_invoked``: ``force_majeure_claim``)."""
        stem = pred.rsplit("_", 1)[0] if "_" in pred else pred
        out: list[str] = []
        for name, rel in self.voc.relations.items() if self.voc else ():
            if len(stem) > 5 and name.startswith(stem) and rel.contested_by() == "student":
                out.append(f"{self.w['student']}: {rel.label_in(self.ph.lang)}")
        return out

    def _in_case(self, preds: set[str]) -> bool:
        """Whether the case states a fact of one of ``preds`` about the student (a claim, a request)."""
        for p in preds:
            for row in self.case.facts.get(p, ()):
                if self.subject is None or self.subject in row:
                    return True
        return False

    def from_exception(self, n: Node) -> Route | None:
        """An exception the proof considered that did not apply."""
        if n.rule is None:
            return None
        it = self.builder.item(n, None, 1)
        needs = [_needed(c.text) for c in (it.children if it else []) if c.mark in ("✘", "?")]
        parties: list[str] = []
        keys: set[str] = {n.rule.id}
        preds: set[str] = set()
        pending = False
        for m in _walk(n):
            if m.kind in (NodeKind.MISSING_FACT, NodeKind.UNKNOWN_FACT, NodeKind.STATED_FALSE) and m.pred:
                who, k = self._party(m)
                keys |= k
                if who and who not in parties:
                    parties.append(who)
                if m.kind is NodeKind.UNKNOWN_FACT:
                    pending = True
                preds.add(m.pred)
            elif m.kind is NodeKind.NOT_DERIVED and m.pred:
                keys.add(m.pred)
                for who in self._claims_for(m.pred):
                    if who not in parties:
                        parties.insert(0, who)
        claims = {
            p
            for p, r in (self.voc.relations.items() if self.voc else ())
            if r.contested_by() == "student" and (p in keys or any(k in p for k in keys if len(k) > 6))
        }
        status = "claimed" if pending and self._in_case(claims) else "missing"
        statement = self.ph.statement(n.rule, n.binding, loose=True) or self.ph.citations(n.rule)
        keys |= _words(statement)
        return Route(
            "exception",
            statement,
            [p.label if p else str(c) for c, p in n.rule.citations],
            status,
            needs,
            parties,
            keys,
            n.rule.id,
        )

    def from_absent(self, n: Node, ex: Explainer) -> Route | None:
        """A condition the decision needs absent (``not individual_provision(S, C)``: no facility granted) that the
        student could bring about: what it would need, per the why-not of the condition, when that is something a
        student or a body can bring forward."""
        if n.pred is None or n.text is None or (self.voc and n.pred in self.voc.relations):
            return None
        try:
            atom = parse_atom(n.text)
        except Exception:  # noqa: BLE001 - a condition we cannot read back is no route
            return None
        it = self.builder.item(n, None, 1)
        if it is None or not it.text:
            return None
        tree = ex.whynot(atom)
        parties: list[str] = []
        keys: set[str] = {n.pred}
        pending = False
        preds: set[str] = set()
        for m in _walk(tree):
            if m.kind in (NodeKind.MISSING_FACT, NodeKind.UNKNOWN_FACT) and m.pred:
                values = _atom_args(m)[1]
                if self.subject is not None and self.subject not in values:
                    continue  # a decision about the course or the programme is no route of this student
                who, k = self._party(m)
                if who is None:
                    continue
                keys |= k
                preds.add(m.pred)
                pending = pending or m.kind is NodeKind.UNKNOWN_FACT
                if who not in parties:
                    parties.append(who)
        if not parties:
            return None
        story = tell("whynot", tree, self.ph, self.builder, ex.derivations)
        statement = _needed(it.text).strip("‘’")
        cites = [p.label if p else str(c) for c, p in story.summary.rule.citations] if story.summary.rule else []
        return Route(
            "exception",
            statement,
            cites,
            "claimed" if pending and self._in_case(preds) else "missing",
            [_needed(x) for x in story.summary.needed] or [statement],
            parties,
            keys | _words(statement),
            n.pred,
        )

    def from_wanted_rule(self, rule_node: Node, tree: Node) -> Route | None:
        """A rule that would give the outcome the student wants, when what it misses is something the student or
        a body can bring forward about this student (a resit-only request, a body's decision)."""
        if rule_node.kind is not NodeKind.RULE_FAILED or rule_node.rule is None:
            return None
        parties: list[str] = []
        keys: set[str] = {rule_node.rule.id}
        preds: set[str] = set()
        pending = False
        reachable = 0  # failed conditions the student or a body can bring about
        for m in rule_node.children:
            found = False
            for x in _walk(m):
                if x.kind in (NodeKind.MISSING_FACT, NodeKind.UNKNOWN_FACT) and x.pred:
                    if self.subject is not None and self.subject not in _atom_args(x)[1]:
                        continue
                    who, k = self._party(x)
                    if who is None:
                        continue
                    found = True
                    keys |= k
                    preds.add(x.pred)
                    pending = pending or x.kind is NodeKind.UNKNOWN_FACT
                    parties += [who] if who not in parties else []
                elif x.kind is NodeKind.NOT_DERIVED and x.pred:
                    for who in self._claims_for(x.pred):
                        found = True
                        keys.add(x.pred)
                        parties += [who] if who not in parties else []
            reachable += found
        if not parties or reachable < (rule_node.failures or 1):
            return None  # a condition nobody can bring about fails as well (a rule for another part, another year)
        it = self.builder.item(rule_node, tree, 1)
        needs = [_needed(c.text) for c in (it.children if it else []) if c.mark in ("✘", "?", "⚑")]
        statement = self.ph.statement(rule_node.rule, rule_node.binding, loose=True) or self.ph.citations(
            rule_node.rule
        )
        return Route(
            "wanted",
            statement,
            [p.label if p else str(c) for c, p in rule_node.rule.citations],
            "claimed" if pending and self._in_case(preds) else "missing",
            needs,
            parties,
            keys | _words(statement),
            rule_node.rule.id,
        )

    def hardship(self, label: str, text: str) -> Route:
        """A general hardship or deviation clause (``in bijzondere gevallen kan de examencommissie afwijken``): a
        route open to a request of the student, decided by the body the clause names."""
        short = text if len(text) <= 240 else text[:237].rsplit(" ", 1)[0] + " …"
        return Route(
            "hardship",
            f"‘{short}’",
            [label],
            "missing",
            [self.w["request"]],
            [self.w["student"], self.w["named_body"]],
            _words(text) | {"hardship", "hardheidsclausule", "bijzondere omstandigheden"},
        )

    def from_open_fact(self, n: Node, rule_cites: list[str]) -> Route | None:
        """A decision of a body (an open fact) an undetermined outcome waits for."""
        if n.pred is None or not n.args:
            return None
        who, keys = self._party(n)
        fact = self.ph.fact(n.pred, n.args)
        claims = {p for p, r in (self.voc.relations.items() if self.voc else ()) if r.contested_by() == "student"}
        matter = {k for k in keys if len(k) > 6}
        related = {p for p in claims if any(m.replace(" ", "_") in p for m in matter)}
        status = "claimed" if related and self._in_case(related) else "pending"
        return Route("decision", fact, rule_cites, status, [fact], [who] if who else [], keys | _words(fact))

    def status_text(self, r: Route) -> str:
        """The route's status in words."""
        return self.w[r.status]


def _needed(text: str) -> str:
    """``geldt niet: ‘X’`` as what is needed: ``‘X’``."""
    for lead in ("geldt niet: ", "does not hold: ", "nodig: ", "needed: "):
        if text.startswith(lead):
            return text[len(lead) :]
    return text


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-zà-ÿ]+", text.lower()) if len(w) > 3}


def matches(route: Route, argument: str, ph: Phrasing) -> bool:
    """Whether the student's argument (free text or a key such as ``force_majeure`` or ``overmacht``) names this
    route: a word of the argument names a relation, a matter, a label or a word of the route's statement."""
    arg = argument.strip().lower()
    if not arg:
        return False
    names = {arg}
    name = ph.names.get(argument.strip())
    if name:
        names |= {name.nl.lower(), name.en.lower()}
    for k, t in ph.names.items():  # a word in Dutch or English that a display name gives for a key
        if arg in (t.nl.lower(), t.en.lower()):
            names |= {k.lower(), t.nl.lower(), t.en.lower()}
    key_words = set().union(*(_words(k.replace("_", " ")) for k in route.keys)) if route.keys else set()
    for n in names:
        if n in route.keys or n.replace(" ", "_") in route.keys:
            return True
        words = _words(n.replace("_", " "))
        if words and words <= key_words:
            return True
    return False
