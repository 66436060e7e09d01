"""Values, their parsing and formatting, and the built-in functions of the rule language.

Numbers are exact: every decimal is a :class:`decimal.Decimal` (``5.45`` stays 5.45), whole numbers are ``int``.
Dates are :class:`datetime.date`. Strings are ``str``; ``true``/``false`` are ``bool``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

Value = str | int | Decimal | dt.date | bool

MONTHS_NL = [
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
]  # fmt: skip
MONTHS_EN = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip


class BuiltinTypeError(Exception):
    """A built-in met a value of the wrong type; the engine turns this into an EvaluationError."""


def to_number(v: object) -> Decimal | int | None:
    """``v`` as an exact number, or None. Floats go through their shortest repr (3.8 -> Decimal('3.8'))."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, Decimal):
        return v
    if isinstance(v, float):
        return normalize(Decimal(repr(v)))
    if isinstance(v, str):
        s = v.strip().replace(",", ".")
        if not NUMBER_TEXT.fullmatch(s):  # Decimal() would also read 1e3, 1_000, NaN and non-ASCII digits
            return None
        try:
            d = Decimal(s)
        except InvalidOperation:
            return None
        return normalize(d)
    return None


# what a number or date written in a case file, a CSV export or a --param may look like (after strip(), with a
# decimal comma read as a point); the SQL back end's checks (oerlog.cohort.validate) follow the same patterns
NUMBER_TEXT = re.compile(r"[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)")
DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# --- what an id or a text value may hold -------------------------------------------------------------------------
# One rule for case files and cohort exports (the SQL back end mirrors it with the same ranges, see char_class):
# - no text value (id or string) holds a control or invisible character: C0 controls U+0000-U+001F (tab, newline,
#   carriage return, ESC ...), DEL and the C1 controls U+007F-U+009F, zero-width characters and direction marks
#   U+200B-U+200F, line/paragraph separators and bidi embeddings/overrides U+2028-U+202E, word joiner and bidi
#   isolates U+2060-U+2069, and the byte-order mark / zero-width no-break space U+FEFF;
# - an id is not empty, neither starts nor ends with a space character (U+0020, U+00A0, U+1680, U+2000-U+200A,
#   U+202F, U+205F, U+3000; the other white space is in the ranges above), and does not start with = + - @ (a
#   spreadsheet reads such a cell as a formula; tab and carriage return, the other formula triggers, are controls).
CONTROL_RANGES: tuple[tuple[int, int], ...] = (
    (0x00, 0x1F),
    (0x7F, 0x9F),
    (0x200B, 0x200F),
    (0x2028, 0x202E),
    (0x2060, 0x2069),
    (0xFEFF, 0xFEFF),
)
EDGE_SPACE_RANGES: tuple[tuple[int, int], ...] = (
    (0x20, 0x20),
    (0xA0, 0xA0),
    (0x1680, 0x1680),
    (0x2000, 0x200A),
    (0x202F, 0x202F),
    (0x205F, 0x205F),
    (0x3000, 0x3000),
)
FORMULA_PREFIXES = "=+-@"


def char_class(ranges: tuple[tuple[int, int], ...], syntax: str = "python") -> str:
    """A regular-expression character class of ``ranges``: ``python`` (``re``) or ``re2`` (DuckDB's
    ``regexp_matches``), e.g. ``[\\x{0}-\\x{1f}...]``."""

    def ch(c: int) -> str:
        return f"\\x{{{c:x}}}" if syntax == "re2" else f"\\U{c:08x}"

    return "[" + "".join(ch(a) if a == b else f"{ch(a)}-{ch(b)}" for a, b in ranges) + "]"


_CONTROL = re.compile(char_class(CONTROL_RANGES))
_EDGE_SPACE = re.compile(char_class(EDGE_SPACE_RANGES))


def text_problem(text: str, lang: str = "en") -> str | None:
    """Why ``text`` cannot be a text value (it holds a control or invisible character), or None; in ``lang``."""
    m = _CONTROL.search(text)
    if m is None:
        return None
    if lang == "nl":
        return f"bevat het stuur- of onzichtbare teken U+{ord(m.group()):04X} op positie {m.start() + 1}"
    return f"holds the control or invisible character U+{ord(m.group()):04X} at position {m.start() + 1}"


