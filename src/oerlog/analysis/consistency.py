"""Consistency checks between and within regulations, each finding with a witness case (``oerlog check``).

Scenarios come from the knowledge base itself. The seeds are the documents' own case files and scenario tests;
every threshold comparison that a rule makes on a value read from an input fact (a grade, a date, EC, a count
stored as a field) splits that field into intervals, and the boundary values on each side are found by
bisection over the comparison as the rule evaluates it (so ``round_half_up(G, 1) <= 5.4`` gives 5.44 / 5.45,
and ``D <= add_days(Start, -7)`` the last day and the day after). The boundaries of every document that judges
a seed are pooled, applied one at a time, combined pairwise, and completed with seeded random mutations.

Each scenario is evaluated under every document it is compared with; the findings:

- ``divergence`` (warning): two documents reach different conclusions on a shared concept for the same case
  (concepts declared exclusive, a different value, or one document drops a conclusion it draws for the same
  arguments elsewhere in the seed's family of scenarios);
- ``frame_violation`` (error): an R&A / R&R concludes something exclusive with what its frame OER concludes;
  ``refinement`` (info): one of the two concludes, the other is silent;
- ``contradiction`` (error): concepts declared ``exclusive_with`` both hold in one document;
- ``gap`` (error): none of an ``outcome_sets:`` entry of the vocabulary holds for a tuple of its domain;
- ``parameter_difference`` (info), ``unfilled_choice`` (warning), ``worked_example`` (warning, scenarios marked
  ``disagrees:``) and ``dangling_reference`` (error inside a document, warning towards its frame) are static.

Finding ids hash the kind, the documents, the concept and the rule ids involved, so they stay the same across runs
and an ``--accept`` file can record reviewed findings.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any, cast

from oerlog.backends.pydatalog import Model, Row, evaluate
from oerlog.errors import EvaluationError, Location, OerlogError, ValidationError
from oerlog.escape import html_text, md_cell, md_code, md_fence, md_quote, md_text
from oerlog.explain.counterfactual import input_sources
from oerlog.explain.explainer import Explainer, Node, RuleInfo, ground
from oerlog.explain.render import node_dict, to_markdown, to_text
from oerlog.kb import yamlpos
from oerlog.kb.cases import Case, load_case
from oerlog.kb.loader import Document, KnowledgeBase, Provision
from oerlog.kb.vocabulary import OutcomeSet
from oerlog.lang import checks, ir
from oerlog.semantics.plan import CompiledRule, Plan, Step, build_plan, eval_expr, rule_params
from oerlog.values import BuiltinTypeError, Value, compare, format_literal, format_value, json_value

SCHEMA_ID = "oerlog.check/1"
SEVERITIES = ("error", "warning", "info")
KIND_SEVERITY = {
    "frame_violation": "error",
    "contradiction": "error",
    "gap": "error",
    "dangling_reference": "error",
    "divergence": "warning",
    "worked_example": "warning",
    "unfilled_choice": "warning",
    "refinement": "info",
    "parameter_difference": "info",
}
KIND_ORDER = list(KIND_SEVERITY)
KIND_TITLE = {
    "frame_violation": "R&A outside the frame of its OER",
    "contradiction": "contradiction inside a document",
    "gap": "gap in an exhaustive outcome set",
    "dangling_reference": "reference to an article that does not exist",
    "divergence": "documents reach different conclusions",
    "worked_example": "worked example disagrees with its rule",
    "unfilled_choice": "unfilled template choice",
    "refinement": "refinement inside the frame",
    "parameter_difference": "same parameter, different values",
}
VALUE_TYPES = ("grade", "decimal", "integer", "ec", "date")
ORDER_OPS = ("<", "<=", ">", ">=")
QUOTE_CHARS = 400


# --- findings -----------------------------------------------------------------------------------------


@dataclass
class Side:
    """One document's side of a finding: what it concludes (or not), with the rules, provisions and proof."""

    document: str
    statement: str
    holds: bool | None = None
    rules: list[str] = field(default_factory=list)
    citations: list[tuple[str, str]] = field(default_factory=list)  # (label, verbatim text)
    proof: Node | None = None
    goal: str | None = None  # the atom to rerun with ``oerlog why`` / ``whynot``


@dataclass
class Finding:
    """One finding: kind, severity, the documents on each side, the witness case."""

    kind: str
    title: str
    documents: list[str]
    concept: str | None
    key: list[str]  # what the id hashes besides kind / documents / concept (rule ids, parameter, article)
    sides: list[Side] = field(default_factory=list)
    witness: str | None = None  # the case as YAML
    witness_file: str | None = None
    scenario: str | None = None  # how the witness scenario was made
    note: str = ""
    accepted: str | None = None  # the reason, when an --accept file lists the finding

    @property
    def severity(self) -> str:
        """error | warning | info (dangling references to another document are warnings)."""
        if self.kind == "dangling_reference" and len(self.documents) > 1:
            return "warning"
        return KIND_SEVERITY[self.kind]

    @property
    def id(self) -> str:
        """Stable id: a hash of the kind, the documents, the concept and the rule ids / names involved."""
        text = "|".join([self.kind, ",".join(self.documents), self.concept or "", ",".join(self.key)])
        prefix = "".join(w[0] for w in self.kind.split("_"))
        return f"{prefix}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"


@dataclass
class Stats:
    """How the scenarios were made and what the check cost."""

    seeds: int = 0
    seeds_available: int = 0
    boundary: int = 0
    pairwise: int = 0
    random: int = 0
    evaluations: int = 0
    thresholds: int = 0
    seconds: float = 0.0
    seed: int = 0
    budget: float = 0.0
    truncated: bool = False

    @property
    def scenarios(self) -> int:
        """Scenarios evaluated (seeds and mutations)."""
        return self.seeds + self.boundary + self.pairwise + self.random


@dataclass
class Report:
    """The outcome of ``oerlog check``."""

    documents: list[str]
    pairs: list[tuple[str, str, str]]  # (doc, other, relation: frame | compare)
    findings: list[Finding]
    stats: Stats
    notes: list[str] = field(default_factory=list)
    stale_acceptances: list[str] = field(default_factory=list)

    def open_findings(self, strict: bool = False) -> list[Finding]:
        """Findings not accepted (errors and warnings; with ``strict`` also info)."""
        return [f for f in self.findings if f.accepted is None and (strict or f.severity != "info")]


# --- scenarios ----------------------------------------------------------------------------------------


@dataclass
class Scenario:
    """A case to evaluate: a seed's facts, possibly mutated."""

    name: str
    family: str
    kind: str  # seed | boundary | pairwise | random
    facts: dict[str, set[Row]]
    reference_date: dt.date | None
    docs: list[str]
    changes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Dimension:
    """A field (of one fact, or of every fact an aggregate reads) and the boundary values to try."""

    targets: tuple[tuple[str, Row, int], ...]
    values: tuple[Value, ...]
    label: str


def _facts_key(facts: dict[str, set[Row]]) -> str:
    h = hashlib.sha256()
    for pred in sorted(facts):
        rows = sorted("(" + ", ".join(format_literal(v) for v in r) + ")" for r in facts[pred])
        h.update((pred + "".join(rows) + "\n").encode())
    return h.hexdigest()


def apply_sets(facts: dict[str, set[Row]], sets: list[tuple[str, Row, int, Value]]) -> dict[str, set[Row]]:
    """A copy of ``facts`` with fields set: ``(relation, fact, field index, new value)``; several changes to one
    fact are applied together."""
    out = {k: set(v) for k, v in facts.items()}
    grouped: dict[tuple[str, Row], dict[int, Value]] = {}
    for pred, row, i, v in sets:
        grouped.setdefault((pred, row), {})[i] = v
    for (pred, row), changes in grouped.items():
        rows = out.setdefault(pred, set())
        if row not in rows:
            continue
        rows.discard(row)
        rows.add(tuple(changes.get(i, x) for i, x in enumerate(row)))
    return out


def _step_of(v: Value, ftype: str) -> Value:
    if isinstance(v, dt.date):
        return 1
    if ftype == "integer" or (isinstance(v, int) and not isinstance(v, bool)):
        return 1
    return Decimal("0.01")


def _domain(v: Value, ftype: str) -> tuple[Value, Value, Value] | None:
    """(low, high, step) of a field for the boundary search."""
    if isinstance(v, bool):
        return None
    if isinstance(v, dt.date):
        return v - dt.timedelta(days=1500), v + dt.timedelta(days=1500), 1
    if isinstance(v, int):
        return min(0, v), max(100, v * 4), 1
    if isinstance(v, Decimal):
        if ftype == "grade":
            return Decimal("1.00"), Decimal("10.00"), Decimal("0.01")
        if ftype == "ec":
            return Decimal("0.0"), max(Decimal(400), v * 4), Decimal("0.1")
        return min(Decimal(0), v), max(Decimal(200), v * 4), Decimal("0.01")
    return None


