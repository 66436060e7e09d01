"""Compile a checked program into an evaluation plan: the rules as the engine runs them.

The plan is pure Python (no engine import). It

- substitutes parameter values (after overrides), in the rules and in their ``@nl`` / ``@en`` texts (``{$name}``),
  and sets aside rules that need an unfilled parameter;
- compiles exceptions to stratified negation: the defeated rule gets ``not _defeated_<id>(head args)``, the
  exception derives ``_defeated_<id>``;
- reads variables that occur only inside a negated atom existentially, through an auxiliary predicate;
- compiles aggregates to an auxiliary predicate over the aggregate's body plus a computed step;
- orders body literals so that every built-in, negation and aggregate runs with its inputs bound, positive
  atoms in written order (the engine runs recursion itself, so recursive atoms need no special place);
- gives every rule a rule-instance relation holding all body bindings (the provenance of each derived fact).

Every relation the plan creates is recorded with its role (:attr:`Plan.roles`); nothing reads a relation's
role from its name. The explainers use the same :class:`Step` objects to re-check a rule body over a computed
model (:mod:`oerlog.semantics.evaluate`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from oerlog.lang import checks, ir
from oerlog.lang.depgraph import DependencyGraph, Edge, Polarity
from oerlog.lang.ir import RelationRole, rule_params
from oerlog.lang.templates import with_params
from oerlog.semantics.options import expand_options
from oerlog.semantics.steps import CompiledRule, Plan, RuleKind, Step, StepKind
from oerlog.semantics.substitute import subst_atom as _subst_atom
from oerlog.semantics.substitute import subst_lit as _subst_lit
from oerlog.semantics.threevalued import make_three_valued
from oerlog.semantics.worlds import WORLD_VAR
from oerlog.values import Value

__all__ = ["CompiledRule", "Plan", "RuleKind", "Step", "StepKind", "build_plan", "restrict_program", "rule_params"]


def restrict_program(program: ir.Program, goals: Iterable[str]) -> ir.Program:
    """The rules (and exceptions) the goal predicates depend on, through every body atom (positive, negated or
    aggregated); the other rules cannot change the goals' facts. Parameters are kept whole."""
    graph = DependencyGraph.of_rules(program.rules)
    needed = graph.closure(goals)
    return ir.Program(
        [r for r in program.rules if graph.rule_nodes[r.id] in needed],
        list(program.params),
        dict(program.roles),
        program.open_relations,
    )


