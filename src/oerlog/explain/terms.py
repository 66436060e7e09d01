"""Terms in days, weeks, months and working days, told as a clerk would: the start, the days not counted
(weekends, each public holiday by name) and the last day ("uiterlijk maandag 11 mei 2020: 10 werkdagen na vrijdag
24 april 2020; het weekend, Koningsdag en Bevrijdingsdag niet meegeteld").

The working days are those of :func:`oerlog.values.is_working_day` (Monday to Friday, not a Dutch public holiday,
Bevrijdingsdag every year), so the days named here are exactly the days the rules skipped.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from oerlog.explain.words import Phrasing
from oerlog.values import is_working_day

DATE_FUNCTIONS = ("add_days", "add_weeks", "add_months", "add_working_days")
COUNT_FUNCTIONS = ("days_between", "working_days_between")


@lru_cache(maxsize=32)
def _holiday_names(year: int, lang: str) -> dict[dt.date, str]:
    import holidays  # deferred: needed only when a term in working days is explained

    names = dict(holidays.country_holidays("NL", years=year, language="nl" if lang == "nl" else "en_US"))
    names.setdefault(dt.date(year, 5, 5), "Bevrijdingsdag" if lang == "nl" else "Liberation Day")
    return names


def skipped_days(first: dt.date, last: dt.date, lang: str) -> tuple[int, list[tuple[dt.date, str]]]:
    """The days from ``first`` to ``last`` (both included) that are not working days: (the number of weekends
    they touch, the public holidays on a weekday with their names)."""
    weekends = 0
    holidays: list[tuple[dt.date, str]] = []
    day = first
    while day <= last:
        if day.weekday() >= 5:
            if day.weekday() == 5 or day == first:
                weekends += 1
        elif not is_working_day(day):
            holidays.append((day, _holiday_names(day.year, lang).get(day, "feestdag" if lang == "nl" else "holiday")))
        day += dt.timedelta(days=1)
    return weekends, holidays


def _join(parts: list[str], lang: str) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + (" en " if lang == "nl" else " and ") + parts[-1]


def not_counted(ph: Phrasing, first: dt.date, last: dt.date) -> str:
    """``het weekend, Koningsdag (maandag 27 april 2020) en Bevrijdingsdag (dinsdag 5 mei 2020) niet meegeteld``;
    empty when every day in between is a working day."""
    weekends, holidays = skipped_days(first, last, ph.lang)
    parts: list[str] = []
    if weekends:
        if ph.nl:
            parts.append("het weekend" if weekends == 1 else f"{weekends} weekenden")
        else:
            parts.append("the weekend" if weekends == 1 else f"{weekends} weekends")
    parts += [f"{name} ({ph.date(day, weekday=True)})" for day, name in holidays]
    if not parts:
        return ""
    return _join(parts, ph.lang) + (" niet meegeteld" if ph.nl else " not counted")


def _unit(n: int, func: str, lang: str) -> str:
    nl = {"add_days": ("dag", "dagen"), "add_weeks": ("week", "weken"), "add_months": ("maand", "maanden")}
    en = {"add_days": ("day", "days"), "add_weeks": ("week", "weeks"), "add_months": ("month", "months")}
    nl["add_working_days"] = ("werkdag", "werkdagen")
    en["add_working_days"] = ("working day", "working days")
    one, many = (nl if lang == "nl" else en)[func]
    return one if abs(n) == 1 else many


def term(ph: Phrasing, func: str, start: dt.date, n: int, end: dt.date) -> str:
    """The computation of ``end = func(start, n)`` as a clerk states it: ``10 werkdagen na vrijdag 24 april 2020;
    het weekend, Koningsdag (...) en Bevrijdingsdag (...) niet meegeteld``."""
    if n == 0:
        return ph.date(start, weekday=True)
    after = n > 0
    word = ("na" if after else "vóór") if ph.nl else ("after" if after else "before")
    text = f"{abs(n)} {_unit(n, func, ph.lang)} {word} {ph.date(start, weekday=True)}"
    if func == "add_working_days":
        first, last = (start + dt.timedelta(days=1), end) if after else (end, start - dt.timedelta(days=1))
        skipped = not_counted(ph, first, last)
        if skipped:
            text += "; " + skipped
    return text


def deadline(ph: Phrasing, func: str, start: dt.date, n: int, end: dt.date) -> str:
    """``uiterlijk maandag 11 mei 2020: 10 werkdagen na vrijdag 24 april 2020; ... niet meegeteld``."""
    return f"{'uiterlijk' if ph.nl else 'by'} {ph.date(end, weekday=True)}: {term(ph, func, start, n, end)}"


def count_between(ph: Phrasing, func: str, a: dt.date, b: dt.date, n: int) -> str:
    """``9 werkdagen na vrijdag 24 april 2020 tot en met donderdag 7 mei 2020; ... niet meegeteld``."""
    if func == "working_days_between":
        unit = ("werkdag" if n == 1 else "werkdagen") if ph.nl else ("working day" if n == 1 else "working days")
    else:
        unit = ("dag" if n == 1 else "dagen") if ph.nl else ("day" if n == 1 else "days")
    span = f"{ph.date(a, weekday=True)} {'tot en met' if ph.nl else 'up to and including'} {ph.date(b, weekday=True)}"
    text = f"{n} {unit} {'na' if ph.nl else 'after'} {span}"
    if func == "working_days_between" and b > a:
        skipped = not_counted(ph, a + dt.timedelta(days=1), b)
        if skipped:
            text += "; " + skipped
    return text