def _at(lo: Value, step: Value, k: int) -> Value:
    if isinstance(lo, dt.date):
        return lo + dt.timedelta(days=k)
    if isinstance(lo, int):
        return lo + k
    assert isinstance(lo, Decimal) and isinstance(step, Decimal)
    return lo + step * k


def _count(lo: Value, hi: Value, step: Value) -> int:
    if isinstance(lo, dt.date) and isinstance(hi, dt.date):
        return (hi - lo).days
    if isinstance(lo, int) and isinstance(hi, int):
        return hi - lo
    assert isinstance(lo, Decimal) and isinstance(hi, Decimal) and isinstance(step, Decimal)
    return int((hi - lo) / step)


def boundaries(f: Callable[[Value], bool | None], current: Value, ftype: str) -> list[Value]:
    """The values on both sides of every point where ``f`` changes truth, searched by bisection over the field's
    domain (around ``current``); for decimals also the one-decimal neighbours (3,9 / 4,0 next to 3,99)."""
    dom = _domain(current, ftype)
    if dom is None:
        return []
    lo, hi, step = dom
    n = _count(lo, hi, step)
    if n <= 0:
        return []

    def truth(k: int) -> bool | None:
        return f(_at(lo, step, k))

    ks = [0, n]
    kc = _count(lo, current, step) if current != lo else 0
    if 0 < kc < n:
        ks = [0, kc, n]
    vals = [truth(k) for k in ks]
    out: list[Value] = []
    for (a, va), (b, vb) in itertools.pairwise(zip(ks, vals, strict=True)):
        if va is None or vb is None or va == vb:
            continue
        while b - a > 1:
            m = (a + b) // 2
            vm = truth(m)
            if vm is None:
                break
            if vm == va:
                a = m
            else:
                b = m
        x0, x1 = _at(lo, step, a), _at(lo, step, b)
        out += [x0, x1]
        if isinstance(x0, Decimal) and isinstance(x1, Decimal):
            down = x0.quantize(Decimal("0.1"), rounding=ROUND_FLOOR)
            up = x1.quantize(Decimal("0.1"), rounding=ROUND_CEILING)
            for extra in (down, up):
                if extra not in out and (ftype != "grade" or Decimal(1) <= extra <= Decimal(10)):
                    out.append(extra)
    return _clean(out, ftype)


def _clean(vals: list[Value], ftype: str) -> list[Value]:
    out: list[Value] = []
    for v in vals:
        if isinstance(v, Decimal):
            v = v.normalize() if v != v.to_integral_value() else v.quantize(Decimal("0.0"))
            if ftype == "grade" and not (Decimal(1) <= v <= Decimal(10)):
                continue
            if ftype == "ec" and v < 0:
                continue
        if v not in out:
            out.append(v)
    return out


class Generator:
    """Finds the boundary dimensions of one evaluated seed under one document."""

    def __init__(self, kb: KnowledgeBase, plan: Plan, model: Model, doc: Document) -> None:
        self.kb = kb
        self.plan = plan
        self.model = model
        self.ex = Explainer(model, doc)
        self.inputs = set(kb.vocabulary.relations)
        self.max_bindings = 24

    def dimensions(self) -> list[Dimension]:
        """Boundary dimensions of every threshold comparison the seed reaches."""
        out: dict[tuple[tuple[str, Row, int], ...], set[Value]] = {}
        labels: dict[tuple[tuple[str, Row, int], ...], str] = {}
        for cr in self.plan.rules:
            if not any(s.kind == "test" and _is_order(s) for s in cr.steps):
                continue
            for i, b in self._partial(cr):
                for targets, vals, label in self._thresholds(cr, i, b):
                    out.setdefault(targets, set()).update(vals)
                    labels.setdefault(targets, label)
        dims = []
        for targets, found in out.items():
            current = {t[1][t[2]] for t in targets}
            vs = [v for v in sorted(found, key=_sort_key) if not (len(current) == 1 and v in current)]
            if vs:
                dims.append(Dimension(targets, tuple(vs), labels[targets]))
        return sorted(dims, key=lambda d: d.label)

    def _partial(self, cr: CompiledRule) -> Iterator[tuple[int, dict[str, Value]]]:
        """(index of a test step, binding reached just before it), walking the body over the model."""
        seen = 0
        stack: list[tuple[int, dict[str, Value]]] = [(0, {})]
        while stack and seen < self.max_bindings:
            i, b = stack.pop()
            if i >= len(cr.steps):
                continue
            st = cr.steps[i]
            if st.kind == "test":
                if _is_order(st):
                    seen += 1
                    yield i, b
                stack.append((i + 1, b))
            elif st.kind in ("not", "defeat"):
                stack.append((i + 1, b))
            else:
                nbs = list(itertools.islice(self.ex._step_bindings(st, b), 8))
                stack.extend((i + 1, nb) for nb in reversed(nbs))

    def _thresholds(
        self, cr: CompiledRule, i: int, b: dict[str, Value]
    ) -> Iterator[tuple[tuple[tuple[str, Row, int], ...], list[Value], str]]:
        st = cr.steps[i]
        lit = st.literal
        assert isinstance(lit, ir.Compare)
        assigns = [s for s in cr.steps[:i] if s.kind == "assign"]
        for root in self._roots(cr, i):
            if root not in b:
                continue
            targets = self._trace_var(cr, root, b, 0)
            if not targets:
                continue
            pred, row, idx = targets[0]
            ftype = self.kb.vocabulary.relations[pred].fields[idx].type
            if ftype not in VALUE_TYPES:
                continue

            def truth(x: Value, root: str = root) -> bool | None:
                nb = dict(b)
                nb[root] = x
                try:
                    for a in assigns:
                        if root in a.binds:
                            continue
                        if all(v in nb for v in a.needs):
                            lit_a = a.literal
                            assert isinstance(lit_a, ir.Compare)
                            target = a.binds[0]
                            expr = (
                                lit_a.right
                                if isinstance(lit_a.left, ir.Var) and lit_a.left.name == target
                                else lit_a.left
                            )
                            nb[target] = eval_expr(expr, nb)
                    return compare(lit.op, eval_expr(lit.left, nb), eval_expr(lit.right, nb))
                except (BuiltinTypeError, KeyError, ArithmeticError, ValueError, OverflowError, TypeError):
                    return None

            vals = boundaries(truth, b[root], ftype)
            if vals:
                rel = self.kb.vocabulary.relations[pred]
                label = f"{pred}.{rel.fields[idx].name} ({cr.id}: {lit})"
                yield tuple(sorted(set(targets), key=_target_key)), vals, label

    def _roots(self, cr: CompiledRule, i: int) -> list[str]:
        """Variables of the comparison, followed back through assignments to the atom / aggregate that bound them."""
        lit = cr.steps[i].literal
        assert isinstance(lit, ir.Compare)
        wanted = [v.name for v in itertools.chain(ir.expr_vars(lit.left), ir.expr_vars(lit.right))]
        roots: list[str] = []
        seen: set[str] = set()
        while wanted:
            v = wanted.pop()
            if v in seen:
                continue
            seen.add(v)
            binder = next((s for s in cr.steps[:i] if v in s.binds), None)
            if binder is None:
                continue
            if binder.kind == "assign":
                wanted.extend(binder.needs)
            elif v not in roots:
                roots.append(v)
        return roots

    def _trace_var(self, cr: CompiledRule, var: str, b: dict[str, Value], depth: int) -> list[tuple[str, Row, int]]:
        """The input fields a variable's value comes from (unchanged, through derived atoms, assignments of one
        variable, or a min / max / mean aggregate, whose every member is then set)."""
        if depth > 5:
            return []
        direct = input_sources(cr, var, b, self.inputs)
        if direct:
            return direct[:1]
        binder = next((s for s in cr.steps if var in s.binds), None)
        if binder is None:
            return []
        if binder.kind == "atom" and binder.atom is not None:
            g = ground(binder.atom, b)
            pos = next(k for k, a in enumerate(binder.atom.args) if isinstance(a, ir.Var) and a.name == var)
            if g is None:
                return []
            return self._trace_fact(binder.atom.pred, g, pos, depth + 1)
        if binder.kind == "assign" and len(binder.needs) == 1:
            return self._trace_var(cr, binder.needs[0], b, depth + 1)
        if binder.kind == "agg" and binder.atom is not None:
            lit = binder.literal
            assert isinstance(lit, ir.Aggregate)
            if lit.func not in ("min", "max", "mean", "wmean") or not lit.args or not isinstance(lit.args[0], ir.Var):
                return []
            aux = next((r for r in self.plan.rules if r.head.pred == binder.atom.pred), None)
            if aux is None:
                return []
            key = tuple(b.get(v) for v in binder.agg_group)
            out: list[tuple[str, Row, int]] = []
            for r in self.model.tuples(binder.atom.pred):
                if r[: len(key)] != key:
                    continue
                mb = dict(zip(binder.agg_columns, r, strict=True))
                out.extend(self._trace_var(aux, lit.args[0].name, mb, depth + 1))
            return out
        return []

    def _trace_fact(self, pred: str, row: Row, pos: int, depth: int) -> list[tuple[str, Row, int]]:
        if pred in self.inputs:
            return [(pred, row, pos)]
        best = self.ex._heights().get((pred, row))
        if best is None:
            return []
        _, cr, b = best
        arg = cr.head.args[pos]
        if not isinstance(arg, ir.Var):
            return []
        return self._trace_var(cr, arg.name, b, depth)


