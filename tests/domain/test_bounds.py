"""Ids and days typed at a front: within 1..2^63-1 and 1900-01-01..2100-12-31, else a sentence."""

from __future__ import annotations

from datetime import date

import pytest

from medledger.domain.bounds import MAX_ID, check_day, check_id, parse_day, parse_id
from medledger.domain.errors import InvalidInput


@pytest.mark.parametrize(
    "text", ["0", "-1", str(MAX_ID + 1), "9" * 40, "1.5", "abc", "²", "１", ""]
)
def test_ids_outside_the_range_or_not_ascii_digits_are_refused(text):
    with pytest.raises(InvalidInput, match="whole number from 1 to"):
        parse_id(text, "patient")


def test_ids_inside_the_range_are_read():
    assert parse_id(" 42 ") == 42
    assert parse_id(str(MAX_ID)) == MAX_ID
    assert check_id(1) == 1


@pytest.mark.parametrize("text", ["0001-01-01", "1899-12-31", "2101-01-01", "9999-12-31"])
def test_days_outside_1900_to_2100_are_refused(text):
    with pytest.raises(InvalidInput, match="between 1900-01-01 and 2100-12-31"):
        parse_day(text, "start")


@pytest.mark.parametrize("text", ["2024-02-30", "2024-13-01", "24-01-01", "２０２４-01-01", "x"])
def test_text_that_is_no_day_is_refused(text):
    with pytest.raises(InvalidInput):
        parse_day(text)


def test_days_inside_the_bounds_are_read():
    assert parse_day("1900-01-01") == date(1900, 1, 1)
    assert check_day(date(2100, 12, 31)) == date(2100, 12, 31)
