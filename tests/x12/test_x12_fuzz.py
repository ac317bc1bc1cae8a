"""Whatever the input, the reader either returns remittances or raises X12Error: nothing else.

An importer catches X12Error to tell the user "this file is refused, at segment N". Any other
exception (IndexError, ValueError, UnicodeDecodeError, RecursionError...) would surface as a crash
instead, so random input and random mutations of a valid file are thrown at the whole pipeline.
"""

from __future__ import annotations

import io
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medledger.x12 import X12Error, check, read_remittances
from tests.x12.x12_testkit import VALID_BODY, build

VALID = build(newline="\n")
# X12_FUZZ_EXAMPLES=5000 for a longer hunt; 200 keeps the suite fast. No example database, so
# runs leave no .hypothesis folder behind.
FUZZ = settings(
    max_examples=int(os.environ.get("X12_FUZZ_EXAMPLES", "200")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def run(stream: io.IOBase) -> None:
    try:
        for remittance in read_remittances(stream):  # type: ignore[arg-type]
            check(remittance)
    except X12Error as error:
        assert str(error)  # the message renders
        assert "\n" not in str(error)


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes(data: bytes) -> None:
    run(io.BytesIO(data))


@FUZZ
@given(st.text(max_size=2000))
def test_random_text(text: str) -> None:
    run(io.StringIO(text))


@FUZZ
@given(st.text(max_size=400))
def test_random_text_after_a_valid_isa(text: str) -> None:
    run(io.StringIO(VALID[:106] + text))


# Characters that matter to the grammar, so mutations hit delimiters and codes, not just data.
INTERESTING = "*:~^|>\n\r 0123456789.-ABCDEHILNOPQRSTVXZ"
edits = st.lists(
    st.tuples(
        st.sampled_from(["insert", "delete", "replace"]),
        st.integers(min_value=0, max_value=len(VALID)),
        st.text(alphabet=INTERESTING, min_size=1, max_size=3),
    ),
    min_size=1,
    max_size=6,
)


@FUZZ
@given(edits)
def test_mutations_of_a_valid_file(changes: list[tuple[str, int, str]]) -> None:
    text = VALID
    for operation, at, chars in changes:
        at = min(at, len(text))
        if operation == "insert":
            text = text[:at] + chars + text[at:]
        elif operation == "delete":
            text = text[:at] + text[at + len(chars) :]
        else:
            text = text[:at] + chars + text[at + len(chars) :]
    run(io.StringIO(text))


@FUZZ
@given(
    st.lists(
        st.sampled_from(
            [*VALID_BODY, "ST*835*0001", "SE*3*0001", "GS*HP*A*B*1*2*17*X*V", "GE*1*17", "LX*1", ""]
        ),
        max_size=40,
    )
)
def test_shuffled_segments_inside_an_envelope(body: list[str]) -> None:
    """Valid segments in random order and number: loop and envelope checks must hold up."""
    run(io.StringIO(build((body,))))
