"""Comparisons and computations of a rule body in words: as they hold in a proof ("cijfer 3,8 is lager dan 4,0
(ondergrens uitnodiging herkansing)"), as a why-not needs them ("nodig: cijfer ten minste 4,0 (...); het is 3,8"),
or left out where they only restate a fact ("1 >= 1" for a course of year 1, "block != ivtg").

Every built-in of a proof node is phrased together with its siblings (the other built-ins of the same rule
instance), so a deadline computed in one literal and compared in the next reads as one sentence: "7 mei 2020 ligt
op of vóór maandag 11 mei 2020 (uiterlijk: 10 werkdagen na ...)".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from oerlog.explain.terms import COUNT_FUNCTIONS, DATE_FUNCTIONS, count_between, deadline, term
from oerlog.explain.words import Phrasing
from oerlog.lang import ir
from oerlog.semantics.evaluate import eval_expr
from oerlog.semantics.plan import Step, StepKind
from oerlog.values import BuiltinTypeError, Value

ORDER = ("<", "<=", ">", ">=")
MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}
PLAIN_TYPES = ("id", "string", "enum", "integer", "boolean")
AGG_WORDS = {
    "nl": {
        "count": "aantal",
        "sum": "som",
        "min": "laagste",
        "max": "hoogste",
        "mean": "gemiddelde",
        "wmean": "gewogen gemiddelde",
    },
    "en": {
        "count": "number",
        "sum": "sum",
        "min": "lowest",
        "max": "highest",
        "mean": "mean",
        "wmean": "weighted mean",
    },
}
_NUM = {
    "nl": {
        "<": "lager dan",
        "<=": "ten hoogste",
        ">": "hoger dan",
        ">=": "ten minste",
        "=": "gelijk aan",
        "!=": "anders dan",
    },
    "en": {"<": "below", "<=": "at most", ">": "above", ">=": "at least", "=": "equal to", "!=": "other than"},
}
_COUNT = {
    "nl": {**_NUM["nl"], "<": "minder dan", ">": "meer dan"},
    "en": {**_NUM["en"], "<": "fewer than", ">": "more than"},
}
_DATE = {
    "nl": {"<": "vóór", "<=": "op of vóór", ">": "na", ">=": "op of na", "=": "op", "!=": "niet op"},
    "en": {"<": "before", "<=": "on or before", ">": "after", ">=": "on or after", "=": "on", "!=": "not on"},
}


@dataclass
class Operand:
    """One side of a comparison for a reader."""

    value: Value | None
    shown: str  # the value in words
    label: str | None = None  # what it is: a field's label, a parameter's, an aggregate's
    explained: str | None = None  # how it was computed: a term, a rounding
    case_value: bool = True  # a value of the case (a fact, an aggregate over facts), not a threshold
    plain: bool = False  # a field value of a plain type (id, enum, integer ...) or a constant: a category
    type: str | None = None  # the field's type, where the value comes from a field

    def short(self) -> str:
        """The value with the label of a value of the case, without a threshold's label or computation."""
        return f"{self.label} {self.shown}" if self.case_value and self.label else self.shown

    def named(self) -> str:
        """``cijfer 3,8``, ``4,0 (ondergrens ...)``, ``maandag 11 mei 2020 (uiterlijk: ...)``."""
        if self.case_value and self.label:
            text = f"{self.label} {self.shown}"
        else:
            text = self.shown
            if self.label:
                text += f" ({self.label})"
        if self.explained:
            text += f" ({self.explained})"
        return text


