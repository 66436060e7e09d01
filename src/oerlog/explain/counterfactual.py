"""Counterfactuals: the smallest changes to a case's facts that flip a decision, each verified by re-running
the rules.

Candidate changes come from the decision's proof, never from guesses about the whole case:

- a threshold comparison on a value that comes straight from an input fact (``G < 4.0`` with ``G`` the grade of
  ``test_result``) gives "that field at the boundary" (4.0; a date one day earlier or later);
- every input fact the proof uses may be taken away;
- a fact whose absence the proof relies on (a negation, an exception whose condition is missing) may be added,
  unknown fields filled with values taken from the case (a date just before the earliest date in the proof).

Besides these, every value of each number and date in the proof's facts is tried (a grade from 1,0 to 10,0 at the
precision recorded, every day in a year either side of a date): all single changes are evaluated at once
(:mod:`oerlog.evaluation.batched`), so the nearest crossing of each field is found exhaustively, also where the
rules transform a value before comparing it. Pairs are tried only when no single change flips the decision. Only
changes whose evaluation shows the decision gone are reported.

A search may be limited to the changes a filter allows (``allowed``: an appeal dossier tries only what the
vocabulary marks contestable by the student or a body), with dates probed over a chosen span (``grid_days``); a
condition the decision needs absent then also suggests the facts that would make it hold (a request the student
could make).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from oerlog.evaluation.batched import World, evaluate_worlds
from oerlog.evaluation.engine import evaluate
from oerlog.explain.explainer import Explainer, Node, NodeKind
from oerlog.explain.thresholds import Generator, input_sources
from oerlog.kb.cases import Case
from oerlog.kb.vocabulary import Vocabulary
from oerlog.lang import ir
from oerlog.lang.parser import parse_atom
from oerlog.semantics.evaluate import eval_expr
from oerlog.semantics.model import Model, Row, Status, ground
from oerlog.semantics.plan import CompiledRule, Plan, StepKind
from oerlog.values import BuiltinTypeError, Value, compare, format_value


def _flipped(changes: list[Change], m: Model, decision: ir.Atom, wanted: ir.Atom | None) -> Counterfactual | None:
    """The counterfactual the changes make when the decision no longer holds for certain in ``m`` (None when it
    still holds): gone, or undetermined (waiting for a decision or a fact the case does not record)."""
    status = m.answer(decision)
    if status is Status.HOLDS:
        return None
    return Counterfactual(
        changes,
        False,
        bool(m.match(wanted)) if wanted is not None else None,
        undetermined_after=status is Status.UNDETERMINED,
    )


MAX_PROBES = 20_000  # variants of a case one counterfactual search evaluates at most
GRID_DAYS = 366  # dates probed on either side of a recorded date
GRID_STEPS = 20  # whole numbers probed on either side of a recorded one


@dataclass(frozen=True)
class Change:
    """One change to the case's facts."""

    kind: str  # set | remove | add
    pred: str
    row: Row  # the fact as it is (remove, set) or as it would be added (add)
    new_row: Row | None = None  # for set
    field: str | None = None
    old: Value | None = None
    new: Value | None = None

    def describe(self, lang: str = "nl") -> str:
        """The change in words."""
        atom = f"{self.pred}({', '.join(format_value(v, lang) for v in self.row)})"
        if self.kind == "set":
            new, old = format_value(self.new, lang), format_value(self.old, lang)
            if lang == "nl":
                return f"{self.field} {new} in plaats van {old} in {atom}"
            return f"{self.field} {new} instead of {old} in {atom}"
        if self.kind == "remove":
            return f"zonder het feit {atom}" if lang == "nl" else f"without the fact {atom}"
        return f"met daarbij het feit {atom}" if lang == "nl" else f"with the additional fact {atom}"


@dataclass
class Counterfactual:
    """A verified set of changes and what it does."""

    changes: list[Change]
    decision_after: bool
    wanted_after: bool | None = None
    undetermined_after: bool = False  # the decision no longer holds for certain: it waits for a decision or fact


@dataclass
class Search:
    """Result of a counterfactual search."""

    found: list[Counterfactual] = field(default_factory=list)
    tried: int = 0
    evaluations: int = 0


def _apply(facts: dict[str, set[Row]], changes: list[Change]) -> dict[str, set[Row]]:
    out = {k: set(v) for k, v in facts.items()}
    for c in changes:
        rows = out.setdefault(c.pred, set())
        if c.kind in ("remove", "set"):
            rows.discard(c.row)
        if c.kind == "set" and c.new_row is not None:
            rows.add(c.new_row)
        if c.kind == "add":
            rows.add(c.row)
    return out


