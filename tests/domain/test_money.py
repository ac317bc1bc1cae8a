"""Money: integer cents in, exact decimal strings out, floats refused."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medledger.domain.errors import FloatAmount, InvalidAmount
from medledger.domain.money import AMOUNT_PATTERN, MAX_CENTS, format_cents, to_cents


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("12.50", 1250),
        ("12.5", 1250),
        ("$12.50", 1250),
        ("12", 1200),
        (".5", 50),
        ("1,234.56", 123456),
        ("-3.05", -305),
        (" 7.00 ", 700),
        ("0", 0),
        ("9999999999.99", MAX_CENTS),
        ("-$9,999,999,999.99", -MAX_CENTS),
        ("12.", 1200),
    ],
)
def test_decimal_strings_convert_exactly(text, cents):
    assert to_cents(text) == cents


@pytest.mark.parametrize("text", ["12.345", "1.2.3", "abc", "", "$", "12,34", "--1", "1e3"])
def test_malformed_strings_are_refused(text):
    with pytest.raises(InvalidAmount):
        to_cents(text)


def test_more_than_two_decimals_says_so():
    with pytest.raises(InvalidAmount, match="more than two decimals"):
        to_cents("0.125")


@pytest.mark.parametrize("value", [12.5, 0.1, float("nan")])
def test_floats_are_refused(value):
    with pytest.raises(FloatAmount, match="decimal string"):
        to_cents(value)


def test_bools_and_other_types_are_refused():
    for value in (True, None, [1]):
        with pytest.raises(InvalidAmount):
            to_cents(value)


def test_decimals_need_two_places_at_most():
    assert to_cents(Decimal("19.99")) == 1999
    with pytest.raises(InvalidAmount):
        to_cents(Decimal("19.999"))


@given(st.integers(min_value=-MAX_CENTS, max_value=MAX_CENTS))
def test_format_and_parse_round_trip(cents):
    assert to_cents(format_cents(cents)) == cents


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("10000000000", "more than 10 digits"),
        ("100000000000000000000", "more than 10 digits"),
        ("10,000,000,000.00", "more than 10 digits"),
        ("１２.５０", "digits 0-9"),
        ("²", "digits 0-9"),
        ("٣", "digits 0-9"),
        ("1e3", "like 12.50"),
    ],
)
def test_amounts_are_ascii_and_at_most_ten_digits_before_the_point(text, reason):
    with pytest.raises(InvalidAmount, match=reason):
        to_cents(text)


@pytest.mark.parametrize("value", [MAX_CENTS + 1, -MAX_CENTS - 1, 10**20])
def test_cents_are_bounded_too(value):
    with pytest.raises(InvalidAmount, match="too large"):
        to_cents(value)
    assert to_cents(value // abs(value) * MAX_CENTS) == value // abs(value) * MAX_CENTS


@pytest.mark.parametrize("value", [Decimal("Infinity"), Decimal("NaN"), Decimal("1E+30")])
def test_decimals_that_are_no_amount_are_refused(value):
    with pytest.raises(InvalidAmount):
        to_cents(value)


@given(st.text(max_size=24))
def test_any_text_is_an_amount_or_an_invalid_amount(text):
    """The one check: what it accepts is what the published pattern matches, and in bounds."""
    try:
        cents = to_cents(text)
    except InvalidAmount:
        return
    assert re.fullmatch(AMOUNT_PATTERN, text.strip())
    assert abs(cents) <= MAX_CENTS
