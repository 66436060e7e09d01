"""The SQL a compiled program is written in: DuckDB's (the reference, :data:`DUCKDB`) or Spark SQL's
(:class:`SparkDialect`, run by :mod:`oerlog.backends.spark`), and other dialects (Trino) translated from DuckDB's by
sqlglot (parsed, never run).

A :class:`Dialect` writes everything that differs between the engines: identifiers and literals, type names,
the names of the relations, the date functions, exact integer division, how a relation is stored or made a view,
and what a script sets up first. The compiler (:mod:`oerlog.backends.sql.compile`) writes the rest (joins,
negation, aggregates, recursion) the same way for both.

Spark differs from DuckDB where it matters for the semantics, and the Spark dialect writes it out rather than
leaving it to a translator:

- string literals: a backslash is an escape character in Spark SQL, so it is doubled (``'a\\\\b'``);
- identifiers are case-insensitive unless ``spark.sql.caseSensitive`` is set (predicates ``p`` and ``P`` are
  two relations): the script sets it;
- decimals keep their scale only with ``spark.sql.decimalOperations.allowPrecisionLoss=false``, and overflow is an
  error instead of NULL only with ``spark.sql.ansi.enabled=true``: the script sets both;
- ``trunc(x, n)`` does not exist for numbers (``floor``/``ceil`` by sign), ``date + n`` and ``date - date`` are
  ``date_add`` and ``datediff``, ``isodow`` is ``weekday + 1``, calendar months are ``add_months`` (the month end
  clamps as in DuckDB and Python: 31 January + 1 month = 28/29 February);
- there is no 128-bit integer: the exact division works on ``DECIMAL(38,0)``, with ``div`` where the quotient
  fits 64 bits and an exact decimal division by a power of ten where it does not;
- a relation read more than once is stored as Parquet in the *stage* folder (``INSERT OVERWRITE DIRECTORY``) and
  read back through a temporary view with its declared column types; the others are temporary views. Nothing
  is written to a metastore;
- recursion: ``WITH RECURSIVE`` takes ``UNION ALL`` only (Spark 4.1 and later), so a row derived again is derived
  again and a cycle in the data would never end: every row carries its depth, a round stops at
  :data:`REC_LEVELS`, and the next round starts from the new rows found at that depth, until there are none
  (:class:`~oerlog.backends.sql.program.Rounds`; the script checks after round 1, the engine runs the others).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from oerlog.errors import UsageError
from oerlog.values import Value

SPARK_SETTINGS: tuple[tuple[str, str], ...] = (
    ("spark.sql.ansi.enabled", "true"),  # overflow and bad casts are errors, never NULL
    ("spark.sql.decimalOperations.allowPrecisionLoss", "false"),  # a product keeps s1 + s2 decimals, as DuckDB
    ("spark.sql.caseSensitive", "true"),  # p and P are two predicates, S and s two columns
    ("spark.sql.parser.escapedStringLiterals", "false"),  # literals are written with backslash escapes
    ("spark.sql.cteRecursionRowLimit", "-1"),  # recursion is bounded by its rounds' depth, not by a row count
)
"""The session settings the Spark SQL of a program relies on; a Spark script sets them first (``SET``)."""

REC_LEVELS = 32
"""How deep one round of a recursive relation goes on Spark (each level is a step of its own there: deeper rounds
build query plans Spark's status listener cannot walk)."""


class Dialect:
    """DuckDB's SQL: the reference the compiler writes, and what the other dialects change."""

    name = "duckdb"

    # -- names and values ------------------------------------------------------------------------------

    def quote(self, name: str) -> str:
        """A quoted identifier."""
        return '"' + name.replace('"', '""') + '"'

    def string(self, text: str) -> str:
        """A string literal."""
        return "'" + text.replace("'", "''") + "'"

    def literal(self, v: Value) -> str:
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
        return self.string(str(v))

    def type_name(self, sql_type: str) -> str:
        """A type as this dialect spells it (the compiler writes DuckDB's names)."""
        return sql_type

    def relation(self, schema: str, name: str) -> str:
        """The name of relation ``name`` of ``schema`` (an input or a derived relation) in a statement."""
        return f"{self.quote(schema)}.{self.quote(name)}"

    def alias(self, name: str) -> str:
        """A table alias that a correlated subquery names: one no column can be called (Spark resolves ``c.x``
        inside a subquery as field ``x`` of a column ``c`` before it looks for an outer table ``c``)."""
        return name

    # -- expressions -----------------------------------------------------------------------------------

    def add_days(self, d: str, n: str) -> str:
        """Date ``d`` moved by ``n`` days (n may be negative)."""
        return f"CAST({d} + CAST({n} AS INTEGER) AS DATE)"

    def sub_days(self, d: str, n: str) -> str:
        """Date ``d`` moved back by ``n`` days."""
        return f"CAST(({d}) - CAST({n} AS INTEGER) AS DATE)"

    def add_weeks(self, d: str, n: str) -> str:
        """Date ``d`` moved by ``n`` weeks."""
        return f"CAST({d} + 7 * CAST({n} AS INTEGER) AS DATE)"

    def add_months(self, d: str, n: str) -> str:
        """Date ``d`` moved by ``n`` calendar months (a month end clamps: 31 January + 1 = 28/29 February)."""
        return f"CAST({d} + to_months(CAST({n} AS INTEGER)) AS DATE)"

    def days_between(self, a: str, b: str) -> str:
        """The number of days from ``a`` to ``b`` (``b - a``)."""
        return f"CAST(({b}) - ({a}) AS BIGINT)"

    def weekday(self, d: str) -> str:
        """ISO day of the week: 1 Monday ... 7 Sunday."""
        return f"CAST(isodow({d}) AS BIGINT)"

    def truncate(self, x: str, n: int) -> str:
        """``x`` cut to ``n`` decimals, towards zero."""
        return f"trunc({x}, {n})"

    def text(self, x: str) -> str:
        """``x`` as text."""
        return f"CAST({x} AS VARCHAR)"

    # exact division (see oerlog.backends.sql.exprs.div_select): 128-bit integers and their division
    big = "HUGEINT"

    def div_small(self, a: str, b: str) -> str:
        """``a // b`` of non-negative integers whose quotient fits in 64 bits."""
        return f"{a} // {b}"

    def div_pow10(self, a: str, p: str) -> str:
        """``a // p`` of a non-negative integer below 10^30 by a power of ten from 10^2 to 10^12."""
        return f"{a} // {p}"

    # -- statements ------------------------------------------------------------------------------------

    def create(
        self, schema: str, name: str, body: str, *, view: bool, columns: Sequence[tuple[str, str]], sep: str = "\n"
    ) -> list[str]:
        """The statements making relation ``name`` from the query ``body``: a view, or stored (``columns``: its
        columns with their SQL types, DuckDB's names)."""
        kind = "VIEW" if view else "TABLE"
        return [f"CREATE OR REPLACE {kind} {self.relation(schema, name)} AS{sep}{body}"]

    def setup(self, schema: str) -> list[str]:
        """The statements a script starts with."""
        return [f"CREATE SCHEMA IF NOT EXISTS {self.quote(schema)}"]


class SparkDialect(Dialect):
    """Spark SQL (Apache Spark 4.1 or later), with the relations of a run stored under ``stage``: a folder (or
    any path Spark can write) that the driver and every executor can reach."""

    name = "spark"

    def __init__(self, stage: str = "oerlog-stage") -> None:
        self.stage = stage.rstrip("/") or "/"

    def quote(self, name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def string(self, text: str) -> str:
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def type_name(self, sql_type: str) -> str:
        if sql_type == "VARCHAR":
            return "STRING"
        if sql_type == "HUGEINT":
            return "DECIMAL(38,0)"
        return sql_type

    def relation(self, schema: str, name: str) -> str:
        # temporary views: one name, no database (nothing is written to a metastore); Spark keeps the names of
        # temporary views in lower case whatever the settings say, so an upper-case letter is written ^ and its
        # lower case: notWaived and notwaived stay two relations
        return self.quote(f"{schema}__{fold(name)}")

    def alias(self, name: str) -> str:
        return self.quote(name + "$")  # no field of the vocabulary, no variable is called that

    def path(self, *parts: str) -> str:
        """A path under the stage folder."""
        return "/".join([self.stage, *parts])

    def input_path(self, name: str) -> str:
        """Where the validated rows of input relation ``name`` are, as one Parquet file (Spark skips files whose
        names start with ``_`` or ``.``: the name gets a prefix)."""
        return self.path("input", f"in-{fold(name)}.parquet")

    def add_days(self, d: str, n: str) -> str:
        return f"date_add({d}, CAST({n} AS INT))"

    def sub_days(self, d: str, n: str) -> str:
        return f"date_sub({d}, CAST({n} AS INT))"

    def add_weeks(self, d: str, n: str) -> str:
        return f"date_add({d}, 7 * CAST({n} AS INT))"

    def add_months(self, d: str, n: str) -> str:
        return f"add_months({d}, CAST({n} AS INT))"

    def days_between(self, a: str, b: str) -> str:
        return f"CAST(datediff({b}, {a}) AS BIGINT)"

    def weekday(self, d: str) -> str:
        return f"CAST(weekday({d}) + 1 AS BIGINT)"

    def truncate(self, x: str, n: int) -> str:
        return f"CASE WHEN {x} < 0 THEN ceil({x}, {n}) ELSE floor({x}, {n}) END"

    def text(self, x: str) -> str:
        return f"CAST({x} AS STRING)"

    big = "DECIMAL(38,0)"

    def div_small(self, a: str, b: str) -> str:
        return f"{a} div {b}"  # a BIGINT (an error, never a wrong value, beyond 64 bits: ANSI mode)

    def div_pow10(self, a: str, p: str) -> str:
        # (a - a mod p) / p is exact; the divisor as DECIMAL(13,0) leaves the quotient type 32 integer digits
        return f"CAST((({a}) - ({a}) % ({p})) / CAST({p} AS DECIMAL(13,0)) AS DECIMAL(38,0))"

    def create(
        self, schema: str, name: str, body: str, *, view: bool, columns: Sequence[tuple[str, str]], sep: str = "\n"
    ) -> list[str]:
        rel = self.relation(schema, name)
        if view:
            return [f"CREATE OR REPLACE TEMPORARY VIEW {rel} AS\n{body}"]
        return self.store(self.path(schema, fold(name)), rel, body, columns)

    def store(self, path: str, rel: str, body: str, columns: Sequence[tuple[str, str]]) -> list[str]:
        """Write the rows of ``body`` as Parquet to ``path`` and make ``rel`` a view on them (typed as
        ``columns``, so that an empty relation has its columns too)."""
        return [
            f"INSERT OVERWRITE DIRECTORY {self.string(path)} USING parquet\n{body}",
            self.read(rel, path, columns),
        ]

    def read(self, rel: str, path: str, columns: Sequence[tuple[str, str]]) -> str:
        """A temporary view ``rel`` on the Parquet files at ``path`` with the given columns."""
        cols = ", ".join(f"{self.quote(c)} {self.type_name(t)}" for c, t in columns) or "`_one` INT"
        return f"CREATE OR REPLACE TEMPORARY VIEW {rel} ({cols}) USING parquet OPTIONS (path {self.string(path)})"

    def setup(self, schema: str) -> list[str]:
        return [f"SET {k}={v}" for k, v in SPARK_SETTINGS]


def fold(name: str) -> str:
    """``name`` without upper-case letters, one to one: ``X`` becomes ``^x``."""
    return "".join("^" + c.lower() if c.isupper() else c for c in name)


DUCKDB = Dialect()


def dialect_for(name: str, stage: str | None = None) -> Dialect:
    """The dialect a program is compiled in: ``duckdb``, or ``spark`` (storing under ``stage``)."""
    if name == "duckdb":
        return DUCKDB
    if name == "spark":
        return SparkDialect(stage or "oerlog-stage")
    raise UsageError(f"no SQL dialect {name!r}", value=name, example="--dialect spark")


def transpile(sql: str, dialect: str) -> str:
    """The DuckDB script in another dialect (``trino``) via sqlglot; ``duckdb`` returns it as is. Translated text
    is parsed, never run: a construct sqlglot cannot carry over is an error, not dropped."""
    if dialect == "duckdb":
        return sql
    try:
        import sqlglot  # deferred: an optional dependency, needed only for --dialect trino
        from sqlglot.errors import ErrorLevel, UnsupportedError
    except ImportError:
        raise UsageError(
            f"--dialect {dialect} needs sqlglot", value=dialect, hint="pip install sqlglot", example="--dialect duckdb"
        ) from None
    header = "\n".join(line for line in sql.splitlines() if line.startswith("--"))
    body = "\n".join(line for line in sql.splitlines() if not line.startswith("--"))
    try:
        out = sqlglot.transpile(body, read="duckdb", write=dialect, pretty=False, unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as exc:
        raise UsageError(
            f"the program cannot be written in {dialect} SQL without changing its meaning: {exc}",
            value=dialect,
            example="--dialect spark",
        ) from None
    return header + "\n" + ";\n".join(out) + ";\n"