class Conditions:
    """Built-ins of one rule instance in words."""

    def __init__(self, ph: Phrasing, rule: ir.Rule | None, binding: dict[str, Value], assigns: dict[str, Step]):
        self.ph = ph
        self.rule = rule
        self.b = binding
        self.assigns = assigns  # variable -> the step that computed it (to tell a deadline's term)
        self.sources = {lit.loc: lit for lit in (rule.body if rule else ()) if isinstance(lit, ir.Compare) and lit.loc}

    # --- operands ---------------------------------------------------------------------------------------------

    def source_of(self, lit: ir.Compare) -> ir.Compare:
        """The literal as written (parameters as ``$name``) for the literal as evaluated (values put in)."""
        src = self.sources.get(lit.loc) if lit.loc else None
        return src if src is not None and src.op == lit.op else lit

    def operand(self, src: ir.Expr, cmp: ir.Expr) -> Operand:
        ph = self.ph
        try:
            value = eval_expr(cmp, self.b)
        except (KeyError, BuiltinTypeError, TypeError, ValueError, ArithmeticError):
            value = None
        if isinstance(src, ir.Param):
            return Operand(value, ph.value(value), ph.param_label(src.name), case_value=False)
        if isinstance(src, ir.Const):
            return Operand(value, ph.value(value), case_value=False, plain=True)
        if isinstance(src, ir.Var):
            origin = ph.origins(self.rule).get(src.name) if self.rule else None
            if origin is not None and origin.param:
                return Operand(value, ph.value(value), ph.param_label(origin.param), case_value=False)
            fld = origin.field if origin else None
            op = Operand(value, ph.value(value, fld), fld.label_in(ph.lang) if fld and fld.label else None)
            op.type = fld.type if fld else None
            op.plain = fld is not None and fld.type in PLAIN_TYPES and origin is not None and origin.agg is None
            if origin is not None and origin.agg:
                op.label = AGG_WORDS[ph.lang].get(origin.agg)
            step = self.assigns.get(src.name)
            count = _assigned(step) if step is not None else None
            if isinstance(count, ir.Call) and count.func in COUNT_FUNCTIONS and isinstance(value, int):
                unit = (
                    ("werkdagen" if ph.nl else "working days")
                    if count.func == "working_days_between"
                    else ("dagen" if ph.nl else "days")
                )
                op.shown = f"{ph.value(value)} {unit}"
            expr = _assigned(step) if step is not None else None
            if expr is not None and not (isinstance(expr, ir.Call) and expr.func in COUNT_FUNCTIONS):
                explained = self.computed(expr)
                if explained is not None:
                    if isinstance(value, dt.date):
                        op.shown = explained[0]
                    op.explained = explained[1]
                    is_term = isinstance(expr, ir.Call) and expr.func in DATE_FUNCTIONS
                    op.case_value = not is_term and not _only_thresholds(expr, ph, self.rule)
            return op
        shown = self.computed(cmp)
        return Operand(value, ph.value(value), explained=shown[1] if shown else None, case_value=True)

    def computed(self, e: ir.Expr) -> tuple[str, str] | None:
        """(the value, how it is computed) of a computation, in words: a term, a rounding, an academic year."""
        ph = self.ph
        if not isinstance(e, (ir.Call, ir.BinOp)):
            return None
        try:
            value = eval_expr(e, self.b)
            args = [eval_expr(a, self.b) for a in e.args] if isinstance(e, ir.Call) else []
        except (KeyError, BuiltinTypeError, TypeError, ValueError, ArithmeticError):
            return None
        if isinstance(e, ir.BinOp):
            words = f"{self.expr_words(e.left)} {e.op} {self.expr_words(e.right)}"
            return ph.value(value), words
        f = e.func
        if f in DATE_FUNCTIONS and isinstance(args[0], dt.date) and isinstance(args[1], int):
            assert isinstance(value, dt.date)
            return ph.date(value, weekday=True), term(ph, f, args[0], args[1], value)
        if f in COUNT_FUNCTIONS and isinstance(args[0], dt.date) and isinstance(args[1], dt.date):
            assert isinstance(value, int)
            return ph.value(value), count_between(ph, f, args[0], args[1], value)
        return ph.value(value), self.expr_words(e)

    def expr_words(self, e: ir.Expr) -> str:
        """An expression in words, values put in: ``5,45 afgerond op één decimaal``."""
        ph = self.ph
        nl = ph.nl
        if isinstance(e, ir.Var):
            origin = ph.origins(self.rule).get(e.name) if self.rule else None
            return ph.value(self.b.get(e.name), origin.field if origin else None)
        if isinstance(e, ir.Const):
            return ph.value(e.value)
        if isinstance(e, ir.Param):
            return "$" + e.name
        if isinstance(e, ir.BinOp):
            return f"({self.expr_words(e.left)} {e.op} {self.expr_words(e.right)})"
        a = [self.expr_words(x) for x in e.args]
        f = e.func
        if f in ("round_half_up", "truncate") and len(a) == 2:
            n = e.args[1]
            places = n.value if isinstance(n, ir.Const) else None
            verb = (
                ("afgerond" if f == "round_half_up" else "afgekapt")
                if nl
                else ("rounded" if f == "round_half_up" else "truncated")
            )
            if places == 0:
                return f"{a[0]} {verb} {'op een geheel getal' if nl else 'to a whole number'}"
            if places == 1:
                return f"{a[0]} {verb} {'op één decimaal' if nl else 'to one decimal'}"
            return f"{a[0]} {verb} {'op' if nl else 'to'} {a[1]} {'decimalen' if nl else 'decimals'}"
        words = {
            "academic_year": ("het studiejaar van {0}", "the academic year of {0}"),
            "weekday": ("de dag van de week van {0}", "the day of the week of {0}"),
            "is_working_day": ("of {0} een werkdag is", "whether {0} is a working day"),
            "least": ("de kleinste van {0} en {1}", "the smaller of {0} and {1}"),
            "greatest": ("de grootste van {0} en {1}", "the larger of {0} and {1}"),
            "abs": ("de absolute waarde van {0}", "the absolute value of {0}"),
            "add_days": ("{1} dagen na {0}", "{1} days after {0}"),
            "add_weeks": ("{1} weken na {0}", "{1} weeks after {0}"),
            "add_months": ("{1} maanden na {0}", "{1} months after {0}"),
            "add_working_days": ("{1} werkdagen na {0}", "{1} working days after {0}"),
            "days_between": ("de dagen van {0} tot {1}", "the days from {0} to {1}"),
            "working_days_between": ("de werkdagen na {0} tot en met {1}", "the working days after {0} up to {1}"),
        }
        if f in words:
            try:
                return words[f][0 if nl else 1].format(*a)
            except IndexError:
                pass
        return f"{f}({', '.join(a)})"

    # --- comparisons ------------------------------------------------------------------------------------------

    def sides(self, lit: ir.Compare) -> tuple[Operand, str, Operand]:
        """(case value, operator, threshold): the comparison turned so that the case's value comes first."""
        src = self.source_of(lit)
        left, right = self.operand(src.left, lit.left), self.operand(src.right, lit.right)
        if not left.case_value and right.case_value:
            return right, MIRROR[lit.op], left
        return left, lit.op, right

    def trivial(self, lit: ir.Compare) -> bool:
        """A comparison that only restates a fact: between categories (ids, enum values, whole numbers of a field)
        and constants, or the join of two values (``Y = Y2``)."""
        src = self.source_of(lit)
        left, right = self.operand(src.left, lit.left), self.operand(src.right, lit.right)
        if isinstance(src.left, ir.Var) and isinstance(src.right, ir.Var) and lit.op == "=":
            return True
        return left.plain and right.plain

    def words(self, a: Operand, op: str) -> str:
        value = a.value
        if isinstance(value, dt.date):
            table = _DATE
        elif a.type in ("grade", "decimal", "ec") or not _whole(value):
            table = _NUM
        else:
            table = _COUNT
        return table[self.ph.lang][op]

    def holds(self, lit: ir.Compare, *, short: bool = False) -> str:
        """A comparison that holds, in words (``short``: without the thresholds' labels and computations)."""
        if (special := self._academic_year(lit, True)) is not None:
            return special
        left, verb, rest = self.parts(lit, short=short)
        return f"{left} {verb} {rest}"

    def parts(self, lit: ir.Compare, *, short: bool = False) -> tuple[str, str, str]:
        """(the case's value, the verb, the relation and threshold): ``("cijfer 3,8", "is", "lager dan 4,0")``."""
        a, op, b = self.sides(lit)
        ph = self.ph
        left, right = (a.short(), b.short()) if short else (a.named(), b.named())
        if isinstance(a.value, dt.date):
            return left, "ligt" if ph.nl else "is", f"{self.words(a, op)} {right}"
        if isinstance(a.value, (str, bool)) and op in ("=", "!="):
            return left, "is" if op == "=" else ("is niet" if ph.nl else "is not"), right
        return left, "is", f"{self.words(a, op)} {right}"

    def needed(self, lit: ir.Compare) -> str:
        """A comparison that fails, as what the case would need: ``nodig: cijfer ten minste 4,0 (...); het is
        3,8``."""
        if (special := self._academic_year(lit, False)) is not None:
            return special
        a, op, b = self.sides(lit)
        ph = self.ph
        what = f"{a.label} " if a.label else ""
        need = f"{what}{self.words(a, op)} {b.named()}"
        if isinstance(a.value, (str, bool)) and op == "=":
            need = f"{what}{b.named()}"
        elif isinstance(a.value, (str, bool)) and op == "!=":
            need = f"{what}{'niet' if ph.nl else 'not'} {b.named()}"
        actual = a.shown + (f" ({a.explained})" if a.explained else "")
        return f"{'nodig' if ph.nl else 'needed'}: {need}; {'het is' if ph.nl else 'it is'} {actual}"

    def _academic_year(self, lit: ir.Compare, holds: bool) -> str | None:
        """``31 oktober 2025 valt in studiejaar 2025-2026`` for ``academic_year(D) = Y``."""
        calls = [s for s in (lit.left, lit.right) if isinstance(s, ir.Call) and s.func == "academic_year"]
        if lit.op != "=" or len(calls) != 1:
            return None
        other = lit.right if calls[0] is lit.left else lit.left
        try:
            day = eval_expr(calls[0].args[0], self.b)
            year = eval_expr(other, self.b)
            actual = eval_expr(calls[0], self.b)
        except (KeyError, BuiltinTypeError, TypeError, ValueError):
            return None
        if not isinstance(day, dt.date) or not isinstance(year, int) or not isinstance(actual, int):
            return None
        ph = self.ph
        if holds:
            return f"{ph.date(day)} {'valt in studiejaar' if ph.nl else 'falls in academic year'} {year}-{year + 1}"
        return (
            f"{'nodig' if ph.nl else 'needed'}: {ph.date(day)} {'in studiejaar' if ph.nl else 'in academic year'} "
            f"{year}-{year + 1}; {'het valt in' if ph.nl else 'it falls in'} {actual}-{actual + 1}"
        )

    # --- assignments ------------------------------------------------------------------------------------------

    def assigned(self, step: Step, used_by_test: bool) -> str | None:
        """``X = expr`` in words, or None where it says nothing a reader needs (a parameter's value, a value
        passed on) or where a comparison of the same rule tells it (a deadline compared with a date)."""
        expr = _assigned(step)
        if expr is None or not isinstance(expr, (ir.Call, ir.BinOp)):
            return None
        ph = self.ph
        if isinstance(expr, ir.Call) and expr.func == "academic_year":
            try:
                day = eval_expr(expr.args[0], self.b)
                year = eval_expr(expr, self.b)
            except (KeyError, BuiltinTypeError, TypeError, ValueError):
                return None
            if isinstance(day, dt.date) and isinstance(year, int):
                return f"{ph.date(day)} {'valt in studiejaar' if ph.nl else 'falls in academic year'} {year}-{year + 1}"
        if used_by_test and isinstance(expr, ir.Call) and expr.func in DATE_FUNCTIONS:
            return None
        if isinstance(expr, ir.Call) and expr.func in DATE_FUNCTIONS:
            try:
                start, n = (eval_expr(a, self.b) for a in expr.args)
                end = eval_expr(expr, self.b)
            except (KeyError, BuiltinTypeError, TypeError, ValueError):
                return None
            if isinstance(start, dt.date) and isinstance(n, int) and isinstance(end, dt.date):
                return deadline(ph, expr.func, start, n, end)
        shown = self.computed(expr)
        if shown is None:
            return None
        if isinstance(expr, ir.Call) and expr.func in COUNT_FUNCTIONS:
            return shown[1]  # "67 werkdagen na ... tot en met ...": the number is in it
        label = ph.variable_label(self.rule, step.binds[0]) if step.binds else None
        return f"{label + ': ' if label else ''}{shown[1]}: {shown[0]}"

    def assign_needed(self, step: Step) -> str:
        """An assignment that fails (its target already has another value)."""
        expr = _assigned(step)
        target = step.binds[0] if step.binds else None
        ph = self.ph
        want = self.computed(expr) if expr is not None else None
        have = ph.value(self.b.get(target)) if target else "…"
        need = want[1] + f" = {want[0]}" if want else str(step.literal)
        return f"{'nodig' if ph.nl else 'needed'}: {need}; {'het is' if ph.nl else 'it is'} {have}"


def _assigned(step: Step) -> ir.Expr | None:
    lit = step.literal
    if step.kind is not StepKind.ASSIGN or not isinstance(lit, ir.Compare) or not step.binds:
        return None
    target = step.binds[0]
    return lit.right if isinstance(lit.left, ir.Var) and lit.left.name == target else lit.left


def _only_thresholds(e: ir.Expr, ph: Phrasing, rule: ir.Rule | None) -> bool:
    """True when an expression depends on no value of the case (constants and parameters only)."""
    for t in ir.expr_terms(e):
        if isinstance(t, ir.Var):
            origin = ph.origins(rule).get(t.name) if rule else None
            if origin is None or origin.param is None:
                return False
    return True


def _whole(v: Value | None) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def margin(a: Value | None, b: Value | None) -> float:
    """How far a comparison is from turning: the distance of its two values, relative (dates in years)."""
    if isinstance(a, dt.date) and isinstance(b, dt.date):
        return abs((a - b).days) / 365
    if isinstance(a, (int, Decimal)) and isinstance(b, (int, Decimal)) and not isinstance(a, bool):
        scale = max(abs(Decimal(b)), Decimal(1))
        return float(abs(Decimal(a) - Decimal(b)) / scale)
    return 1e9
