"""Compile an evaluation :class:`~oerlog.semantics.plan.Plan` to SQL (DuckDB dialect, kept close to ANSI).

The second back end of oerlog: the same plan the pyDatalog engine runs, as a sequence of ``CREATE TABLE ... AS
SELECT`` statements, one per derived predicate (one per recursive component), lowest stratum first.

- A goal's table has the predicate's columns plus ``_rule``: the id of the rule that derived the row (a fact
  derived by two rules has two rows), so a batch result says which rule and article produced it. Every other
  derived relation is a set (its rules' rows deduplicated once with ``UNION``, no rule column), stored as a
  table when it is read more than once, and otherwise a view the database plans together with its reader (a view
  whose one reader removes duplicates anyway passes its rows on as they come: ``UNION ALL``, no ``DISTINCT``).
- Positive atoms become joins, comparisons ``WHERE`` conditions, ``X = expr`` an expression bound to X.
- Negation (existential where the plan reads it so) and exceptions become ``NOT EXISTS``.
- Aggregates become ``GROUP BY`` subqueries over the plan's auxiliary relation, joined on the group key
  (``LEFT JOIN`` + ``COALESCE(.., 0)`` for ``count`` / ``sum``, whose empty group is 0).
- Recursion becomes ``WITH RECURSIVE`` (linear recursion only: SQL evaluates the recursive term against the new
  rows of the previous step, which loses answers of rules that use the recursive relation twice; such rules are
  refused at compile time).
- Numbers are exact: ``DECIMAL``, never ``DOUBLE``. Division (``/``, ``mean``, ``wmean``) is done in 128-bit
  integer arithmetic and rounded half-even to 28 significant digits, the precision of Python's ``decimal``
  module that the pyDatalog back end uses (exact for quotients of magnitude 0.1 up to 10^10).
- Working days use a calendar table (``_oerlog_calendar``) filled from :mod:`oerlog.values`.

Whatever cannot be compiled (a comparison between values of different types, non-linear recursion, an unknown
function) raises :class:`SqlCompileError` naming the rule and its location.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from oerlog.errors import OerlogError
from oerlog.kb.vocabulary import Vocabulary
from oerlog.lang import checks, ir
from oerlog.semantics.plan import CompiledRule, Plan, Step
from oerlog.values import Value

# SQL type classes; "num" columns mixing int and dec become dec
STR, INT, DEC, DATE, BOOL = "str", "int", "dec", "date", "bool"
NUMERIC = (INT, DEC)
SQL_TYPES = {STR: "VARCHAR", INT: "BIGINT", DEC: "DECIMAL(18,4)", DATE: "DATE", BOOL: "BOOLEAN"}
FIELD_TYPES = {
    "id": STR,
    "string": STR,
    "enum": STR,
    "grade": DEC,
    "decimal": DEC,
    "ec": DEC,
    "integer": INT,
    "date": DATE,
    "boolean": BOOL,
}
INPUT_DECIMAL_SCALE = 4  # input decimals (grades, EC) are DECIMAL(18,4): more decimals are reported, not rounded
RULE_COLUMN = "_rule"
CALENDAR = "_oerlog_calendar"
WORKING_DAY_FUNCTIONS = ("add_working_days", "working_days_between", "is_working_day")


class SqlCompileError(OerlogError):
    """A rule cannot be compiled to SQL; the message names the rule and where it is written."""

    code = "sql_compile_error"


def quote(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def sql_literal(v: Value) -> str:
    """A value as an SQL literal (strings quoted, decimals exact, dates as DATE '...')."""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return f"CAST({v} AS BIGINT)"
    if isinstance(v, Decimal):
        text = format(v, "f")
        digits = len(text.replace("-", "").replace(".", "").lstrip("0")) or 1
        scale = max(0, -v.as_tuple().exponent)  # type: ignore[operator]
        return f"CAST('{text}' AS DECIMAL({max(digits, scale + 1, 1) + 1},{scale}))"
    if isinstance(v, dt.date):
        return f"DATE '{v.isoformat()}'"
    return "'" + str(v).replace("'", "''") + "'"


def value_scale(v: object) -> int:
    """Decimals of a constant (0 for anything but a decimal)."""
    if isinstance(v, Decimal) and not isinstance(v, bool):
        return max(0, -int(v.as_tuple().exponent))
    return 0


def value_type(v: Value) -> str:
    """The SQL type class of a Python value."""
    if isinstance(v, bool):
        return BOOL
    if isinstance(v, int):
        return INT
    if isinstance(v, Decimal):
        return DEC
    if isinstance(v, dt.date):
        return DATE
    return STR


def unify_types(a: str | None, b: str | None) -> str | None:
    """The common type of two type classes; None when one is unknown; raises ValueError on a conflict."""
    if a is None:
        return b
    if b is None or a == b:
        return a
    if a in NUMERIC and b in NUMERIC:
        return DEC
    raise ValueError(f"{a} vs {b}")


@dataclass
class RelSchema:
    """A relation as a table: its column names and type classes."""

    name: str
    columns: list[str]
    types: list[str | None]
    derived: bool = True
    scales: list[int] = field(default_factory=list)  # decimals kept by DECIMAL columns

    def __post_init__(self) -> None:
        if len(self.scales) != len(self.types):
            self.scales = [INPUT_DECIMAL_SCALE if t == DEC and not self.derived else 0 for t in self.types]

    def sql_type(self, i: int) -> str:
        """The SQL type of column ``i``."""
        if self.types[i] == DEC:
            return f"DECIMAL(38,{self.scales[i]})"
        return SQL_TYPES[self.types[i] or STR]


@dataclass
class Statement:
    """The SQL statements creating the tables of ``preds`` (several preds for a recursive component)."""

    preds: list[str]
    sqls: list[str]
    rules: list[str]

    @property
    def sql(self) -> str:
        """The statements as one text."""
        return ";\n".join(self.sqls)


@dataclass
class SqlProgram:
    """A plan compiled to SQL: the input relations it reads, the statements, the rules' citations."""

    plan: Plan
    inputs: dict[str, RelSchema]
    derived: dict[str, RelSchema]
    statements: list[Statement]
    rule_cites: dict[str, str]
    schema: str
    input_schema: str
    uses_calendar: bool = False
    goals: list[str] = field(default_factory=list)  # the relations whose rows carry the rule id (``_rule``)
    views: list[str] = field(default_factory=list)  # relations computed where they are read (not stored)
    filters: dict[str, str] = field(default_factory=dict)  # goal -> SQL condition on its columns (goal constants)

    def goal_rows(self, pred: str) -> str:
        """The rows of the goal ``pred`` that were asked for: its table, or the rows that match the constants (and
        repeated variables) of the goal as written (``resit_excluded("s1", C)``), see :attr:`filters`."""
        cond = self.filters.get(pred)
        return f"(SELECT * FROM {self.table(pred)} WHERE {cond})" if cond else self.table(pred)

    def table(self, pred: str) -> str:
        """The qualified table name of a derived (or input) relation."""
        if pred in self.derived:
            return f"{quote(self.schema)}.{quote(pred)}"
        return f"{quote(self.input_schema)}.{quote(pred)}"

    def script(self, *, with_setup: bool = True) -> str:
        """The whole program as one SQL script (inputs are expected in ``input_schema``)."""
        out = [
            "-- generated by oerlog: derived relations in dependency order; every row of a goal ("
            + ", ".join(self.goals)
            + ")",
            "-- carries the id of the rule that derived it in column _rule; the other relations are sets (views",
            "-- where read once). Inputs are read from schema " + quote(self.input_schema) + ".",
        ]
        if with_setup:
            out.append(f"CREATE SCHEMA IF NOT EXISTS {quote(self.schema)};")
            for rel in self.inputs.values():
                cols = ", ".join(
                    f"{quote(c)} {SQL_TYPES[t or STR]}" for c, t in zip(rel.columns, rel.types, strict=True)
                )
                out.append(f"-- input {quote(self.input_schema)}.{quote(rel.name)}({cols})")
            if self.uses_calendar:
                out.append(
                    f"-- input {quote(self.input_schema)}.{CALENDAR}(day DATE, working BOOLEAN, idx BIGINT): "
                    "every day of the years used, whether it is a working day, and the number of working days up to "
                    "and including it"
                )
        for st in self.statements:
            out.append(f"-- {', '.join(st.preds)}: rules {', '.join(st.rules)}")
            out.append(st.sql.rstrip() + ";")
        return "\n".join(out) + "\n"


