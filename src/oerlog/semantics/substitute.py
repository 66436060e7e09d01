"""Parameter values put into rules: every ``$name`` with a value in the mapping becomes that constant."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from oerlog.lang import ir
from oerlog.values import Value


def subst_term(t: ir.Term, params: Mapping[str, Value | None]) -> ir.Term:
    if isinstance(t, ir.Param):
        v = params.get(t.name)
        return t if v is None else ir.Const(v, t.loc)  # a parameter without a value here stays a parameter
    return t


def subst_expr(e: ir.Expr, params: Mapping[str, Value | None]) -> ir.Expr:
    if isinstance(e, ir.Param):
        return subst_term(e, params)
    if isinstance(e, ir.BinOp):
        return replace(e, left=subst_expr(e.left, params), right=subst_expr(e.right, params))
    if isinstance(e, ir.Call):
        return replace(e, args=tuple(subst_expr(a, params) for a in e.args))
    return e


def subst_atom(a: ir.Atom, params: Mapping[str, Value | None]) -> ir.Atom:
    return replace(a, args=tuple(subst_term(t, params) for t in a.args))


def subst_lit(lit: ir.Literal, params: Mapping[str, Value | None]) -> ir.Literal:
    if isinstance(lit, ir.Positive):
        return ir.Positive(subst_atom(lit.atom, params))
    if isinstance(lit, ir.Negative):
        return replace(lit, atom=subst_atom(lit.atom, params))
    if isinstance(lit, ir.Compare):
        return replace(lit, left=subst_expr(lit.left, params), right=subst_expr(lit.right, params))
    return replace(
        lit,
        args=tuple(subst_expr(a, params) for a in lit.args),
        body=tuple(subst_lit(b, params) for b in lit.body),
    )