def build_plan(program: ir.Program, overrides: Mapping[str, Value] | None = None) -> Plan:
    """Compile a (checked) program. ``overrides`` replace declared parameter values for this run."""
    plan = Plan()
    params: dict[str, Value | None] = {p.name: p.value for p in program.params}
    for k, v in (overrides or {}).items():
        params[k] = v
    plan.params = params
    plan.roles.update(program.roles)
    rules, plan.option_copies = expand_options(program, params)
    rules = [with_params(r, params, program.params) for r in rules]  # the run's values in the @nl / @en texts
    for oc in plan.option_copies.values():
        for name in oc.names():
            plan.roles[name] = RelationRole.OPTION
    graph = DependencyGraph.of_rules(rules)
    plan.strata = graph.strata()
    sccs = _recursive_groups(graph)
    exceptions: dict[str, list[str]] = {}
    for r in rules:
        if r.defeats and r.id not in exceptions.get(r.defeats, []):
            exceptions.setdefault(r.defeats, []).append(r.id)
    counter = 0
    unknown: list[CompiledRule] = []  # what rules needing an unfilled parameter may derive
    for r in rules:
        if r.is_fact and not r.defeats:
            plan.facts.append(r.head)
            continue
        missing = [p for p in rule_params(r) if params.get(p) is None]
        if missing:  # the rule may derive only what any value of the parameter allows (possible, not certain)
            plan.blocked[r.id] = missing
            plan.blocked_rules.append(r)
            variant = _unknown_variant(r, missing)
            if variant is None:
                continue
            r = variant
        head = _subst_atom(r.head, params)
        body = [_subst_lit(lit, params) for lit in r.body]
        kind = RuleKind.RULE
        if r.defeats:
            head = ir.Atom(checks.defeat_pred(r.defeats) + r.variant, head.args, head.loc)
            plan.roles[head.pred] = RelationRole.DEFEATED
            kind = RuleKind.EXCEPTION
        defeaters = tuple(exceptions.get(r.id, ()))
        if defeaters and r.ann.id:
            defeated = checks.defeat_pred(r.id) + r.variant
            plan.roles[defeated] = RelationRole.DEFEATED
            body.append(ir.Negative(ir.Atom(defeated, head.args, head.loc), head.loc))
        rec = sccs.get(head.pred, set())
        steps, aux = _order_steps(r, head, body, rec, counter, plan.roles)
        counter += len(aux)
        for a in aux:
            plan.rules.append(replace(a, index=len(plan.rules)))
            plan.roles[plan.rules[-1].instance_pred] = RelationRole.INSTANCE
        columns = _columns(head, steps)
        compiled = CompiledRule(len(plan.rules), r, head, tuple(steps), columns, kind, defeaters)
        if missing:
            if not _safe(compiled):
                continue
            unknown.append(replace(compiled, unknown_params=tuple(plan.blocked[r.id])))
            continue
        plan.rules.append(compiled)
        plan.roles[plan.rules[-1].instance_pred] = RelationRole.INSTANCE
        for s in steps:
            if s.kind is StepKind.AGG and s.atom is not None:
                plan.aggregates[s.atom.pred] = s
    make_three_valued(plan, program.open_relations, unknown)
    plan.uncertain |= frozenset(plan.option_copies)  # folded from their copies after the evaluation
    plan.groups = _evaluation_groups(plan)
    plan.order = [p for g in plan.groups for p in g]
    for cr in plan.rules:
        plan.strata.setdefault(cr.head.pred, 0)
    return plan


def _unknown_variant(rule: ir.Rule, missing: list[str]) -> ir.Rule | None:
    """What the rule may derive whatever value an unfilled parameter gets: every comparison, negation and aggregate
    that reads the parameter, or a variable computed from it (``Min = $pass_grade``), is left out, and such a value
    in an atom is read as any value. None when the head names such a value."""
    tainted: set[str] = set()
    changed = True
    while changed:  # variables computed from an unfilled parameter, or from such a variable
        changed = False
        for lit in rule.body:
            if isinstance(lit, ir.Compare) and lit.op == "=" and _unknown(lit, missing, tainted):
                for side in (lit.left, lit.right):
                    if (
                        isinstance(side, ir.Var)
                        and side.name not in tainted
                        and not _unknown_expr(side, missing, tainted)
                    ):
                        other = lit.right if side is lit.left else lit.left
                        if _unknown_expr(other, missing, tainted):
                            tainted.add(side.name)
                            changed = True
    if any(
        (isinstance(a, ir.Param) and a.name in missing) or (isinstance(a, ir.Var) and a.name in tainted)
        for a in rule.head.args
    ):
        return None
    body: list[ir.Literal] = []
    for lit in rule.body:
        if not _unknown(lit, missing, tainted):
            body.append(lit)
        elif isinstance(lit, ir.Positive):
            args = tuple(
                ir.Var(f"_unfilled_{i}", a.loc)
                if (isinstance(a, ir.Param) and a.name in missing) or (isinstance(a, ir.Var) and a.name in tainted)
                else a
                for i, a in enumerate(lit.atom.args)
            )
            body.append(ir.Positive(replace(lit.atom, args=args)))
    return replace(rule, body=tuple(body))


def _unknown(lit: ir.Literal, missing: list[str], tainted: set[str]) -> bool:
    """Does the literal read an unfilled parameter or a value computed from one?"""
    return bool({p.name for p in ir.literal_params(lit)} & set(missing)) or bool(
        {v.name for v in ir.literal_vars(lit)} & tainted
    )