# --- the compiler ------------------------------------------------------------------------------------------


def _located(rule: CompiledRule | ir.Rule, message: str, hint: str | None = None) -> SqlCompileError:
    src = rule.source if isinstance(rule, CompiledRule) else rule
    rid = src.id
    return SqlCompileError(
        f"rule {rid} cannot be compiled to SQL: {message}",
        src.loc,
        value=rid,
        hint=hint or "run this document with the pyDatalog back end (oerlog query / why) instead",
    )


def _is_ex(pred: str) -> bool:
    return pred.startswith("_ex_")


def _column_names(pred: str, arity: int, voc: Vocabulary | None, rules: Sequence[CompiledRule]) -> list[str]:
    rel = None
    if voc is not None:
        rel = voc.relations.get(pred) or voc.concepts.get(pred)
    if rel is not None and rel.arity == arity:
        return [f.name for f in rel.fields]
    for cr in rules:
        names = [a.name.lower() if isinstance(a, ir.Var) and not a.anonymous else "" for a in cr.source.head.args]
        if all(n and n.isidentifier() and n != RULE_COLUMN for n in names) and len(set(names)) == len(names):
            return names
        break
    return [f"a{i + 1}" for i in range(arity)]


class _Compiler:
    def __init__(
        self,
        plan: Plan,
        voc: Vocabulary | None,
        schema: str,
        input_schema: str,
        input_types: Mapping[str, Sequence[str]] | None,
    ) -> None:
        self.plan = plan
        self.voc = voc
        self.schema = schema
        self.input_schema = input_schema
        self.by_head: dict[str, list[CompiledRule]] = {}
        for cr in plan.rules:
            if _is_ex(cr.head.pred):
                continue
            self.by_head.setdefault(cr.head.pred, []).append(cr)
        self.blocked: set[str] = set()
        for r in plan.blocked_rules:
            self.blocked.add(checks.defeat_pred(r.defeats) if r.defeats else r.head.pred)
        self.facts: dict[str, list[ir.Atom]] = {}
        for f in plan.facts:
            self.facts.setdefault(f.pred, []).append(f)
        self.schemas: dict[str, RelSchema] = {}
        self.uses_calendar = False
        self.inputs: dict[str, RelSchema] = {}
        self.input_types = input_types
        self.scales: dict[int, dict[str, int]] = {}
        self._joins: list[str] | None = None
        # every rule projects with SELECT DISTINCT and aggregates range over DISTINCT auxiliary relations, so a
        # relation derived by several rules (one row per rule) can be joined as it is
        self.dedupe_sources = False
        self.keep_rule: set[str] = set()  # relations whose rows carry the deriving rule's id (the goals)
        self.views: set[str] = set()  # relations computed where they are used (views, not tables)
        self.bag_views: set[str] = set()  # views whose reader removes duplicates: rows may repeat
        self._alias: Callable[[], str] = lambda: "c"

    # -- relations and types ----------------------------------------------------------------------------

    def is_derived(self, pred: str) -> bool:
        if self.voc is not None and pred in self.voc.relations:
            return pred in self.by_head
        return pred in self.by_head or pred in self.facts or pred in self.blocked

    def rel(self, pred: str, arity: int) -> RelSchema:
        s = self.schemas.get(pred)
        if s is not None:
            return s
        if not self.is_derived(pred):
            vrel = self.voc.relations.get(pred) if self.voc is not None else None
            if vrel is not None and vrel.arity == arity:
                names = [f.name for f in vrel.fields]
                types: list[str | None] = [FIELD_TYPES.get(f.type, STR) for f in vrel.fields]
            else:
                names = [f"a{i + 1}" for i in range(arity)]
                types = [None] * arity
            if self.input_types is not None and pred in self.input_types:
                types = list(self.input_types[pred])
            s = RelSchema(pred, names, types, derived=False)
            s.scales = [INPUT_DECIMAL_SCALE if t == DEC else 0 for t in types]
            self.inputs[pred] = s
        else:
            s = RelSchema(pred, _column_names(pred, arity, self.voc, self.by_head.get(pred, [])), [None] * arity)
            concept = self.voc.concepts.get(pred) if self.voc is not None else None
            if pred not in self.by_head and pred not in self.facts and concept is not None and concept.arity == arity:
                s.types = [FIELD_TYPES.get(f.type, STR) for f in concept.fields]
            for f in self.facts.get(pred, []):
                for i, a in enumerate(f.args):
                    if isinstance(a, ir.Const):
                        s.types[i] = unify_types(s.types[i], value_type(a.value))
                        s.scales[i] = max(s.scales[i], value_scale(a.value))
        self.schemas[pred] = s
        return s

    def needed(self, goals: Iterable[str] | None) -> set[str]:
        preds = set(self.by_head) | set(self.facts)
        if goals is None:
            todo = [p for p in preds if not p.startswith("_")]
        else:
            todo = list(goals)
        seen: set[str] = set()
        while todo:
            p = todo.pop()
            if p in seen:
                continue
            seen.add(p)
            for cr in self.by_head.get(p, []):
                for st in cr.steps:
                    for atom in _step_atoms(st):
                        todo.append(atom.pred)
        return seen

    def expr_type(self, rule: CompiledRule, e: ir.Expr, env: Mapping[str, str | None]) -> str | None:
        if isinstance(e, ir.Var):
            return env.get(e.name)
        if isinstance(e, ir.Const):
            return value_type(e.value)
        if isinstance(e, ir.Param):
            raise _located(rule, f"parameter ${e.name} has no value")
        if isinstance(e, ir.BinOp):
            lt, rt = self.expr_type(rule, e.left, env), self.expr_type(rule, e.right, env)
            if lt is None or rt is None:
                return None
            if lt == DATE and rt == DATE and e.op == "-":
                return INT
            if lt == DATE and rt in NUMERIC and e.op in "+-":
                return DATE
            if lt in NUMERIC and rt in NUMERIC:
                return DEC if (e.op == "/" or DEC in (lt, rt)) else INT
            raise _located(rule, f"cannot compute {lt} {e.op} {rt} in '{e}'")
        fn = e.func
        if fn in ("add_days", "add_weeks", "add_months", "add_working_days"):
            return DATE
        if fn in ("days_between", "working_days_between", "weekday", "academic_year"):
            return INT
        if fn == "is_working_day":
            return BOOL
        if fn in ("round_half_up", "truncate"):
            return DEC
        if fn in ("least", "greatest"):
            a, b = (self.expr_type(rule, x, env) for x in e.args)
            try:
                return unify_types(a, b)
            except ValueError:
                raise _located(rule, f"{fn} of a {a} and a {b} in '{e}'") from None
        if fn == "abs":
            return self.expr_type(rule, e.args[0], env)
        raise _located(rule, f"unknown function {fn}")

    def infer(self, preds: set[str]) -> None:
        rules = [cr for p in preds for cr in self.by_head.get(p, [])]
        for p in preds:
            arity = (self.by_head[p][0].head.arity) if p in self.by_head else self.facts[p][0].arity
            self.rel(p, arity)
        for _ in range(50):
            changed = False
            for cr in rules:
                env = self.rule_env(cr)
                head = self.rel(cr.head.pred, cr.head.arity)
                for i, a in enumerate(cr.head.args):
                    t = env.get(a.name) if isinstance(a, ir.Var) else value_type(a.value)  # type: ignore[union-attr]
                    try:
                        new = unify_types(head.types[i], t)
                    except ValueError:
                        raise _located(
                            cr,
                            f"argument {i + 1} of {cr.head.pred} is a {_tname(t)} here but a "
                            f"{_tname(head.types[i])} in another rule",
                        ) from None
                    if new != head.types[i]:
                        head.types[i] = new
                        changed = True
                    sc = (
                        self.scales[cr.index].get(a.name, 0)
                        if isinstance(a, ir.Var)
                        else value_scale(a.value if isinstance(a, ir.Const) else None)
                    )
                    if sc > head.scales[i]:
                        head.scales[i] = sc
                        changed = True
            if not changed:
                return

    def expr_scale(self, e: ir.Expr, env: Mapping[str, str | None], scales: Mapping[str, int]) -> int:
        """Decimals of a DECIMAL expression, as DuckDB computes them (+ -: the larger; *: the sum)."""
        if isinstance(e, ir.Var):
            return scales.get(e.name, 0)
        if isinstance(e, ir.Const):
            return value_scale(e.value)
        if isinstance(e, ir.BinOp):
            a, b = self.expr_scale(e.left, env, scales), self.expr_scale(e.right, env, scales)
            if e.op == "/":
                return 28
            return a + b if e.op == "*" else max(a, b)
        if isinstance(e, ir.Call):
            if e.func in ("round_half_up", "truncate"):
                n = e.args[1]
                return int(n.value) if isinstance(n, ir.Const) and isinstance(n.value, (int, Decimal)) else 0
            if e.func in ("least", "greatest", "abs"):
                return max(self.expr_scale(x, env, scales) for x in e.args)
        return 0

    def rule_env(self, cr: CompiledRule) -> dict[str, str | None]:
        env: dict[str, str | None] = {}
        scales: dict[str, int] = {}
        self.scales[cr.index] = scales

        def atom_types(atom: ir.Atom) -> None:
            rel = self.rel(atom.pred, atom.arity)
            for i, a in enumerate(atom.args):
                if isinstance(a, ir.Var):
                    if env.get(a.name) is None:
                        env[a.name] = rel.types[i]
                        scales[a.name] = rel.scales[i]
                    elif rel.types[i] is None and (not rel.derived or atom.pred not in self.by_head):
                        rel.types[i] = env[a.name]  # a relation without rules takes the type it is used with

        for st in cr.steps:
            if st.kind == "atom" and st.atom is not None:
                atom_types(st.atom)
            elif st.kind in ("not", "defeat"):
                lit = st.literal
                assert isinstance(lit, ir.Negative)
                atom_types(lit.atom)
            elif st.kind == "assign":
                lit = st.literal
                assert isinstance(lit, ir.Compare)
                target = st.binds[0]
                expr = lit.right if isinstance(lit.left, ir.Var) and lit.left.name == target else lit.left
                env[target] = self.expr_type(cr, expr, env)
                scales[target] = self.expr_scale(expr, env, scales)
            elif st.kind == "agg":
                lit = st.literal
                assert isinstance(lit, ir.Aggregate) and st.atom is not None
                aux = self.rel(st.atom.pred, st.atom.arity)
                aux_env = dict(zip(st.agg_columns, aux.types, strict=True))
                aux_scales = dict(zip(st.agg_columns, aux.scales, strict=True))
                if lit.func == "count":
                    env[lit.result.name] = INT
                elif lit.func in ("mean", "wmean"):
                    env[lit.result.name] = DEC
                    scales[lit.result.name] = 28
                else:
                    t = self.expr_type(cr, lit.args[0], aux_env)
                    env[lit.result.name] = t
                    scales[lit.result.name] = self.expr_scale(lit.args[0], aux_env, aux_scales)
        return env

    # -- code generation --------------------------------------------------------------------------------

    def source(self, pred: str, arity: int, dedupe: bool = True) -> str:
        """SQL for reading a relation in a rule body (deduplicated when several rules define it)."""
        rel = self.rel(pred, arity)
        if not rel.derived:
            return f"{quote(self.input_schema)}.{quote(pred)}"
        table = f"{quote(self.schema)}.{quote(pred)}"
        n_sources = len(self.by_head.get(pred, [])) + (1 if pred in self.facts else 0)
        if dedupe and n_sources > 1 and self.dedupe_sources:
            cols = ", ".join(quote(c) for c in rel.columns)
            return f"(SELECT DISTINCT {cols} FROM {table})"
        return table

    def compile_rule(self, cr: CompiledRule, rec: _Recursion | None = None, *, distinct: bool = True) -> str:
        """One rule as a ``SELECT`` (``DISTINCT`` unless the caller deduplicates with ``UNION``); the rule id is
        the last column when the head relation keeps rule ids (or the rule is part of a recursive component)."""
        env = self.rule_env(cr)
        binding: dict[str, str] = {}
        joins: list[str] = []
        where: list[str] = []
        n = 0
        rec_refs = 0

        def alias() -> str:
            nonlocal n
            n += 1
            return f"t{n}"

        self._alias = alias
        self._joins = joins

        def col(a: str, rel: RelSchema, i: int) -> str:
            return f"{a}.{quote(rel.columns[i])}"

        for st in cr.steps:
            if st.kind == "atom":
                atom = st.atom
                assert atom is not None
                rel = self.rel(atom.pred, atom.arity)
                a = alias()
                conds: list[str] = []
                if rec is not None and atom.pred in rec.preds:
                    rec_refs += 1
                    if rec_refs > 1:
                        raise _located(
                            cr,
                            "the rule uses its recursive relation(s) more than once (non-linear recursion), "
                            "which SQL's WITH RECURSIVE does not evaluate completely",
                            hint="rewrite the rule with one recursive atom (e.g. path(X, Z) :- edge(X, Y), "
                            "path(Y, Z)), or use the pyDatalog back end",
                        )
                    src = rec.name
                    names = rec.columns[atom.pred]
                    conds.append(f"{a}.{quote('_p')} = {sql_literal(atom.pred)}")
                else:
                    src = self.source(atom.pred, atom.arity)
                    names = [quote(c) for c in rel.columns]
                for i, t in enumerate(atom.args):
                    c = f"{a}.{names[i]}"
                    if isinstance(t, ir.Var):
                        if t.name in binding:
                            conds.append(self.eq(cr, c, rel.types[i], binding[t.name], env.get(t.name)))
                        else:
                            binding[t.name] = c
                    elif isinstance(t, ir.Const):
                        conds.append(self.eq(cr, c, rel.types[i], sql_literal(t.value), value_type(t.value)))
                    else:
                        raise _located(cr, f"unsubstituted parameter {t}")
                on = " AND ".join(conds) if conds else "TRUE"
                joins.append(f"JOIN {src} AS {a} ON {on}" if joins else f"FROM {src} AS {a}")
                if len(joins) == 1 and conds:
                    where.extend(conds)
            elif st.kind in ("not", "defeat"):
                lit = st.literal
                assert isinstance(lit, ir.Negative)
                atom = lit.atom
                rel = self.rel(atom.pred, atom.arity)
                a = alias()
                conds = []
                local: dict[str, str] = {}
                for i, t in enumerate(atom.args):
                    c = col(a, rel, i)
                    if isinstance(t, ir.Var):
                        if t.name in binding:
                            conds.append(self.eq(cr, c, rel.types[i], binding[t.name], env.get(t.name)))
                        elif t.name in local:
                            conds.append(f"{c} = {local[t.name]}")
                        else:
                            local[t.name] = c
                    elif isinstance(t, ir.Const):
                        conds.append(self.eq(cr, c, rel.types[i], sql_literal(t.value), value_type(t.value)))
                src = self.source(atom.pred, atom.arity, dedupe=False)
                where.append(
                    f"NOT EXISTS (SELECT 1 FROM {src} AS {a}" + (" WHERE " + " AND ".join(conds) if conds else "") + ")"
                )
            elif st.kind == "test":
                lit = st.literal
                if not isinstance(lit, ir.Compare):
                    raise _located(cr, f"'{lit}' has unbound variables")
                where.append(self.compare(cr, lit, binding, env))
            elif st.kind == "assign":
                lit = st.literal
                assert isinstance(lit, ir.Compare)
                target = st.binds[0]
                expr = lit.right if isinstance(lit.left, ir.Var) and lit.left.name == target else lit.left
                binding[target] = self.expr(cr, expr, binding, env)
            elif st.kind == "agg":
                lit = st.literal
                assert isinstance(lit, ir.Aggregate) and st.atom is not None
                aux = self.rel(st.atom.pred, st.atom.arity)
                a = alias()
                aux_env = dict(zip(st.agg_columns, aux.types, strict=True))
                aux_bind = {v: f"x.{quote(aux.columns[i])}" for i, v in enumerate(st.agg_columns)}
                keys = [f"x.{quote(aux.columns[i])} AS _k{i}" for i in range(len(st.agg_group))]
                src = self.source(st.atom.pred, st.atom.arity)
                self._joins = None  # inside the aggregate's subquery: scalar lookups
                sub = "(" + self.aggregate_select(cr, lit, keys, src, aux_bind, aux_env) + ")"
                self._joins = joins
                conds = [f"{a}._k{i} = {binding[g]}" for i, g in enumerate(st.agg_group)]
                on = " AND ".join(conds) if conds else "TRUE"
                if lit.func in ("count", "sum"):
                    joins.append(f"LEFT JOIN {sub} AS {a} ON {on}" if joins else f"FROM {sub} AS {a}")
                    zero = (
                        "CAST(0 AS BIGINT)"
                        if env.get(lit.result.name) == INT
                        else f"CAST(0 AS DECIMAL(38,{self.scales[cr.index].get(lit.result.name, 0)}))"
                    )
                    binding[lit.result.name] = f"COALESCE({a}.v, {zero})"
                else:
                    joins.append(f"JOIN {sub} AS {a} ON {on}" if joins else f"FROM {sub} AS {a}")
                    where.append(f"{a}.v IS NOT NULL")
                    binding[lit.result.name] = f"{a}.v"
            else:
                raise _located(cr, f"unknown step {st.kind}")
        head_rel = self.rel(cr.head.pred, cr.head.arity)
        sel: list[str] = []
        for i, t in enumerate(cr.head.args):
            if isinstance(t, ir.Var):
                bound = binding.get(t.name)
                if bound is None:
                    raise _located(cr, f"head variable {t.name} is not bound by the body")
                value_sql = bound
            else:
                assert isinstance(t, ir.Const)
                value_sql = sql_literal(t.value)
            if head_rel.types[i] in (INT, DEC):
                value_sql = f"CAST({value_sql} AS {head_rel.sql_type(i)})"
            name = rec.columns[cr.head.pred][i] if rec else quote(head_rel.columns[i])
            sel.append(f"{value_sql} AS {name}")
        if rec is not None:
            sel = self.rec_select(rec, cr.head.pred, sel)
        if rec is not None or cr.head.pred in self.keep_rule:
            sel.append(f"{sql_literal(cr.id)} AS {quote(RULE_COLUMN)}")
        sql = ("SELECT DISTINCT " if distinct else "SELECT ") + (", ".join(sel) or "1 AS _one")
        self._joins = None
        if joins:
            sql += "\n  " + "\n  ".join(joins)
        if where:
            sql += "\n  WHERE " + "\n    AND ".join(where)
        return sql

    def rec_select(self, rec: _Recursion, pred: str, sel: list[str]) -> list[str]:
        out = [f"{sql_literal(pred)} AS {quote('_p')}"]
        it = iter(sel)
        for p in rec.preds:
            rel = self.schemas[p]
            for i, c in enumerate(rec.columns[p]):
                if p == pred:
                    out.append(next(it))
                else:
                    out.append(f"CAST(NULL AS {rel.sql_type(i)}) AS {c}")
        return out

    def eq(self, cr: CompiledRule, left: str, lt: str | None, right: str, rt: str | None) -> str:
        try:
            unify_types(lt, rt)
        except ValueError:
            raise _located(cr, f"a {_tname(lt)} is joined with a {_tname(rt)} (they can never be equal)") from None
        return f"{left} = {right}"

    def compare(
        self, cr: CompiledRule, lit: ir.Compare, binding: Mapping[str, str], env: Mapping[str, str | None]
    ) -> str:
        lt, rt = self.expr_type(cr, lit.left, env), self.expr_type(cr, lit.right, env)
        left, right = self.expr(cr, lit.left, binding, env), self.expr(cr, lit.right, binding, env)
        try:
            unify_types(lt, rt)
        except ValueError:
            if lit.op == "=":
                return "FALSE"
            if lit.op == "!=":
                return "TRUE"
            raise _located(cr, f"'{lit}' compares a {_tname(lt)} with a {_tname(rt)}") from None
        if lt == BOOL and lit.op not in ("=", "!="):
            raise _located(cr, f"'{lit}' orders booleans")
        op = {"!=": "<>"}.get(lit.op, lit.op)
        return f"{left} {op} {right}"

    def expr(self, cr: CompiledRule, e: ir.Expr, binding: Mapping[str, str], env: Mapping[str, str | None]) -> str:
        if isinstance(e, ir.Var):
            if e.name not in binding:
                raise _located(cr, f"variable {e.name} is used before it is bound")
            return binding[e.name]
        if isinstance(e, ir.Const):
            return sql_literal(e.value)
        if isinstance(e, ir.Param):
            raise _located(cr, f"parameter ${e.name} has no value")
        if isinstance(e, ir.BinOp):
            lt, rt = self.expr_type(cr, e.left, env), self.expr_type(cr, e.right, env)
            a, b = self.expr(cr, e.left, binding, env), self.expr(cr, e.right, binding, env)
            if lt == DATE and rt == DATE:
                return f"CAST(({a}) - ({b}) AS BIGINT)"
            if lt == DATE:
                return f"CAST(({a}) {e.op} CAST({b} AS INTEGER) AS DATE)"
            if e.op == "/":
                return div_sql(a, b)
            return f"({a} {e.op} {b})"
        args = [self.expr(cr, x, binding, env) for x in e.args]
        fn = e.func
        if fn == "add_days":
            return f"CAST({args[0]} + CAST({args[1]} AS INTEGER) AS DATE)"
        if fn == "add_weeks":
            return f"CAST({args[0]} + 7 * CAST({args[1]} AS INTEGER) AS DATE)"
        if fn == "add_months":
            return f"CAST({args[0]} + to_months(CAST({args[1]} AS INTEGER)) AS DATE)"
        if fn == "days_between":
            return f"CAST(({args[1]}) - ({args[0]}) AS BIGINT)"
        if fn == "weekday":
            return f"CAST(isodow({args[0]}) AS BIGINT)"
        if fn == "academic_year":
            d = args[0]
            return f"CAST(CASE WHEN month({d}) >= 9 THEN year({d}) ELSE year({d}) - 1 END AS BIGINT)"
        if fn in WORKING_DAY_FUNCTIONS:
            self.uses_calendar = True
            cal = f"{quote(self.input_schema)}.{CALENDAR}"
            if self._joins is not None:
                return self.calendar_join(fn, args, cal)
            if fn == "is_working_day":
                return f"(SELECT c.working FROM {cal} AS c WHERE c.day = {args[0]})"
            if fn == "working_days_between":
                return (
                    f"((SELECT c.idx FROM {cal} AS c WHERE c.day = {args[1]}) - "
                    f"(SELECT c.idx FROM {cal} AS c WHERE c.day = {args[0]}))"
                )
            d, k = args
            target = (
                f"CASE WHEN CAST({k} AS BIGINT) > 0 THEN c0.idx + CAST({k} AS BIGINT) "
                f"ELSE c0.idx - CASE WHEN c0.working THEN 1 ELSE 0 END + CAST({k} AS BIGINT) + 1 END"
            )
            return (
                f"CASE WHEN CAST({k} AS BIGINT) = 0 THEN {d} ELSE (SELECT c1.day FROM {cal} AS c0 JOIN {cal} AS c1 "
                f"ON c1.working AND c1.idx = {target} WHERE c0.day = {d}) END"
            )
        if fn in ("round_half_up", "truncate"):
            n = e.args[1]
            if not isinstance(n, ir.Const) or isinstance(n.value, bool) or not isinstance(n.value, (int, Decimal)):
                raise _located(cr, f"{fn} needs a constant number of decimals, got '{n}'")
            digits = int(n.value)
            sql_fn = "round" if fn == "round_half_up" else "trunc"
            x = args[0]
            if self.expr_type(cr, e.args[0], env) != DEC:
                x = f"CAST({x} AS DECIMAL(38,{max(digits, 0)}))"
            return f"{sql_fn}({x}, {digits})"
        if fn == "least":
            return f"least({args[0]}, {args[1]})"
        if fn == "greatest":
            return f"greatest({args[0]}, {args[1]})"
        if fn == "abs":
            return f"abs({args[0]})"
        raise _located(cr, f"unknown function {fn}")

    def calendar_join(self, fn: str, args: list[str], cal: str) -> str:
        """A working-day function as LEFT JOINs on the calendar (one row per day: no row is multiplied)."""
        joins = self._joins
        assert joins is not None

        def lookup(day: str) -> str:
            if not joins:
                joins.append("FROM (SELECT 1 AS one) AS t0")
            a = self._alias()
            joins.append(f"LEFT JOIN {cal} AS {a} ON {a}.day = {day}")
            return a

        if fn == "is_working_day":
            return f"{lookup(args[0])}.working"
        if fn == "working_days_between":
            return f"({lookup(args[1])}.idx - {lookup(args[0])}.idx)"
        d, k = args
        c0 = lookup(d)
        c1 = self._alias()
        n = f"CAST({k} AS BIGINT)"
        target = (
            f"CASE WHEN {n} > 0 THEN {c0}.idx + {n} "
            f"ELSE {c0}.idx - CASE WHEN {c0}.working THEN 1 ELSE 0 END + {n} + 1 END"
        )
        joins.append(f"LEFT JOIN {cal} AS {c1} ON {c1}.working AND {c1}.idx = {target}")
        return f"CASE WHEN {n} = 0 THEN {d} ELSE {c1}.day END"

    def aggregate_select(
        self,
        cr: CompiledRule,
        lit: ir.Aggregate,
        keys: list[str],
        source: str,
        binding: Mapping[str, str],
        env: Mapping[str, str | None],
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
            raise _located(cr, f"unknown aggregate {lit.func}")
        inner = f"SELECT {', '.join(keys + [num + ' AS _num', den + ' AS _den'])} FROM {source} AS x{group}"
        return div_select(inner, "_num", "_den", knames)

    # -- statements -------------------------------------------------------------------------------------

    def facts_select(self, pred: str, with_rule: bool = True) -> str | None:
        facts = self.facts.get(pred)
        if not facts:
            return None
        rel = self.schemas[pred]
        rule = f"'fact' AS {quote(RULE_COLUMN)}" if with_rule else ""
        rows = []
        for f in facts:
            vals = [
                f"CAST({sql_literal(a.value)} AS {rel.sql_type(i)})" if isinstance(a, ir.Const) else "NULL"
                for i, a in enumerate(f.args)
            ]
            rows.append(
                "SELECT "
                + ", ".join(f"{v} AS {quote(rel.columns[i])}" for i, v in enumerate(vals))
                + (", " if vals and rule else "")
                + (rule if rule or vals else "1 AS _one")
            )
        return "\nUNION\n".join(rows)

    def is_recursive(self, group: Sequence[str]) -> bool:
        """Whether the component's relations depend on themselves (``WITH RECURSIVE``)."""
        return len(group) > 1 or any(
            st.atom is not None and st.atom.pred in group
            for p in group
            for cr in self.by_head.get(p, [])
            for st in cr.steps
        )

    def statement(self, group: list[str]) -> Statement:
        recursive = self.is_recursive(group)
        rule_ids = [cr.id for p in group for cr in self.by_head.get(p, [])]
        if not recursive:
            pred = group[0]
            keep = pred in self.keep_rule
            bag = pred in self.bag_views
            n_parts = len(self.by_head.get(pred, [])) + (1 if pred in self.facts else 0)
            # a relation that keeps rule ids has one row per fact and rule (each rule's SELECT DISTINCT, UNION
            # ALL); any other relation is a set (its rules' rows deduplicated once, by UNION), but for a bag view
            distinct = keep or (n_parts == 1 and not bag)
            parts = [self.compile_rule(cr, distinct=distinct) for cr in self.by_head.get(pred, [])]
            fs = self.facts_select(pred, with_rule=keep)
            if fs:
                parts.append(fs)
            union = "\nUNION ALL\n" if keep or bag else "\nUNION\n"
            body = union.join(parts) if parts else self.empty_select(pred)
            if pred in self.facts and len(parts) > 1:
                body = "\nUNION\n".join(parts)
            kind = "VIEW" if pred in self.views else "TABLE"
            return Statement(
                [pred], [f"CREATE OR REPLACE {kind} {quote(self.schema)}.{quote(pred)} AS\n{body}"], rule_ids
            )
        rec = _Recursion(name=quote("_rec"), preds=list(group), columns={})
        for p in group:
            rel = self.schemas[p]
            rec.columns[p] = [quote(f"{p}__{c}") for c in rel.columns]
        base: list[str] = []
        step: list[str] = []
        for p in group:
            for cr in self.by_head.get(p, []):
                uses = any(st.kind == "atom" and st.atom is not None and st.atom.pred in group for st in cr.steps)
                (step if uses else base).append(self.compile_rule(cr, rec))
            fs = self.facts_select(p)
            if fs:
                rel = self.schemas[p]
                inner = ", ".join(
                    [f"{sql_literal(p)} AS {quote('_p')}"]
                    + [
                        (
                            f"f.{quote(c)} AS {rec.columns[q][i]}"
                            if q == p
                            else f"CAST(NULL AS {self.schemas[q].sql_type(i)}) AS {rec.columns[q][i]}"
                        )
                        for q in group
                        for i, c in enumerate(self.schemas[q].columns)
                    ]
                    + [f"f.{quote(RULE_COLUMN)}"]
                )
                base.append(f"SELECT {inner} FROM ({fs}) AS f")
                del rel
        if not base:
            base.append(self.empty_rec(rec))
        cte = "\nUNION\n".join(base) + ("\nUNION\n" + "\nUNION\n".join(step) if step else "")
        sqls = []
        for p in group:
            rel = self.schemas[p]
            items = [f"{rec.columns[p][i]} AS {quote(c)}" for i, c in enumerate(rel.columns)]
            if p in self.keep_rule or not items:
                items.append(quote(RULE_COLUMN) if p in self.keep_rule else "1 AS _one")
            sqls.append(
                f"CREATE OR REPLACE TABLE {quote(self.schema)}.{quote(p)} AS\n"
                f"WITH RECURSIVE {rec.name} AS (\n{cte}\n)\n"
                f"SELECT DISTINCT {', '.join(items)} FROM {rec.name} "
                f"WHERE {quote('_p')} = {sql_literal(p)}"
            )
        return Statement(list(group), sqls, rule_ids)

    def empty_rec(self, rec: _Recursion) -> str:
        cols = [f"CAST(NULL AS VARCHAR) AS {quote('_p')}"]
        for q in rec.preds:
            for i, c in enumerate(rec.columns[q]):
                cols.append(f"CAST(NULL AS {self.schemas[q].sql_type(i)}) AS {c}")
        cols.append(f"CAST(NULL AS VARCHAR) AS {quote(RULE_COLUMN)}")
        return "SELECT " + ", ".join(cols) + " WHERE FALSE"

    def empty_select(self, pred: str) -> str:
        rel = self.schemas[pred]
        cols = [f"CAST(NULL AS {rel.sql_type(i)}) AS {quote(c)}" for i, c in enumerate(rel.columns)]
        if pred in self.keep_rule or not cols:
            cols.append(f"CAST(NULL AS VARCHAR) AS {quote(RULE_COLUMN)}" if pred in self.keep_rule else "1 AS _one")
        return "SELECT " + ", ".join(cols) + " WHERE FALSE"


@dataclass
class _Recursion:
    name: str
    preds: list[str]
    columns: dict[str, list[str]]


def _tname(t: str | None) -> str:
    return {STR: "text", INT: "whole number", DEC: "decimal", DATE: "date", BOOL: "boolean"}.get(t or "", "value")


def _step_atoms(st: Step) -> list[ir.Atom]:
    if st.kind == "atom" and st.atom is not None:
        return [st.atom]
    if st.kind in ("not", "defeat"):
        lit = st.literal
        assert isinstance(lit, ir.Negative)
        return [lit.atom]
    if st.kind == "agg" and st.atom is not None:
        return [st.atom]
    return []


H15 = "CAST(1000000000000000 AS HUGEINT)"


def div_select(inner: str, a: str, b: str, keep: Sequence[str]) -> str:
    """``SELECT keep..., a / b AS v FROM (inner)``, the quotient exact and rounded like Python's decimal module.

    Both operands are scaled to 128-bit integers (10 decimals) and divided by long division in two 15-digit
    chunks with a sticky bit for the remainder; the result is rounded once, half-even, to 28 significant digits
    (28 minus the digits of the integer part), which is what ``decimal`` does with its default context. Exact
    for quotients from 0.1 up to 10^10 (smaller non-terminating quotients keep 28 decimals, not 28 significant
    digits). Each stage is a projection over the previous one, so nothing is computed twice. A zero divisor
    gives NULL (no row; the pyDatalog back end stops with an error).
    """
    k = "".join(f"{c}, " for c in keep)
    scale = "CAST(CAST({} AS DECIMAL(38,10)) * 10000000000 AS HUGEINT)"
    s = f"SELECT {k}{scale.format(a)} AS _sa, {scale.format(f'NULLIF({b}, 0)')} AS _sb FROM ({inner}) AS _d0"
    s = (
        f"SELECT {k}(_sa < 0) <> (_sb < 0) AS _neg, abs(_sa) // abs(_sb) AS _q, "
        f"abs(_sa) % abs(_sb) * {H15} AS _r1, abs(_sb) AS _b FROM ({s}) AS _d1"
    )
    s = f"SELECT {k}_neg, _q, _b, _r1 // _b AS _f1, _r1 % _b * {H15} AS _r3 FROM ({s}) AS _d2"
    s = (
        f"SELECT {k}_neg, _q, _f1 * {H15} + _r3 // _b AS _f, _r3 % _b <> 0 AS _s, "
        f"CASE WHEN _q = 0 THEN 0 ELSE length(CAST(_q AS VARCHAR)) END AS _n FROM ({s}) AS _d3"
    )
    s = (
        f"SELECT {k}_neg, _q, _f, _s, _n, CAST('1' || repeat('0', CAST(_n + 2 AS INTEGER)) AS HUGEINT) AS _p "
        f"FROM ({s}) AS _d4"
    )
    s = f"SELECT {k}_neg, _q, _s, _n, _f // _p AS _fd, _f % _p AS _rem, _p // 2 AS _half FROM ({s}) AS _d5"
    s = (
        f"SELECT {k}_neg, _q * CAST('10000000000000000000000000000' AS HUGEINT) + (_fd + CASE WHEN _rem > _half "
        f"OR (_rem = _half AND (_s OR _fd % 2 = 1)) THEN 1 ELSE 0 END) * "
        f"CAST('1' || repeat('0', CAST(_n AS INTEGER)) AS HUGEINT) AS _t FROM ({s}) AS _d6"
    )
    return (
        f"SELECT {k}CAST(CAST(CASE WHEN _neg THEN -_t ELSE _t END AS DECIMAL(38,0)) * "
        f"CAST('0.0000000000000000000000000001' AS DECIMAL(38,28)) AS DECIMAL(38,28)) AS v FROM ({s}) AS _d7"
    )


def div_sql(a: str, b: str) -> str:
    """``a / b`` as a scalar expression (a subquery over :func:`div_select`)."""
    return "(" + div_select(f"SELECT {a} AS _a, {b} AS _b", "_a", "_b", []) + ")"


def compile_plan(
    plan: Plan,
    vocabulary: Vocabulary | None = None,
    goals: Iterable[str] | None = None,
    *,
    schema: str = "derived",
    input_schema: str = "input",
    input_types: Mapping[str, Sequence[str]] | None = None,
) -> SqlProgram:
    """Compile ``plan`` (for the predicates ``goals`` depend on; all when None) to SQL statements.

    Raises :class:`SqlCompileError` for a rule that cannot be compiled."""
    comp = _Compiler(plan, vocabulary, schema, input_schema, input_types)
    goal_list = list(goals) if goals is not None else None
    for g in goal_list or []:
        if g not in comp.by_head and g not in comp.facts:
            known = sorted(p for p in set(comp.by_head) | set(comp.facts) if not p.startswith("_"))
            from oerlog.errors import UsageError

            raise UsageError(
                f"no rule of this document derives {g!r}",
                value=g,
                hint="derived predicates: " + ", ".join(known),
                example="--goal " + (known[0] if known else "resit_excluded"),
            )
    needed = comp.needed(goal_list)
    derived_needed = {p for p in needed if comp.is_derived(p)}
    comp.infer(derived_needed)
    goal_preds = goal_list if goal_list is not None else sorted(p for p in derived_needed if not p.startswith("_"))
    comp.keep_rule = set(goal_preds)
    comp.views = _inline_candidates(comp, plan, derived_needed)
    statements: list[Statement] = []
    done: set[str] = set()
    for pred in sorted(derived_needed - {q for g in plan.groups for q in g}):  # defined by facts only
        statements.append(comp.statement([pred]))
        done.add(pred)
    for group in plan.groups:
        members = [p for p in group if p in derived_needed and not _is_ex(p)]
        if not members:
            continue
        statements.append(comp.statement(members))
        done.update(members)
    for pred in sorted(derived_needed - done):  # needed, but no rule left (blocked by unfilled parameters)
        statements.append(comp.statement([pred]))
    cites: dict[str, str] = {}
    for cr in plan.rules:
        if cr.kind == "aux":
            continue
        cites[cr.id] = "; ".join(_cite_text(c) for c in cr.source.ann.cites)
    derived = {p: comp.schemas[p] for p in derived_needed if p in comp.schemas}
    return SqlProgram(
        plan,
        comp.inputs,
        derived,
        statements,
        cites,
        schema,
        input_schema,
        comp.uses_calendar,
        list(goal_preds),
        sorted(comp.views),
    )


def _inline_candidates(comp: _Compiler, plan: Plan, derived: set[str]) -> set[str]:
    """The derived relations to compute where they are used (a view) rather than store (a table): those read
    exactly once, by a non-recursive rule, that are not goals. The database then plans the producer and its one
    consumer together (filters pushed down, no intermediate table written); a relation read twice is stored,
    and nothing is inlined into a recursive component, whose body is evaluated once per iteration."""
    recursive: set[str] = set()
    for group in plan.groups:
        members = [p for p in group if p in derived and not _is_ex(p)]  # as compile_plan makes its statements
        if comp.is_recursive(members):
            recursive.update(members)
    reads: dict[str, int] = {}
    reader: dict[str, tuple[str, str]] = {}  # relation -> (head of the rule reading it, kind of step)
    for p in derived:
        for cr in comp.by_head.get(p, []):
            for st in cr.steps:
                for a in _step_atoms(st):
                    n = 2 if p in recursive else 1
                    reads[a.pred] = reads.get(a.pred, 0) + n
                    reader[a.pred] = (p, st.kind)
    views = {p for p in derived if reads.get(p) == 1 and p not in recursive and p not in comp.keep_rule}
    # a view read by a join or a negation in a rule of a stored relation need not be a set: that rule removes
    # duplicates anyway (SELECT DISTINCT / UNION), and NOT EXISTS does not count; its rules' rows are then
    # passed on as they come (UNION ALL, no DISTINCT), which spares a hash table over what may be the largest
    # relation of the program. Views read by views, and the ranges of aggregates, stay sets.
    comp.bag_views = {p for p in views if reader[p][1] in ("atom", "not", "defeat") and reader[p][0] not in views}
    return views


def share_unchanged(base: SqlProgram, alt: SqlProgram) -> list[str]:
    """Let ``alt`` read from ``base`` every relation it would compute exactly as ``base`` does: its statement is
    the same (up to the schema name) and every derived relation it reads is shared too, so a parameter override
    recomputes only what depends on it. The shared relations become views on ``base``'s (which must be evaluated
    first, in the same database); returns their names."""
    own, other = quote(alt.schema) + ".", quote(base.schema) + "."
    base_sql = {tuple(st.preds): st.sql for st in base.statements}
    shared: set[str] = set()
    statements = []
    for st in alt.statements:
        text = st.sql.replace(own, other)
        reads = {q for q in alt.derived if q not in st.preds and f"{other}{quote(q)}" in text}
        if base_sql.get(tuple(st.preds)) == text and reads <= shared:
            shared.update(st.preds)
            st = Statement(
                st.preds,
                [f"CREATE OR REPLACE VIEW {own}{quote(p)} AS SELECT * FROM {other}{quote(p)}" for p in st.preds],
                st.rules,
            )
        statements.append(st)
    alt.statements = statements
    return sorted(shared)


def transpile(sql: str, dialect: str) -> str:
    """The DuckDB script in another dialect (``spark``, ``trino``) via sqlglot; ``duckdb`` returns it as is."""
    if dialect == "duckdb":
        return sql
    try:
        import sqlglot
    except ImportError:
        from oerlog.errors import UsageError

        raise UsageError(
            f"--dialect {dialect} needs sqlglot", value=dialect, hint="pip install sqlglot", example="--dialect duckdb"
        ) from None
    header = "\n".join(line for line in sql.splitlines() if line.startswith("--"))
    body = "\n".join(line for line in sql.splitlines() if not line.startswith("--"))
    out = sqlglot.transpile(body, read="duckdb", write=dialect, pretty=False)
    return header + "\n" + ";\n".join(out) + ";\n"


def _cite_text(c: ir.Citation) -> str:
    s = c.article + (f" lid {c.lid}" if c.lid else "")
    return f"{c.doc}: {s}" if c.doc else s


__all__ = [
    "SqlCompileError",
    "SqlProgram",
    "compile_plan",
    "div_select",
    "quote",
    "share_unchanged",
    "sql_literal",
    "transpile",
]