def _is_order(st: Step) -> bool:
    return isinstance(st.literal, ir.Compare) and st.literal.op in ORDER_OPS


def _sort_key(v: Value) -> tuple[str, str]:
    if isinstance(v, (int, Decimal)) and not isinstance(v, bool):
        return (type(v).__name__, f"{float(v):020.4f}")
    return (type(v).__name__, str(v))


def _target_key(t: tuple[str, Row, int]) -> tuple[str, str, int]:
    return (t[0], "(" + ", ".join(format_literal(v) for v in t[1]) + ")", t[2])


def pairwise_combinations(dims: list[Dimension], cap: int) -> list[list[tuple[Dimension, Value]]]:
    """Combinations of boundary values covering every pair of values of two different dimensions (greedy), or
    the full product when it is small; at most ``cap``."""
    dims = [d for d in dims if d.values]
    if len(dims) < 2:
        return []
    size = 1
    for d in dims:
        size *= len(d.values)
    if size <= cap:
        return [list(zip(dims, combo, strict=True)) for combo in itertools.product(*(d.values for d in dims))]
    uncovered = {
        (i, a, j, b)
        for i, j in itertools.combinations(range(len(dims)), 2)
        for a in range(len(dims[i].values))
        for b in range(len(dims[j].values))
    }
    out: list[list[tuple[Dimension, Value]]] = []
    while uncovered and len(out) < cap:
        i, a, j, b = min(uncovered)
        choice = {i: a, j: b}
        for k in range(len(dims)):
            if k in choice:
                continue

            def gain(v: int, k: int = k, choice: dict[int, int] = choice) -> int:
                return sum(
                    1
                    for m, w in choice.items()
                    if (min(m, k), w if m < k else v, max(m, k), v if m < k else w) in uncovered
                )

            choice[k] = max(range(len(dims[k].values)), key=gain)
        for m, n in itertools.combinations(sorted(choice), 2):
            uncovered.discard((m, choice[m], n, choice[n]))
        out.append([(dims[k], dims[k].values[choice[k]]) for k in sorted(choice)])
    return out


# --- seeds --------------------------------------------------------------------------------------------


@dataclass
class Seed:
    """A case taken from a document's own case files or scenario tests."""

    document: str
    label: str
    case: Case
    priority: int


def collect_seeds(
    kb: KnowledgeBase, doc_ids: list[str], notes: list[str], loaded: dict[str, list[Any]] | None = None
) -> list[Seed]:
    """The documents' case files and scenario cases (duplicates removed), best seeds first per document.
    ``loaded`` receives each document's scenario objects (for the worked-example check)."""
    from oerlog.testing.scenarios import load_scenarios, scenario_files

    concepts = set(kb.vocabulary.concepts)
    out: list[Seed] = []
    seen: set[str] = set()
    for doc_id in doc_ids:
        doc = kb.document(doc_id)
        found: list[Seed] = []
        for p in sorted((doc.path / "cases").glob("*.yaml")):
            try:
                case = load_case(p, kb.vocabulary)
            except OerlogError as exc:
                notes.append(f"seed {p} skipped: {exc.message}")
                continue
            found.append(
                Seed(doc_id, str(p.relative_to(kb.root.parent) if kb.root.parent in p.parents else p), case, 0)
            )
        for p in scenario_files(doc):
            try:
                scs = load_scenarios(kb, doc, p)
            except OerlogError as exc:
                notes.append(f"seeds of {p} skipped: {exc.message}")
                continue
            if loaded is not None:
                loaded.setdefault(doc_id, []).extend((p, sc) for sc in scs)
            for sc in scs:
                preds = {t.split("(")[0].strip() for t, _ in sc.expect + sc.expect_not}
                prio = 1 if preds & concepts and sc.expect else 2 if preds & concepts else 3
                found.append(Seed(doc_id, f"{p.name}::{sc.name}", sc.case, prio))
        found.sort(key=lambda s: s.priority)
        for s in found:
            key = _facts_key(s.case.facts)
            if key in seen:
                continue
            seen.add(key)
            out.append(s)
    return out


# --- the check ----------------------------------------------------------------------------------------