def _unknown_expr(e: ir.Expr, missing: list[str], tainted: set[str]) -> bool:
    return bool({p.name for p in ir.expr_params(e)} & set(missing)) or bool({v.name for v in ir.expr_vars(e)} & tainted)


def _safe(cr: CompiledRule) -> bool:
    """Every step has its inputs bound and the head is ground (a rule variant that lost the literal binding a
    variable is not)."""
    bound: set[str] = set()
    for s in cr.steps:
        if not set(s.needs) <= bound:
            return False
        if s.kind is StepKind.TEST and s.atom is None and not s.needs and ir.literal_vars(s.literal):
            return False  # an unsafe leftover the step ordering kept
        bound.update(s.binds)
    return all(a.name in bound for a in cr.head.args if isinstance(a, ir.Var))


def _recursive_groups(graph: DependencyGraph) -> dict[str, set[str]]:
    """For every recursive predicate of the program: the predicates of its recursive component."""
    return {p: set(group) for p, group in graph.recursive_groups().items()}


_POLARITY = {
    StepKind.ATOM: Polarity.POSITIVE,
    StepKind.NOT: Polarity.NEGATIVE,
    StepKind.AGG: Polarity.AGGREGATE,
    StepKind.DEFEAT: Polarity.DEFEAT,
}


def compiled_graph(plan: Plan) -> DependencyGraph:
    """The dependency graph of the compiled rules, auxiliary relations included: an edge from every atom a step
    evaluates to the rule's head."""
    edges = [
        Edge(s.atom.pred, cr.head.pred, _POLARITY.get(s.kind, Polarity.POSITIVE), cr.id, s.atom.loc)
        for cr in plan.rules
        for s in cr.steps
        if s.atom is not None
    ]
    return DependencyGraph(edges, [cr.head.pred for cr in plan.rules])


def _evaluation_groups(plan: Plan) -> list[list[str]]:
    """Head predicates of the compiled rules, grouped by SCC, dependencies first."""
    heads = {cr.head.pred for cr in plan.rules}
    comps = compiled_graph(plan).components()
    return [[p for p in comp if p in heads] for comp in comps if set(comp) & heads]


def _columns(head: ir.Atom, steps: list[Step]) -> tuple[str, ...]:
    cols: list[str] = []
    for s in steps:
        for v in s.binds:
            if v not in cols:
                cols.append(v)
    for a in head.args:
        if isinstance(a, ir.Var) and a.name not in cols:
            cols.append(a.name)
    return tuple(cols)


def _atom_vars(atom: ir.Atom) -> list[str]:
    return list(dict.fromkeys(a.name for a in atom.args if isinstance(a, ir.Var)))


