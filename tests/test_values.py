"""Values and built-in functions: exact decimals, Dutch formatting, dates and working days."""

import datetime as dt
from decimal import Decimal

import pytest

from oerlog.values import (
    FUNCTIONS,
    BuiltinTypeError,
    academic_year,
    add_months,
    add_working_days,
    aggregate,
    compare,
    format_value,
    is_working_day,
    to_number,
    working_days_between,
)


def test_float_input_becomes_exact_decimal():
    assert to_number(5.45) == Decimal("5.45")
    assert to_number("5,45") == Decimal("5.45")
    assert to_number(0.1) + to_number(0.2) == Decimal("0.3")  # no float surprise


def test_threshold_comparisons_are_exact():
    assert compare("<=", Decimal("5.4"), Decimal("5.4"))
    assert not compare("<=", Decimal("5.45"), Decimal("5.4"))
    assert compare(">=", Decimal("4.0"), 4)


def test_comparing_date_with_number_is_an_error():
    with pytest.raises(BuiltinTypeError):
        compare("<", dt.date(2025, 9, 1), 4)


def test_dutch_and_english_formatting():
    assert format_value(Decimal("3.8"), "nl") == "3,8"
    assert format_value(Decimal("3.8"), "en") == "3.8"
    assert format_value(dt.date(2025, 9, 1), "nl") == "1 september 2025"
    assert format_value(dt.date(2025, 9, 1), "en") == "1 September 2025"


def test_working_days_skip_weekends_and_dutch_holidays():
    # 24 Dec 2025 is a Wednesday; 25 and 26 Dec are holidays, 27-28 a weekend
    assert add_working_days(dt.date(2025, 12, 24), 1) == dt.date(2025, 12, 29)
    assert not is_working_day(dt.date(2026, 4, 27))  # Koningsdag
    assert not is_working_day(dt.date(2025, 5, 5))  # Bevrijdingsdag
    assert is_working_day(dt.date(2025, 9, 1))
    assert working_days_between(dt.date(2025, 12, 24), dt.date(2025, 12, 29)) == 1
    assert add_working_days(dt.date(2025, 12, 29), -1) == dt.date(2025, 12, 24)


def test_months_clamp_and_academic_year():
    assert add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2025, 11, 30), 3) == dt.date(2026, 2, 28)
    assert academic_year(dt.date(2026, 3, 1)) == 2025
    assert academic_year(dt.date(2025, 9, 1)) == 2025
    assert academic_year(dt.date(2025, 8, 31)) == 2024


def test_rounding_functions():
    round_half_up = FUNCTIONS["round_half_up"][1]
    truncate = FUNCTIONS["truncate"][1]
    assert round_half_up(Decimal("5.45"), 1) == Decimal("5.5")
    assert round_half_up(Decimal("5.449"), 1) == Decimal("5.4")
    assert round_half_up(Decimal("5.5"), 0) == Decimal("6")
    assert truncate(Decimal("5.459"), 2) == Decimal("5.45")


def test_aggregates():
    rows = [(Decimal("6"), Decimal("5")), (Decimal("8"), Decimal("15"))]
    assert aggregate("wmean", rows) == Decimal("7.5")
    assert aggregate("count", []) == 0
    assert aggregate("sum", []) == 0
    assert aggregate("min", []) is None
    assert aggregate("mean", [(Decimal("6"),), (Decimal("7"),)]) == Decimal("6.5")


def test_numbers_and_dates_are_written_one_way() -> None:
    """Decimal() and date.fromisoformat() read more than a vocabulary value may be: exponents, digit separators,
    NaN, non-ASCII digits and the ISO basic / week forms are refused (as the SQL back end refuses them)."""
    import datetime as dt
    from decimal import Decimal

    from oerlog.values import parse_date, to_number

    assert to_number(" 5,45 ") == Decimal("5.45") and to_number("+.5") == Decimal("0.5") and to_number("7") == 7
    for text in ("1e1", "1E1", "1_0", "NaN", "Infinity", "\u0663", "5.4.5", "", "0x10"):
        assert to_number(text) is None, text
    assert parse_date(" 2025-09-01\t") == dt.date(2025, 9, 1)
    for text in ("20250901", "2025-W36-1", "2025-9-1", "2025-02-30", "0000-01-01"):
        assert parse_date(text) is None, text