class Checker:
    """Runs the check over a set of documents (see the module documentation)."""

    def __init__(
        self,
        kb: KnowledgeBase,
        doc_ids: list[str] | None = None,
        against: str | None = None,
        *,
        seed: int = 0,
        budget: float = 40.0,
        lang: str = "nl",
    ) -> None:
        self.kb = kb
        self.lang = lang
        self.seed = seed
        self.budget = budget
        self.rng = random.Random(seed)
        self.notes: list[str] = []
        selected = list(doc_ids) if doc_ids else sorted(kb.documents)
        for d in selected + ([against] if against else []):
            kb.document(d)
        self.selected = selected
        pairs: dict[tuple[str, str], str] = {}
        if against:
            for d in selected:
                if d != against:
                    pairs[(d, against)] = "compare"
        else:
            for a, b in itertools.combinations(selected, 2):
                pairs[(a, b)] = "compare"
        for d in list(selected) + ([against] if against else []):
            frame = kb.documents[d].meta.get("frame")
            if not frame:
                continue
            if frame not in kb.documents:
                self.notes.append(f"{d} names the frame {frame}, which is not in the knowledge base")
                continue
            pairs.pop((frame, d), None)
            pairs[(d, str(frame))] = "frame"
        self.pairs = pairs
        involved = set(selected) | {x for p in pairs for x in p}
        self.docs = sorted(involved)
        self.partners: dict[str, set[str]] = {d: {d} for d in self.docs}
        for a, b in pairs:
            self.partners[a].add(b)
            self.partners[b].add(a)
        self.programs: dict[str, ir.Program] = {}
        self.plans: dict[tuple[str, frozenset[int]], Plan] = {}
        self._possible_cache: dict[tuple[int, frozenset[str]], frozenset[int]] = {}
        self.gap_sets: dict[str, list[OutcomeSet]] = {}
        self.findings: dict[str, Finding] = {}
        self.stats = Stats(seed=seed, budget=budget)
        self.per_family = (4, 2, 1)  # boundary, pairwise and random scenarios per seed
        self.loaded: dict[str, list[Any]] = {}  # document -> [(scenario file, Scenario)]
        self._probed: set[str] = set()
        self.exclusive = self._exclusive_pairs()

    # --- plans --------------------------------------------------------------------------------------

    def program(self, doc_id: str) -> ir.Program:
        """The document's program plus one rule per applicable outcome set (``_gap_<name>``)."""
        if doc_id in self.programs:
            return self.programs[doc_id]
        doc = self.kb.documents[doc_id]
        defined = doc.predicates()
        inputs = set(self.kb.vocabulary.relations)
        extra: list[ir.Rule] = []
        sets: list[OutcomeSet] = []
        for os_ in self.kb.vocabulary.outcome_sets.values():
            body = cast(tuple[ir.Literal, ...], os_.body)
            used = {a.pred for lit in body for a, _ in _atoms(lit)}
            if not set(os_.concepts) <= defined or not used <= (defined | inputs):
                continue
            over = tuple(ir.Var(v) for v in os_.over)
            negs = tuple(ir.Negative(ir.Atom(c, over)) for c in os_.concepts)
            head = ir.Atom(f"_gap_{os_.name}", over)
            extra.append(
                ir.Rule(head, body + negs, ir.Annotations(id=f"_gap_{os_.name}"), loc=os_.loc, document=doc_id)
            )
            sets.append(os_)
        prog = ir.Program(list(doc.program.rules) + extra, list(doc.program.params))
        if extra:
            errs = checks.check_program(prog, self.kb.vocabulary.input_arities(), self.kb.vocabulary.concept_arities())
            if errs:
                self.notes.append(f"{doc_id}: outcome sets not checked: {errs[0].message}")
                sets, prog = [], doc.program
        self.gap_sets[doc_id] = sets
        self.programs[doc_id] = prog
        return prog

    def plan(self, doc_id: str, facts: dict[str, set[Row]] | None = None) -> Plan:
        """The evaluation plan of the document's program (with outcome-set rules), pruned to the rules whose
        positive atoms can all be satisfied from the relations the facts fill (the others derive nothing, and
        the relations they would define stay empty), cached per set of rules kept."""
        prog = self.program(doc_id)
        keep = self._possible_rules(prog, facts) if facts is not None else frozenset(range(len(prog.rules)))
        key = (doc_id, keep)
        if key not in self.plans:
            sub = ir.Program([r for i, r in enumerate(prog.rules) if i in keep], list(prog.params))
            self.plans[key] = build_plan(sub)
        return self.plans[key]

    def _possible_rules(self, prog: ir.Program, facts: dict[str, set[Row]]) -> frozenset[int]:
        present = frozenset(p for p, rows in facts.items() if rows)
        cache_key = (id(prog), present)
        if cache_key in self._possible_cache:
            return self._possible_cache[cache_key]
        have = set(present) | {r.head.pred for r in prog.rules if r.is_fact}
        keep: set[int] = set()
        changed = True
        while changed:
            changed = False
            for i, r in enumerate(prog.rules):
                if i in keep:
                    continue
                if all(lit.atom.pred in have for lit in r.body if isinstance(lit, ir.Positive)):
                    keep.add(i)
                    if not r.defeats and r.head.pred not in have:
                        have.add(r.head.pred)
                    changed = True
        self._possible_cache[cache_key] = frozenset(keep)
        return self._possible_cache[cache_key]

    def evaluate(self, doc_id: str, facts: dict[str, set[Row]]) -> Model | None:
        """Evaluate in this process (fast); the first evaluation of each document runs isolated with a time
        limit, so a program that does not terminate is reported rather than hanging the check."""
        plan = self.plan(doc_id, facts)
        self.stats.evaluations += 1
        try:
            if doc_id not in self._probed:
                self._probed.add(doc_id)
                return evaluate(plan, facts, timeout=max(5.0, self.budget / 2))
            return evaluate(plan, facts, isolate=False)
        except EvaluationError as exc:
            self.notes.append(f"{doc_id}: evaluation failed: {exc.message}")
            return None

    def _exclusive_pairs(self) -> set[tuple[str, str]]:
        out: set[tuple[str, str]] = set()
        concepts = self.kb.vocabulary.concepts
        for name, rel in concepts.items():
            for other in rel.exclusive_with:
                if other in concepts and concepts[other].arity == rel.arity:
                    out.add((name, other))
                    out.add((other, name))
        return out

    def derived(self, doc_id: str) -> set[str]:
        """Shared concepts the document has rules for."""
        return self.kb.documents[doc_id].predicates() & set(self.kb.vocabulary.concepts)

    def possible(self, doc_id: str, facts: dict[str, set[Row]]) -> bool:
        """Could the document conclude any shared concept from facts of these relations (a cheap static test)?"""
        prog = self.program(doc_id)
        keep = self._possible_rules(prog, facts)
        concepts = self.kb.vocabulary.concepts
        return any(prog.rules[i].head.pred in concepts for i in keep)

    def _can_derive(self, doc_id: str, facts: dict[str, set[Row]], concepts: set[str]) -> bool:
        prog = self.program(doc_id)
        return any(prog.rules[i].head.pred in concepts for i in self._possible_rules(prog, facts))

    # --- main loop ----------------------------------------------------------------------------------

    def run(self) -> Report:
        """Generate and evaluate scenarios within the time budget, then add the static findings."""
        start = time.perf_counter()
        seeds = collect_seeds(self.kb, self.docs, self.notes, self.loaded)
        self.stats.seeds_available = len(seeds)
        by_doc: dict[str, list[Seed]] = {}
        for s in seeds:
            by_doc.setdefault(s.document, []).append(s)
        order = [s for group in itertools.zip_longest(*by_doc.values()) for s in group if s is not None]
        deadline = start + self.budget
        seen: set[str] = set()
        for k, s in enumerate(order):
            if time.perf_counter() > deadline:
                self.stats.truncated = True
                self.notes.append(
                    f"time budget of {self.budget:g} s reached: {len(order) - k} of {len(order)} seeds not explored "
                    "(raise it with --budget)"
                )
                break
            self._family(s, deadline, seen)
        self._static()
        self.stats.seconds = time.perf_counter() - start
        findings = sorted(
            self.findings.values(),
            key=lambda f: (SEVERITIES.index(f.severity), KIND_ORDER.index(f.kind), f.documents, f.concept or "", f.id),
        )
        pairs = [(a, b, rel) for (a, b), rel in sorted(self.pairs.items())]
        return Report(self.selected, pairs, findings, self.stats, self.notes)

    def _family(self, seed: Seed, deadline: float, seen: set[str]) -> None:
        """Evaluate a seed and its mutations; compare the documents on each."""
        own = seed.document
        docs = [own] + sorted(self.partners.get(own, set()) - {own})
        family = f"{seed.document}:{seed.label}"
        ref = seed.case.reference_date
        base = Scenario(family, family, "seed", seed.case.facts, ref, docs)
        models = self._run(base, seen, focus_from=own)
        if models is None:
            return
        docs = sorted(models)  # the mutations are judged by the documents that had something to say on the seed
        self.stats.seeds += 1
        results: list[tuple[Scenario, dict[str, Model]]] = [(base, models)]
        dims: dict[tuple[tuple[str, Row, int], ...], Dimension] = {}
        for d, m in models.items():
            for dim in Generator(self.kb, m.plan, m, self.kb.documents[d]).dimensions():
                if dim.targets in dims:
                    old = dims[dim.targets]
                    merged = tuple(sorted(set(old.values) | set(dim.values), key=_sort_key))
                    dims[dim.targets] = Dimension(dim.targets, merged, old.label)
                else:
                    dims[dim.targets] = dim
        dim_list = list(dims.values())
        self.stats.thresholds += len(dim_list)
        plans: list[tuple[str, list[tuple[Dimension, Value]]]] = []
        singles = [("boundary", [(dim, v)]) for dim in dim_list for v in dim.values]
        # spread the single changes over the dimensions (first value of each, then the second ...)
        singles.sort(key=lambda p: list(p[1][0][0].values).index(p[1][0][1]))
        plans.extend(singles[: self.per_family[0]])
        for combo in pairwise_combinations(dim_list, self.per_family[1]):
            plans.append(("pairwise", combo))
        for _ in range(min(self.per_family[2], 2 * len(dim_list))):
            picks = self.rng.sample(dim_list, k=min(len(dim_list), self.rng.randint(1, 3)))
            plans.append(("random", [(d, self._random_value(d)) for d in picks]))
        for kind, combo in plans:
            if time.perf_counter() > deadline:
                self.stats.truncated = True
                break
            sets = [(p, r, i, v) for d, v in combo for (p, r, i) in d.targets]
            facts = apply_sets(seed.case.facts, sets)
            changes = [f"{d.label} := {format_value(v)}" for d, v in combo]
            sc = Scenario(f"{family} [{'; '.join(changes)}]", family, kind, facts, _ref(facts, ref), docs, changes)
            ms = self._run(sc, seen)
            if ms is None:
                continue
            setattr(self.stats, kind, getattr(self.stats, kind) + 1)
            results.append((sc, ms))
        self._compare_family(results)

    def _random_value(self, d: Dimension) -> Value:
        pred, row, i = d.targets[0]
        ftype = self.kb.vocabulary.relations[pred].fields[i].type
        v = row[i]
        if self.rng.random() < 0.5:
            return self.rng.choice(d.values)
        if isinstance(v, dt.date):
            return v + dt.timedelta(days=self.rng.randint(-60, 60))
        if ftype == "grade":
            return Decimal(self.rng.randint(10, 100)) / 10
        if isinstance(v, int) and not isinstance(v, bool):
            return max(0, v + self.rng.randint(-3, 3))
        if isinstance(v, Decimal):
            return max(Decimal(0), v + Decimal(self.rng.randint(-30, 30)) / 10)
        return self.rng.choice(d.values)

    def _run(self, sc: Scenario, seen: set[str], focus_from: str | None = None) -> dict[str, Model] | None:
        """Evaluate a scenario under its documents and report what is found inside each. With ``focus_from``
        (a seed's own document, evaluated first), another document judges the seed only if it has rules that can
        fire on these facts for a concept the own document concludes here (or one exclusive with it)."""
        key = _facts_key(sc.facts)
        if key in seen:
            return None
        seen.add(key)
        models: dict[str, Model] = {}
        focus: set[str] | None = None
        for d in sc.docs:
            if focus is not None and not self._can_derive(d, sc.facts, focus):
                continue
            if focus is None and not self.possible(d, sc.facts):
                continue
            m = self.evaluate(d, sc.facts)
            if m is not None:
                models[d] = m
            if d == focus_from:
                focus = {x for x in self.kb.vocabulary.concepts if m is not None and m.tuples(x)}
                focus |= {y for x, y in self.exclusive if x in focus}
        for d, m in models.items():
            self._inside(d, sc, m)
        for (a, b), rel in self.pairs.items():
            if a in models and b in models and rel == "frame":
                self._between(a, b, rel, sc, models[a], models[b], None)
        return models

    # --- findings on one scenario ----------------------------------------------------------------------

    def _inside(self, d: str, sc: Scenario, m: Model) -> None:
        for x, y in sorted(self.exclusive):
            if x > y:
                continue
            both = m.tuples(x) & m.tuples(y)
            for t in sorted(both, key=_row_text)[:1]:
                doc = self.kb.documents[d]
                key = sorted(set(_rules_deriving(doc, m, x, t)) | set(_rules_deriving(doc, m, y, t)))
                f = Finding("contradiction", f"{d}: {x} and {y} both hold for {_args(t)}", [d], f"{x}/{y}", key)
                if f.id not in self.findings:
                    f.sides = [self._side(d, m, x, t), self._side(d, m, y, t)]
                    self._add(f, sc)
        for os_ in self.gap_sets.get(d, []):
            rows = sorted(m.tuples(f"_gap_{os_.name}"), key=_row_text)
            for t in rows[:1]:
                ex = Explainer(m, self.kb.documents[d], None, self.lang)
                sides = []
                for c in os_.concepts:
                    goal = ir.Atom(c, tuple(ir.Const(v) for v in t))
                    node = ex.whynot(goal)
                    info = _doc_rule_infos(self.kb.documents[d], c)
                    sides.append(
                        Side(
                            d,
                            f"{_atom(c, t)} does not hold",
                            False,
                            [i.id for i in info],
                            _cites(info),
                            node,
                            _atom(c, t),
                        )
                    )
                f = Finding(
                    "gap",
                    f"{d}: none of {', '.join(os_.concepts)} holds for {_args(t)} (outcome set {os_.name})",
                    [d],
                    os_.name,
                    [],
                    sides,
                    note=f"domain: {os_.when}" + (f" ({os_.doc})" if os_.doc else ""),
                )
                self._add(f, sc)

    def _between(
        self, a: str, b: str, rel: str, sc: Scenario, ma: Model, mb: Model, engaged: dict[str, set[Row]] | None
    ) -> None:
        """Compare two documents' conclusions on the shared concepts both have rules for. For a frame pair:
        exclusive or different-valued conclusions are frame violations, one-sided ones refinements. For other
        pairs (``engaged``: per document and concept, the tuples concluded anywhere in the seed's family):
        exclusive or different-valued conclusions are divergences, and so is silence where the silent document
        concludes the same tuple elsewhere in the family."""
        shared = self.derived(a) & self.derived(b)
        concepts = self.kb.vocabulary.concepts
        clash_kind = "frame_violation" if rel == "frame" else "divergence"
        frame_note = f"{a} works within the frame of {b}" if rel == "frame" else ""
        for first, second, mf, ms in ((a, b, ma, mb), (b, a, mb, ma)):
            for x, y in sorted(self.exclusive):
                if x not in self.derived(first) or y not in self.derived(second):
                    continue
                for t in sorted(mf.tuples(x) & ms.tuples(y), key=_row_text)[:1]:
                    title = f"{first} concludes {x}, {second} concludes {y} for {_args(t)}"
                    self._pair(clash_kind, title, f"{x}/{y}", [(first, mf, x, t), (second, ms, y, t)], sc, frame_note)
        for x in sorted(shared):
            ta, tb = ma.tuples(x), mb.tuples(x)
            last = concepts[x].fields[-1].type if concepts[x].fields else ""
            if last in VALUE_TYPES and concepts[x].arity > 1:
                va: dict[Row, set[Value]] = {}
                vb: dict[Row, set[Value]] = {}
                for t in ta:
                    va.setdefault(t[:-1], set()).add(t[-1])
                for t in tb:
                    vb.setdefault(t[:-1], set()).add(t[-1])
                for k in sorted(set(va) & set(vb), key=_row_text):
                    if va[k] == vb[k]:
                        continue
                    t1 = k + (sorted(va[k], key=_sort_key)[0],)
                    t2 = k + (sorted(vb[k], key=_sort_key)[0],)
                    title = (
                        f"{x}({_row_text(k)}, …): {a} gives {format_value(t1[-1])}, {b} gives {format_value(t2[-1])}"
                    )
                    self._pair(clash_kind, title, x, [(a, ma, x, t1), (b, mb, x, t2)], sc, frame_note)
                    break
                continue
            for first, second, mf, ms in ((a, b, ma, mb), (b, a, mb, ma)):
                for t in sorted(mf.tuples(x) - ms.tuples(x), key=_row_text):
                    if any(ms.holds(y, t) for y in self.derived(second) if (x, y) in self.exclusive):
                        continue  # reported as a clash above
                    if rel == "frame":
                        kind = "refinement"
                        title = f"{first} concludes {_atom(x, t)}; {second} does not conclude it for this case"
                    elif engaged is not None and t in engaged.get(f"{second}:{x}", set()):
                        kind = "divergence"
                        title = (
                            f"{first} concludes {_atom(x, t)}; {second} does not for this case, although it does for "
                            "the same arguments in a neighbouring scenario"
                        )
                    else:
                        continue
                    self._pair(kind, title, x, [(first, mf, x, t), (second, ms, x, t)], sc, frame_note)
                    break

    def _pair(
        self, kind: str, title: str, concept: str, parts: list[tuple[str, Model, str, Row]], sc: Scenario, note: str
    ) -> None:
        """Add a two-sided finding; the proofs are built only when its id is new."""
        rules = [_rules_deriving(self.kb.documents[d], m, p, t) for d, m, p, t in parts]
        key = [",".join(r) for r in rules]
        docs = [d for d, _, _, _ in parts]
        f = Finding(kind, title, docs, concept, key, note=note)
        if f.id in self.findings:
            return
        f.sides = [self._side(d, m, p, t) for d, m, p, t in parts]
        self._add(f, sc)

    def _compare_family(self, results: list[tuple[Scenario, dict[str, Model]]]) -> None:
        engaged: dict[str, set[Row]] = {}
        for _, models in results:
            for d, m in models.items():
                for x in self.derived(d):
                    engaged.setdefault(f"{d}:{x}", set()).update(m.tuples(x))
        for sc, models in results:
            for (a, b), rel in self.pairs.items():
                if a in models and b in models and rel != "frame":
                    self._between(a, b, rel, sc, models[a], models[b], engaged)

    def _side(self, d: str, m: Model, pred: str, t: Row) -> Side:
        doc = self.kb.documents[d]
        ex = Explainer(m, doc, None, self.lang)
        atom = _atom(pred, t)
        if m.holds(pred, t):
            node = ex.why(pred, t)
            ids = _rules_deriving(doc, m, pred, t)
            infos = [RuleInfo.of(r, doc) for r in doc.program.rules if r.id in ids and not r.defeats]
            return Side(d, f"{atom} holds", True, ids, _cites(infos), node, atom)
        node = ex.whynot(ir.Atom(pred, tuple(ir.Const(v) for v in t)))
        infos = _doc_rule_infos(doc, pred)
        return Side(d, f"{atom} does not hold", False, [i.id for i in infos], _cites(infos), node, atom)

    def _add(self, f: Finding, sc: Scenario | None) -> None:
        if f.id in self.findings:
            return
        if sc is not None:
            f.witness = witness_yaml(self.kb, sc.facts, sc.reference_date, f, sc)
            f.scenario = f"{sc.kind}: {sc.name}"
        self.findings[f.id] = f

    # --- static findings ------------------------------------------------------------------------------

    def _static(self) -> None:
        self._parameters()
        for d in self.selected:
            self._unfilled(d)
            self._worked_examples(d)
            self._references(d)

    def _parameters(self) -> None:
        for name in sorted(self.kb.vocabulary.parameters):
            values: dict[str, tuple[Value, ir.ParamDecl]] = {}
            for d in self.docs:
                decl = self.kb.documents[d].param_decl(name)
                if decl is not None and decl.value is not None:
                    values[d] = (decl.value, decl)
            distinct = {format_literal(v) for v, _ in values.values()}
            if len(distinct) < 2 or not set(values) & set(self.selected):
                continue
            sides = []
            for d, (v, decl) in sorted(values.items()):
                doc = self.kb.documents[d]
                cites = [(_label(c, doc.provision(c)), _quote(doc.provision(c))) for c in decl.ann.cites]
                sides.append(Side(d, f"${name} = {format_value(v)}", None, [], cites))
            shown = ", ".join(f"{d}: {format_value(v)}" for d, (v, _) in sorted(values.items()))
            self._add(Finding("parameter_difference", f"${name}: {shown}", sorted(values), None, [name], sides), None)

    def _unfilled(self, d: str) -> None:
        doc = self.kb.documents[d]
        plan = doc.plan()
        for p in doc.program.params:
            if p.value is not None:
                continue
            blocked = [rid for rid, ps in plan.blocked.items() if p.name in ps]
            if not blocked:
                continue
            concl = _depending(doc, {r.head.pred for r in doc.program.rules if r.id in blocked})
            shared = [c for c in concl if c in self.kb.vocabulary.concepts]
            cites = [(_label(c, doc.provision(c)), _quote(doc.provision(c))) for c in p.ann.cites]
            for r in doc.program.rules:
                if r.id in blocked:
                    cites += [(_label(c, doc.provision(c)), _shorten(_quote(doc.provision(c)))) for c in r.ann.cites]
            side = Side(
                d, f"${p.name} is unfilled: rules {', '.join(blocked)} derive nothing", None, blocked, _dedup(cites)
            )
            f = Finding(
                "unfilled_choice",
                f"{d}: the template leaves ${p.name} open; {', '.join(concl) or 'no conclusion'} depend(s) on it",
                [d],
                p.name,
                [p.name],
                [side],
                note=("shared concepts affected: " + ", ".join(shared)) if shared else "",
            )
            self._add(f, None)

    def _worked_examples(self, d: str) -> None:
        from oerlog.evaluation.judge import parse_overrides
        from oerlog.lang.parser import parse_atom

        doc = self.kb.documents[d]
        for p, sc in self.loaded.get(d, []):
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
                _cites(infos),
            )
            try:
                overrides = parse_overrides(doc, sc.params)
                model = evaluate(doc.plan(overrides or None), sc.case.facts, isolate=False)
                self.stats.evaluations += 1
                ex = Explainer(model, doc, sc.case.sources, self.lang)
                for text, _ in sc.expect:
                    g = parse_atom(text)
                    rows = model.match(g)
                    if rows:
                        rule_side.proof = ex.why(g.pred, rows[0])
                        rule_side.goal = _atom(g.pred, rows[0])
                        rule_side.holds = True
                        break
                if rule_side.proof is None and sc.expect_not:
                    rule_side.proof = ex.whynot(parse_atom(sc.expect_not[0][0]))
                    rule_side.goal = sc.expect_not[0][0]
                    rule_side.holds = False
            except OerlogError as exc:
                self.notes.append(f"{p}: {sc.name}: {exc.message}")
            f = Finding(
                "worked_example",
                f"{d}: worked example '{sc.name}' disagrees with rule {sc.rule or '?'}",
                [d],
                None,
                [sc.rule or "", sc.name],
                [text_side, rule_side],
                witness=witness_yaml(self.kb, sc.case.facts, sc.case.reference_date, None, None),
                scenario=f"{p.relative_to(self.kb.root)}: {sc.name}",
                note=f"scenario {sc.loc}" if sc.loc else "",
            )
            self._add(f, None)

    def _references(self, d: str) -> None:
        doc = self.kb.documents[d]
        frame = doc.meta.get("frame")
        frame_doc = self.kb.documents.get(str(frame)) if frame else None
        for ref in find_references(doc):
            if ref.target == "frame" and frame_doc is None:
                continue
            target = frame_doc if ref.target == "frame" and frame_doc else doc
            if resolves(target, ref.article, ref.lid, ref.citing.article):
                continue
            prov = ref.citing
            if prov.status == "not_computable" and (prov.reason or "").startswith("external"):
                continue
            docs = [d] if target is doc else sorted([d, target.id])
            where = f"art. {ref.article}" + (f" lid {ref.lid}" if ref.lid else "")
            f = Finding(
                "dangling_reference",
                f"{d} {prov.label} refers to {where}"
                + (f" of {target.id}" if target is not doc else "")
                + ", which does not exist there",
                docs,
                None,
                [prov.label, ref.text],
                [Side(d, f"“…{ref.context}…”", None, [], [(prov.label, _shorten(prov.text))])],
                note="articles of " + target.id + ": " + ", ".join(list(target.articles)[:30]),
            )
            self._add(f, None)