def _shift(v: Value, up: bool) -> Value | None:
    """The next value above (or below) ``v`` at its own precision: 3.8 -> 3.9, 4 -> 5, a date -> next day."""
    if isinstance(v, bool):
        return None
    if isinstance(v, Decimal):
        exp = v.as_tuple().exponent
        places = max(1, -exp) if isinstance(exp, int) else 1
        step = Decimal(1).scaleb(-places)
        return v + step if up else v - step
    if isinstance(v, int):
        return v + 1 if up else v - 1
    if isinstance(v, dt.date):
        return v + dt.timedelta(days=1 if up else -1)
    return None


def _flip_value(op: str, var_on_left: bool, current: Value, other: Value) -> Value | None:
    """A value for the variable side that makes ``var op other`` (or ``other op var``) change truth: the
    boundary on the other side of the comparison."""
    if not var_on_left:
        op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
    if op not in ("<", "<=", ">", ">="):
        return None
    try:
        holds = compare(op, current, other)
    except BuiltinTypeError:
        return None
    if op == "<":
        return other if holds else _shift(other, up=False)
    if op == "<=":
        return _shift(other, up=True) if holds else other
    if op == ">":
        return other if holds else _shift(other, up=True)
    return _shift(other, up=False) if holds else other


class Searcher:
    """Finds counterfactuals for one decision of one evaluated case."""

    def __init__(
        self,
        plan: Plan,
        model: Model,
        case: Case,
        vocabulary: Vocabulary,
        explainer: Explainer,
        overrides: Mapping[str, Value] | None = None,
        allowed: Callable[[Change], bool] | None = None,
        grid_days: int = GRID_DAYS,
    ):
        self.plan = plan
        self.allowed = allowed  # only changes it accepts are tried (an appeal: what a student or body can contest)
        self.grid_days = grid_days  # dates probed on either side of a recorded one
        self.overrides = dict(overrides or {})
        self.model = model
        self.case = case
        self.voc = vocabulary
        self.ex = explainer
        self.inputs = set(vocabulary.relations)

    def candidates(self, decision: ir.Atom, wanted: ir.Atom | None) -> list[Change]:
        """Changes suggested by the decision's proof (and by why the wanted outcome fails), limited to facts
        about the decision's subject (the first argument, normally the student): the programme's schedule and
        course data are not something an appeal can change."""
        subject = next((a.value for a in decision.args if isinstance(a, ir.Const)), None)
        return [c for c in self._candidates(decision, wanted) if subject is None or subject in c.row]

    def _candidates(self, decision: ir.Atom, wanted: ir.Atom | None) -> list[Change]:
        rows = self.model.match(decision)
        out: list[Change] = []
        seen_nodes: set[tuple[str, Row]] = set()
        dates: list[dt.date] = []
        for row in rows:
            self._from_proof(decision.pred, row, out, seen_nodes, dates)
        earliest = min(dates) if dates else (self.case.reference_date or dt.date.today())
        proof_trees = [self.ex.why(decision.pred, r) for r in rows]
        for tree in proof_trees:
            for n in _walk(tree):
                if n.kind is NodeKind.EXCEPTION_CHECKED:
                    for m in _walk(n):
                        if m.kind is NodeKind.MISSING_FACT and m.pred in self.inputs and m.atom:
                            out.extend(self._additions(m.atom, earliest))
                elif n.kind is NodeKind.ABSENT and n.pred in self.inputs and n.text:
                    pass  # adding a fact that a negation requires absent would only make the decision hold less
                elif n.kind is NodeKind.ABSENT and n.pred and n.text and self.allowed is not None:
                    # a derived condition the decision needs absent (no facility granted): the facts its why-not
                    # misses, when only the changes a student or a body could bring are tried
                    try:
                        absent = parse_atom(n.text)
                    except Exception:  # noqa: BLE001 - a rendering we cannot parse back gives no candidate
                        continue
                    for m in _walk(self.ex.whynot(absent)):
                        if m.kind is NodeKind.MISSING_FACT and m.pred in self.inputs and m.atom:
                            out.extend(self._additions(m.atom, earliest))
        if wanted is not None:
            tree = self.ex.whynot(wanted)
            for n in _walk(tree):
                if n.kind is NodeKind.MISSING_FACT and n.pred in self.inputs and n.atom:
                    out.extend(self._additions(n.atom, earliest))
        out.extend(self._boundaries(seen_nodes))
        unique: dict[tuple[object, ...], Change] = {}
        for c in out:
            unique.setdefault((c.kind, c.pred, c.row, c.new_row), c)
        return list(unique.values())

    def _boundaries(self, proof_facts: set[tuple[str, Row]]) -> list[Change]:
        """Threshold crossings found by the consistency checks' boundary search, which also follows a value
        through computations (``round_half_up(G, 0) >= 6`` gives 5,49 / 5,50), for the facts of the proof."""
        doc = self.ex.doc
        if doc is None:
            return []
        out: list[Change] = []
        for dim in Generator(doc.kb, self.plan, self.model, doc).dimensions():
            if len(dim.targets) != 1:
                continue
            pred, row, idx = dim.targets[0]
            if (pred, row) not in proof_facts:
                continue
            name = self.voc.relations[pred].fields[idx].name
            for v in dim.values:
                out.append(Change("set", pred, row, row[:idx] + (v,) + row[idx + 1 :], name, row[idx], v))
        return out

    def _from_proof(
        self, pred: str, row: Row, out: list[Change], seen: set[tuple[str, Row]], dates: list[dt.date]
    ) -> None:
        key = (pred, row)
        if key in seen:
            return
        seen.add(key)
        if pred in self.inputs:
            out.append(Change("remove", pred, row))
            dates.extend(v for v in row if isinstance(v, dt.date))
            return
        copies = self.model.plan.option_copies.get(pred)
        if copies is not None:  # holds under every listed option: the facts of its proof under each
            for _, name in copies.copies:
                self._from_proof(name, row, out, seen, dates)
            return
        best = self.ex.lowest_instance(pred, row)
        if best is None:
            return
        _, cr, b = best
        dates.extend(v for v in b.values() if isinstance(v, dt.date))
        for st in cr.steps:
            if st.kind is StepKind.ATOM and st.atom is not None:
                g = ground(st.atom, b)
                if g is not None:
                    self._from_proof(st.atom.pred, g, out, seen, dates)
            elif st.kind is StepKind.TEST:
                out.extend(self._threshold(cr, st.literal, b))

    def _threshold(self, cr: CompiledRule, lit: ir.Literal, b: dict[str, Value]) -> list[Change]:
        assert isinstance(lit, ir.Compare)
        out: list[Change] = []
        for var_side, other_side, left in ((lit.left, lit.right, True), (lit.right, lit.left, False)):
            if not isinstance(var_side, ir.Var) or var_side.name not in b:
                continue
            try:
                other = eval_expr(other_side, b)
            except (KeyError, BuiltinTypeError):
                continue
            new = _flip_value(lit.op, left, b[var_side.name], other)
            if new is None:
                continue
            for pred, g, i in input_sources(cr, var_side.name, b, self.inputs):
                rel = self.voc.relations[pred]
                fname = rel.fields[i].name
                if rel.fields[i].type == "grade" and isinstance(new, Decimal) and not (1 <= new <= 10):
                    continue
                new_row = g[:i] + (new,) + g[i + 1 :]
                out.append(Change("set", pred, g, new_row, fname, g[i], new))
        return out

    def _additions(self, atom_text: str, earliest: dt.date) -> list[Change]:
        try:
            atom = parse_atom(atom_text)
        except Exception:  # noqa: BLE001 - a rendering we cannot parse back is simply not a candidate
            return []
        rel = self.voc.relations.get(atom.pred)
        if rel is None or rel.arity != atom.arity:
            return []
        options: list[list[Value]] = []
        for t, f in zip(atom.args, rel.fields, strict=True):
            if isinstance(t, ir.Const):
                options.append([t.value])
            elif f.type == "date":
                options.append([earliest - dt.timedelta(days=1)])
            elif f.type == "enum":
                options.append(list(f.values[:4]))
            elif f.type in ("id", "string"):
                options.append(["x"])
            else:
                return []
        return [Change("add", atom.pred, tuple(combo)) for combo in itertools.product(*options)][:6]

    def search(self, decision: ir.Atom, wanted: ir.Atom | None, max_evaluations: int = MAX_PROBES) -> Search:
        """Try every single change at once: the candidates of the proof, and every value of each number and date
        of the facts in the proof (grades from 1,0 to 10,0 at the precision recorded, days in a year either side);
        then pairs of candidates when no single change removes the decision. Keeps the changes whose evaluation
        removes it, per field the value nearest the recorded one."""
        res = Search()
        cands = self.candidates(decision, wanted)
        singles = cands + self._grid(cands)
        if self.allowed is not None:  # the grid is built from every fact of the proof, then filtered
            singles = [c for c in singles if self.allowed(c)]
            cands = [c for c in cands if self.allowed(c)]
        res.tried = len(cands)
        goals = [decision] + ([wanted] if wanted is not None else [])
        for changes, m in self._evaluate([[c] for c in singles[:max_evaluations]], goals, res):
            cf = _flipped(changes, m, decision, wanted)
            if cf is not None:
                res.found.append(cf)
        if not res.found:
            pairs = [[a, b] for a, b in itertools.combinations(cands, 2) if not (a.pred == b.pred and a.row == b.row)][
                : max(0, max_evaluations - res.evaluations)
            ]
            for changes, m in self._evaluate(pairs, goals, res):
                cf = _flipped(changes, m, decision, wanted)
                if cf is not None:
                    res.found.append(cf)
        # per field keep the crossing nearest to the recorded value; prefer changes that also bring about the
        # wanted outcome, then value changes over additions and removals
        nearest: dict[tuple[str, Row, str | None], Counterfactual] = {}
        rest: list[Counterfactual] = []
        for cf in res.found:
            if len(cf.changes) == 1 and cf.changes[0].kind == "set":
                c = cf.changes[0]
                key = (c.pred, c.row, c.field)
                if key not in nearest or _distance(c) < _distance(nearest[key].changes[0]):
                    nearest[key] = cf
            else:
                rest.append(cf)
        res.found = list(nearest.values()) + rest
        order = {"set": 0, "add": 1, "remove": 2}
        res.found.sort(
            key=lambda cf: (
                cf.undetermined_after,
                not cf.wanted_after,
                len(cf.changes),
                [order[c.kind] for c in cf.changes],
            )
        )
        return res

    def _evaluate(
        self, variants: list[list[Change]], goals: list[ir.Atom], res: Search
    ) -> Iterator[tuple[list[Change], Model]]:
        """Each variant of the case (its changes applied) evaluated, many at once when the document is known."""
        res.evaluations += len(variants)
        doc = self.ex.doc
        if doc is None:  # no document to batch with: one evaluation each
            for changes in variants:
                yield changes, evaluate(self.plan, _apply(self.case.facts, changes))
            return
        worlds = [World(_apply(self.case.facts, changes), self.overrides) for changes in variants]
        run = evaluate_worlds(doc, worlds, {g.pred for g in goals})
        for changes, m in zip(variants, run.results, strict=True):
            if isinstance(m, Model):
                yield changes, m

    def _grid(self, cands: list[Change]) -> list[Change]:
        """Every value of each number and date of the facts the proof uses (the facts a candidate would remove):
        grades from 1,0 to 10,0 in steps of the precision recorded, other decimals from 0 to well above the
        recorded value, whole numbers twenty either side, dates a year either side. Values already among the
        candidates are left out."""
        have = {(c.pred, c.row, c.new_row) for c in cands}
        out: list[Change] = []
        for c in cands:
            if c.kind != "remove":
                continue
            rel = self.voc.relations[c.pred]
            for idx, f in enumerate(rel.fields):
                for v in _values(c.row[idx], f.type, self.grid_days):
                    new_row = c.row[:idx] + (v,) + c.row[idx + 1 :]
                    if v != c.row[idx] and (c.pred, c.row, new_row) not in have:
                        out.append(Change("set", c.pred, c.row, new_row, f.name, c.row[idx], v))
        return out


