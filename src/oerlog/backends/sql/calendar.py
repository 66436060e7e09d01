"""Working days in SQL: the calendar table the compiled program reads (``_oerlog_calendar``: every day of the years
used, whether it is a working day, and the number of working days up to and including it), filled from
:mod:`oerlog.values` (Monday to Friday, not a Dutch public holiday), and the lookups the working-day functions
compile to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from oerlog.values import is_working_day

CALENDAR = "_oerlog_calendar"
WORKING_DAY_FUNCTIONS = ("add_working_days", "working_days_between", "is_working_day")


def calendar_sql(table: str, years: Iterable[int]) -> str:
    """``CREATE OR REPLACE TABLE table(day, working, idx)`` for the years given (two before, three after)."""
    ys = list(years)
    start, end = dt.date(min(ys) - 2, 1, 1), dt.date(max(ys) + 3, 12, 31)
    off: list[dt.date] = []
    d = start
    while d <= end:
        if d.weekday() < 5 and not is_working_day(d):
            off.append(d)
        d += dt.timedelta(days=1)
    holidays = ", ".join(f"(DATE '{h.isoformat()}')" for h in off) or "(CAST(NULL AS DATE))"
    return (
        f"CREATE OR REPLACE TABLE {table} AS WITH days AS (SELECT CAST(x AS DATE) AS day FROM "
        f"range(DATE '{start.isoformat()}', DATE '{end.isoformat()}' + INTERVAL 1 DAY, INTERVAL 1 DAY) AS t(x)), "
        f"off(day) AS (VALUES {holidays}), "
        f"w AS (SELECT day, isodow(day) < 6 AND day NOT IN (SELECT day FROM off WHERE day IS NOT NULL) AS working "
        f"FROM days) "
        f"SELECT day, working, CAST(sum(CASE WHEN working THEN 1 ELSE 0 END) OVER (ORDER BY day) AS BIGINT) AS idx "
        f"FROM w ORDER BY day"
    )


def working_day_lookup(fn: str, args: list[str], cal: str) -> str:
    """A working-day function as scalar subqueries on the calendar ``cal`` (inside an aggregate's subquery)."""
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


def working_day_join(fn: str, args: list[str], cal: str, joins: list[str], alias: Callable[[], str]) -> str:
    """A working-day function as LEFT JOINs on the calendar ``cal``, appended to the rule's ``joins`` (one row per
    day: no row is multiplied); ``alias`` names each joined copy."""

    def lookup(day: str) -> str:
        if not joins:
            joins.append("FROM (SELECT 1 AS one) AS t0")
        a = alias()
        joins.append(f"LEFT JOIN {cal} AS {a} ON {a}.day = {day}")
        return a

    if fn == "is_working_day":
        return f"{lookup(args[0])}.working"
    if fn == "working_days_between":
        return f"({lookup(args[1])}.idx - {lookup(args[0])}.idx)"
    d, k = args
    c0 = lookup(d)
    c1 = alias()
    n = f"CAST({k} AS BIGINT)"
    target = (
        f"CASE WHEN {n} > 0 THEN {c0}.idx + {n} ELSE {c0}.idx - CASE WHEN {c0}.working THEN 1 ELSE 0 END + {n} + 1 END"
    )
    joins.append(f"LEFT JOIN {cal} AS {c1} ON {c1}.working AND {c1}.idx = {target}")
    return f"CASE WHEN {n} = 0 THEN {d} ELSE {c1}.day END"
