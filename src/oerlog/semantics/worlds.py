"""Many cases in one evaluation: a program rewritten so that every relation carries a case (*world*) key.

Each case of a batch is a world, numbered from 0. :func:`world_program` gives every atom of every rule (heads,
body atoms, negated atoms, the bodies of aggregates) the world variable as its first argument, so that

- a join, a negation and an aggregate group stay inside one world (the world key is part of every join and of
  every aggregate's group);
- a rule whose body binds no world (a fact written in a ``.dl`` file, a rule of built-ins only) reads the relation
  ``_world(W)`` holding the numbers of the batch's worlds, so that it holds in each of them;
- a relation that is the same in every world (its rules read no input relation and no parameter read per world,
  such as a calendar of month starts) keeps no world key and is computed once (:func:`shared_relations`);
- a parameter whose value differs between worlds is data, not a constant: ``$name`` becomes a variable bound by
  ``_param_<name>(W, Value)``, one row per world that gives it a value.

Parameters left unfilled stay parameters (the plan reads them as undetermined, see
:mod:`oerlog.semantics.threevalued`), so every world of one evaluation must leave the same parameters unfilled;
the batched evaluator groups the cases accordingly. The rewritten program is plain Datalog again: the plan, the
three-valued rewrite and the SQL compiler run it unchanged.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import replace

from oerlog.lang import ir
from oerlog.lang.depgraph import DependencyGraph, head_node
from oerlog.lang.ir import RelationRole

WORLD_VAR = "World__"  # the world variable's name (not anonymous: it does not start with "_")
WORLD_RELATION = "_world"


def param_relation(name: str) -> str:
    """The relation holding each world's value of parameter ``name``."""
    return f"_param_{name}"


def param_var(name: str) -> str:
    """The variable a world parameter ``$name`` becomes."""
    return f"Param__{name}"


def unfilled_relation(name: str) -> str:
    """The relation holding the worlds that leave parameter ``name`` unfilled."""
    return f"_unfilled_{name}"


def world_program(
    program: ir.Program, world_params: Iterable[str] = (), partial_params: Iterable[str] = ()
) -> ir.Program:
    """``program`` with a world key on every relation (see the module doc). The parameters ``world_params`` have
    a value in every world, read from ``_param_<name>(W, Value)``; the parameters ``partial_params`` have one in
    some worlds only: each rule reading such a parameter gets a copy for the worlds that fill it (reading the value)
    and one for the worlds that do not (``_unfilled_<name>(W)``, the parameter left unfilled, which the plan reads
    as undetermined)."""
    joined = frozenset(world_params)
    partial = frozenset(partial_params)
    roles = dict(program.roles)
    roles[WORLD_RELATION] = RelationRole.WORLD
    for name in joined | partial:
        roles[param_relation(name)] = RelationRole.WORLD
    for name in partial:
        roles[unfilled_relation(name)] = RelationRole.WORLD
    shared = shared_relations(program.rules, joined | partial)
    rules: list[ir.Rule] = []
    for r in program.rules:
        if r.head.pred in shared:
            rules.append(r)
            continue
        refs = sorted(set(ir.rule_params(r)) & partial)
        for k in range(len(refs) + 1):
            for unfilled in itertools.combinations(refs, k):
                rw = _Rewrite((joined | partial) - set(unfilled), shared)
                rules.append(rw.rule(r, unfilled))
    params = [replace(p, value=None) if p.name in partial else p for p in program.params if p.name not in joined]
    return ir.Program(rules, params, roles, program.open_relations)


def shared_relations(rules: Iterable[ir.Rule], world_params: frozenset[str]) -> frozenset[str]:
    """The derived relations that are the same in every world: nothing they depend on is an input relation or a
    rule reading a parameter read per world (only facts written in the rules, built-ins and other such relations).
    They keep no world key and are computed once (a calendar of month starts, a table of grade bands)."""
    rules = list(rules)
    graph = DependencyGraph.of_rules(rules)
    inputs = set(graph.nodes) - set(graph.rule_nodes.values())
    per_world = {head_node(r) for r in rules if set(ir.rule_params(r)) & world_params}
    return frozenset({r.head.pred for r in rules} - graph.dependents(inputs | per_world))


_W = ir.Var(WORLD_VAR)


class _Rewrite:
    """One rule rewritten: a world key on every atom over a relation that varies between worlds, and the parameters
    ``names`` read per world."""

    def __init__(self, names: frozenset[str], shared: frozenset[str]) -> None:
        self.names = names
        self.shared = shared

    def rule(self, rule: ir.Rule, unfilled: tuple[str, ...] = ()) -> ir.Rule:
        used: list[str] = []
        head = self.atom(rule.head, used)
        body = [self.literal(lit, used) for lit in rule.body]
        extra = [_param_atom(n) for n in dict.fromkeys(used)]
        extra += [ir.Positive(ir.Atom(unfilled_relation(n), (_W,), rule.head.loc)) for n in unfilled]
        if not extra and not any(isinstance(lit, ir.Positive) and lit.atom.pred not in self.shared for lit in body):
            extra.append(ir.Positive(ir.Atom(WORLD_RELATION, (_W,), rule.head.loc)))
        return replace(rule, head=head, body=tuple(extra + body))

    def atom(self, atom: ir.Atom, used: list[str]) -> ir.Atom:
        args = tuple(self.term(t, used) for t in atom.args)
        if atom.pred in self.shared:
            return replace(atom, args=args)
        return replace(atom, args=(ir.Var(WORLD_VAR, atom.loc), *args))

    def term(self, t: ir.Term, used: list[str]) -> ir.Term:
        if isinstance(t, ir.Param) and t.name in self.names:
            used.append(t.name)
            return ir.Var(param_var(t.name), t.loc)
        return t

    def expr(self, e: ir.Expr, used: list[str]) -> ir.Expr:
        if isinstance(e, ir.Param):
            return self.term(e, used)
        if isinstance(e, ir.BinOp):
            return replace(e, left=self.expr(e.left, used), right=self.expr(e.right, used))
        if isinstance(e, ir.Call):
            return replace(e, args=tuple(self.expr(a, used) for a in e.args))
        return e

    def literal(self, lit: ir.Literal, used: list[str]) -> ir.Literal:
        if isinstance(lit, ir.Positive):
            return ir.Positive(self.atom(lit.atom, used))
        if isinstance(lit, ir.Negative):
            return replace(lit, atom=self.atom(lit.atom, used))
        if isinstance(lit, ir.Compare):
            return replace(lit, left=self.expr(lit.left, used), right=self.expr(lit.right, used))
        # an aggregate: its body is evaluated per world (the world variable joins its group key when the body
        # reads a relation that varies); the parameters it reads are bound inside it
        inner: list[str] = []
        body = [self.literal(b, inner) for b in lit.body]
        args = tuple(self.expr(a, inner) for a in lit.args)
        extra = [_param_atom(n) for n in dict.fromkeys(inner)]
        return replace(lit, args=args, body=tuple(extra + body))


def _param_atom(name: str) -> ir.Positive:
    return ir.Positive(ir.Atom(param_relation(name), (_W, ir.Var(param_var(name)))))
