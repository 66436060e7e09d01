"""Three answers: holds, does not hold, undetermined.

A conclusion is *undetermined* when it hangs on a fact the case does not establish (an atom over an open input
relation that is stated neither true nor false: a body's decision not yet recorded, a notice nobody recorded) or on
a template choice the document leaves unfilled. Every other conclusion holds or does not hold, as before.

The plan is rewritten into plain stratified Datalog, so that every back end runs it unchanged. Each relation that
can be undetermined (:attr:`Plan.uncertain`: it depends, through any rule, on an open relation or an unfilled
parameter) gets a twin :func:`~oerlog.lang.ir.possible_name` holding the tuples that hold *or* are undetermined;
the relation itself keeps the tuples that hold (certain). For a rule ``h :- body``:

- the certain rule reads certain atoms, ``not a`` as "a is not even possible" (``not _possible_a``), an open atom as
  stated true and ``not open`` as stated false (``_false_open``);
- the possible rule (head ``_possible_h``) reads possible atoms, ``not a`` as "a is not certain", an open atom as
  "not stated false" and ``not open`` as "not stated true";
- a rule that needs an unfilled parameter has no certain rule; its possible rule leaves out the literals that
  compare with the parameter (any value may satisfy them);
- an aggregate is certain only for groups whose rows are all certain (``_unsettled_N`` holds the others); the
  possible rule computes it over the possible rows and over the certain rows (the two extremes).

Stratification is kept: both twins of a head sit in its stratum and read negated relations from strata below.
"""

from __future__ import annotations

from dataclasses import replace

from oerlog.errors import EvaluationError
from oerlog.lang import ir
from oerlog.lang.ir import RelationRole
from oerlog.semantics.steps import CompiledRule, Plan, RuleKind, Step, StepKind


def uncertain_relations(rules: list[CompiledRule], open_relations: frozenset[str], seeds: set[str]) -> set[str]:
    """The derived relations that can be undetermined: heads of ``seeds`` rules and of every rule reading (in any
    polarity) an open relation or such a relation, to a fixpoint."""
    uncertain = set(seeds)
    changed = True
    while changed:
        changed = False
        for cr in rules:
            if cr.head.pred in uncertain:
                continue
            if any(
                s.atom is not None and (s.atom.pred in uncertain or s.atom.pred in open_relations) for s in cr.steps
            ):
                uncertain.add(cr.head.pred)
                changed = True
    return uncertain


def make_three_valued(plan: Plan, open_relations: frozenset[str], unknown: list[CompiledRule]) -> None:
    """Rewrite ``plan`` in place (see the module doc). ``unknown`` are the possible-only rules of rules that need
    an unfilled parameter (their ``unknown_params`` name it)."""
    uncertain = uncertain_relations(plan.rules, open_relations, {r.head.pred for r in unknown})
    plan.uncertain = frozenset(uncertain)
    plan.open_relations = open_relations
    for pred in open_relations:
        plan.twin_of[ir.false_name(pred)] = pred
        plan.roles[ir.false_name(pred)] = RelationRole.STATED_FALSE
    if not uncertain:
        return
    rewriter = _Rewriter(plan, uncertain, open_relations)
    out: list[CompiledRule] = []
    for cr in plan.rules:
        if cr.head.pred not in uncertain:
            out.append(cr)
            continue
        out.append(rewriter.certain(cr))
        out.extend(rewriter.possible(cr))
    for cr in unknown:
        out.extend(rewriter.possible(cr))
    out.extend(rewriter.extra)
    plan.rules = [replace(cr, index=i) for i, cr in enumerate(out)]
    for cr in plan.rules:
        plan.roles[cr.instance_pred] = RelationRole.INSTANCE
        for s in cr.steps:
            if s.kind is StepKind.AGG and s.atom is not None:
                plan.aggregates[s.atom.pred] = s
    for f in list(plan.facts):
        if f.pred in uncertain:
            plan.facts.append(ir.Atom(ir.possible_name(f.pred), f.args, f.loc))
    for pred in uncertain:
        plan.twin_of[ir.possible_name(pred)] = pred
        plan.roles[ir.possible_name(pred)] = RelationRole.POSSIBLE
        plan.strata[ir.possible_name(pred)] = plan.strata.get(pred, 0)


