"""Expressions in SQL: arithmetic (exact division), comparisons, the built-in functions (dates, working days,
rounding) and aggregates, written for the types the front end inferred (:mod:`oerlog.lang.types`); and the
decimals (scale) a DECIMAL expression keeps."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from oerlog.backends.sql.calendar import WORKING_DAY_FUNCTIONS, working_day_join, working_day_lookup
from oerlog.backends.sql.dialects import DUCKDB, Dialect
from oerlog.backends.sql.program import located, value_scale
from oerlog.lang import ir
from oerlog.lang.types import DATE, DEC, ProgramTypes, TypeClass, compatible, type_name
from oerlog.semantics.plan import CompiledRule


def div_select(inner: str, a: str, b: str, keep: Sequence[str], dialect: Dialect = DUCKDB) -> str:
    """``SELECT keep..., a / b AS v FROM (inner)``, the quotient exact and rounded like Python's decimal module.

    Both operands are scaled to integers (10 decimals; 128-bit in DuckDB, ``DECIMAL(38,0)`` in Spark) and divided
    by long division in two 15-digit chunks with a sticky bit for the remainder; the result is rounded once,
    half-even, to 28 significant digits (28 minus the digits of the integer part), which is what ``decimal`` does
    with its default context. Exact for quotients from 0.1 up to 10^10 (smaller non-terminating quotients keep 28
    decimals, not 28 significant digits). Each stage is a projection over the previous one, so nothing is computed
    twice. A zero divisor gives NULL (no row; the pyDatalog back end stops with an error). The integer divisions
    are the dialect's (:meth:`Dialect.div_small`, :meth:`Dialect.div_pow10`); the steps are the same in every
    dialect, so every engine rounds every quotient the same way.
    """
    d = dialect
    big = d.type_name(d.big)
    h15 = f"CAST(1000000000000000 AS {big})"
    k = "".join(f"{c}, " for c in keep)
    scale = "CAST(CAST({} AS DECIMAL(38,10)) * 10000000000 AS " + big + ")"
    s = f"SELECT {k}{scale.format(a)} AS _sa, {scale.format(f'NULLIF({b}, 0)')} AS _sb FROM ({inner}) AS _d0"
    s = (
        f"SELECT {k}(_sa < 0) <> (_sb < 0) AS _neg, {d.div_small('abs(_sa)', 'abs(_sb)')} AS _q, "
        f"abs(_sa) % abs(_sb) * {h15} AS _r1, abs(_sb) AS _b FROM ({s}) AS _d1"
    )
    s = f"SELECT {k}_neg, _q, _b, {d.div_small('_r1', '_b')} AS _f1, _r1 % _b * {h15} AS _r3 FROM ({s}) AS _d2"
    s = (
        f"SELECT {k}_neg, _q, _f1 * {h15} + {d.div_small('_r3', '_b')} AS _f, _r3 % _b <> 0 AS _s, "
        f"CASE WHEN _q = 0 THEN 0 ELSE length({d.text('_q')}) END AS _n FROM ({s}) AS _d3"
    )
    s = (
        f"SELECT {k}_neg, _q, _f, _s, _n, CAST('1' || repeat('0', CAST(_n + 2 AS INTEGER)) AS {big}) AS _p "
        f"FROM ({s}) AS _d4"
    )
    s = (
        f"SELECT {k}_neg, _q, _s, _n, {d.div_pow10('_f', '_p')} AS _fd, _f % _p AS _rem, "
        f"{d.div_small('_p', '2')} AS _half FROM ({s}) AS _d5"
    )
    s = (
        f"SELECT {k}_neg, _q * CAST('10000000000000000000000000000' AS {big}) + (_fd + CASE WHEN _rem > _half "
        f"OR (_rem = _half AND (_s OR _fd % 2 = 1)) THEN 1 ELSE 0 END) * "
        f"CAST('1' || repeat('0', CAST(_n AS INTEGER)) AS {big}) AS _t FROM ({s}) AS _d6"
    )
    return (
        f"SELECT {k}CAST(CAST(CASE WHEN _neg THEN -_t ELSE _t END AS DECIMAL(38,0)) * "
        f"CAST('0.0000000000000000000000000001' AS DECIMAL(38,28)) AS DECIMAL(38,28)) AS v FROM ({s}) AS _d7"
    )


def div_sql(a: str, b: str, dialect: Dialect = DUCKDB) -> str:
    """``a / b`` as a scalar expression (a subquery over :func:`div_select`)."""
    return "(" + div_select(f"SELECT {a} AS _a, {b} AS _b", "_a", "_b", [], dialect) + ")"


def expr_scale(e: ir.Expr, scales: Mapping[str, int]) -> int:
    """Decimals of a DECIMAL expression, as DuckDB computes them (+ -: the larger; *: the sum; /: 28, see
    :func:`div_select`), given the decimals of its variables."""
    if isinstance(e, ir.Var):
        return scales.get(e.name, 0)
    if isinstance(e, ir.Const):
        return value_scale(e.value)
    if isinstance(e, ir.BinOp):
        a, b = expr_scale(e.left, scales), expr_scale(e.right, scales)
        if e.op == "/":
            return 28
        return a + b if e.op == "*" else max(a, b)
    if isinstance(e, ir.Call):
        if e.func in ("round_half_up", "truncate"):
            n = e.args[1]
            return int(n.value) if isinstance(n, ir.Const) and isinstance(n.value, (int, Decimal)) else 0
        if e.func in ("least", "greatest", "abs"):
            return max(expr_scale(x, scales) for x in e.args)
    return 0


def _divides(e: ir.Expr) -> bool:
    """Whether ``e`` contains a division."""
    if isinstance(e, ir.BinOp):
        return e.op == "/" or _divides(e.left) or _divides(e.right)
    if isinstance(e, ir.Call):
        return any(_divides(x) for x in e.args)
    return False


@dataclass
class Body:
    """The ``FROM`` clause of the rule being written: its joins (None inside an aggregate's subquery, where a
    working-day function is a scalar lookup) and where fresh table aliases come from."""

    joins: list[str] | None
    alias: Callable[[], str]


class ExprWriter:
    """Writes expressions, comparisons and aggregates of the compiled rules; ``uses_calendar`` tells whether any
    of them needs the working-day calendar ``calendar`` (a qualified table name)."""

    def __init__(self, types: ProgramTypes, calendar: str, dialect: Dialect = DUCKDB) -> None:
        self.types = types
        self.calendar = calendar
        self.dialect = dialect
        self.uses_calendar = False
        self.body = Body(None, lambda: "c")

    def expr_type(self, e: ir.Expr, env: Mapping[str, TypeClass | None]) -> TypeClass | None:
        """The class the front end gives ``e`` under ``env``."""
        return self.types.expr_type(e, env)

    def compare(
        self, cr: CompiledRule, lit: ir.Compare, binding: Mapping[str, str], env: Mapping[str, TypeClass | None]
    ) -> str:
        """A comparison as an SQL condition (``=`` between types that are never equal is FALSE, ``!=`` TRUE)."""
        lt, rt = self.expr_type(lit.left, env), self.expr_type(lit.right, env)
        left, right = self.expr(cr, lit.left, binding, env), self.expr(cr, lit.right, binding, env)
        if not compatible(lt, rt):
            if lit.op in ("=", "!="):
                return "FALSE" if lit.op == "=" else "TRUE"
            raise located(cr, f"'{lit}' compares a {type_name(lt)} with a {type_name(rt)}")  # refused earlier
        op = {"!=": "<>"}.get(lit.op, lit.op)
        return f"{left} {op} {right}"

    def expr(
        self, cr: CompiledRule, e: ir.Expr, binding: Mapping[str, str], env: Mapping[str, TypeClass | None]
    ) -> str:
        """An expression over the rule's bound variables (``binding``: variable -> SQL)."""
        if isinstance(e, ir.Var):
            if e.name not in binding:
                raise located(cr, f"variable {e.name} is used before it is bound")
            return binding[e.name]
        d = self.dialect
        if isinstance(e, ir.Const):
            return d.literal(e.value)
        if isinstance(e, ir.Param):
            raise located(cr, f"parameter ${e.name} has no value")
        if isinstance(e, ir.BinOp):
            lt, rt = self.expr_type(e.left, env), self.expr_type(e.right, env)
            a, b = self.expr(cr, e.left, binding, env), self.expr(cr, e.right, binding, env)
            if lt == DATE and rt == DATE:
                return d.days_between(b, a)
            if lt == DATE:
                return d.add_days(f"({a})", b) if e.op == "+" else d.sub_days(a, b)
            if e.op == "/":
                if d.name == "spark" and any(_divides(x) for x in (e.left, e.right)):
                    raise located(
                        cr,
                        f"'{e}' divides a quotient: Spark SQL cannot evaluate the exact division of a quotient "
                        "within one expression (the inner division is a subquery Spark does not resolve there)",
                        hint="compute the inner quotient in a rule of its own and divide its result, or run this "
                        "document on DuckDB (--engine duckdb)",
                    )
                return div_sql(a, b, d)
            return f"({a} {e.op} {b})"
        args = [self.expr(cr, x, binding, env) for x in e.args]
        fn = e.func
        if fn == "add_days":
            return d.add_days(args[0], args[1])
        if fn == "add_weeks":
            return d.add_weeks(args[0], args[1])
        if fn == "add_months":
            return d.add_months(args[0], args[1])
        if fn == "days_between":
            return d.days_between(args[0], args[1])
        if fn == "weekday":
            return d.weekday(args[0])
        if fn == "academic_year":
            x = args[0]
            return f"CAST(CASE WHEN month({x}) >= 9 THEN year({x}) ELSE year({x}) - 1 END AS BIGINT)"
        if fn in WORKING_DAY_FUNCTIONS:
            self.uses_calendar = True
            if self.body.joins is not None:
                return working_day_join(fn, args, self.calendar, self.body.joins, self.body.alias)
            return working_day_lookup(fn, args, self.calendar)
        if fn in ("round_half_up", "truncate"):
            n = e.args[1]
            if not isinstance(n, ir.Const) or isinstance(n.value, bool) or not isinstance(n.value, (int, Decimal)):
                raise located(cr, f"{fn} needs a constant number of decimals, got '{n}'")
            digits = int(n.value)
            x = args[0]
            if self.expr_type(e.args[0], env) != DEC:
                x = f"CAST({x} AS DECIMAL(38,{max(digits, 0)}))"
            return f"round({x}, {digits})" if fn == "round_half_up" else d.truncate(x, digits)
        if fn == "least":
            return f"least({args[0]}, {args[1]})"
        if fn == "greatest":
            return f"greatest({args[0]}, {args[1]})"
        if fn == "abs":
            return f"abs({args[0]})"
        raise located(cr, f"unknown function {fn}")

    def aggregate_select(
        self,
        cr: CompiledRule,
        lit: ir.Aggregate,
        keys: list[str],
        source: str,
        binding: Mapping[str, str],
        env: Mapping[str, TypeClass | None],
    ) -> str:
        """``SELECT k0.., v FROM source GROUP BY k0..``: the aggregate per group of the auxiliary relation."""
        args = [self.expr(cr, a, binding, env) for a in lit.args]
        group = f" GROUP BY {', '.join(k.rsplit(' AS ', 1)[0] for k in keys)}" if keys else ""
        knames = [f"_k{i}" for i in range(len(keys))]
        if lit.func in ("count", "sum", "min", "max"):
            value = "COUNT(*)" if lit.func == "count" else f"{lit.func.upper()}({args[0]})"
            return f"SELECT {', '.join(keys + [value + ' AS v'])} FROM {source} AS x{group}"
        if lit.func == "mean":
            num, den = f"SUM({args[0]})", "COUNT(*)"
        elif lit.func == "wmean":
            num, den = f"SUM(({args[0]}) * ({args[1]}))", f"SUM({args[1]})"
        else:
            raise located(cr, f"unknown aggregate {lit.func}")
        inner = f"SELECT {', '.join(keys + [num + ' AS _num', den + ' AS _den'])} FROM {source} AS x{group}"
        return div_select(inner, "_num", "_den", knames, self.dialect)
