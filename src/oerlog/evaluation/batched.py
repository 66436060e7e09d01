"""Many cases in one evaluation: the engine behind exploration (scenario tests, consistency scenarios,
counterfactual probes, what-if grids).

Every case of a batch is a *world*: its own facts (students, catalogue, reference date) and its own parameter
values. The document's program is rewritten with a world key (:mod:`oerlog.semantics.worlds`), compiled to SQL
once per shape and run over all worlds in one DuckDB database (:mod:`oerlog.backends.sql.worlds`). The result is
one :class:`~oerlog.semantics.model.Model` per case holding the case's facts and the relations asked for, with the
three answers as a single-case evaluation gives them (held identical by the differential test).

Parameters are per-world data: a value a case overrides is read from a table, not written into the SQL, so cases
with different values share one run. Cases are grouped only by *which* template choices they leave unfilled
(the plan reads an unfilled choice as undetermined, which changes its rules); almost every batch is one group.

A case that cannot be evaluated (the database refuses a value) is isolated by splitting its group and reported
on its own; the other cases keep their answers.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from oerlog.backends.sql import SqlProgram, compile_plan
from oerlog.backends.sql.worlds import run_worlds
from oerlog.errors import EvaluationError, EvaluationTimeout, OerlogError
from oerlog.evaluation.engine import default_timeout
from oerlog.kb.loader import Document
from oerlog.kb.vocabulary import Field, Relation, Vocabulary
from oerlog.lang import ir
from oerlog.lang.types import FIELD_TYPES
from oerlog.semantics.model import Model, Row
from oerlog.semantics.options import OptionCopies
from oerlog.semantics.plan import Plan, build_plan
from oerlog.semantics.worlds import WORLD_RELATION, WORLD_VAR, param_relation, unfilled_relation, world_program
from oerlog.values import Value

_WORLD_FIELD = Field("world", "integer", "the case of a batched evaluation")


@dataclass
class World:
    """One case of a batch: its input facts (relation -> rows) and parameter overrides."""

    facts: Mapping[str, set[Row]]
    overrides: Mapping[str, Value] = field(default_factory=dict)


@dataclass
class BatchRun:
    """The outcome of :func:`evaluate_worlds`: per case, its model or the error that kept it from one."""

    results: list[Model | OerlogError]
    rule_ids: list[dict[str, set[tuple[Row, str]]]] | None = None  # per case, goal -> (row, id of a deriving rule)
    seconds_compile: float = 0.0
    seconds_run: float = 0.0
    runs: int = 0  # database runs (one per group of cases leaving the same choices unfilled, plus isolation)


@dataclass
class _Compiled:
    doc: Document  # kept, so that the id in the cache key cannot be reused by another document
    plan: Plan
    prog: SqlProgram
    read: list[str]
    shared: frozenset[str]  # relations of ``read`` that are the same in every world (no world key)


_CACHE: dict[tuple[int, frozenset[str], frozenset[str], tuple[str, ...]], _Compiled] = {}
_CACHE_SIZE = 32


def evaluate_worlds(
    doc: Document,
    worlds: Sequence[World],
    goals: Iterable[str],
    *,
    timeout: float | None = None,
    rule_ids: bool = False,
) -> BatchRun:
    """Evaluate every case of ``worlds`` under ``doc`` for the relations ``goals`` (derived relations of the
    document; input relations are answered from each case's facts) in one database run, stopped after ``timeout``
    seconds (default: the time limit of one evaluation, ``$OERLOG_TIMEOUT`` or 30 s, per 2,000 cases); the cases
    of a run that is stopped get the :class:`~oerlog.errors.EvaluationTimeout` naming the relation computed.
    ``rule_ids`` also gives, per case, the id of each rule that derived each goal row (:attr:`BatchRun.rule_ids`)."""
    derived = _derived_goals(doc, goals)
    if timeout is None:  # the limit of one evaluation ($OERLOG_TIMEOUT, 30 s) per 2,000 cases
        timeout = default_timeout() * max(1, math.ceil(len(worlds) / 2000))
    out = BatchRun([EvaluationError("not evaluated")] * len(worlds), [{} for _ in worlds] if rule_ids else None)
    values = [_values(doc, w.overrides) for w in worlds]
    joined, partial = _shape(doc, worlds, values)
    start = time.perf_counter()
    compiled = _compile(doc, joined, partial, derived)
    out.seconds_compile = time.perf_counter() - start
    _run_group(doc, compiled, joined, partial, list(enumerate(worlds)), values, out, timeout)
    return out


def _values(doc: Document, overrides: Mapping[str, Value]) -> dict[str, Value | None]:
    """Every parameter's value in one case: its override, else the declared value (None: unfilled)."""
    return {p.name: overrides.get(p.name, p.value) for p in doc.program.params}


def _shape(
    doc: Document, worlds: Sequence[World], values: Sequence[Mapping[str, Value | None]]
) -> tuple[frozenset[str], frozenset[str]]:
    """The parameters read per world: those some case overrides and every case fills (``joined``), and those some
    cases fill and others leave unfilled (``partial``). A listed choice (``@options``) left unfilled anywhere is
    neither: the plan evaluates each of its options, and each case keeps the options it allows."""
    overridden = {name for w in worlds for name in w.overrides}
    joined: set[str] = set()
    partial: set[str] = set()
    for p in doc.program.params:
        filled = [v.get(p.name) is not None for v in values]
        if all(filled) and p.name in overridden:
            joined.add(p.name)
        elif any(filled) and not all(filled) and not p.options:
            partial.add(p.name)
    return frozenset(joined), frozenset(partial)


def _derived_goals(doc: Document, goals: Iterable[str]) -> tuple[str, ...]:
    voc = doc.kb.vocabulary
    stated_false = {ir.false_name(r) for r in voc.relations}
    return tuple(sorted({g for g in goals if g not in voc.relations and g not in stated_false}))


def _compile(doc: Document, joined: frozenset[str], partial: frozenset[str], goals: tuple[str, ...]) -> _Compiled:
    """The document's world program compiled for ``goals`` (the copies of a goal that depends on a listed choice
    are read as they are and folded per case), cached."""
    key = (id(doc), joined, partial, goals)
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    program = world_program(doc.program, joined, partial)
    plan = build_plan(program)
    voc = world_vocabulary(doc.kb.vocabulary)
    types = {param_relation(n): ["int", _param_class(doc, n)] for n in joined | partial}
    types.update({unfilled_relation(n): ["int"] for n in partial})
    types[WORLD_RELATION] = ["int"]
    derivable = {cr.head.pred for cr in plan.rules} | {f.pred for f in plan.facts}
    wanted = [c for g in goals for c in (plan.option_copies[g].names() if g in plan.option_copies else [g])]
    prog = compile_plan(plan, voc, [g for g in wanted if g in derivable], input_types=types)
    read = [p for g in wanted for p in (g, ir.possible_name(g)) if p in prog.derived]
    keyed = {cr.head.pred for cr in plan.rules if cr.head.args[:1] == (ir.Var(WORLD_VAR),)}
    shared = frozenset(p for p in read if p not in keyed)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = _Compiled(doc, plan, prog, read, shared)
    return _CACHE[key]


def _param_class(doc: Document, name: str) -> str:
    decl = doc.param_decl(name)
    return FIELD_TYPES.get(decl.type if decl else "string", "dec")


def world_vocabulary(voc: Vocabulary) -> Vocabulary:
    """``voc`` with a leading world field on every relation and concept."""

    def keyed(rels: Mapping[str, Relation]) -> dict[str, Relation]:
        return {n: replace(r, fields=(_WORLD_FIELD, *r.fields), key=None) for n, r in rels.items()}

    return Vocabulary(keyed(voc.relations), keyed(voc.concepts), dict(voc.parameters), {}, voc.path)


def _run_group(
    doc: Document,
    compiled: _Compiled,
    joined: frozenset[str],
    partial: frozenset[str],
    members: list[tuple[int, World]],
    values: Sequence[Mapping[str, Value | None]],
    out: BatchRun,
    timeout: float | None,
) -> None:
    """Run the cases ``members`` (index, case); when the database refuses them, split them to isolate the cases
    it refuses."""
    inputs: dict[str, list[Row]] = {name: [] for name in compiled.prog.inputs}
    years: set[int] = {p.value.year for p in doc.program.params if isinstance(p.value, dt.date)}
    for w, (i, world) in enumerate(members):
        for name, facts in world.facts.items():
            target = inputs.get(name)
            if target is None:
                continue
            target.extend((w, *row) for row in facts)
        if WORLD_RELATION in inputs:
            inputs[WORLD_RELATION].append((w,))
        for name in joined | partial:
            value = values[i].get(name)
            if value is None:
                inputs.setdefault(unfilled_relation(name), []).append((w,))
            else:
                inputs.setdefault(param_relation(name), []).append((w, value))
                if isinstance(value, dt.date):
                    years.add(value.year)
    try:
        got = run_worlds(
            compiled.prog,
            inputs,
            compiled.read,
            years=years,
            timeout=timeout,
            shared=compiled.shared,
            with_rules=compiled.read if out.rule_ids is not None else (),
        )
    except EvaluationTimeout as exc:
        for i, _ in members:
            out.results[i] = exc
        return
    except EvaluationError as exc:
        out.runs += 1
        if len(members) == 1:
            out.results[members[0][0]] = exc
            return
        half = len(members) // 2
        for part in (members[:half], members[half:]):
            _run_group(doc, compiled, joined, partial, part, values, out, timeout)
        return
    out.runs += 1
    out.seconds_run += got.seconds
    for w, (i, world) in enumerate(members):
        relations: dict[str, set[Row]] = dict(world.facts)  # the case's own sets: a model only reads them
        relations.update(got.common)
        relations.update(got.rows.get(w, {}))
        if out.rule_ids is not None:
            out.rule_ids[i] = {**got.common_rules, **got.rules.get(w, {})}
        _fold_options(compiled.plan, relations, values[i])
        out.results[i] = Model(compiled.plan, relations)


def _fold_options(plan: Plan, relations: dict[str, set[Row]], values: Mapping[str, Value | None]) -> None:
    """Fold the copies of every relation that depends on a listed choice, over the options this case allows (all
    of them where it leaves the choice unfilled, the one it chose otherwise): a tuple holds when it holds under
    every allowed option, and may hold when it may hold under one."""
    for pred, oc in plan.option_copies.items():
        allowed = _allowed(oc, tuple((p, values.get(p)) for p in oc.params))
        if not any(name in relations or ir.possible_name(name) in relations for name in allowed):
            continue
        certain: set[Row] | None = None
        possible: set[Row] = set()
        for name in allowed:
            rows = relations.pop(name, set())
            certain = set(rows) if certain is None else certain & rows
            possible |= rows | relations.pop(ir.possible_name(name), set())
        relations[pred] = certain or set()
        relations[ir.possible_name(pred)] = possible


_ALLOWED: dict[tuple[int, tuple[tuple[str, Value | None], ...]], tuple[OptionCopies, list[str]]] = {}


def _allowed(oc: OptionCopies, chosen: tuple[tuple[str, Value | None], ...]) -> list[str]:
    """The copies of a relation a case allows, given its values of the choices the copies differ on (kept: every
    case of a batch asks the same few questions)."""
    hit = _ALLOWED.get((id(oc), chosen))
    if hit is not None and hit[0] is oc:
        return hit[1]
    values = dict(chosen)
    names = [
        name
        for choice, name in oc.copies
        if all(values.get(p) is None or ir.same_value(values[p], v) for p, v in choice)  # type: ignore[arg-type]
    ]
    if len(_ALLOWED) > 4096:
        _ALLOWED.clear()
    _ALLOWED[(id(oc), chosen)] = (oc, names)
    return names
