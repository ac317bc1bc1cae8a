"""The tokeniser: delimiters from the ISA, chunked lazy reading, and fast refusal of non-X12."""

from __future__ import annotations

import io
import itertools
import random
import time
from typing import Any

import pytest

from medledger.x12 import (
    Delimiters,
    MalformedEnvelope,
    MalformedSegment,
    Segment,
    SegmentReader,
    TruncatedFile,
    X12Error,
    read_remittances,
)
from medledger.x12.tokens import ISA_LENGTH, MAX_SEGMENT_LENGTH
from tests.x12.x12_testkit import DATA, VALID_BODY, build, isa, parse_and_check


def segments(text: str, **options: Any) -> list[tuple[int, str, tuple[str, ...]]]:
    reader = SegmentReader(io.StringIO(text, newline=""), **options)
    return [(s.position, s.segment_id, s.elements) for s in reader]


def test_isa_is_exactly_106_characters_in_the_builder() -> None:
    assert len(isa()) == ISA_LENGTH


def test_delimiters_come_from_the_isa() -> None:
    reader = SegmentReader(io.StringIO(build()))
    first = next(iter(reader))
    assert first.segment_id == "ISA"
    assert first.get(13) == "000000001"
    assert first.get(16) == ":"
    assert reader.delimiters == Delimiters("*", ":", "~", "^")


def test_isa11_is_not_a_separator_before_5010() -> None:
    text = isa(version="00401") + "IEA*0*000000001~"
    reader = SegmentReader(io.StringIO(text))
    list(reader)
    assert reader.delimiters == Delimiters("*", ":", "~", None)


def test_positions_are_one_based_and_consecutive() -> None:
    found = segments(build())
    assert [p for p, _, _ in found] == list(range(1, len(VALID_BODY) + 7))
    assert [sid for _, sid, _ in found[:4]] == ["ISA", "GS", "ST", "BPR"]
    assert found[-1][1] == "IEA"


EXPECTED = parse_and_check(build())


@pytest.mark.parametrize(
    ("element", "component", "terminator", "repetition", "newline"),
    [
        ("*", ":", "~", "^", ""),
        ("*", ":", "~", "^", "\n"),
        ("*", ":", "~", "^", "\r\n"),
        ("|", "^", "~", "!", "\n"),  # TigerShark-style element and component separators
        ("|", ">", "\n", "^", ""),  # newline as the segment terminator
        ("*", ":", "\r", "^", "\n"),  # CR terminator followed by LF
        ("\x1d", "\x1f", "\x1c", "\x1e", ""),  # control-character delimiters
        ("^", "|", "'", "~", ""),
    ],
)
def test_any_declared_delimiters_give_the_same_remittance(
    element: str, component: str, terminator: str, repetition: str, newline: str
) -> None:
    text = build(
        element=element,
        component=component,
        terminator=terminator,
        repetition=repetition,
        newline=newline,
    )
    assert parse_and_check(text) == EXPECTED


def test_bytes_and_text_streams_agree() -> None:
    text = build(newline="\r\n")
    from_bytes = list(read_remittances(io.BytesIO(text.encode("ascii"))))
    assert from_bytes == EXPECTED


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 105, 106, 107, 4096])
def test_chunk_boundaries_do_not_matter(chunk_size: int) -> None:
    text = build(newline="\r\n")
    assert segments(text, chunk_size=chunk_size) == segments(text)
    raw = io.BytesIO(text.encode())
    assert [s.elements for s in SegmentReader(raw, chunk_size=chunk_size)] == [
        e for _, _, e in segments(text)
    ]


def test_multibyte_text_split_across_chunks() -> None:
    text = build().replace("ACME HEALTH PLAN", "ACMÉ HEALTH PLAN ✓")
    reader = SegmentReader(io.BytesIO(text.encode("utf-8")), chunk_size=1)
    payer = next(s for s in reader if s.segment_id == "N1")
    assert payer.get(2) == "ACMÉ HEALTH PLAN ✓"


def test_invalid_utf8_is_refused() -> None:
    data = build().encode("ascii").replace(b"ACME", b"AC\xffE")
    with pytest.raises(MalformedEnvelope, match=r"byte \d+ of the input is not valid utf-8"):
        list(read_remittances(io.BytesIO(data)))


def test_other_encodings_can_be_named() -> None:
    text = build().replace("ACME", "ACMÉ")
    (remittance,) = read_remittances(io.BytesIO(text.encode("latin-1")), encoding="latin-1")
    assert remittance.payer_name == "ACMÉ HEALTH PLAN"


def test_leading_bom_and_blank_lines_and_trailing_whitespace_are_tolerated() -> None:
    text = "\ufeff\r\n\n" + build(newline="\n") + "\n  \n"
    assert parse_and_check(text) == EXPECTED


