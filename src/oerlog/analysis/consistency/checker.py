"""The consistency check (``oerlog check``): evaluates every scenario under the documents it is compared with,
and reports what it finds on each.

- ``divergence`` (warning): two documents reach different conclusions on a shared concept for the same case
  (concepts declared exclusive, a different value, or one document drops a conclusion it draws for the same
  arguments elsewhere in the seed's family of scenarios);
- ``frame_violation`` (error): an R&A / R&R concludes something exclusive with what its frame OER concludes;
  ``refinement`` (info): one of the two concludes, the other is silent;
- ``contradiction`` (error): concepts declared ``exclusive_with`` both hold in one document;
- ``gap`` (error): none of an ``outcome_sets:`` entry of the vocabulary holds for a tuple of its domain.

The static findings (:mod:`.static`, :mod:`.references`) are added at the end of the run.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import time
from decimal import Decimal
from pathlib import Path
from typing import cast

from oerlog.analysis.consistency.findings import KIND_ORDER, SEVERITIES, Finding, Report, Side, Stats
from oerlog.analysis.consistency.references import dangling_references
from oerlog.analysis.consistency.scenarios import (
    Scenario,
    Seed,
    apply_sets,
    collect_seeds,
    facts_key,
    pairwise_combinations,
    reference_date_of,
)
from oerlog.analysis.consistency.static import parameter_differences, unfilled_choices, worked_examples
from oerlog.analysis.consistency.text import args_text, citations_of, fact_text, row_text
from oerlog.analysis.consistency.witnesses import witness_yaml
from oerlog.errors import EvaluationError
from oerlog.evaluation.engine import evaluate
from oerlog.explain.explainer import Explainer, RuleInfo
from oerlog.explain.thresholds import VALUE_TYPES, Dimension, Generator, value_sort_key
from oerlog.kb.loader import Document, KnowledgeBase
from oerlog.kb.vocabulary import OutcomeSet
from oerlog.lang import checks, ir
from oerlog.lang.ir import RelationRole
from oerlog.semantics.model import Model, Row, ground
from oerlog.semantics.plan import Plan, RuleKind, build_plan
from oerlog.testing.scenarios import Scenario as ScenarioTest
from oerlog.values import Value, format_value


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
        self.loaded: dict[str, list[tuple[Path, ScenarioTest]]] = {}  # document -> [(file, scenario test)]
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
        roles: dict[str, RelationRole] = {}
        sets: list[OutcomeSet] = []
        for os_ in self.kb.vocabulary.outcome_sets.values():
            body = cast(tuple[ir.Literal, ...], os_.body)
            used = {a.pred for lit in body for a, _ in ir.literal_atoms(lit)}
            if not set(os_.concepts) <= defined or not used <= (defined | inputs):
                continue
            over = tuple(ir.Var(v) for v in os_.over)
            negs = tuple(ir.Negative(ir.Atom(c, over)) for c in os_.concepts)
            head = ir.Atom(gap_pred(os_.name), over)
            extra.append(
                ir.Rule(head, body + negs, ir.Annotations(id=gap_pred(os_.name)), loc=os_.loc, document=doc_id)
            )
            roles[head.pred] = RelationRole.GAP
            sets.append(os_)
        prog = ir.Program(
            list(doc.program.rules) + extra,
            list(doc.program.params),
            roles={**doc.program.roles, **roles},
            open_relations=doc.program.open_relations,
        )
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
            sub = ir.Program(
                [r for i, r in enumerate(prog.rules) if i in keep],
                list(prog.params),
                dict(prog.roles),
                prog.open_relations,
            )
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
                    merged = tuple(sorted(set(old.values) | set(dim.values), key=value_sort_key))
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
            sc = Scenario(
                f"{family} [{'; '.join(changes)}]", family, kind, facts, reference_date_of(facts, ref), docs, changes
            )
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
        key = facts_key(sc.facts)
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
            for t in sorted(both, key=row_text)[:1]:
                doc = self.kb.documents[d]
                key = sorted(set(_rules_deriving(doc, m, x, t)) | set(_rules_deriving(doc, m, y, t)))
                f = Finding("contradiction", f"{d}: {x} and {y} both hold for {args_text(t)}", [d], f"{x}/{y}", key)
                if f.id not in self.findings:
                    f.sides = [self._side(d, m, x, t), self._side(d, m, y, t)]
                    self._add(f, sc)
        for os_ in self.gap_sets.get(d, []):
            rows = sorted(m.tuples(gap_pred(os_.name)), key=row_text)
            for t in rows[:1]:
                ex = Explainer(m, self.kb.documents[d], None, self.lang)
                sides = []
                for c in os_.concepts:
                    goal = ir.Atom(c, tuple(ir.Const(v) for v in t))
                    node = ex.whynot(goal)
                    info = _rule_infos(self.kb.documents[d], c)
                    sides.append(
                        Side(
                            d,
                            f"{fact_text(c, t)} does not hold",
                            False,
                            [i.id for i in info],
                            citations_of(info),
                            node,
                            fact_text(c, t),
                        )
                    )
                f = Finding(
                    "gap",
                    f"{d}: none of {', '.join(os_.concepts)} holds for {args_text(t)} (outcome set {os_.name})",
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
                for t in sorted(mf.tuples(x) & ms.tuples(y), key=row_text)[:1]:
                    title = f"{first} concludes {x}, {second} concludes {y} for {args_text(t)}"
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
                for k in sorted(set(va) & set(vb), key=row_text):
                    if va[k] == vb[k]:
                        continue
                    t1 = k + (sorted(va[k], key=value_sort_key)[0],)
                    t2 = k + (sorted(vb[k], key=value_sort_key)[0],)
                    title = f"{x}({row_text(k)}, …): {a} gives {format_value(t1[-1])}, {b} gives {format_value(t2[-1])}"
                    self._pair(clash_kind, title, x, [(a, ma, x, t1), (b, mb, x, t2)], sc, frame_note)
                    break
                continue
            for first, second, mf, ms in ((a, b, ma, mb), (b, a, mb, ma)):
                for t in sorted(mf.tuples(x) - ms.tuples(x), key=row_text):
                    if any(ms.holds(y, t) for y in self.derived(second) if (x, y) in self.exclusive):
                        continue  # reported as a clash above
                    if rel == "frame":
                        kind = "refinement"
                        title = f"{first} concludes {fact_text(x, t)}; {second} does not conclude it for this case"
                    elif engaged is not None and t in engaged.get(f"{second}:{x}", set()):
                        kind = "divergence"
                        title = (
                            f"{first} concludes {fact_text(x, t)}; {second} does not for this case, although it does "
                            "for the same arguments in a neighbouring scenario"
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
        atom = fact_text(pred, t)
        if m.holds(pred, t):
            node = ex.why(pred, t)
            ids = _rules_deriving(doc, m, pred, t)
            infos = [RuleInfo.of(r, doc) for r in doc.program.rules if r.id in ids and not r.defeats]
            return Side(d, f"{atom} holds", True, ids, citations_of(infos), node, atom)
        node = ex.whynot(ir.Atom(pred, tuple(ir.Const(v) for v in t)))
        infos = _rule_infos(doc, pred)
        return Side(d, f"{atom} does not hold", False, [i.id for i in infos], citations_of(infos), node, atom)

    def _add(self, f: Finding, sc: Scenario | None) -> None:
        if f.id in self.findings:
            return
        if sc is not None:
            f.witness = witness_yaml(self.kb, sc.facts, sc.reference_date, f, sc)
            f.scenario = f"{sc.kind}: {sc.name}"
        self.findings[f.id] = f

    # --- static findings ------------------------------------------------------------------------------

    def _static(self) -> None:
        for f in parameter_differences(self.kb, self.docs, self.selected):
            self._add(f, None)
        for d in self.selected:
            for f in unfilled_choices(self.kb, d):
                self._add(f, None)
            for f in worked_examples(self.kb, d, self.loaded.get(d, []), self.lang, self.stats, self.notes):
                self._add(f, None)
            for f in dangling_references(self.kb, d):
                self._add(f, None)


def gap_pred(outcome_set: str) -> str:
    """Name of the relation holding the tuples for which no outcome of ``outcome_set`` holds (role ``GAP``)."""
    return f"_gap_{outcome_set}"


def _rules_deriving(doc: Document, m: Model, pred: str, t: Row) -> list[str]:
    """Ids of the rules with an instance concluding ``pred(t)`` (all the document's rules for ``pred`` when it
    does not hold)."""
    if not m.holds(pred, t):
        return sorted({r.id for r in doc.program.rules if r.head.pred == pred and not r.defeats})
    ids: set[str] = set()
    oc = m.plan.option_copies.get(pred)
    heads = set(oc.names()) if oc is not None else {pred}  # under listed options: the rules of every copy
    for cr in m.plan.rules:
        if cr.head.pred not in heads or cr.kind is not RuleKind.RULE or cr.possible:
            continue
        for b in m.instance_bindings(cr):
            if ground(cr.head, b) == t:
                ids.add(cr.id)
                break
    return sorted(ids)


def _rule_infos(doc: Document, pred: str) -> list[RuleInfo]:
    return [RuleInfo.of(r, doc) for r in doc.program.rules if r.head.pred == pred and not r.defeats]
