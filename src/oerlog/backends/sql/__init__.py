"""The SQL back end: an evaluation :class:`~oerlog.semantics.plan.Plan` as SQL (DuckDB dialect, kept close to ANSI).

The same plan the pyDatalog engine runs becomes a sequence of ``CREATE TABLE ... AS SELECT`` statements, one per
derived predicate (one per recursive component), lowest stratum first.

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
- Column types are the front end's (:mod:`oerlog.lang.types`), mapped to SQL types. Numbers are exact:
  ``DECIMAL``, never ``DOUBLE``. Division (``/``, ``mean``, ``wmean``) is done in 128-bit integer arithmetic and
  rounded half-even to 28 significant digits, the precision of Python's ``decimal`` module that the pyDatalog back
  end uses (exact for quotients of magnitude 0.1 up to 10^10).
- Working days use a calendar table (``_oerlog_calendar``) filled from :mod:`oerlog.values`.
- The same program compiles to Spark SQL (:class:`~oerlog.backends.sql.dialects.SparkDialect`), run by
  :mod:`oerlog.backends.spark`: the dialect writes what the engines do differently (names, literals, dates,
  128-bit integers, storing, recursion in rounds), the compiler the rest.

Whatever cannot be compiled (a type error, non-linear recursion, an unknown function) raises
:class:`SqlCompileError` naming the rule and its location.

Modules: :mod:`~oerlog.backends.sql.program` (the compiled program, its tables and statements, SQL literals),
:mod:`~oerlog.backends.sql.compile` (rules to statements), :mod:`~oerlog.backends.sql.exprs` (expressions,
functions, aggregates, exact division), :mod:`~oerlog.backends.sql.calendar` (working days),
:mod:`~oerlog.backends.sql.dialects` (DuckDB's SQL, Spark SQL, and Trino by translation).
"""

from oerlog.backends.sql.calendar import CALENDAR, calendar_sql
from oerlog.backends.sql.compile import compile_plan
from oerlog.backends.sql.dialects import DUCKDB, SPARK_SETTINGS, Dialect, SparkDialect, dialect_for, transpile
from oerlog.backends.sql.exprs import div_select
from oerlog.backends.sql.program import (
    INPUT_DECIMAL_SCALE,
    RULE_COLUMN,
    SQL_TYPES,
    RelSchema,
    Rounds,
    SqlCompileError,
    SqlProgram,
    Statement,
    quote,
    share_unchanged,
    sql_literal,
)

__all__ = [
    "CALENDAR",
    "DUCKDB",
    "SPARK_SETTINGS",
    "Dialect",
    "Rounds",
    "SparkDialect",
    "dialect_for",
    "INPUT_DECIMAL_SCALE",
    "RULE_COLUMN",
    "SQL_TYPES",
    "RelSchema",
    "SqlCompileError",
    "SqlProgram",
    "Statement",
    "calendar_sql",
    "compile_plan",
    "div_select",
    "quote",
    "share_unchanged",
    "sql_literal",
    "transpile",
]