def test_two_interchanges_with_different_delimiters_in_one_file() -> None:
    with open(DATA / "two_interchanges.835", "rb") as stream:
        first, second = read_remittances(stream)
    assert (first.interchange_control_number, first.payment_amount_cents) == ("000000101", 99050)
    assert (second.interchange_control_number, second.payment_amount_cents) == ("000000102", 4500)
    (claim,) = second.claims
    (line,) = claim.lines
    # The second ISA declares '>' as component separator: 'HC>99212' is a proper composite.
    assert (line.code_qualifier, line.procedure_code) == ("HC", "99212")


# -- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \r\n\n  "])
def test_empty_file(text: str) -> None:
    with pytest.raises(MalformedEnvelope, match="empty"):
        list(read_remittances(io.StringIO(text)))


@pytest.mark.parametrize("text", ["BPR*I*1~", "NOT X12 AT ALL", "GSX*1~", "ST 835~", "IS*A~"])
def test_not_starting_with_isa_gs_or_st(text: str) -> None:
    with pytest.raises(MalformedEnvelope) as caught:
        list(read_remittances(io.StringIO(text)))
    assert caught.value.position == 1
    assert "does not begin with an ISA interchange header, nor with a bare GS or ST" in str(
        caught.value
    )


@pytest.mark.parametrize(("cut", "before"), [(80, "ISA11"), (4, "ISA02"), (104, "")])
def test_file_ending_inside_the_isa(cut: int, before: str) -> None:
    with pytest.raises(TruncatedFile, match=f"ends inside the ISA header.*{before}"):
        list(read_remittances(io.StringIO(isa()[:cut])))


@pytest.mark.parametrize(
    ("header", "warning"),
    [
        (
            isa().replace("*SENDER" + " " * 9, "*SENDER" + " " * 8),
            "ISA fields off the fixed width: ISA06 'SENDER        ' is 14 characters, not 15",
        ),
        (
            isa().replace("*SENDER" + " " * 9, "*SENDER").replace("*000000001*", "*1*"),
            "ISA06 'SENDER' is 6 characters, not 15; ISA13 '1' is 1 characters, not 9",
        ),
        (isa()[:-1] + "\n~", "'~' is read as the segment terminator"),
        (isa()[:-1] + "\r\n  ~", "'~' is read as the segment terminator"),
    ],
)
def test_isa_off_its_fixed_layout_is_read_with_a_warning(header: str, warning: str) -> None:
    """The ISA's elements are split on its element separator, not cut at fixed widths."""
    reader = SegmentReader(io.StringIO(header + "GS*HP*S*R~"))
    isa_segment, gs = list(reader)
    assert isa_segment.elements[15] == ":" and gs == Segment(2, "GS", ("HP", "S", "R"))
    assert reader.delimiters == Delimiters("*", ":", "~", "^")
    (only,) = reader.warnings
    assert (only.position, only.segment_id) == (1, "ISA")
    assert warning in only.message


@pytest.mark.parametrize(
    ("version", "isa11", "repetition"), [("00401", "U", None), ("00501", "^", "^")]
)
def test_isa11_is_read_by_version(version: str, isa11: str, repetition: str | None) -> None:
    """4010: ISA11 is the standards identifier ('U'); from 00402 on, the repetition separator."""
    reader = SegmentReader(io.StringIO(isa(version=version, repetition=isa11) + "GS*HP~"))
    list(reader)
    assert reader.delimiters is not None and reader.delimiters.repetition == repetition


def test_a_non_ascii_element_separator_declared_by_the_isa() -> None:
    text = isa(element="Ö") + "GSÖHPÖS~"
    reader = SegmentReader(io.BytesIO(text.encode()))
    assert list(reader)[1] == Segment(2, "GS", ("HP", "S"))
    assert reader.warnings == []


def test_file_ending_inside_a_segment() -> None:
    text = build()
    cut = text[: text.index("~CLP*PCN002") + 9]  # '~CLP*PCN' without terminator
    with pytest.raises(TruncatedFile) as caught:
        list(read_remittances(io.StringIO(cut)))
    assert "ends inside a segment" in str(caught.value)
    assert caught.value.position == text[: text.index("~CLP*PCN002") + 1].count("~") + 1


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        (isa().replace("*000000001*", "*00000001A*"), "ISA13 control number '00000001A'"),
        (isa(element="A"), "element separator 'A'"),
        (isa(element=" "), "element separator ' '"),
        (isa(component="*"), "component separator ISA16 is the element separator"),
        (isa(component="Z"), "component separator ISA16 'Z'"),
        (isa(terminator=":"), "are not distinct"),
        (isa(repetition=":"), "are not distinct"),
        (isa(repetition="R"), "repetition separator ISA11 'R'"),
        (isa(terminator="5"), "segment terminator '5'"),
        (isa()[:40] + "*" + isa()[41:], "component separator ISA16 'T'"),
    ],
)
def test_bad_isa_header(header: str, fragment: str) -> None:
    assert len(header) == ISA_LENGTH
    with pytest.raises(MalformedEnvelope) as caught:
        list(read_remittances(io.StringIO(header + "GS*HP~")))
    assert (caught.value.position, caught.value.segment_id) == (1, "ISA")
    assert fragment in str(caught.value)


