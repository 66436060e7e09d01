"""A plan compiled to SQL: the relations as tables (:class:`RelSchema`), the statements that create them, and the
program as one script (:class:`SqlProgram`); SQL literals and identifiers; the error a rule that cannot be
compiled raises."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from oerlog.backends.sql.calendar import CALENDAR
from oerlog.backends.sql.dialects import DUCKDB, Dialect, SparkDialect
from oerlog.errors import OerlogError
from oerlog.lang import ir
from oerlog.lang.types import BOOL, DATE, DEC, INT, STR, TypeClass
from oerlog.semantics.plan import CompiledRule, Plan
from oerlog.values import Value

# the SQL type of each type class (oerlog.lang.types); DECIMAL columns get the scale they need (RelSchema.sql_type)
SQL_TYPES: dict[str, str] = {STR: "VARCHAR", INT: "BIGINT", DEC: "DECIMAL(18,4)", DATE: "DATE", BOOL: "BOOLEAN"}
INPUT_DECIMAL_SCALE = 4  # input decimals (grades, EC) are DECIMAL(18,4): more decimals are reported, not rounded
RULE_COLUMN = "_rule"
DEPTH = "_depth"  # Spark: the depth of a row of a recursive relation in a round

DEPTH_Q = "`_depth`"  # ... quoted in Spark SQL

# the places a round of recursion on Spark fills in (Rounds.statements)
ANCHOR, LEVELS, MAX_LEVEL = "__OERLOG_ANCHOR__", "__OERLOG_LEVELS__", "__OERLOG_MAX_LEVEL__"
PATH, ROUND = "__OERLOG_PATH__", "__OERLOG_ROUND__"


class SqlCompileError(OerlogError):
    """A rule cannot be compiled to SQL; the message names the rule and where it is written."""

    code = "sql_compile_error"


def located(rule: CompiledRule | ir.Rule, message: str, hint: str | None = None) -> SqlCompileError:
    """The error for a rule that cannot be compiled, located at the rule."""
    src = rule.source if isinstance(rule, CompiledRule) else rule
    return SqlCompileError(
        f"rule {src.id} cannot be compiled to SQL: {message}",
        src.loc,
        value=src.id,
        hint=hint or "run this document with the pyDatalog back end (oerlog query / why) instead",
    )


def quote(name: str) -> str:
    """A quoted SQL identifier (DuckDB)."""
    return DUCKDB.quote(name)


def sql_literal(v: Value) -> str:
    """A value as an SQL literal (DuckDB: strings quoted, decimals exact, dates as DATE '...')."""
    return DUCKDB.literal(v)


def value_scale(v: object) -> int:
    """Decimals of a constant (0 for anything but a decimal)."""
    if isinstance(v, Decimal) and not isinstance(v, bool):
        return max(0, -int(v.as_tuple().exponent))
    return 0


@dataclass
class RelSchema:
    """A relation as a table: its column names and type classes."""

    name: str
    columns: list[str]
    types: list[TypeClass | None]
    derived: bool = True
    scales: list[int] = field(default_factory=list)  # decimals kept by DECIMAL columns

    def __post_init__(self) -> None:
        if len(self.scales) != len(self.types):
            self.scales = [INPUT_DECIMAL_SCALE if t == DEC and not self.derived else 0 for t in self.types]

    def sql_type(self, i: int) -> str:
        """The SQL type of column ``i`` (DuckDB's name, see :meth:`Dialect.type_name`)."""
        if self.types[i] == DEC:
            return f"DECIMAL(38,{self.scales[i]})"
        return SQL_TYPES[self.types[i] or STR]

    def input_type(self, i: int) -> str:
        """The SQL type of column ``i`` of an input relation as it is loaded (decimals ``DECIMAL(18,4)``)."""
        return SQL_TYPES[self.types[i] or STR]


@dataclass
class Rounds:
    """Spark: a recursive component computed in rounds (see :meth:`statements`).

    Round ``k`` follows the recursive rules ``levels`` steps deep from its anchor (round 1: the rows of the base
    rules; later rounds: the frontier of the round before) and stores each row found with the least depth it was
    found at. Every row found below ``levels`` has been extended already; the *frontier* is the rows found only at
    depth ``levels`` that no earlier round found: the next round starts from them, and the check fails
    (``assert_true``) while there are any. The component's view is the union of all rounds."""

    insert: str  # INSERT OVERWRITE DIRECTORY PATH ... WITH RECURSIVE (from ANCHOR, LEVELS deep, MAX_LEVEL)
    round_name: str  # the name of the view on round ROUND
    round_view: str  # the statement making that view on PATH
    first: str  # the anchor of round 1: the rows of the base rules
    names: str  # the columns of a row (without its depth)
    view: str  # the component's view: every row of every round
    frontier: str  # the view on the frontier of the last round
    path: str  # where the rounds write (as it stands inside a string literal)
    levels: int  # the depth of a round
    message: str  # the check's message (a string literal; ROUND filled in)

    def statements(self, k: int) -> list[str]:
        """The statements of round ``k`` (1, 2, ...): its rows, the view on them, its frontier, the component's
        view on every round, and the check that fails while the frontier is not empty."""

        def name(i: int) -> str:
            return self.round_name.replace(ROUND, str(i))

        def fill(text: str) -> str:
            anchor = self.first if k == 1 else f"SELECT {self.names} FROM {self.frontier}"
            return (
                text.replace(ANCHOR, anchor)
                .replace(MAX_LEVEL, str(self.levels + 2))
                .replace(LEVELS, str(self.levels))
                .replace(PATH, f"{self.path}/{k}")
                .replace(ROUND, str(k))
            )

        earlier = " UNION ALL ".join(f"SELECT {self.names} FROM {name(i)}" for i in range(1, k))
        frontier = f"SELECT {self.names} FROM {name(k)} WHERE {DEPTH_Q} = {self.levels}" + (
            f" EXCEPT ({earlier})" if earlier else ""
        )
        every = " UNION ALL ".join(f"SELECT {self.names} FROM {name(i)}" for i in range(1, k + 1))
        return [
            fill(self.insert),
            fill(self.round_view),
            f"CREATE OR REPLACE TEMPORARY VIEW {self.frontier} AS {frontier}",
            f"CREATE OR REPLACE TEMPORARY VIEW {self.view} AS {every}",
            f"SELECT assert_true(count(*) = 0, {fill(self.message)}) FROM {self.frontier}",
        ]


@dataclass
class Statement:
    """The SQL statements creating the tables of ``preds`` (several preds for a recursive component)."""

    preds: list[str]
    sqls: list[str]
    rules: list[str]
    rounds: Rounds | None = None  # Spark: a recursive component, whose first round and check are in ``sqls``

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
    dialect: Dialect = DUCKDB
    result: list[str] = field(default_factory=list)  # statements run after the program (Spark: the result rows)

    def goal_rows(self, pred: str) -> str:
        """The rows of the goal ``pred`` that were asked for: its table, or the rows that match the constants (and
        repeated variables) of the goal as written (``resit_excluded("s1", C)``), see :attr:`filters`."""
        cond = self.filters.get(pred)
        return f"(SELECT * FROM {self.table(pred)} WHERE {cond})" if cond else self.table(pred)

    def table(self, pred: str) -> str:
        """The name of a derived (or input) relation in a statement (qualified by its schema)."""
        if pred in self.derived:
            return self.dialect.relation(self.schema, pred)
        return self.dialect.relation(self.input_schema, pred)

    def input_columns(self) -> dict[str, list[tuple[str, str]]]:
        """The input relations the program reads (and the working-day calendar, when it is used), with their columns
        and SQL types as loaded (DuckDB's names)."""
        out = {rel.name: [(c, rel.input_type(i)) for i, c in enumerate(rel.columns)] for rel in self.inputs.values()}
        if self.uses_calendar:
            out[CALENDAR] = [("day", "DATE"), ("working", "BOOLEAN"), ("idx", "BIGINT")]
        return out

    def input_views(self) -> list[str]:
        """Spark: the temporary views on the validated input rows, one Parquet file per relation in the stage."""
        d = self.dialect
        if not isinstance(d, SparkDialect):
            return []
        return [d.read(self.table(name), d.input_path(name), cols) for name, cols in self.input_columns().items()]

    def script(self, *, with_setup: bool = True) -> str:
        """The whole program as one SQL script (inputs are expected in ``input_schema``; on Spark, as Parquet files
        in the stage folder)."""
        d = self.dialect
        where = (
            f"from Parquet files in {d.path('input')}, as temporary views"
            if isinstance(d, SparkDialect)
            else "from schema " + d.quote(self.input_schema)
        )
        out = [
            "-- generated by oerlog: derived relations in dependency order; every row of a goal ("
            + ", ".join(self.goals)
            + ")",
            "-- carries the id of the rule that derived it in column _rule; the other relations are sets (views",
            f"-- where read once). Inputs are read {where}.",
        ]
        if isinstance(d, SparkDialect):
            out.append(
                "-- Spark SQL (4.1 or later): relations read more than once are stored as Parquet under "
                + d.path(self.schema)
                + ";"
            )
            out.append("-- recursion runs in rounds (see the check after each recursive relation).")
        if with_setup:
            out += [s + ";" for s in d.setup(self.schema)]
            for name, cols in self.input_columns().items():
                shown = ", ".join(f"{d.quote(c)} {d.type_name(t)}" for c, t in cols)
                if name == CALENDAR:
                    table = self.table(name)
                    shown = "day DATE, working BOOLEAN, idx BIGINT"
                    note = (
                        ": every day of the years used, whether it is a working day, and the number of working days "
                        "up to and including it"
                    )
                else:
                    table, note = self.table(name), ""
                out.append(f"-- input {table}({shown}){note}")
            out += [s + ";" for s in self.input_views()]
        for st in self.statements:
            out.append(f"-- {', '.join(st.preds)}: rules {', '.join(st.rules)}")
            out.append(st.sql.rstrip() + ";")
        if self.result:
            out.append("-- the result: every row of the goals, with its rule, articles and status")
            out += [s.rstrip() + ";" for s in self.result]
        return "\n".join(out) + "\n"


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