def _order_steps(
    rule: ir.Rule,
    head: ir.Atom,
    body: list[ir.Literal],
    recursive: set[str],
    counter: int,
    roles: dict[str, RelationRole],
) -> tuple[list[Step], list[CompiledRule]]:
    """Order the body (see module doc) and create auxiliary rules for existential negation and aggregates,
    recording the role of every auxiliary relation in ``roles`` (where the plan's defeat relations are too)."""
    aux: list[CompiledRule] = []
    counts = checks.var_occurrences(ir.Rule(head, tuple(body)))
    pending = list(body)  # positive atoms in written order
    steps: list[Step] = []
    bound: set[str] = set()

    def ready(lit: ir.Literal) -> Step | None:
        if isinstance(lit, ir.Negative):
            local = [v for v in _atom_vars(lit.atom) if counts[v] == 1 or ir.is_anonymous(v)]
            shared = [v for v in _atom_vars(lit.atom) if v not in local]
            if not set(shared) <= bound:
                return None
            atom = lit.atom
            if local:
                name = f"_ex_{counter + len(aux)}"
                roles[name] = RelationRole.EXISTENTIAL
                atom = ir.Atom(name, tuple(ir.Var(v) for v in shared), lit.atom.loc)
                sub = ir.Rule(atom, (ir.Positive(lit.atom),), rule.ann, loc=lit.loc, document=rule.document)
                step = Step(StepKind.ATOM, ir.Positive(lit.atom), lit.atom, (), tuple(_atom_vars(lit.atom)))
                aux.append(CompiledRule(-1, sub, atom, (step,), tuple(_atom_vars(lit.atom)), RuleKind.AUX))
            defeat = roles.get(lit.atom.pred) is RelationRole.DEFEATED
            return Step(StepKind.DEFEAT if defeat else StepKind.NOT, lit, atom, tuple(shared))
        if isinstance(lit, ir.Compare):
            lv = [v.name for v in ir.expr_vars(lit.left)]
            rv = [v.name for v in ir.expr_vars(lit.right)]
            if lit.op == "=":
                if isinstance(lit.left, ir.Var) and lit.left.name not in bound and set(rv) <= bound:
                    return Step(StepKind.ASSIGN, lit, None, tuple(dict.fromkeys(rv)), (lit.left.name,))
                if isinstance(lit.right, ir.Var) and lit.right.name not in bound and set(lv) <= bound:
                    return Step(StepKind.ASSIGN, lit, None, tuple(dict.fromkeys(lv)), (lit.right.name,))
            if set(lv) | set(rv) <= bound:
                return Step(StepKind.TEST, lit, None, tuple(dict.fromkeys(lv + rv)))
            return None
        if isinstance(lit, ir.Aggregate):
            group = sorted(checks.group_vars(ir.Rule(head, tuple(body)), lit))
            if not set(group) <= bound:
                return None
            inner_rule = ir.Rule(ir.Atom("_agg", ()), lit.body)
            inner_vars: list[str] = []
            for b in lit.body:
                for v in ir.literal_vars(b):
                    if v.name not in inner_vars:
                        inner_vars.append(v.name)
            cols = tuple(group + [v for v in inner_vars if v not in group])
            name = f"_agg_{counter + len(aux)}"
            roles[name] = RelationRole.AGGREGATE
            atom = ir.Atom(name, tuple(ir.Var(v) for v in cols), lit.loc)
            # the group key is bound by the rule's other positive atoms: the auxiliary relation repeats them so
            # that the aggregate's body may compare with outer variables (D2 < TD)
            outer = [
                b
                for b in body
                if isinstance(b, ir.Positive)
                and b.atom.pred not in recursive
                and (set(_atom_vars(b.atom)) & set(group)) - {WORLD_VAR}
            ]
            sub_body = outer + list(lit.body)
            sub = replace(
                inner_rule, head=atom, body=tuple(sub_body), ann=rule.ann, loc=lit.loc, document=rule.document
            )
            sub_steps, sub_aux = _order_steps(sub, atom, sub_body, set(), counter + len(aux) + 1, roles)
            aux.extend(sub_aux)
            aux.append(CompiledRule(-1, sub, atom, tuple(sub_steps), _columns(atom, sub_steps), RuleKind.AUX))
            return Step(StepKind.AGG, lit, atom, tuple(group), (lit.result.name,), tuple(group), cols)
        return None

    while pending:
        progressed = True
        while progressed:
            progressed = False
            for lit in list(pending):
                if isinstance(lit, ir.Positive):
                    continue
                st = ready(lit)
                if st is not None:
                    steps.append(st)
                    bound.update(st.binds)
                    pending.remove(lit)
                    progressed = True
        pos = next((lit for lit in pending if isinstance(lit, ir.Positive)), None)
        if pos is None:
            if pending:  # unsafe leftovers: checks report them; keep them so nothing is silently lost
                lit = pending.pop(0)
                steps.append(Step(StepKind.TEST, lit, None))
            continue
        pending.remove(pos)
        vs = tuple(_atom_vars(pos.atom))
        steps.append(Step(StepKind.ATOM, pos, pos.atom, (), vs))
        bound.update(vs)
    return steps, aux
