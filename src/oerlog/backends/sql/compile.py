"""Compile an evaluation plan's rules to SQL statements: one ``CREATE TABLE`` / ``CREATE VIEW ... AS SELECT`` per
derived relation (one per recursive component), lowest stratum first (see :mod:`oerlog.backends.sql`).

The tables' columns and types come from the front end (:mod:`oerlog.backends.sql.schema`), expressions from
:mod:`oerlog.backends.sql.exprs`; this module writes the joins, negations, aggregates, recursion and the choice of
what is stored and what is a view."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from oerlog.backends.sql.calendar import CALENDAR
from oerlog.backends.sql.dialects import DUCKDB, REC_LEVELS, Dialect, SparkDialect, fold
from oerlog.backends.sql.exprs import Body, ExprWriter
from oerlog.backends.sql.program import (
    ANCHOR,
    DEPTH,
    LEVELS,
    MAX_LEVEL,
    PATH,
    ROUND,
    RULE_COLUMN,
    RelSchema,
    Rounds,
    SqlProgram,
    Statement,
    located,
)
from oerlog.backends.sql.schema import Tables
from oerlog.errors import UsageError
from oerlog.kb.vocabulary import Vocabulary
from oerlog.lang import ir
from oerlog.lang.depgraph import defeat_pred
from oerlog.lang.ir import RelationRole
from oerlog.lang.types import DEC, INT
from oerlog.semantics.plan import CompiledRule, Plan, RuleKind, Step, StepKind, compiled_graph
from oerlog.values import Value


@dataclass
class _Recursion:
    name: str
    preds: list[str]
    columns: dict[str, list[str]]


class _Compiler:
    def __init__(
        self,
        plan: Plan,
        voc: Vocabulary | None,
        schema: str,
        input_schema: str,
        input_types: Mapping[str, Sequence[str]] | None,
        dialect: Dialect = DUCKDB,
    ) -> None:
        self.d = dialect
        self.plan = plan
        self.voc = voc
        self.schema = schema
        self.input_schema = input_schema
        self.by_head: dict[str, list[CompiledRule]] = {}
        for cr in plan.rules:
            if plan.role(cr.head.pred) is RelationRole.EXISTENTIAL:
                continue
            self.by_head.setdefault(cr.head.pred, []).append(cr)
        self.blocked: set[str] = set()
        for r in plan.blocked_rules:
            self.blocked.add(defeat_pred(r.defeats) if r.defeats else r.head.pred)
        self.facts: dict[str, list[ir.Atom]] = {}
        for f in plan.facts:
            self.facts.setdefault(f.pred, []).append(f)
        self.input_types = input_types
        self.tables = Tables(self.by_head, self.facts, self.is_derived)
        self.exprs = ExprWriter(self.tables.types, self.d.relation(input_schema, CALENDAR), dialect)
        # every rule projects with SELECT DISTINCT and aggregates range over DISTINCT auxiliary relations, so a
        # relation derived by several rules (one row per rule) can be joined as it is
        self.dedupe_sources = False
        self.keep_rule: set[str] = set()  # relations whose rows carry the deriving rule's id (the goals)
        self.views: set[str] = set()  # relations computed where they are used (views, not tables)
        self.bag_views: set[str] = set()  # views whose reader removes duplicates: rows may repeat

    # -- names, literals and types of the dialect -------------------------------------------------------

    def q(self, name: str) -> str:
        """A quoted identifier."""
        return self.d.quote(name)

    def lit(self, v: Value) -> str:
        """A literal."""
        return self.d.literal(v)

    def ty(self, rel: RelSchema, i: int) -> str:
        """The SQL type of column ``i`` of ``rel``."""
        return self.d.type_name(rel.sql_type(i))

    def rel_name(self, pred: str) -> str:
        """The name of derived relation ``pred`` in a statement."""
        return self.d.relation(self.schema, pred)

    def create(self, pred: str, body: str, *, view: bool, with_rule: bool | None = None, sep: str = "\n") -> list[str]:
        """The statements making ``pred`` (a view, or stored) from the query ``body`` (whose last column is the rule
        id when ``with_rule``: by default, when ``pred`` keeps rule ids)."""
        rel = self.tables.schemas[pred]
        cols = [(c, rel.sql_type(i)) for i, c in enumerate(rel.columns)]
        if pred in self.keep_rule if with_rule is None else with_rule:
            cols.append((RULE_COLUMN, "VARCHAR"))
        elif not cols:
            cols.append(("_one", "INTEGER"))
        return self.d.create(self.schema, pred, body, view=view, columns=cols, sep=sep)

    # -- relations and types ----------------------------------------------------------------------------

    def is_derived(self, pred: str) -> bool:
        """Whether the program computes ``pred`` (rules, facts, or rules waiting for a parameter) rather than
        reading it from the input schema."""
        if self.voc is not None and pred in self.voc.relations:
            return pred in self.by_head
        return pred in self.by_head or pred in self.facts or pred in self.blocked

    def needed(self, goals: Iterable[str] | None) -> set[str]:
        """The goals (every relation of the rules when None) and every relation they depend on."""
        preds = set(self.by_head) | set(self.facts)
        if goals is None:
            todo = [p for p in preds if not self.plan.is_internal(p)] + list(self.plan.option_copies)
        else:
            todo = list(goals)
        todo = [c for p in todo for c in _copies_or_self(self.plan, p)]  # a listed choice: each option's copy
        todo += [ir.possible_name(p) for p in todo if p in self.plan.uncertain]  # what may hold, for the status
        return compiled_graph(self.plan).closure(todo)

    def infer(self, preds: set[str]) -> None:
        """The types of the relations ``preds`` and of their rules (see :class:`Tables`)."""
        rules = sorted((cr for p in preds for cr in self.by_head.get(p, [])), key=lambda cr: cr.index)
        waiting = [
            r if not r.defeats else replace(r, head=ir.Atom(defeat_pred(r.defeats), r.head.args, r.head.loc))
            for r in self.plan.blocked_rules
        ]
        self.exprs.types = self.tables.infer(rules, preds, self.voc, self.input_types, waiting)

    # -- code generation --------------------------------------------------------------------------------

    def source(self, pred: str, arity: int, dedupe: bool = True) -> str:
        """SQL for reading a relation in a rule body (deduplicated when several rules define it)."""
        rel = self.tables.rel(pred, arity)
        if not rel.derived:
            return self.d.relation(self.input_schema, pred)
        table = self.rel_name(pred)
        n_sources = len(self.by_head.get(pred, [])) + (1 if pred in self.facts else 0)
        if dedupe and n_sources > 1 and self.dedupe_sources:
            cols = ", ".join(self.q(c) for c in rel.columns)
            return f"(SELECT DISTINCT {cols} FROM {table})"
        return table

    def compile_rule(
        self, cr: CompiledRule, rec: _Recursion | None = None, *, distinct: bool = True, levels: str | None = None
    ) -> str:
        """One rule as a ``SELECT`` (``DISTINCT`` unless the caller deduplicates with ``UNION``); the rule id is
        the last column when the head relation keeps rule ids (or the rule is part of a recursive component).
        ``levels`` (a recursive rule of a Spark round): the row's depth follows the rule id, one more than the
        depth of the recursive row it extends, which must be below ``levels``."""
        env = self.tables.envs.get(cr.index, {})
        binding: dict[str, str] = {}
        joins: list[str] = []
        where: list[str] = []
        n = 0
        rec_refs = 0
        rec_alias: str | None = None

        def alias() -> str:  # a name no column has: a correlated subquery (NOT EXISTS) names the outer tables
            nonlocal n
            n += 1
            return self.d.alias(f"t{n}")

        self.exprs.body = Body(joins, alias)
        for st in cr.steps:
            if st.kind is StepKind.ATOM:
                atom = st.atom
                assert atom is not None
                rel = self.tables.rel(atom.pred, atom.arity)
                a = alias()
                conds: list[str] = []
                if rec is not None and atom.pred in rec.preds:
                    rec_refs += 1
                    if rec_refs > 1:
                        raise located(
                            cr,
                            "the rule uses its recursive relation(s) more than once (non-linear recursion), "
                            "which SQL's WITH RECURSIVE does not evaluate completely",
                            hint="rewrite the rule with one recursive atom (e.g. path(X, Z) :- edge(X, Y), "
                            "path(Y, Z)), or use the pyDatalog back end",
                        )
                    src = rec.name
                    rec_alias = a
                    names = rec.columns[atom.pred]
                    conds.append(f"{a}.{self.q('_p')} = {self.lit(atom.pred)}")
                else:
                    src = self.source(atom.pred, atom.arity)
                    names = [self.q(c) for c in rel.columns]
                for i, t in enumerate(atom.args):
                    c = f"{a}.{names[i]}"
                    if isinstance(t, ir.Var):
                        if t.name in binding:
                            conds.append(f"{c} = {binding[t.name]}")
                        else:
                            binding[t.name] = c
                    elif isinstance(t, ir.Const):
                        conds.append(f"{c} = {self.lit(t.value)}")
                    else:
                        raise located(cr, f"unsubstituted parameter {t}")
                on = " AND ".join(conds) if conds else "TRUE"
                joins.append(f"JOIN {src} AS {a} ON {on}" if joins else f"FROM {src} AS {a}")
                if len(joins) == 1 and conds:
                    where.extend(conds)
            elif st.kind in (StepKind.NOT, StepKind.DEFEAT):
                where.append(self.negation(st.negated(), binding))
            elif st.kind is StepKind.TEST:
                lit = st.literal
                if not isinstance(lit, ir.Compare):
                    raise located(cr, f"'{lit}' has unbound variables")
                where.append(self.exprs.compare(cr, lit, binding, env))
            elif st.kind is StepKind.ASSIGN:
                lit = st.literal
                assert isinstance(lit, ir.Compare)
                target = st.binds[0]
                expr = lit.right if isinstance(lit.left, ir.Var) and lit.left.name == target else lit.left
                binding[target] = self.exprs.expr(cr, expr, binding, env)
            elif st.kind is StepKind.AGG:
                lit = st.literal
                assert isinstance(lit, ir.Aggregate) and st.atom is not None
                self.aggregate(cr, st, lit, binding, joins, where, alias)
            else:
                raise located(cr, f"unknown step {st.kind}")
        depth = None
        if levels is not None and rec_alias is not None:
            depth = f"{rec_alias}.{self.q(DEPTH)}"
            where.append(f"{depth} < {levels}")
        return self.select(cr, binding, joins, where, rec, distinct, depth)

    def fold_options(self, goal: str) -> Statement:
        """The goal's table from its copies under each listed option: the rows of the first copy found in every
        copy (they hold under every option), and ``_possible_<goal>``: the rows that may hold under some option."""
        names = self.plan.option_copies[goal].names()
        first = self.tables.schemas[names[0]]
        for pred in (goal, ir.possible_name(goal)):
            self.tables.schemas[pred] = RelSchema(
                pred, list(first.columns), list(first.types), True, list(first.scales)
            )
        cols = [self.q(c) for c in first.columns]
        table = self.rel_name
        c = self.d.alias("c")

        def same(a: str, b: str) -> str:
            return " AND ".join(f"{a}.{col} IS NOT DISTINCT FROM {b}.{col}" for col in cols) or "TRUE"

        every = " AND ".join(
            f"EXISTS (SELECT 1 FROM {table(n)} AS {self.d.alias(f'o{i}')} WHERE {same(self.d.alias(f'o{i}'), c)})"
            for i, n in enumerate(names[1:])
        )
        body = f"SELECT {c}.* FROM {table(names[0])} AS {c}" + (f" WHERE {every}" if every else "")
        sqls = self.create(goal, body, view=False, with_rule=True, sep=" ")
        sources = [n for n in names] + [ir.possible_name(n) for n in names if n in self.plan.uncertain]
        union = " UNION ALL ".join(f"SELECT * FROM {table(n)}" for n in sources)
        sqls += self.create(ir.possible_name(goal), union, view=False, with_rule=True, sep=" ")
        return Statement([goal, ir.possible_name(goal)], sqls, [])

    def negation(self, atom: ir.Atom, binding: Mapping[str, str]) -> str:
        """``NOT EXISTS`` a row of ``atom`` matching the bound variables and constants (its other variables free)."""
        rel = self.tables.rel(atom.pred, atom.arity)
        a = self.exprs.body.alias()
        conds = []
        local: dict[str, str] = {}
        for i, t in enumerate(atom.args):
            c = f"{a}.{self.q(rel.columns[i])}"
            if isinstance(t, ir.Var):
                if t.name in binding:
                    conds.append(f"{c} = {binding[t.name]}")
                elif t.name in local:
                    conds.append(f"{c} = {local[t.name]}")
                else:
                    local[t.name] = c
            elif isinstance(t, ir.Const):
                conds.append(f"{c} = {self.lit(t.value)}")
        src = self.source(atom.pred, atom.arity, dedupe=False)
        return f"NOT EXISTS (SELECT 1 FROM {src} AS {a}" + (" WHERE " + " AND ".join(conds) if conds else "") + ")"

    def aggregate(
        self,
        cr: CompiledRule,
        st: Step,
        lit: ir.Aggregate,
        binding: dict[str, str],
        joins: list[str],
        where: list[str],
        alias: Callable[[], str],
    ) -> None:
        """The aggregate as a ``GROUP BY`` subquery over its auxiliary relation, joined on the group key (``LEFT
        JOIN`` and 0 for an empty group of ``count`` / ``sum``); binds the result variable, or compares with it when an
        earlier step bound it."""
        assert st.atom is not None
        aux = self.tables.rel(st.atom.pred, st.atom.arity)
        a = alias()
        aux_env = dict(zip(st.agg_columns, aux.types, strict=True))
        aux_bind = {v: f"x.{self.q(aux.columns[i])}" for i, v in enumerate(st.agg_columns)}
        keys = [f"x.{self.q(aux.columns[i])} AS _k{i}" for i in range(len(st.agg_group))]
        src = self.source(st.atom.pred, st.atom.arity)
        self.exprs.body = Body(None, alias)  # inside the aggregate's subquery: scalar lookups
        sub = "(" + self.exprs.aggregate_select(cr, lit, keys, src, aux_bind, aux_env) + ")"
        self.exprs.body = Body(joins, alias)
        conds = [f"{a}._k{i} = {binding[g]}" for i, g in enumerate(st.agg_group)]
        on = " AND ".join(conds) if conds else "TRUE"
        if lit.func in ("count", "sum"):
            joins.append(f"LEFT JOIN {sub} AS {a} ON {on}" if joins else f"FROM {sub} AS {a}")
            zero = (
                "CAST(0 AS BIGINT)"
                if self.tables.envs.get(cr.index, {}).get(lit.result.name) == INT
                else f"CAST(0 AS DECIMAL(38,{self.tables.scales[cr.index].get(lit.result.name, 0)}))"
            )
            value = f"COALESCE({a}.v, {zero})"
        else:
            joins.append(f"JOIN {sub} AS {a} ON {on}" if joins else f"FROM {sub} AS {a}")
            where.append(f"{a}.v IS NOT NULL")
            value = f"{a}.v"
        name = lit.result.name
        if name in binding:  # the result is bound before the aggregate (N = 1 written as an assignment): compare
            where.append(f"{value} = {binding[name]}")
        else:
            binding[name] = value

    def select(
        self,
        cr: CompiledRule,
        binding: Mapping[str, str],
        joins: list[str],
        where: list[str],
        rec: _Recursion | None,
        distinct: bool,
        depth: str | None = None,
    ) -> str:
        """The rule's ``SELECT``: its head's columns (numbers cast to the column's type) over the body's joins (and
        the depth of the row, one more than ``depth``, in a round of recursion on Spark)."""
        head_rel = self.tables.rel(cr.head.pred, cr.head.arity)
        sel: list[str] = []
        for i, t in enumerate(cr.head.args):
            if isinstance(t, ir.Var):
                bound = binding.get(t.name)
                if bound is None:
                    raise located(cr, f"head variable {t.name} is not bound by the body")
                value_sql = bound
            else:
                assert isinstance(t, ir.Const)
                value_sql = self.lit(t.value)
            if head_rel.types[i] in (INT, DEC):
                value_sql = f"CAST({value_sql} AS {self.ty(head_rel, i)})"
            name = rec.columns[cr.head.pred][i] if rec else self.q(head_rel.columns[i])
            sel.append(f"{value_sql} AS {name}")
        if rec is not None:
            sel = self.rec_select(rec, cr.head.pred, sel)
        if rec is not None or cr.head.pred in self.keep_rule:
            sel.append(f"{self.lit(cr.id)} AS {self.q(RULE_COLUMN)}")
        if depth is not None:
            sel.append(f"{depth} + 1 AS {self.q(DEPTH)}")
        sql = ("SELECT DISTINCT " if distinct else "SELECT ") + (", ".join(sel) or "1 AS _one")
        if joins:
            sql += "\n  " + "\n  ".join(joins)
        if where:
            sql += "\n  WHERE " + "\n    AND ".join(where)
        return sql

    def rec_select(self, rec: _Recursion, pred: str, sel: list[str]) -> list[str]:
        """A recursive rule's columns in the component's common row: the relation's name, its own columns, NULL for
        the other relations'."""
        out = [f"{self.lit(pred)} AS {self.q('_p')}"]
        it = iter(sel)
        for p in rec.preds:
            rel = self.tables.schemas[p]
            for i, c in enumerate(rec.columns[p]):
                if p == pred:
                    out.append(next(it))
                else:
                    out.append(f"CAST(NULL AS {self.ty(rel, i)}) AS {c}")
        return out

    # -- statements -------------------------------------------------------------------------------------

    def facts_select(self, pred: str, with_rule: bool = True) -> str | None:
        """The facts written for ``pred`` as a ``SELECT`` (rule id ``fact`` when ``with_rule``); None without facts."""
        facts = self.facts.get(pred)
        if not facts:
            return None
        rel = self.tables.schemas[pred]
        rule = f"'fact' AS {self.q(RULE_COLUMN)}" if with_rule else ""
        rows = []
        for f in facts:
            vals = [
                f"CAST({self.lit(a.value)} AS {self.ty(rel, i)})" if isinstance(a, ir.Const) else "NULL"
                for i, a in enumerate(f.args)
            ]
            rows.append(
                "SELECT "
                + ", ".join(f"{v} AS {self.q(rel.columns[i])}" for i, v in enumerate(vals))
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
        """The statements creating the relations of one component (``WITH RECURSIVE`` when it is recursive)."""
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
            return Statement([pred], self.create(pred, body, view=pred in self.views), rule_ids)
        rec = _Recursion(name=self.q("_rec"), preds=list(group), columns={})
        for p in group:
            rel = self.tables.schemas[p]
            rec.columns[p] = [self.q(f"{p}__{c}") for c in rel.columns]
        base: list[str] = []
        step: list[str] = []
        step_rules: list[CompiledRule] = []
        for p in group:
            for cr in self.by_head.get(p, []):
                uses = any(
                    st.kind is StepKind.ATOM and st.atom is not None and st.atom.pred in group for st in cr.steps
                )
                (step if uses else base).append(self.compile_rule(cr, rec))
                if uses:
                    step_rules.append(cr)
            fs = self.facts_select(p)
            if fs:
                inner = ", ".join(
                    [f"{self.lit(p)} AS {self.q('_p')}"]
                    + [
                        (
                            f"f.{self.q(c)} AS {rec.columns[q][i]}"
                            if q == p
                            else f"CAST(NULL AS {self.ty(self.tables.schemas[q], i)}) AS {rec.columns[q][i]}"
                        )
                        for q in group
                        for i, c in enumerate(self.tables.schemas[q].columns)
                    ]
                    + [f"f.{self.q(RULE_COLUMN)}"]
                )
                base.append(f"SELECT {inner} FROM ({fs}) AS f")
        if not base:
            base.append(self.empty_rec(rec))
        if isinstance(self.d, SparkDialect):
            return self.spark_recursion(group, rec, base, step_rules, rule_ids)
        cte = "\nUNION\n".join(base) + ("\nUNION\n" + "\nUNION\n".join(step) if step else "")
        sqls = []
        for p in group:
            rel = self.tables.schemas[p]
            items = [f"{rec.columns[p][i]} AS {self.q(c)}" for i, c in enumerate(rel.columns)]
            if p in self.keep_rule or not items:
                items.append(self.q(RULE_COLUMN) if p in self.keep_rule else "1 AS _one")
            sqls.append(
                f"CREATE OR REPLACE TABLE {self.q(self.schema)}.{self.q(p)} AS\n"
                f"WITH RECURSIVE {rec.name} AS (\n{cte}\n)\n"
                f"SELECT DISTINCT {', '.join(items)} FROM {rec.name} "
                f"WHERE {self.q('_p')} = {self.lit(p)}"
            )
        return Statement(list(group), sqls, rule_ids)

    def spark_recursion(
        self, group: list[str], rec: _Recursion, base: list[str], step_rules: list[CompiledRule], rule_ids: list[str]
    ) -> Statement:
        """A recursive component on Spark, whose ``WITH RECURSIVE`` takes ``UNION ALL`` only: a row derived again
        is derived again, so a cycle in the data would never end. So every row carries its depth (0 for the rows it
        starts from), a recursive rule extends only rows below a limit, and the component is computed in
        :class:`Rounds`, each from the new rows the one before found at the limit, until there are none: then
        every row has been extended, and the rows are the least fixpoint that DuckDB's ``UNION`` finds
        (:mod:`oerlog.backends.spark` runs the rounds after the first)."""
        d = self.d
        assert isinstance(d, SparkDialect)
        cols = [("_p", "VARCHAR")]
        for q in group:
            rel = self.tables.schemas[q]
            cols += [(f"{q}__{c}", rel.sql_type(i)) for i, c in enumerate(rel.columns)]
        cols.append((RULE_COLUMN, "VARCHAR"))
        names = ", ".join(self.q(c) for c, _ in cols)
        tag = "_rec_" + group[0]
        depth = self.q(DEPTH)
        steps = [self.compile_rule(cr, rec, levels=LEVELS) for cr in step_rules]
        cte = (
            f"WITH RECURSIVE {rec.name} MAX RECURSION LEVEL {MAX_LEVEL} AS (\n"
            f"SELECT {names}, 0 AS {depth} FROM (\n{ANCHOR}\n) AS _a"
            + ("\nUNION ALL\nSELECT * FROM (\n" + "\nUNION ALL\n".join(steps) + "\n) AS _s" if steps else "")
            + f"\n)\nSELECT {names}, min({depth}) AS {depth} FROM {rec.name} GROUP BY {names}"
        )
        stem = self.rel_name(f"{tag}_r")  # ROUND goes inside the quotes (and stays out of the name's case folding)
        round_name = stem[:-1] + ROUND + stem[-1]
        message = (
            f"{', '.join(group)}: new rows at depth {LEVELS} of round {ROUND} of the recursion (rules "
            f"{', '.join(rule_ids)}): oerlog batch --engine spark runs more rounds"
        )
        rounds = Rounds(
            insert=f"INSERT OVERWRITE DIRECTORY {d.string(PATH)} USING parquet\n{cte}",
            round_name=round_name,
            round_view=d.read(round_name, PATH, cols + [(DEPTH, "INTEGER")]),
            first=" UNION ALL ".join(base),
            names=names,
            view=self.rel_name(tag),
            frontier=self.rel_name(f"{tag}_frontier"),
            path=d.string(d.path(self.schema, fold(tag)))[1:-1],
            levels=REC_LEVELS,
            message=d.string(message),
        )
        sqls = rounds.statements(1)
        for p in group:
            rel = self.tables.schemas[p]
            items = [f"{rec.columns[p][i]} AS {self.q(c)}" for i, c in enumerate(rel.columns)]
            if p in self.keep_rule or not items:
                items.append(self.q(RULE_COLUMN) if p in self.keep_rule else "1 AS _one")
            body = f"SELECT DISTINCT {', '.join(items)} FROM {rounds.view} WHERE {self.q('_p')} = {self.lit(p)}"
            sqls += self.create(p, body, view=True)
        return Statement(list(group), sqls, rule_ids, rounds)

    def empty_rec(self, rec: _Recursion) -> str:
        """A recursive component's common row, typed, with no rows."""
        text = self.d.type_name("VARCHAR")
        cols = [f"CAST(NULL AS {text}) AS {self.q('_p')}"]
        for q in rec.preds:
            for i, c in enumerate(rec.columns[q]):
                cols.append(f"CAST(NULL AS {self.ty(self.tables.schemas[q], i)}) AS {c}")
        cols.append(f"CAST(NULL AS {text}) AS {self.q(RULE_COLUMN)}")
        return "SELECT " + ", ".join(cols) + " WHERE FALSE"

    def empty_select(self, pred: str) -> str:
        """The relation's columns, typed, with no rows (no rule or fact derives it here)."""
        rel = self.tables.schemas[pred]
        cols = [f"CAST(NULL AS {self.ty(rel, i)}) AS {self.q(c)}" for i, c in enumerate(rel.columns)]
        if pred in self.keep_rule or not cols:
            text = self.d.type_name("VARCHAR")
            cols.append(f"CAST(NULL AS {text}) AS {self.q(RULE_COLUMN)}" if pred in self.keep_rule else "1 AS _one")
        return "SELECT " + ", ".join(cols) + " WHERE FALSE"


def _copies_or_self(plan: Plan, pred: str) -> list[str]:
    """The copies of a relation that depends on listed template choices, or the relation itself."""
    oc = plan.option_copies.get(pred)
    return oc.names() if oc is not None else [pred]


def _step_atoms(st: Step) -> list[ir.Atom]:
    if st.kind is StepKind.ATOM and st.atom is not None:
        return [st.atom]
    if st.kind in (StepKind.NOT, StepKind.DEFEAT):
        return [st.negated()]
    if st.kind is StepKind.AGG and st.atom is not None:
        return [st.atom]
    return []


def compile_plan(
    plan: Plan,
    vocabulary: Vocabulary | None = None,
    goals: Iterable[str] | None = None,
    *,
    schema: str = "derived",
    input_schema: str = "input",
    input_types: Mapping[str, Sequence[str]] | None = None,
    dialect: Dialect = DUCKDB,
) -> SqlProgram:
    """Compile ``plan`` (for the predicates ``goals`` depend on; all when None) to SQL statements in ``dialect``
    (DuckDB's by default; :class:`~oerlog.backends.sql.dialects.SparkDialect` for Spark SQL).

    ``input_types`` gives the type classes of input relations the vocabulary does not declare (or replaces its
    types). Raises :class:`SqlCompileError` for a rule that cannot be compiled."""
    comp = _Compiler(plan, vocabulary, schema, input_schema, input_types, dialect)
    goal_list = list(goals) if goals is not None else None
    for g in goal_list or []:
        if g not in comp.by_head and g not in comp.facts and g not in plan.option_copies:
            known = sorted(p for p in set(comp.by_head) | set(comp.facts) if not plan.is_internal(p))
            raise UsageError(
                f"no rule of this document derives {g!r}",
                value=g,
                hint="derived predicates: " + ", ".join(known),
                example="--goal " + (known[0] if known else "resit_excluded"),
            )
    needed = comp.needed(goal_list)
    derived_needed = {p for p in needed if comp.is_derived(p)}
    comp.infer(derived_needed)
    goal_preds = goal_list if goal_list is not None else sorted(p for p in derived_needed if not plan.is_internal(p))
    goal_preds = [g for g in goal_preds if g not in plan.option_copies] + [
        g for g in (goal_list if goal_list is not None else plan.option_copies) if g in plan.option_copies
    ]
    kept = [c for g in goal_preds for c in _copies_or_self(plan, g)]
    comp.keep_rule = set(kept) | {ir.possible_name(g) for g in kept if g in plan.uncertain}
    comp.views = _inline_candidates(comp, plan, derived_needed)
    statements: list[Statement] = []
    done: set[str] = set()
    for pred in sorted(derived_needed - {q for g in plan.groups for q in g}):  # defined by facts only
        statements.append(comp.statement([pred]))
        done.add(pred)
    for group in plan.groups:
        members = [p for p in group if p in derived_needed and plan.role(p) is not RelationRole.EXISTENTIAL]
        if not members:
            continue
        statements.append(comp.statement(members))
        done.update(members)
    for pred in sorted(derived_needed - done):  # needed, but no rule left (blocked by unfilled parameters)
        statements.append(comp.statement([pred]))
    for g in goal_preds:
        if g in plan.option_copies:
            statements.append(comp.fold_options(g))
            derived_needed |= {g, ir.possible_name(g)}
    cites: dict[str, str] = {}
    for cr in plan.rules:
        if cr.kind is RuleKind.AUX:
            continue
        cites[cr.id] = "; ".join(_cite_text(c) for c in cr.source.ann.cites)
    derived = {p: comp.tables.schemas[p] for p in derived_needed if p in comp.tables.schemas}
    return SqlProgram(
        plan,
        dict(sorted(comp.tables.inputs.items())),
        derived,
        statements,
        cites,
        schema,
        input_schema,
        comp.exprs.uses_calendar,
        list(goal_preds),
        sorted(comp.views),
        dialect=dialect,
    )


def _inline_candidates(comp: _Compiler, plan: Plan, derived: set[str]) -> set[str]:
    """The derived relations to compute where they are used (a view) rather than store (a table): those read
    exactly once, by a non-recursive rule, that are not goals. The database then plans the producer and its one
    consumer together (filters pushed down, no intermediate table written); a relation read twice is stored,
    and nothing is inlined into a recursive component, whose body is evaluated once per iteration."""
    recursive: set[str] = set()
    for group in plan.groups:
        # as compile_plan makes its statements
        members = [p for p in group if p in derived and plan.role(p) is not RelationRole.EXISTENTIAL]
        if comp.is_recursive(members):
            recursive.update(members)
    reads: dict[str, int] = {}
    reader: dict[str, tuple[str, StepKind]] = {}  # relation -> (head of the rule reading it, kind of step)
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
    comp.bag_views = {
        p for p in views if reader[p][1] in (StepKind.ATOM, StepKind.NOT, StepKind.DEFEAT) and reader[p][0] not in views
    }
    return views


def _cite_text(c: ir.Citation) -> str:
    s = c.article + (f" lid {c.lid}" if c.lid else "")
    return f"{c.doc}: {s}" if c.doc else s
