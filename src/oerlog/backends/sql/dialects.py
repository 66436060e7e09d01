"""The compiled script in other SQL dialects (Spark, Trino, ...), translated from DuckDB's by sqlglot."""

from __future__ import annotations

from oerlog.errors import UsageError


def transpile(sql: str, dialect: str) -> str:
    """The DuckDB script in another dialect (``spark``, ``trino``) via sqlglot; ``duckdb`` returns it as is."""
    if dialect == "duckdb":
        return sql
    try:
        import sqlglot  # deferred: an optional dependency, needed only for --dialect
    except ImportError:
        raise UsageError(
            f"--dialect {dialect} needs sqlglot", value=dialect, hint="pip install sqlglot", example="--dialect duckdb"
        ) from None
    header = "\n".join(line for line in sql.splitlines() if line.startswith("--"))
    body = "\n".join(line for line in sql.splitlines() if not line.startswith("--"))
    out = sqlglot.transpile(body, read="duckdb", write=dialect, pretty=False)
    return header + "\n" + ";\n".join(out) + ";\n"