@pytest.mark.parametrize("segment_id", ["", "gs", "G", "GSXY", "1GS", "G-S", "~GS"])
def test_invalid_segment_ids(segment_id: str) -> None:
    with pytest.raises(MalformedSegment, match="is not 2-3 capital letters/digits") as caught:
        list(SegmentReader(io.StringIO(isa() + segment_id + "*HP~")))
    assert caught.value.position == 2


# -- memory and speed: large inputs are read lazily and garbage is refused within one chunk ------

FIFTY_MB = 50 * 1024 * 1024


class CountingStream:
    """A lazily generated stream of ``size`` bytes; counts what the reader actually consumed."""

    def __init__(self, head: bytes, filler: bytes, size: int = FIFTY_MB) -> None:
        self.head = head
        self.filler = filler
        self.size = size
        self.consumed = 0

    def read(self, n: int = -1) -> bytes:
        assert n > 0, "the reader must never ask for the whole stream"
        if self.consumed >= self.size:
            return b""
        n = min(n, self.size - self.consumed)
        start = self.consumed
        self.consumed += n
        data = (self.head + self.filler * (n // len(self.filler) + 2))[start : start + n]
        if start >= len(self.head):
            offset = (start - len(self.head)) % len(self.filler)
            data = (self.filler * (n // len(self.filler) + 2))[offset : offset + n]
        return data


def random_garbage(length: int = 4096) -> bytes:
    rng = random.Random(1234)
    return bytes(rng.randrange(256) for _ in range(length))


ENVELOPE_START = (isa() + "GS*HP*S*R*20240102*1200*17*X*005010X221A1~ST*835*0001~").encode()


@pytest.mark.parametrize(
    ("head", "filler", "error", "fragment"),
    [
        (b"", random_garbage(), X12Error, ""),
        (b"", b"A" * 1000, MalformedEnvelope, "does not begin with an ISA"),
        (isa().encode(), b"A" * 1000, MalformedSegment, "no segment terminator"),
        (isa().encode(), b"x~", MalformedSegment, "segment id 'x'"),
        (ENVELOPE_START, b"ZZZ*1~", MalformedSegment, "ZZZ is not a segment of the 835"),
        (
            ENVELOPE_START + b"BPR*I*1*C*CHK*",
            b"9" * 1000,
            MalformedSegment,
            "no segment terminator",
        ),
        (ENVELOPE_START, b"\xff\xfe", MalformedEnvelope, "not valid utf-8"),
    ],
)
def test_fifty_megabytes_of_garbage_fail_fast(
    head: bytes, filler: bytes, error: type[X12Error], fragment: str
) -> None:
    stream = CountingStream(head, filler)
    started = time.perf_counter()
    with pytest.raises(error) as caught:
        list(read_remittances(stream))  # type: ignore[arg-type]
    assert fragment in str(caught.value)
    assert stream.consumed <= 2 * 64 * 1024 + len(head)
    assert time.perf_counter() - started < 2.0


def test_reading_is_lazy() -> None:
    """The first remittance arrives after reading little more than itself, not the whole file."""
    one = build().encode()
    stream = CountingStream(b"", one, size=len(one) * 2000)
    remittances = read_remittances(stream)  # type: ignore[arg-type]
    first = next(remittances)
    assert first.payment_amount_cents == 99050
    assert stream.consumed <= 64 * 1024
    assert len(list(itertools.islice(remittances, 5))) == 5
    assert stream.consumed <= 64 * 1024


def test_segment_length_limit_is_enforced_even_with_a_terminator() -> None:
    long_segment = "NTE*" + "A" * (MAX_SEGMENT_LENGTH + 10) + "~"
    with pytest.raises(MalformedSegment, match=r"no segment terminator|longer than"):
        list(SegmentReader(io.StringIO(isa() + long_segment)))


def test_stream_returning_non_text_is_refused() -> None:
    class Weird:
        def read(self, n: int) -> object:
            return 42

    with pytest.raises(MalformedEnvelope, match="returned int"):
        list(read_remittances(Weird()))  # type: ignore[arg-type]