class _Rewriter:
    def __init__(self, plan: Plan, uncertain: set[str], open_relations: frozenset[str]) -> None:
        self.plan = plan
        self.uncertain = uncertain
        self.open = open_relations
        self.extra: list[CompiledRule] = []  # the _unsettled_N rules
        self.unsettled: dict[str, str] = {}  # aggregate relation -> its _unsettled_N relation

    def certain(self, cr: CompiledRule) -> CompiledRule:
        steps: list[Step] = []
        for s in cr.steps:
            atom = s.atom
            if atom is None:
                steps.append(s)
            elif s.kind in (StepKind.NOT, StepKind.DEFEAT) and atom.pred in self.uncertain:
                negated = s.negated()
                steps.append(
                    replace(
                        s,
                        atom=_renamed(atom, ir.possible_name(atom.pred)),
                        negated_atom=_renamed(negated, ir.possible_name(negated.pred)),
                    )
                )
            elif s.kind is StepKind.NOT and atom.pred in self.open:  # stated false
                steps.append(Step(StepKind.ATOM, s.literal, _renamed(atom, ir.false_name(atom.pred)), (), _vars(atom)))
            elif s.kind is StepKind.AGG and atom.pred in self.uncertain:
                settled = ir.Atom(self._unsettled(s), tuple(ir.Var(v) for v in s.agg_group), atom.loc)
                steps.append(Step(StepKind.NOT, s.literal, settled, s.agg_group, negated_atom=settled))
                steps.append(s)
            else:
                steps.append(s)
        return replace(cr, steps=tuple(steps))

    def possible(self, cr: CompiledRule) -> list[CompiledRule]:
        """The possible twin of ``cr``; two when it aggregates over undetermined rows: the aggregate over the
        possible rows and over the certain rows, the two ends of what it may come to."""
        head = _renamed(cr.head, ir.possible_name(cr.head.pred))
        twins = [replace(cr, head=head, steps=self._possible_steps(cr, True), possible=True)]
        if any(s.kind is StepKind.AGG and s.atom is not None and s.atom.pred in self.uncertain for s in cr.steps):
            twins.append(replace(cr, head=head, steps=self._possible_steps(cr, False), possible=True))
        return twins

    def _possible_steps(self, cr: CompiledRule, aggregate_possible: bool) -> tuple[Step, ...]:
        steps: list[Step] = []
        for s in cr.steps:
            atom = s.atom
            if atom is None:
                steps.append(s)
            elif s.kind is StepKind.ATOM and atom.pred in self.open:  # not stated false
                stated_false = _renamed(atom, ir.false_name(atom.pred))
                steps.append(Step(StepKind.NOT, s.literal, stated_false, _vars(atom), negated_atom=stated_false))
            elif s.kind is StepKind.ATOM and atom.pred in self.uncertain:
                steps.append(replace(s, atom=_renamed(atom, ir.possible_name(atom.pred))))
            elif s.kind is StepKind.AGG and atom.pred in self.uncertain and aggregate_possible:
                steps.append(replace(s, atom=_renamed(atom, ir.possible_name(atom.pred))))
            else:  # NOT / DEFEAT read the certain relation (or, for an open one, what is stated true)
                steps.append(s)
        return _reorder(steps, cr)

    def _unsettled(self, s: Step) -> str:
        """The relation of the groups of aggregate step ``s`` with a row that is possible but not certain."""
        assert s.atom is not None
        agg = s.atom.pred
        if agg in self.unsettled:
            return self.unsettled[agg]
        name = f"_unsettled_{len(self.unsettled)}"
        self.unsettled[agg] = name
        self.plan.roles[name] = RelationRole.UNSETTLED
        cols = [ir.Var(c) for c in s.agg_columns]
        row_possible = ir.Atom(ir.possible_name(agg), tuple(cols), s.atom.loc)
        row_certain = ir.Atom(agg, tuple(cols), s.atom.loc)
        head = ir.Atom(name, tuple(ir.Var(v) for v in s.agg_group), s.atom.loc)
        source = ir.Rule(head, (ir.Positive(row_possible), ir.Negative(row_certain)), document=None)
        steps = (
            Step(StepKind.ATOM, ir.Positive(row_possible), row_possible, (), s.agg_columns),
            Step(StepKind.NOT, ir.Negative(row_certain), row_certain, s.agg_columns, negated_atom=row_certain),
        )
        self.extra.append(CompiledRule(-1, source, head, steps, s.agg_columns, RuleKind.AUX))
        self.plan.strata[name] = self.plan.strata.get(agg, 0)
        return name


def _renamed(atom: ir.Atom, pred: str, args: list[ir.Var] | None = None) -> ir.Atom:
    return ir.Atom(pred, tuple(args) if args is not None else atom.args, atom.loc)


def _vars(atom: ir.Atom) -> tuple[str, ...]:
    return tuple(dict.fromkeys(a.name for a in atom.args if isinstance(a, ir.Var)))


def _reorder(steps: list[Step], cr: CompiledRule) -> tuple[Step, ...]:
    """Put every step after the steps that bind what it needs, keeping the written order otherwise (an open atom
    read as "not stated false" no longer binds its variables: the other atoms must)."""
    bound: set[str] = set()
    out: list[Step] = []
    pending = list(steps)
    while pending:
        for s in pending:
            if s.kind is StepKind.ATOM or set(s.needs) <= bound:
                break
        else:
            raise EvaluationError(f"rule {cr.id}: no order binds the variables of {pending[0].literal}")
        pending.remove(s)
        out.append(s)
        bound.update(s.binds)
        if s.kind is StepKind.ATOM and s.atom is not None:
            bound.update(_vars(s.atom))
    return tuple(out)
