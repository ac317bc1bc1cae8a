"""Money: integer cents in, exact decimal strings out, floats refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medledger.domain.errors import FloatAmount, InvalidAmount
from medledger.domain.money import format_cents, to_cents


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


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_format_and_parse_round_trip(cents):
    assert to_cents(format_cents(cents)) == cents
