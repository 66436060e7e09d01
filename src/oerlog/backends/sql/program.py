"""A plan compiled to SQL: the relations as tables (:class:`RelSchema`), the statements that create them, and the
program as one script (:class:`SqlProgram`); SQL literals and identifiers; the error a rule that cannot be
compiled raises."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from oerlog.backends.sql.calendar import CALENDAR
from oerlog.errors import OerlogError
from oerlog.lang import ir
from oerlog.lang.types import BOOL, DATE, DEC, INT, STR, TypeClass
from oerlog.semantics.plan import CompiledRule, Plan
from oerlog.values import Value

# the SQL type of each type class (oerlog.lang.types); DECIMAL columns get the scale they need (RelSchema.sql_type)
SQL_TYPES: dict[str, str] = {STR: "VARCHAR", INT: "BIGINT", DEC: "DECIMAL(18,4)", DATE: "DATE", BOOL: "BOOLEAN"}
INPUT_DECIMAL_SCALE = 4  # input decimals (grades, EC) are DECIMAL(18,4): more decimals are reported, not rounded
RULE_COLUMN = "_rule"


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