def _values(cur: Value, ftype: str, days: int = GRID_DAYS) -> list[Value]:
    """The values a field of type ``ftype`` recorded as ``cur`` is probed with."""
    if isinstance(cur, bool):
        return []
    if isinstance(cur, dt.date) and ftype == "date":
        return [cur + dt.timedelta(days=d) for d in range(-days, days + 1)]
    if isinstance(cur, Decimal) and ftype in ("grade", "decimal", "ec"):
        exp = cur.as_tuple().exponent
        step = Decimal(1).scaleb(-max(1, -exp if isinstance(exp, int) else 1))
        lo, hi = (Decimal(1), Decimal(10)) if ftype == "grade" else (Decimal(0), cur * 4 + 10)
        n = int((hi - lo) / step)
        return [lo + i * step for i in range(n + 1)] if n <= 2_000 else []
    if isinstance(cur, int) and ftype == "integer":  # a count, a study year, an academic year: nearby values
        return list(range(max(0, cur - GRID_STEPS), cur + GRID_STEPS + 1))
    return []


def _distance(c: Change) -> float:
    a, b = c.old, c.new
    if isinstance(a, dt.date) and isinstance(b, dt.date):
        return abs((b - a).days)
    if isinstance(a, (int, Decimal)) and isinstance(b, (int, Decimal)) and not isinstance(a, bool):
        return float(abs(Decimal(b) - Decimal(a)))
    return float("inf")


def _walk(n: Node) -> list[Node]:
    out = [n]
    for c in n.children:
        out.extend(_walk(c))
    return out
