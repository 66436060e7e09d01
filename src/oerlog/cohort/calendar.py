"""The working-day calendar of a cohort run: the years its inputs and parameters mention, filled into the
``input`` schema for the compiled program to read (:mod:`oerlog.backends.sql.calendar`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from oerlog.backends.sql import CALENDAR, calendar_sql, quote
from oerlog.cohort.inputs import INPUT_SCHEMA
from oerlog.kb.vocabulary import Vocabulary
from oerlog.values import Value


def create_calendar(con: Any, years: Iterable[int]) -> None:
    """``input._oerlog_calendar(day, working, idx)`` for the years given (two before, three after): whether each
    day is a working day (Monday-Friday, not a Dutch public holiday) and the working days up to and including it."""
    con.execute(calendar_sql(f"{quote(INPUT_SCHEMA)}.{CALENDAR}", years))


def calendar_years(
    con: Any,
    voc: Vocabulary,
    loaded: Iterable[str],
    params: Mapping[str, Value | None],
    reference_date: dt.date | None,
) -> set[int]:
    """The years the loaded input relations' dates, the date parameters and the reference date fall in (this year
    when there are none)."""
    years: set[int] = set()
    for name in loaded:
        rel = voc.relations.get(name)
        if rel is None:  # the facts an export states false (_false_<relation>): dates of the same records
            continue
        for fl in rel.fields:
            if fl.type == "date":
                lo, hi = con.execute(
                    f"SELECT min({quote(fl.name)}), max({quote(fl.name)}) FROM {quote(INPUT_SCHEMA)}.{quote(name)}"
                ).fetchone()
                if lo is not None:
                    years.update((lo.year, hi.year))
    for v in params.values():
        if isinstance(v, dt.date):
            years.add(v.year)
    if reference_date:
        years.add(reference_date.year)
    if not years:
        years.add(dt.date.today().year)
    return years
