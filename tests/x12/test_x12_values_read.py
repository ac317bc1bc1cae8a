"""The reader's memo of values already read (amounts, dates, CAS triples) changes no answer.

Each memo is a fast path in front of a strict check: a value enters only after passing it, so a
value read from the memo must be exactly what the check gives, and text that fails the check must
fail the same way however often it is seen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from medledger.x12 import X12Error, amounts, elements, era
from medledger.x12.tokens import Segment


def answer(read: Callable[[], object]) -> object:
    """What ``read`` returns, or its error as (type, message, position, segment id)."""
    try:
        return read()
    except X12Error as error:
        return (type(error), str(error), error.position, error.segment_id)


amount_texts = st.from_regex(r"-?[0-9]{0,18}(\.[0-9]{0,3})?", fullmatch=True) | st.text(max_size=8)
date_texts = st.from_regex(r"[0-9]{8}", fullmatch=True) | st.text(max_size=9)
cas_elements = st.lists(
    st.sampled_from(["CO", "PR", "OA", "XX", "", "45", "2", "A1", "b7", "70.00", "12.345", "1"])
    | amount_texts,
    min_size=0,
    max_size=21,
)


@settings(max_examples=300)
@given(amount_texts)
def test_an_amount_read_again_is_the_amount_read_first(text: str) -> None:
    amounts.plain_cents.cache_clear()
    first = amounts.plain_cents(text)
    assert amounts.plain_cents(text) == first == amounts._read_plain(text)


@settings(max_examples=300)
@given(date_texts)
def test_a_date_read_again_is_the_date_read_first(text: str) -> None:
    elements.DATES_READ.clear()
    segment = Segment(7, "DTM", ("472", text))
    first = answer(lambda: elements.dtm(segment))
    assert answer(lambda: elements.dtm(segment)) == first
    if not isinstance(first, tuple) or not isinstance(first[1], dt.date):
        assert not elements.DATES_READ


@settings(max_examples=500)
@given(cas_elements, st.integers(min_value=1, max_value=10**6))
def test_a_cas_read_again_gives_the_same_triples_or_the_same_refusal(
    elements: list[str], position: int
) -> None:
    era._ADJUSTMENTS_READ.clear()
    amounts.plain_cents.cache_clear()
    segment = Segment(position, "CAS", tuple(elements))
    first = answer(lambda: era._adjustments(segment))
    assert answer(lambda: era._adjustments(segment)) == first
    # The same triples elsewhere in a file: refusals name their own segment.
    moved = Segment(position + 1, "CAS", tuple(elements))
    again = answer(lambda: era._adjustments(moved))
    if isinstance(first, list):
        assert again == first
    else:
        assert isinstance(first, tuple) and isinstance(again, tuple)
        assert (again[0], again[2]) == (first[0], position + 1)


def test_the_memos_stop_growing_at_their_cap() -> None:
    for number in range(elements.READ_KEPT + 10):
        amounts.plain_cents(f"{number}.01")
        elements.parse_date(f"{1000 + number:04d}0101", Segment(1, "DTM", ()), "DTM02")
        era._adjustments(Segment(1, "CAS", ("CO", "45", f"{number}.02")))
    assert amounts.plain_cents.cache_info().currsize == amounts.plain_cents.cache_info().maxsize
    assert len(elements.DATES_READ) == elements.READ_KEPT
    assert len(era._ADJUSTMENTS_READ) == elements.READ_KEPT
