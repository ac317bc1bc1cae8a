"""Amounts are exact: integer cents from decimal text, never through float."""

from __future__ import annotations

import contextlib
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medledger.domain.money import MAX_CENTS
from medledger.x12 import BadAmount, X12Error, format_cents, parse_amount
from medledger.x12.amounts import plain_cents


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("0", 0),
        ("945", 94500),
        ("945.00", 94500),
        ("810.8", 81080),
        ("138018.4", 13801840),
        ("-1.27", -127),
        ("-0", 0),
        (".5", 50),
        ("-.05", -5),
        ("12.", 1200),
        ("12.500", 1250),  # exact: zeros past the second decimal change nothing
        ("0.10", 10),
        ("000012.34", 1234),
        ("9999999999.99", 999999999999),  # the largest amount, MAX_CENTS
        ("-9999999999.99", -999999999999),
        ("00000000009999999999.99", 999999999999),
    ],
)
def test_valid_amounts(text: str, cents: int) -> None:
    assert parse_amount(text, 1, "CLP", "CLP03") == cents


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("12.345", "has more than two decimals"),
        ("0.001", "has more than two decimals"),
        ("12.3401", "has more than two decimals"),
        ("ABC", "is not a decimal amount"),
        ("1,234.00", "is not a decimal amount"),
        ("$12", "is not a decimal amount"),
        ("+12", "is not a decimal amount"),
        ("1e3", "is not a decimal amount"),
        (" 12", "is not a decimal amount"),
        ("12 ", "is not a decimal amount"),
        ("-", "is not a decimal amount"),
        (".", "is not a decimal amount"),
        ("--1", "is not a decimal amount"),
        ("1.2.3", "is not a decimal amount"),
        ("١٢", "is not a decimal amount"),  # Arabic-Indic digits: \d would accept them
        ("NaN", "is not a decimal amount"),
        ("10000000000.00", "is above the largest amount, 9999999999.99"),
        ("-10000000000", "is above the largest amount, 9999999999.99"),
        ("9999999999999999.99", "is above the largest amount, 9999999999.99"),
        ("1" * 19, "is above the largest amount, 9999999999.99"),
    ],
)
def test_invalid_amounts(text: str, reason: str) -> None:
    with pytest.raises(BadAmount) as caught:
        parse_amount(text, 14, "CLP", "CLP03")
    assert str(caught.value) == f"segment 14 (CLP): CLP03 {text!r} {reason}"


def test_the_message_format_of_the_brief() -> None:
    with pytest.raises(BadAmount) as caught:
        parse_amount("12.345", 14, "CLP", "CLP03")
    assert str(caught.value) == "segment 14 (CLP): CLP03 '12.345' has more than two decimals"
    assert (caught.value.position, caught.value.segment_id) == (14, "CLP")


def test_empty_amount() -> None:
    with pytest.raises(BadAmount, match="CLP04 is empty; an amount is required"):
        parse_amount("", 3, "CLP", "CLP04")


def test_leading_zeros_beyond_int_string_limits_do_not_escape_as_value_error() -> None:
    assert parse_amount("0" * 6000 + "1.5", 1, "CLP", "CLP03") == 150


def test_digits_beyond_int_string_limits_are_refused_as_too_large() -> None:
    with pytest.raises(BadAmount, match=r"is above the largest amount, 9999999999\.99"):
        parse_amount("1" * 6000, 1, "CLP", "CLP03")


@settings(database=None)
@given(st.integers(min_value=-MAX_CENTS, max_value=MAX_CENTS))
def test_round_trip_through_format(cents: int) -> None:
    assert parse_amount(format_cents(cents), 1, "AMT", "AMT02") == cents


@settings(database=None)
@given(st.text(max_size=30))
def test_any_text_is_either_an_amount_or_an_x12_error(text: str) -> None:
    with contextlib.suppress(X12Error):
        parse_amount(text, 1, "AMT", "AMT02")


@settings(max_examples=500)
@given(st.from_regex(r"-?[0-9\u0661]{0,19}(\.[0-9]{0,3})?", fullmatch=True) | st.text(max_size=12))
def test_the_fast_path_reads_exactly_what_decimal_arithmetic_reads(text: str) -> None:
    """``plain_cents`` answers only for plain ASCII amounts, and then with their exact cents."""
    cents = plain_cents(text)
    if cents is None:
        return
    assert text.isascii()
    assert cents == int(Decimal(text) * 100) == parse_amount(text, 1, "AMT", "AMT02")
