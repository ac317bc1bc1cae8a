"""Reading one element of a segment: required or optional values, amounts, codes, dates, counts.

The 835 and 837 readers share these so a missing element, a bad amount or a bad date is refused
with the same words (segment number, element name, the value as it was) whatever the file.
"""

from __future__ import annotations

import re
from datetime import date

from medledger.x12.amounts import parse_amount, plain_cents
from medledger.x12.errors import BadCode, BadDate, MalformedEnvelope, MalformedSegment, show
from medledger.x12.tokens import Segment

DIGITS = re.compile(r"[0-9]+")
# Dates already read and checked, by their text: a file repeats the same few hundred dates
# thousands of times, and a dict lookup replaces a regex, an int() and a date(). Capped, so a
# file of endless distinct values cannot grow it.
DATES_READ: dict[str, date] = {}
READ_KEPT = 4096


def required(segment: Segment, number: int, what: str) -> str:
    value = segment.get(number)
    if value == "":
        raise MalformedSegment(
            f"{segment.name(number)} ({what}) is missing", segment.position, segment.segment_id
        )
    return value


def optional(segment: Segment, number: int) -> str | None:
    return segment.get(number) or None


def amount_of(segment: Segment, number: int) -> int:
    elements = segment.elements
    text = elements[number - 1] if number <= len(elements) else ""
    cents = plain_cents(text)
    if cents is not None:
        return cents
    return parse_amount(text, segment.position, segment.segment_id, segment.name(number))


def optional_amount_of(segment: Segment, number: int) -> int | None:
    if segment.get(number) == "":
        return None
    return amount_of(segment, number)


def code(segment: Segment, number: int, allowed: frozenset[str], what: str) -> str:
    value = required(segment, number, what)
    if value not in allowed:
        raise BadCode(
            f"{segment.name(number)} {show(value)} is not a known {what} "
            f"({', '.join(sorted(allowed))})",
            segment.position,
            segment.segment_id,
        )
    return value


def parse_date(text: str, segment: Segment, element: str) -> date:
    day = DATES_READ.get(text)
    if day is not None:
        return day
    if len(text) == 8 and DIGITS.fullmatch(text):
        try:
            day = date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            pass
        else:
            if len(DATES_READ) < READ_KEPT:
                DATES_READ[text] = day
            return day
    raise BadDate(
        f"{element} {show(text)} is not a valid CCYYMMDD date", segment.position, segment.segment_id
    )


def is_date(text: str) -> bool:
    """Whether ``text`` is a real CCYYMMDD calendar date."""
    if text in DATES_READ:
        return True
    if len(text) != 8 or not DIGITS.fullmatch(text):
        return False
    try:
        date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return False
    return True


def element_date(segment: Segment, number: int, what: str) -> date:
    return parse_date(required(segment, number, what), segment, segment.name(number))


def dtm(segment: Segment) -> tuple[str, date, date]:
    """DTM qualifier and its date (DTM02), or the range in DTM06 when DTM05 is RD8."""
    elements = segment.elements
    if len(elements) == 2 and elements[0] and elements[1]:  # the everyday "DTM*472*20240301"
        day = parse_date(elements[1], segment, "DTM02")
        return elements[0], day, day
    qualifier = required(segment, 1, "date qualifier")
    if segment.get(2) == "" and segment.get(5) == "RD8":
        text = required(segment, 6, "date range")
        first, _, last = text.partition("-")
        start = parse_date(first, segment, "DTM06")
        end = parse_date(last, segment, "DTM06")
        return qualifier, start, end
    day = element_date(segment, 2, "date")
    return qualifier, day, day


def control_count(segment: Segment, number: int, what: str) -> int:
    value = required(segment, number, what)
    if not DIGITS.fullmatch(value) or len(value) > 10:
        raise MalformedEnvelope(
            f"{segment.name(number)} {show(value)} is not a count",
            segment.position,
            segment.segment_id,
        )
    return int(value)


def unique(segment: Segment, current: object, what: str) -> None:
    if current is not None:
        raise MalformedSegment(
            f"a second {what} in the same loop", segment.position, segment.segment_id
        )
