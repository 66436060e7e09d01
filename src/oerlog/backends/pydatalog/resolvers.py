"""Python resolvers of one plan's built-in and aggregate steps, and the located errors they raise.

pyDatalog calls a resolver with its literal's terms (constants have ``is_const()`` true and their value in
``id``); the code here is fixed and computes with exact decimals and dates, through the one semantics core
(:mod:`oerlog.semantics.evaluate`). No pyDatalog import: the terms are read by duck typing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from oerlog.errors import EvaluationError
from oerlog.lang import ir
from oerlog.semantics.evaluate import aggregate_value, run_builtin
from oerlog.semantics.model import Row
from oerlog.semantics.plan import CompiledRule, Plan, Step, StepKind
from oerlog.values import BuiltinTypeError, Value, format_literal

# what a built-in or an aggregate raises on values it cannot compute with: a wrong type (BuiltinTypeError), or a
# value out of range (a date before year 1 or after 9999: OverflowError, ValueError; a decimal: ArithmeticError)
COMPUTE_ERRORS = (BuiltinTypeError, ArithmeticError, ValueError)


def builtin_error(
    rule: CompiledRule, literal: ir.Literal, values: Mapping[str, Value], exc: Exception
) -> EvaluationError:
    """A located error for a built-in or aggregate that cannot compute with the values of one rule instance:
    the literal's position, the rule's id and position, the values, and what went wrong."""
    src = rule.source
    where = f"rule {rule.id}" + (f" ({src.loc.file}:{src.loc.line})" if src.loc else "")
    bound = ", ".join(f"{k} = {format_literal(v)}" for k, v in values.items())
    if isinstance(exc, BuiltinTypeError):
        what = str(exc)
        hint = "check the types of the facts the rule compares"
    else:
        what = f"a value is out of range ({exc})"
        hint = (
            "dates run from 0001-01-01 to 9999-12-31: check the dates and day counts in the case and the "
            "--param values this rule computes with"
        )
    return EvaluationError(
        f"{what} in '{literal}' of {where}" + (f", with {bound}" if bound else ""),
        getattr(literal, "loc", None) or src.loc,
        value=bound or str(literal),
        hint=hint,
    )


class Resolvers:
    """Python resolvers for one plan's built-in and aggregate steps.

    The built-in resolvers are pure. An aggregate resolver reads the rows of its auxiliary relation from
    :attr:`tables`, filled as the evaluation of one case goes up the strata: :meth:`reset` empties them before the
    next case, so that no row of one case reaches another."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.tables: dict[str, set[Row]] = {}
        self.registered: dict[str, Any] = {}

    def reset(self) -> None:
        """Forget the aggregate rows of the last case."""
        self.tables = {}

    def builtin(self, name: str, rule: CompiledRule, step: Step) -> None:
        needs = step.needs
        binds = step.binds

        def resolve(*terms: Any) -> Iterator[tuple[Any, ...]]:
            values: dict[str, Value] = {}
            for v, t in zip(needs, terms, strict=False):
                if not t.is_const():
                    return
                values[v] = t.id
            try:
                result = run_builtin(step, values)
            except COMPUTE_ERRORS as exc:
                raise builtin_error(rule, step.literal, values, exc) from None
            ins = tuple(values[v] for v in needs)
            if step.kind is StepKind.ASSIGN:
                out = terms[len(needs)]
                if out.is_const() and not (out.id == result):
                    return
                yield ins + (result,)
            elif result:
                yield ins

        self.registered[f"{name}/{len(needs) + len(binds)}"] = resolve

    def aggregate(self, name: str, rule: CompiledRule, step: Step) -> None:
        lit = step.literal
        assert isinstance(lit, ir.Aggregate) and step.atom is not None
        aux = step.atom.pred
        group = step.agg_group

        def resolve(*terms: Any) -> Iterator[tuple[Any, ...]]:
            rows = self.tables.get(aux, set())
            key_terms = terms[: len(group)]
            groups: dict[Row, list[Row]] = {}
            if all(t.is_const() for t in key_terms):
                groups[tuple(t.id for t in key_terms)] = []
            for row in rows:
                k = row[: len(group)]
                if all(not t.is_const() or t.id == kv for t, kv in zip(key_terms, k, strict=True)):
                    groups.setdefault(k, []).append(row)
            for k, members in groups.items():
                try:
                    res = aggregate_value(step, members)
                except COMPUTE_ERRORS as exc:
                    raise builtin_error(rule, lit, dict(zip(group, k, strict=True)), exc) from None
                if res is None:
                    continue
                out = terms[len(group)]
                if out.is_const() and out.id != res:
                    continue
                yield k + (res,)

        self.registered[f"{name}/{len(group) + 1}"] = resolve