# --- references in the text ---------------------------------------------------------------------------

ORDINALS = {
    "eerste": "1",
    "tweede": "2",
    "derde": "3",
    "vierde": "4",
    "vijfde": "5",
    "zesde": "6",
    "zevende": "7",
    "achtste": "8",
    "negende": "9",
    "tiende": "10",
}
_ART = r"(?:artikel(?:en)?|art\.?)\s*(?P<art>[A-Z]?\d+(?:\.\d+)*[a-z]?)\.?"
_LID = r"(?:,?\s*(?:lid|leden)\s*(?P<lid>\d+[a-z]?)|,?\s*(?P<ord>" + "|".join(ORDINALS) + r")\s+lid)?"
REF_RE = re.compile(r"\b" + _ART + _LID, re.IGNORECASE)
OWN_LID_RE = re.compile(
    r"\b(?:in|van|onder|uit|bij|zoals bedoeld in|als bedoeld in|bedoeld in)\s+(?:het\s+)?"
    r"(?:lid\s+(?P<lid>\d+[a-z]?)|(?P<ord>" + "|".join(ORDINALS) + r")\s+lid)\b(?!\s*(?:van|,))",
    re.IGNORECASE,
)
EXTERNAL_RE = re.compile(
    r"\b(WHW|wet\b|Wet |Awb|AVG|Wbp|statuut|Reglement|reglement|protocol|Richtlijnen|R&A|R&R|OER|Onderwijs- en "
    r"examenregeling|Regels en Richtlijnen|Universiteit|instellingsregeling|Studentenstatuut|COBEX|CBE|A-deel|B-deel)",
)
SAME_DOC_RE = re.compile(r"\b(deze|dit|dezelfde)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Reference:
    """A reference to an article found in a provision's text."""

    citing: Provision
    article: str
    lid: str | None
    text: str
    context: str
    target: str  # own | frame


def find_references(doc: Document) -> list[Reference]:
    """References in the document's text to its own articles (or, where the text names the OER, to its frame).
    References qualified by another text (the WHW, a law, a reglement, an OER outside the corpus) are skipped."""
    out: list[Reference] = []
    frame = doc.meta.get("frame")
    for art in doc.articles.values():
        for prov in art.provisions():
            text = prov.text
            for m in REF_RE.finditer(text):
                after = re.split(r"[.;:]\s|\)|\b(?:artikel|art\.)", text[m.end() : m.end() + 70], flags=re.I)[0]
                before = re.split(r"[;:]\s|\.\s+(?=[A-Z])", text[max(0, m.start() - 90) : m.start()])[-1]
                qualifier = after + " " + before
                target = "own"
                if EXTERNAL_RE.search(qualifier) and not SAME_DOC_RE.search(after[:25]):
                    if frame and re.search(r"\bOER\b|Onderwijs- en examenregeling", qualifier, re.IGNORECASE):
                        target = "frame"
                    else:
                        continue
                lid = m.group("lid") or (ORDINALS.get(m.group("ord").lower()) if m.group("ord") else None)
                ctx = text[max(0, m.start() - 40) : m.end() + 30]
                out.append(Reference(prov, m.group("art").rstrip("."), lid, m.group(0), ctx, target))
            if prov.lid is None:
                continue
            for m in OWN_LID_RE.finditer(text):
                lid = m.group("lid") or ORDINALS.get((m.group("ord") or "").lower())
                if lid is None or REF_RE.search(text[max(0, m.start() - 40) : m.start() + 2]):
                    continue
                ctx = text[max(0, m.start() - 40) : m.end() + 30]
                out.append(Reference(prov, art.key, lid, m.group(0), ctx, "own"))
    return out


def resolves(doc: Document, article: str, lid: str | None, citing_article: str) -> bool:
    """Does ``art. article (lid)`` exist in ``doc``? Tries the key as written, and with the citing article's
    bijlage prefix (``3`` inside ``F.2`` is ``F.3``)."""
    keys = [article, article.rstrip(".")]
    prefix = citing_article.split(".")[0] + "." if re.match(r"^[A-Z]+\.", citing_article) else ""
    if prefix and not article.startswith(prefix):
        keys.append(prefix + article)
    for k in keys:
        art = doc.articles.get(k)
        if art is None:
            continue
        if lid is None or not art.lids or lid in art.lids or any(x.startswith(lid) for x in art.lids):
            return True
        return False
    # "artikel 10.1" / "artikel 3.9.3" in the article.lid style: article 10 lid 1, article 3.9 lid 3
    head, _, last = article.rpartition(".")
    if head and lid is None and head in doc.articles:
        return resolves(doc, head, last, citing_article)
    # an article number that is a section ("artikel 5" with articles 5.1, 5.2 ...) resolves
    return any(k.startswith(article + ".") for k in doc.articles)


# --- witnesses ------------------------------------------------------------------------------------------


def _yaml_value(v: Value) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, Decimal)):
        return str(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    return json.dumps(str(v), ensure_ascii=False)


def witness_yaml(
    kb: KnowledgeBase,
    facts: dict[str, set[Row]],
    reference_date: dt.date | None,
    finding: Finding | None,
    sc: Scenario | None,
) -> str:
    """The case as a case file (``oerlog why GOAL --case FILE --doc DOC`` reruns either side)."""
    lines: list[str] = []
    if finding is not None:
        lines.append(f"# oerlog check witness {finding.id}: {finding.title}")
    if sc is not None:
        lines.append(f"# scenario ({sc.kind}): {sc.family}")
        for c in sc.changes:
            lines.append(f"#   changed: {c}")
    rd = next(iter(facts.get("reference_date", ())), None)
    ref = rd[0] if rd else reference_date
    if isinstance(ref, dt.date):
        lines.append(f"reference_date: {ref.isoformat()}")
    lines.append("facts:")
    for pred in sorted(facts):
        if pred == "reference_date" or not facts[pred]:
            continue
        rel = kb.vocabulary.relations.get(pred)
        if rel is None:
            continue
        lines.append(f"  {pred}:")
        for row in sorted(facts[pred], key=_row_text):
            fields = ", ".join(f"{f.name}: {_yaml_value(v)}" for f, v in zip(rel.fields, row, strict=True))
            lines.append(f"    - {{{fields}}}")
    return "\n".join(lines) + "\n"


def write_witnesses(report: Report, folder: Path) -> None:
    """Write every finding's witness case to ``folder/<id>.yaml`` (each whole or not at all)."""
    from oerlog.outputs import write_text

    for f in report.findings:
        if not f.witness:
            continue
        path = folder / f"{f.id}.yaml"
        write_text(path, f.witness)
        f.witness_file = str(path)


# --- acceptance -----------------------------------------------------------------------------------------


ACCEPT_EXAMPLE = '- {id: div-1a2b3c4d5e, reason: "the two programmes differ on purpose"}'


def load_accepted(path: Path) -> dict[str, str]:
    """Read an ``--accept`` file: a YAML list of ``{id, reason}``; every entry needs a reason."""
    data = yamlpos.load(path)
    if data is None:
        return {}
    if not isinstance(data, yamlpos.YList):
        raise ValidationError(
            "an accept file is a YAML list of {id, reason}", Location(str(path), 1, 1), example=ACCEPT_EXAMPLE
        )
    out: dict[str, str] = {}
    for i, item in enumerate(data):
        loc = data.locs[i]
        if not isinstance(item, yamlpos.YDict) or "id" not in item:
            raise ValidationError("each accepted finding needs an 'id'", loc, value=item, example=ACCEPT_EXAMPLE)
        if not str(item.get("reason") or "").strip():
            raise ValidationError(
                f"accepted finding {item['id']} gives no reason",
                loc,
                value=item["id"],
                hint="say why the finding was reviewed and accepted",
                example=ACCEPT_EXAMPLE,
            )
        out[str(item["id"])] = str(item["reason"])
    return out


def apply_accepted(report: Report, accepted: dict[str, str]) -> None:
    """Mark accepted findings; list acceptances that match no finding any more."""
    ids = {f.id for f in report.findings}
    for f in report.findings:
        f.accepted = accepted.get(f.id)
    report.stale_acceptances = sorted(set(accepted) - ids)


# --- rendering ------------------------------------------------------------------------------------------


def _summary_line(r: Report) -> str:
    s = r.stats
    return (
        f"{s.scenarios} scenarios ({s.seeds} seeds of {s.seeds_available}, {s.boundary} boundary, {s.pairwise} "
        f"pairwise, {s.random} random; {s.thresholds} threshold fields), {s.evaluations} evaluations, "
        f"{s.seconds:.1f} s (seed {s.seed}, budget {s.budget:g} s{', truncated' if s.truncated else ''})"
    )


def _counts(r: Report) -> str:
    parts = []
    for sev in SEVERITIES:
        n = len([f for f in r.findings if f.severity == sev])
        acc = len([f for f in r.findings if f.severity == sev and f.accepted is not None])
        parts.append(f"{n} {sev}{'s' if n != 1 else ''}" + (f" ({acc} accepted)" if acc else ""))
    return ", ".join(parts)


def _rerun(f: Finding, side: Side) -> str | None:
    if not side.goal or not f.witness_file:
        return None
    cmd = "why" if side.holds else "whynot"
    return f"oerlog {cmd} '{side.goal}' --case {f.witness_file} --doc {side.document}"


def to_text_report(r: Report, lang: str = "nl", proofs: bool = True) -> str:
    """Terminal report: findings grouped by severity and kind, sides with quotes, witness and proofs."""
    out = [
        f"oerlog check: {', '.join(r.documents)}",
        "pairs: " + (", ".join(f"{a} ↔ {b}{' (frame)' if rel == 'frame' else ''}" for a, b, rel in r.pairs) or "none"),
        _summary_line(r),
        "",
    ]
    for sev in SEVERITIES:
        group = [f for f in r.findings if f.severity == sev]
        if not group:
            continue
        out.append(f"== {sev.upper()} ({len(group)}) " + "=" * 60)
        for f in group:
            acc = f"  [accepted: {f.accepted}]" if f.accepted is not None else ""
            out.append(f"{sev.upper():<7} {f.kind}  {f.id}{acc}")
            out.append(f"  {f.title}")
            for s in f.sides:
                out.append(f"  - {s.document}: {s.statement}" + (f"  [rules: {', '.join(s.rules)}]" if s.rules else ""))
                for label, text in s.citations:
                    out.append(f"      “{_shorten(text, 300)}” ({label})")
            if f.note:
                out.append(f"  note: {f.note}")
            if f.scenario:
                out.append(f"  scenario: {f.scenario}")
            if f.witness_file:
                out.append(f"  witness: {f.witness_file}")
                for s in f.sides:
                    cmd = _rerun(f, s)
                    if cmd:
                        out.append(f"    {cmd}")
            if proofs:
                for s in f.sides:
                    if s.proof is not None:
                        out.append(f"  proof ({s.document}):")
                        out.extend("      " + line for line in to_text(s.proof, lang, quotes=False).splitlines())
            out.append("")
    out.append(_counts(r) + f"; {len(r.open_findings())} open")
    for n in r.notes:
        out.append(f"note: {n}")
    for sid in r.stale_acceptances:
        out.append(f"note: accepted finding {sid} no longer occurs")
    return "\n".join(out)


def to_markdown_report(r: Report, lang: str = "nl") -> str:
    """Markdown memo for the examencommissie."""
    out = [
        "# Consistentiecontrole" if lang == "nl" else "# Consistency check",
        "",
        f"Documents: {', '.join(md_code(d) for d in r.documents)}  ",
        "Pairs: "
        + (
            ", ".join(f"{md_code(a)} ↔ {md_code(b)}{' (frame)' if rel == 'frame' else ''}" for a, b, rel in r.pairs)
            or "none"
        )
        + "  ",
        _summary_line(r),
        "",
        "| severity | kind | id | finding | accepted |",
        "|---|---|---|---|---|",
    ]
    for f in r.findings:
        out.append(
            f"| {f.severity} | {f.kind} | [{f.id}](#{f.id}) | {md_cell(f.title)} | {md_cell(f.accepted or '')} |"
        )
    out.append("")
    for sev in SEVERITIES:
        for kind in KIND_ORDER:
            group = [f for f in r.findings if f.severity == sev and f.kind == kind]
            if not group:
                continue
            out.append(f"## {sev}: {KIND_TITLE[kind]} ({len(group)})")
            out.append("")
            for f in group:
                out.append(f'<a id="{f.id}"></a>')
                out.append(f"### {f.id}: {md_cell(f.title)}")
                out.append("")
                if f.accepted is not None:
                    out.append(f"**Accepted:** {md_text(f.accepted)}")
                    out.append("")
                for s in f.sides:
                    rules = f" (rules {', '.join(md_code(x) for x in s.rules)})" if s.rules else ""
                    out.append(f"**{md_text(s.document)}**: {md_cell(s.statement)}{rules}")
                    out.append("")
                    for label, text in s.citations:
                        out.append(md_quote(f"{text} ({label})"))
                        out.append("")
                if f.note:
                    out.append(f"_{md_text(f.note)}_")
                    out.append("")
                if f.witness:
                    where = " " + md_code(f.witness_file) if f.witness_file else ""
                    out.append(f"Witness{where} ({md_text(f.scenario or '')}):")
                    out.append("")
                    out.append(md_fence(f.witness.rstrip(), "yaml"))
                    out.append("")
                    cmds = [c for c in (_rerun(f, s) for s in f.sides) if c]
                    if cmds:
                        out.append(md_fence("\n".join(cmds), "sh"))
                        out.append("")
                for s in f.sides:
                    if s.proof is not None:
                        out.append(f"<details><summary>Proof ({html_text(s.document)})</summary>")
                        out.append("")
                        out.append(to_markdown(s.proof, lang))
                        out.append("</details>")
                        out.append("")
    out.append(_counts(r) + f"; {len(r.open_findings())} open.")
    out.append("")
    for n in r.notes:
        out.append(f"- note: {md_text(n)}")
    for sid in r.stale_acceptances:
        out.append(f"- note: accepted finding {md_code(sid)} no longer occurs")
    return "\n".join(out) + "\n"


def report_dict(r: Report, lang: str = "nl") -> dict[str, Any]:
    """The report as JSON-ready data (schema ``oerlog.check/1``)."""
    s = r.stats
    return {
        "schema": SCHEMA_ID,
        "documents": r.documents,
        "pairs": [{"document": a, "other": b, "relation": rel} for a, b, rel in r.pairs],
        "stats": {
            "scenarios": s.scenarios,
            "seeds": s.seeds,
            "seeds_available": s.seeds_available,
            "boundary": s.boundary,
            "pairwise": s.pairwise,
            "random": s.random,
            "threshold_fields": s.thresholds,
            "evaluations": s.evaluations,
            "seconds": round(s.seconds, 2),
            "seed": s.seed,
            "budget_seconds": s.budget,
            "truncated": s.truncated,
        },
        "summary": {sev: len([f for f in r.findings if f.severity == sev]) for sev in SEVERITIES}
        | {"open": len(r.open_findings())},
        "findings": [
            {
                "id": f.id,
                "kind": f.kind,
                "severity": f.severity,
                "title": f.title,
                "documents": f.documents,
                "concept": f.concept,
                "accepted": f.accepted is not None,
                "accept_reason": f.accepted,
                "note": f.note or None,
                "scenario": f.scenario,
                "sides": [
                    {
                        "document": sd.document,
                        "statement": sd.statement,
                        "holds": sd.holds,
                        "goal": sd.goal,
                        "rules": sd.rules,
                        "citations": [{"label": lb, "text": tx} for lb, tx in sd.citations],
                        "rerun": _rerun(f, sd),
                        "proof": node_dict(sd.proof, lang) if sd.proof is not None else None,
                    }
                    for sd in f.sides
                ],
                "witness": {"file": f.witness_file, "yaml": f.witness} if f.witness else None,
            }
            for f in r.findings
        ],
        "notes": r.notes,
        "stale_acceptances": r.stale_acceptances,
    }


# --- compare (saved queries with mode: compare) -----------------------------------------------------------


def compare_rules(kb: KnowledgeBase, concepts: list[str], doc_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """For every document and concept: the rules deriving it (and exceptions to them) with citations and
    shortened quotes, and the parameters the conclusion rests on with their values."""
    from oerlog.analysis.graph import rests_on

    out: list[dict[str, Any]] = []
    for d in doc_ids or sorted(kb.documents):
        doc = kb.document(d)
        entry: dict[str, Any] = {"document": d, "title": doc.title, "kind": doc.meta.get("kind"), "concepts": {}}
        for c in concepts:
            rules = [r for r in doc.program.rules if r.head.pred == c]
            if not rules:
                entry["concepts"][c] = None
                continue
            params: dict[str, Any] = {}
            try:
                for p in rests_on(doc, c).parameters:
                    decl = doc.param_decl(p.lstrip("$"))
                    params[p.lstrip("$")] = None if decl is None or decl.value is None else json_value(decl.value)
            except OerlogError:
                pass
            entry["concepts"][c] = {
                "rules": [
                    {
                        "id": r.id,
                        "exception_to": r.defeats,
                        "rule": str(r),
                        "parameters": {
                            p: (None if (dc := doc.param_decl(p)) is None or dc.value is None else json_value(dc.value))
                            for p in rule_params(r)
                        },
                        "citations": [
                            {"label": _label(ct, doc.provision(ct)), "quote": _shorten(_quote(doc.provision(ct)), 240)}
                            for ct in r.ann.cites
                        ],
                        "interpretations": list(r.ann.interpretations),
                        "discretion": r.ann.discretion,
                    }
                    for r in rules
                ],
                "rests_on_parameters": params,
            }
        out.append(entry)
    return out


def compare_text(data: list[dict[str, Any]], markdown: bool = False) -> str:
    """Render :func:`compare_rules` as terminal text or Markdown."""
    out: list[str] = []
    concepts: list[str] = list(data[0]["concepts"]) if data else []
    for c in concepts:
        out.append(f"## {md_text(c)}" if markdown else f"=== {c} " + "=" * 60)
        out.append("")
        for entry in data:
            info = entry["concepts"].get(c)
            head = f"{entry['document']} ({entry['kind']})"
            if info is None:
                out.append(f"- **{md_text(head)}**: no rule" if markdown else f"{head}: no rule")
                continue
            params = ", ".join(
                f"${k} = {'unfilled' if v is None else v}" for k, v in info["rests_on_parameters"].items()
            )
            out.append(
                f"- **{md_text(head)}**" + (f": {md_text(params)}" if params else "")
                if markdown
                else f"{head}" + (f"  [{params}]" if params else "")
            )
            for r in info["rules"]:
                exc = f" (exception to {r['exception_to']})" if r["exception_to"] else ""
                cites = "; ".join(x["label"] for x in r["citations"])
                if markdown:
                    out.append(f"  - {md_code(r['id'])}{md_text(exc)} — {md_text(cites)}")
                    for x in r["citations"]:
                        out.append(md_quote(f"{x['quote']} ({x['label']})", "    "))
                else:
                    out.append(f"  {r['id']}{exc}  [{cites}]")
                    for x in r["citations"]:
                        out.append(f"      “{x['quote']}” ({x['label']})")
            out.append("")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


# --- helpers ----------------------------------------------------------------------------------------------


def _atoms(lit: ir.Literal) -> Iterator[tuple[ir.Atom, bool]]:
    if isinstance(lit, (ir.Positive, ir.Negative, ir.Aggregate)):
        yield from ir.literal_atoms(lit)


def _row_text(r: Row) -> str:
    return ", ".join(format_literal(v) for v in r)


def _args(t: Row) -> str:
    return "(" + _row_text(t) + ")"


def _atom(pred: str, t: Row) -> str:
    return f"{pred}({_row_text(t)})"


def _ref(facts: dict[str, set[Row]], ref: dt.date | None) -> dt.date | None:
    rows = facts.get("reference_date")
    if rows:
        v = next(iter(rows))[0]
        if isinstance(v, dt.date):
            return v
    return ref


def _label(c: ir.Citation, p: Provision | None) -> str:
    return (f"{c.doc} " if c.doc else "") + (p.label if p else str(c))


def _quote(p: Provision | None) -> str:
    return p.text if p else ""


def _shorten(text: str, n: int = QUOTE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rsplit(" ", 1)[0] + " …"


def _cites(infos: list[RuleInfo]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for info in infos:
        for c, p in info.citations:
            out.append((_label(c, p), _shorten(p.text) if p else ""))
    return _dedup(out)


def _dedup(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return list(dict.fromkeys(items))


def _rules_deriving(doc: Document, m: Model, pred: str, t: Row) -> list[str]:
    """Ids of the rules with an instance concluding ``pred(t)`` (all the document's rules for ``pred`` when it
    does not hold)."""
    if not m.holds(pred, t):
        return sorted({r.id for r in doc.program.rules if r.head.pred == pred and not r.defeats})
    ids: set[str] = set()
    for cr in m.plan.rules:
        if cr.head.pred != pred or cr.kind != "rule":
            continue
        for b in m.instance_bindings(cr):
            if ground(cr.head, b) == t:
                ids.add(cr.id)
                break
    return sorted(ids)


def _depending(doc: Document, preds: set[str]) -> list[str]:
    """``preds`` and every predicate of the document whose rules use one of them (transitively)."""
    out = set(preds)
    changed = True
    while changed:
        changed = False
        for r in doc.program.rules:
            if r.head.pred in out:
                continue
            if any(a.pred in out for lit in r.body for a, _ in _atoms(lit)):
                out.add(r.head.pred)
                changed = True
    return sorted(p for p in out if not p.startswith("_"))


def _doc_rule_infos(doc: Document, pred: str) -> list[RuleInfo]:
    return [RuleInfo.of(r, doc) for r in doc.program.rules if r.head.pred == pred and not r.defeats]


__all__ = [
    "Checker",
    "Finding",
    "Report",
    "Side",
    "apply_accepted",
    "apply_sets",
    "boundaries",
    "compare_rules",
    "compare_text",
    "find_references",
    "load_accepted",
    "pairwise_combinations",
    "report_dict",
    "to_markdown_report",
    "to_text_report",
    "witness_yaml",
    "write_witnesses",
]