def id_problem(text: str, lang: str = "en") -> str | None:
    """Why ``text`` cannot be an identifier, or None: empty, a control or invisible character, a space at either
    end, or a first character that makes a spreadsheet read it as a formula (see ``FORMULA_PREFIXES``); in
    ``lang``."""
    nl = lang == "nl"
    if not text:
        return "een identificatie kan niet leeg zijn" if nl else "an identifier cannot be empty"
    problem = text_problem(text, lang)
    if problem:
        return ("een identificatie " if nl else "an identifier ") + problem
    if _EDGE_SPACE.match(text[0]) or _EDGE_SPACE.match(text[-1]):
        if nl:
            return "een identificatie kan niet met een spatie beginnen of eindigen"
        return "an identifier cannot start or end with a space"
    if text[0] in FORMULA_PREFIXES:
        if nl:
            return f"een identificatie kan niet met {text[0]!r} beginnen (een spreadsheet leest dat als formule)"
        return f"an identifier cannot start with {text[0]!r} (a spreadsheet would read it as a formula)"
    return None


def normalize(d: Decimal) -> Decimal | int:
    """Whole decimals written without a fraction become int; others keep their digits (4.0 stays 4.0)."""
    return d


def parse_date(s: str) -> dt.date | None:
    """ISO date ``YYYY-MM-DD``; None when malformed or not a real day (2025-02-30). Other ISO 8601 forms that
    ``date.fromisoformat`` reads (``20250901``, ``2025-W36-1``) are refused: a vocabulary date is written one way."""
    text = s.strip()
    if not DATE_TEXT.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def format_value(v: object, lang: str = "nl") -> str:
    """Render a value for people: decimal comma in Dutch, '1 september 2025' / '1 September 2025'."""
    if isinstance(v, bool):
        return ("ja" if v else "nee") if lang == "nl" else ("yes" if v else "no")
    if isinstance(v, Decimal):
        s = format(v, "f")
        return s.replace(".", ",") if lang == "nl" else s
    if isinstance(v, dt.date):
        months = MONTHS_NL if lang == "nl" else MONTHS_EN
        return f"{v.day} {months[v.month - 1]} {v.year}"
    return str(v)


def format_count(n: int, lang: str = "nl") -> str:
    """A count for people: ``304.555`` in Dutch, ``304,555`` in English."""
    s = f"{n:,}"
    return s.replace(",", ".") if lang == "nl" else s


def counted(n: int, one: str, many: str, lang: str = "nl") -> str:
    """``n`` with the singular or plural noun: ``1 resultaat``, ``2 resultaten``, ``0 resultaten``."""
    return f"{format_count(n, lang)} {one if n == 1 else many}"


