"""Property tests over every public sample: the way a file is written never changes what it says.

Whitespace between segments (line breaks, CR LF, indentation), a byte-order mark, and other
separators (element, component, segment terminator, whatever the ISA declares) give the same
remittances, or the same refusal at the same segment; random edits of a sample never crash the
reader (every refusal is an ``X12Error``).
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medledger.x12 import Delimiters, Remittance, SegmentReader, X12Error, check, read_remittances
from tests.x12.test_x12_samples import EXPECTED, needs_samples
from tests.x12.x12_testkit import SAMPLES

VARIANTS = settings(
    max_examples=int(os.environ.get("X12_VARIANT_EXAMPLES", "25")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
#: Separators a sender might choose instead (none is a letter, digit or blank).
SEPARATORS = "*|^~:>!+\x1d\x1e\x1f"
LAYOUTS = ("\n", "\r\n", "\n  ", "\t", " \n\t")


@dataclass(frozen=True)
class Outcome:
    """What reading a text gives: the remittances, or the refusal's kind and place."""

    remittances: tuple[Remittance, ...] = ()
    refusal: tuple[type[X12Error], int | None, str | None] | None = None


def outcome(data: bytes) -> Outcome:
    try:
        remittances = tuple(read_remittances(io.BytesIO(data)))
        for remittance in remittances:
            check(remittance)
    except X12Error as error:
        return Outcome(refusal=(type(error), error.position, error.segment_id))
    return Outcome(remittances)


def delimiters_of(text: str) -> Delimiters | None:
    reader = SegmentReader(io.StringIO(text, newline=""))
    try:
        next(iter(reader))
    except X12Error:
        return None
    return reader.delimiters


def rewritten(text: str, old: Delimiters, chosen: list[str], layout: str) -> str:
    """``text`` with its element, component and segment separators replaced by ``chosen`` (each
    absent from the text) and ``layout`` after each terminator."""
    element, component, terminator = chosen
    table = {ord(old.element): element, ord(old.segment): terminator + layout}
    if text.startswith("ISA"):  # without an ISA the component separator is assumed, not declared
        table[ord(old.component)] = component
    return text.translate(table)


SAMPLE_NAMES = sorted(EXPECTED)


@needs_samples
@pytest.mark.parametrize("name", SAMPLE_NAMES)
@VARIANTS
@given(data=st.data())
def test_layout_and_separators_do_not_change_what_a_sample_says(name: str, data) -> None:
    raw = (SAMPLES / name).read_bytes()
    text = raw.decode("utf-8")
    old = delimiters_of(text)
    expected = outcome(raw)
    layout = data.draw(st.sampled_from(LAYOUTS), label="layout")
    bom = data.draw(st.booleans(), label="bom")
    variant = text
    if old is not None and old.segment not in "\r\n":
        leading = "\n" + old.segment in text  # terminators written at the start of lines
        unused = [c for c in SEPARATORS if c not in text or c in (old.element, old.component)]
        if old.repetition:
            unused = [c for c in unused if c != old.repetition]
        if not text.startswith("ISA"):  # no ISA: ':' is the assumed component separator
            unused = [c for c in unused if c != ":"]
        chosen = data.draw(
            st.lists(st.sampled_from(unused), min_size=3, max_size=3, unique=True), label="seps"
        )
        variant = rewritten(text, old, chosen, "" if leading else layout)
    if bom:
        variant = "\ufeff" + variant
    assert outcome(variant.encode("utf-8")) == expected


INTERESTING = "*:~^|>\n\r 0123456789.-ABCDEHILNOPQRSTVXZ"


@needs_samples
@pytest.mark.parametrize("name", SAMPLE_NAMES)
@VARIANTS
@given(data=st.data())
def test_random_edits_of_a_sample_never_crash_the_reader(name: str, data) -> None:
    text = (SAMPLES / name).read_text(encoding="utf-8")
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        at = data.draw(st.integers(0, len(text)), label="at")
        cut = data.draw(st.integers(0, 3), label="cut")
        insert = data.draw(st.text(alphabet=INTERESTING, max_size=3), label="insert")
        text = text[:at] + insert + text[at + cut :]
    outcome(text.encode("utf-8"))  # returns, or is refused with an X12Error