def format_literal(v: object) -> str:
    """Render a value as rule-language source text (the inverse of the parser)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, (int, dt.date)):
        return str(v) if not isinstance(v, dt.date) else v.isoformat()
    s = str(v)
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- values in JSON: one JSON type per kind of value ---------------------------------------------------------------
# Every JSON output (query, batch, whatif, coverage, docs, impact, explanations, dossiers) writes a value by its
# kind, as src/oerlog/schemas/ states: a decimal (grade, EC, decimal) as a string in plain notation with a decimal
# point and at least one decimal ("4.3", "6.0", "5.45": never the number 6), an integer as a number, a date as an
# ISO string ("2025-09-01"), a boolean as a boolean, an id or text as a string, nothing as null.

DECIMAL_KINDS = frozenset({"dec", "decimal", "grade", "ec"})  # type classes and vocabulary type names
INTEGER_KINDS = frozenset({"int", "integer"})
JSON_DECIMAL_PATTERN = r"^-?[0-9]+\.[0-9]+$"  # what a decimal looks like in JSON (the schemas' "decimal")


def decimal_text(d: Decimal | int) -> str:
    """A decimal in plain notation with at least one decimal, trailing zeros dropped: ``5.50`` -> ``"5.5"``,
    ``6`` -> ``"6.0"``, ``5.45`` -> ``"5.45"``, ``1E+1`` -> ``"10.0"``."""
    s = format(Decimal(d), "f")
    if "." not in s:
        return s + ".0"
    s = s.rstrip("0")
    return s + "0" if s.endswith(".") else s


def json_value(v: object, kind: str | None = None) -> object:
    """``v`` as JSON data, by its kind (a type class ``dec`` / ``int`` / ``date`` / ``bool`` / ``str`` or a
    vocabulary type name ``grade``, ``integer`` ...; None: from the Python value): a decimal as a string
    (:func:`decimal_text`, also a whole number of a decimal kind: ``"6.0"``), an integer as a number (also a whole
    Decimal of an integer kind), a date ISO, a boolean as a boolean, text as a string, None as null."""
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, (int, Decimal)):
        if kind in DECIMAL_KINDS or (isinstance(v, Decimal) and kind not in INTEGER_KINDS):
            return decimal_text(v)
        if isinstance(v, Decimal) and v != v.to_integral_value():
            return decimal_text(v)  # a fraction in an integer column (never from a checked document): kept exact
        return int(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    return v if isinstance(v, str) else str(v)


def json_row(row: Sequence[object], kinds: Sequence[str | None] = ()) -> list[object]:
    """A row of values as JSON data, each by the kind of its column (``kinds``; missing: from the value)."""
    return [json_value(v, kinds[i] if i < len(kinds) else None) for i, v in enumerate(row)]


def plain_text(v: object) -> str:
    """A value as plain text in the notation JSON and CSV use: ``5.5``, ``2025-09-01``, ``true``, the text itself."""
    data = json_value(v)
    if isinstance(data, bool):
        return "true" if data else "false"
    return "" if data is None else str(data)


def type_name(v: object) -> str:
    """The rule-language type of a value."""
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, Decimal)):
        return "number"
    if isinstance(v, dt.date):
        return "date"
    return "string"


# --- dates -------------------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _nl_holidays(year: int) -> frozenset[dt.date]:
    import holidays  # deferred: about 60 ms to import, needed only by rules that count working days

    days = set(holidays.country_holidays("NL", years=year).keys())
    days.add(dt.date(year, 5, 5))  # Bevrijdingsdag: a day off at Dutch universities every year
    return frozenset(days)


def is_working_day(d: dt.date) -> bool:
    """Monday–Friday and not a Dutch public holiday."""
    return d.weekday() < 5 and d not in _nl_holidays(d.year)


def add_working_days(d: dt.date, n: int) -> dt.date:
    """The date ``n`` working days after ``d`` (before when n < 0); n = 0 gives d itself."""
    step = 1 if n >= 0 else -1
    left = abs(n)
    cur = d
    while left:
        cur += dt.timedelta(days=step)
        if is_working_day(cur):
            left -= 1
    return cur


def working_days_between(a: dt.date, b: dt.date) -> int:
    """Working days in (a, b] (negative when b < a)."""
    if b < a:
        return -working_days_between(b, a)
    n = 0
    cur = a
    while cur < b:
        cur += dt.timedelta(days=1)
        if is_working_day(cur):
            n += 1
    return n


def add_months(d: dt.date, n: int) -> dt.date:
    """Calendar months; the day clamps to the end of a shorter month."""
    m = d.month - 1 + n
    y = d.year + m // 12
    m = m % 12 + 1
    return dt.date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def academic_year(d: dt.date) -> int:
    """Start year of the studiejaar (1 September – 31 August) containing d."""
    return d.year if d.month >= 9 else d.year - 1


# --- built-in functions ------------------------------------------------------------------------------


def _num(v: object, fn: str) -> Decimal | int:
    if isinstance(v, bool) or not isinstance(v, (int, Decimal)):
        raise BuiltinTypeError(f"{fn} expects a number, got {type_name(v)} {format_literal(v)}")
    return v


def _int(v: object, fn: str) -> int:
    n = _num(v, fn)
    if isinstance(n, Decimal):
        if n != n.to_integral_value():
            raise BuiltinTypeError(f"{fn} expects a whole number, got {n}")
        return int(n)
    return n


def _date(v: object, fn: str) -> dt.date:
    if not isinstance(v, dt.date):
        raise BuiltinTypeError(f"{fn} expects a date, got {type_name(v)} {format_literal(v)}")
    return v


def _abs(a: object) -> Decimal | int:
    n = _num(a, "abs")
    return -n if n < 0 else n


def _round_half_up(x: object, n: object) -> Decimal:
    q = Decimal(1).scaleb(-_int(n, "round_half_up"))
    return Decimal(_num(x, "round_half_up")).quantize(q, rounding=ROUND_HALF_UP)


def _truncate(x: object, n: object) -> Decimal:
    q = Decimal(1).scaleb(-_int(n, "truncate"))
    return Decimal(_num(x, "truncate")).quantize(q, rounding=ROUND_DOWN)


FUNCTIONS: dict[str, tuple[int, Callable[..., Value]]] = {
    "add_days": (2, lambda d, n: _date(d, "add_days") + dt.timedelta(days=_int(n, "add_days"))),
    "add_weeks": (2, lambda d, n: _date(d, "add_weeks") + dt.timedelta(weeks=_int(n, "add_weeks"))),
    "add_months": (2, lambda d, n: add_months(_date(d, "add_months"), _int(n, "add_months"))),
    "add_working_days": (
        2,
        lambda d, n: add_working_days(_date(d, "add_working_days"), _int(n, "add_working_days")),
    ),
    "days_between": (2, lambda a, b: (_date(b, "days_between") - _date(a, "days_between")).days),
    "working_days_between": (
        2,
        lambda a, b: working_days_between(_date(a, "working_days_between"), _date(b, "working_days_between")),
    ),
    "weekday": (1, lambda d: _date(d, "weekday").isoweekday()),
    "is_working_day": (1, lambda d: is_working_day(_date(d, "is_working_day"))),
    "academic_year": (1, lambda d: academic_year(_date(d, "academic_year"))),
    "round_half_up": (2, _round_half_up),
    "truncate": (2, _truncate),
    "least": (2, lambda a, b: a if _cmp("<=", a, b) else b),
    "greatest": (2, lambda a, b: a if _cmp(">=", a, b) else b),
    "abs": (1, lambda a: _abs(a)),
}


def arith(op: str, a: object, b: object) -> Value:
    """``a op b`` for + - * /. Numbers with numbers; date - date gives days; date +/- int gives a date."""
    if isinstance(a, dt.date) or isinstance(b, dt.date):
        if op == "-" and isinstance(a, dt.date) and isinstance(b, dt.date):
            return (a - b).days
        if op in "+-" and isinstance(a, dt.date):
            n = _int(b, op)
            return a + dt.timedelta(days=n if op == "+" else -n)
        raise BuiltinTypeError(f"cannot compute {format_literal(a)} {op} {format_literal(b)}")
    x, y = _num(a, op), _num(b, op)
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if y == 0:
        raise BuiltinTypeError(f"division by zero: {format_literal(a)} / {format_literal(b)}")
    q = Decimal(x) / Decimal(y)
    return int(q) if q == q.to_integral_value() and isinstance(x, int) and isinstance(y, int) else q


def _comparable(a: object, b: object) -> bool:
    ta, tb = type_name(a), type_name(b)
    return ta == tb


def _cmp(op: str, a: object, b: object) -> bool:
    if op == "=":
        return bool(a == b and _comparable(a, b))
    if op == "!=":
        return not (a == b and _comparable(a, b))
    if not _comparable(a, b) or isinstance(a, bool):
        raise BuiltinTypeError(
            f"cannot compare {type_name(a)} {format_literal(a)} with {type_name(b)} {format_literal(b)}"
        )
    if op == "<":
        return a < b  # type: ignore[operator,no-any-return]
    if op == "<=":
        return a <= b  # type: ignore[operator,no-any-return]
    if op == ">":
        return a > b  # type: ignore[operator,no-any-return]
    if op == ">=":
        return a >= b  # type: ignore[operator,no-any-return]
    raise BuiltinTypeError(f"unknown comparison {op}")


compare = _cmp

AGGREGATES = {"count": 0, "sum": 1, "min": 1, "max": 1, "mean": 1, "wmean": 2}


def aggregate(func: str, rows: list[tuple[Value, ...]]) -> Value | None:
    """Compute an aggregate over rows of argument values; None when undefined (empty min/max/mean)."""
    if func == "count":
        return len(rows)
    if func == "sum":
        total: Decimal | int = 0
        for (v,) in rows:
            total = total + _num(v, "sum")
        return total
    if not rows:
        return None
    if func == "min":
        return min((r[0] for r in rows), key=_sort_key)
    if func == "max":
        return max((r[0] for r in rows), key=_sort_key)
    if func == "mean":
        s = sum((Decimal(_num(v, "mean")) for (v,) in rows), Decimal(0))
        return s / len(rows)
    if func == "wmean":
        num = sum((Decimal(_num(v, "wmean")) * Decimal(_num(w, "wmean")) for v, w in rows), Decimal(0))
        den = sum((Decimal(_num(w, "wmean")) for _, w in rows), Decimal(0))
        if den == 0:
            return None
        return num / den
    raise BuiltinTypeError(f"unknown aggregate {func}")


def _sort_key(v: object) -> tuple[int, object]:
    order = {"number": 0, "date": 1, "string": 2, "boolean": 3}
    return (order[type_name(v)], v)


sort_key = _sort_key
