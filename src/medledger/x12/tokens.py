"""Split an X12 interchange into segments, lazily, from a stream.

X12 has no fixed delimiters: each interchange declares its own in the ISA header. The element
separator is the character right after "ISA"; the 16 elements are split on it (the header is
meant to be fixed-width, 106 characters, but senders pad it wrongly, and a width off is only a
warning); the repetition separator is ISA11 (00402 and later; in 4010 ISA11 is a plain 'U'), the
component separator is ISA16 and the segment terminator the character right after ISA16 (or,
after a line break, the separator that begins the next line). Reading them from the header, not
by guessing, is what makes '|'/'^', 'Ö' or newline-terminated files work and lets a file with a
broken header be refused at segment 1 instead of being misread. A file without an ISA that
begins with a bare GS or ST is read with the separators its first segment shows (and ':' as
component separator), with a warning: ``warnings`` collects what was off but clear.

The reader pulls fixed-size chunks and never holds more than one chunk plus one unfinished
segment, so a 2 GB file costs the same memory as a 2 KB one, and a large blob of garbage is
refused within its first few kilobytes: it either lacks the ISA header, or has a "segment" longer
than ``MAX_SEGMENT_LENGTH`` with no terminator, or an invalid segment id.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any, NamedTuple

from medledger.x12.errors import (
    MalformedEnvelope,
    MalformedSegment,
    TruncatedFile,
    X12Warning,
    show,
)

ISA_LENGTH = 106
# An ISA is read within this many characters, however its fields are padded.
ISA_SEARCH = 512
# Width of ISA01..ISA16 in the fixed-width header (X12 control segment definition).
ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
# No real 835 segment comes near this; a longer run without a terminator is not X12.
MAX_SEGMENT_LENGTH = 8192
CHUNK_SIZE = 64 * 1024

_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")
# Line breaks, which may also be the segment terminator.
_BETWEEN_SEGMENTS = "\r\n"
# Characters tolerated between segments (line breaks after terminators, and the indentation some
# senders and editors add before a segment) and around the file.
_LAYOUT = "\r\n \t"
_LAYOUT_STARTS = ("\r", "\n", " ", "\t")
# Line breaks before a terminator written at the start of the next line ("GS|...\n~ST|...").
_BREAK_ENDS = ("\r", "\n")
_FILE_PADDING = " \t\r\n\ufeff"


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The four separators declared by one ISA header."""

    element: str
    component: str
    segment: str
    repetition: str | None  # None before version 00402 (ISA11 was not a separator then)


class Segment(NamedTuple):
    """One segment: ``elements[0]`` is element 01 (the segment id is not repeated in it).

    A named tuple rather than a frozen dataclass: a file has millions of these, and a tuple is
    built in half the time.
    """

    position: int  # 1-based segment number in the file
    segment_id: str
    elements: tuple[str, ...]

    def get(self, number: int) -> str:
        """Element ``number`` (1-based, as in "CLP03"); '' when absent."""
        if 1 <= number <= len(self.elements):
            return self.elements[number - 1]
        return ""

    def name(self, number: int) -> str:
        """Reference designator of element ``number``, e.g. ``CLP03``."""
        return f"{self.segment_id}{number:02d}"


class SegmentReader:
    """Iterate the segments of a text or binary stream; ``delimiters`` follows the current ISA.

    Binary streams are decoded incrementally with ``encoding`` (default UTF-8, strict): X12 is
    ASCII-based, and a byte that does not decode is refused rather than replaced. Text streams
    should be opened with ``newline=""`` so a '\\r' terminator is not rewritten.
    """

    def __init__(
        self,
        stream: IO[Any],
        *,
        encoding: str = "utf-8",
        chunk_size: int = CHUNK_SIZE,
        max_segment_length: int = MAX_SEGMENT_LENGTH,
    ) -> None:
        self._stream = stream
        self._encoding = encoding
        self._decoder: codecs.IncrementalDecoder | None = None
        self._chunk_size = chunk_size
        self._max_segment_length = max_segment_length
        self._buffer = ""
        self._start = 0
        self._eof = False
        self._bytes_read = 0
        self._position = 0
        self.delimiters: Delimiters | None = None
        # Where the file is off but its meaning clear (an ISA field's width, a terminator after
        # a line break, no ISA at all): the envelope reader hands these on.
        self.warnings: list[X12Warning] = []
        # Terminators written at the start of each line ("\n~GS|..."): the last segment of
        # such a file has none after it.
        self._leading_terminators = False

    # -- input ---------------------------------------------------------------------------------

    def _fill(self) -> bool:
        """Append the next chunk to the buffer; False once the stream is exhausted."""
        while not self._eof:
            data = self._stream.read(self._chunk_size)
            if isinstance(data, bytes | bytearray):
                text = self._decode(bytes(data))
            elif isinstance(data, str):
                text = data
                if not data:
                    self._eof = True
            elif data is None:
                text = ""
                self._eof = True
            else:
                raise MalformedEnvelope(f"stream.read() returned {type(data).__name__}, not text")
            if text:
                self._buffer = self._buffer[self._start :] + text
                self._start = 0
                return True
        return False

    def _decode(self, data: bytes) -> str:
        if self._decoder is None:
            try:
                self._decoder = codecs.getincrementaldecoder(self._encoding)("strict")
            except LookupError as exc:
                raise MalformedEnvelope(f"unknown encoding {show(self._encoding)}") from exc
        final = not data
        if final:
            self._eof = True
        try:
            text = self._decoder.decode(data, final=final)
        except UnicodeDecodeError as exc:
            offset = self._bytes_read + exc.start
            raise MalformedEnvelope(
                f"byte {offset} of the input is not valid {self._encoding} text",
                self._position + 1 if self._position else None,
            ) from exc
        self._bytes_read += len(data)
        return text

    def _available(self) -> int:
        return len(self._buffer) - self._start

    def _skip(self, characters: str) -> None:
        """Skip characters in ``characters`` at the read position, reading more as needed."""
        while True:
            buffer, start = self._buffer, self._start
            end = len(buffer)
            while start < end and buffer[start] in characters:
                start += 1
            self._start = start
            if start < end or not self._fill():
                return

    def _ensure(self, count: int) -> bool:
        """Make ``count`` characters available at the read position if the stream has them."""
        while self._available() < count:
            if not self._fill():
                return False
        return True

    # -- segments ------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Segment]:
        self._skip(_FILE_PADDING)
        if not self._ensure(1):
            raise MalformedEnvelope("the file is empty")
        if not self._head().startswith("ISA"):
            self._read_bare_start()
        while True:
            if self.delimiters is None or self._at_isa():
                yield self._read_isa()
            else:
                segment = self._read_segment()
                if segment is None:
                    return
                yield segment
                yield from self._complete_segments()
            self._skip(_LAYOUT)
            if not self._ensure(1):
                return

    def _complete_segments(self) -> Iterator[Segment]:
        """The hot loop: every segment whose terminator is in the buffer, refilling as it goes.

        The buffer is split at its terminators in one ``str.split`` (up to the last terminator
        in it), not searched segment by segment, and a segment whose id is known splits
        without a call. The read position and segment count are written back when a buffer
        is done, before a refill, and on return: nothing reads them in between.

        It stops, leaving the read position at the segment, before anything beginning with
        "ISA" (a new interchange may declare new delimiters) and when no complete segment is
        left (the end of the stream, or a run without a terminator): ``_read_segment`` and
        ``_read_isa`` handle those one at a time, with their messages.
        """
        assert self.delimiters is not None
        delimiters = self.delimiters
        terminator, element = delimiters.segment, delimiters.element
        breaks_terminate = terminator in _BETWEEN_SEGMENTS
        max_length = self._max_segment_length
        known = _VALID_IDS
        while True:
            buffer, start = self._buffer, self._start
            last = buffer.rfind(terminator, start)
            if last < 0:
                if len(buffer) - start > max_length or not self._fill():
                    return
                continue
            position = self._position
            for raw in buffer[start:last].split(terminator):
                following = start + len(raw) + 1
                if raw[:1] in _LAYOUT_STARTS:
                    stripped = raw.lstrip(_LAYOUT)
                    if not stripped and breaks_terminate:
                        start = following
                        continue
                    start += len(raw) - len(stripped)
                    raw = stripped
                if raw[:3] == "ISA" or len(raw) > max_length:
                    self._start, self._position = start, position
                    return
                start = following
                position += 1
                if raw[-1:] in _BREAK_ENDS:
                    raw = raw.rstrip(_BETWEEN_SEGMENTS)
                parts = raw.split(element)
                if parts[0] in known:
                    yield Segment(position, parts[0], tuple(parts[1:]))
                else:
                    yield split_segment(raw, position, delimiters)
            self._start, self._position = last + 1, position

    def _at_isa(self) -> bool:
        self._ensure(4)
        head = self._buffer[self._start : self._start + 4]
        return len(head) == 4 and head.startswith("ISA") and not _is_data(head[3])

    def _head(self) -> str:
        """Up to ``ISA_SEARCH`` characters at the read position, for reading a header."""
        self._ensure(ISA_SEARCH)
        return self._buffer[self._start : self._start + ISA_SEARCH]

    def _read_isa(self) -> Segment:
        position = self._position + 1
        head = self._head()  # begins with "ISA": ``__iter__`` saw to that
        delimiters, elements, length, notes = parse_isa(head, position)
        self._leading_terminators = head[length - 2] in _LAYOUT  # terminator after a break
        self.warnings += [X12Warning(note, position, "ISA") for note in notes]
        self._start += length
        self._position = position
        self.delimiters = delimiters
        return Segment(position, "ISA", elements)

    def _read_bare_start(self) -> None:
        """Take the delimiters of a file that begins with GS or ST (no ISA header declares them).

        The element separator is the character after the segment id, the segment terminator
        the first character after it that is neither data nor that separator; the component
        separator, which only the ISA declares, is taken as ':', the one the implementation
        guides use. Nothing is consumed: the GS or ST is then read as any segment.
        """
        head = self._head()
        sid = head[:2]
        if sid not in ("GS", "ST") or len(head) < 3 or _is_data(head[2]) or head[2] in _LAYOUT:
            raise MalformedEnvelope(
                "the file does not begin with an ISA interchange header, nor with a bare GS "
                f"or ST (it begins {show(head[:20])})",
                1,
            )
        element = head[2]
        at = 3
        while at < len(head) and (_is_data(head[at]) or head[at] in (element, " ")):
            at += 1
        if at == len(head):
            raise MalformedSegment(
                f"no segment terminator after the bare {sid} (begins {show(head[:20])})", 1, sid
            )
        terminator, _, note = terminator_at(head, at, element, 1, sid)
        self._leading_terminators = note is not None
        if ":" in (element, terminator):
            raise MalformedEnvelope(
                f"the bare {sid} uses ':' as a separator, so no component separator can be assumed",
                1,
                sid,
            )
        self.delimiters = Delimiters(element, ":", terminator, None)
        notes = [] if note is None else [note]
        notes.append(
            f"no ISA interchange header: the file begins with a bare {sid}; separators read "
            f"from it ({show(element)}, {show(terminator)}), component separator ':' assumed"
        )
        self.warnings += [X12Warning(n, 1, sid) for n in notes]

    def _read_segment(self) -> Segment | None:
        assert self.delimiters is not None
        terminator = self.delimiters.segment
        searched = self._start
        while True:
            end = self._buffer.find(terminator, searched)
            if end >= 0:
                break
            if self._available() > self._max_segment_length:
                raise MalformedSegment(
                    f"no segment terminator {show(terminator)} within "
                    f"{self._max_segment_length} characters; this is not X12 data",
                    self._position + 1,
                )
            searched = len(self._buffer)
            offset = searched - self._start
            if not self._fill():
                rest = self._buffer[self._start :]
                if self._leading_terminators and rest.strip(_FILE_PADDING):
                    end = len(self._buffer)  # the last line: its terminator would begin the next
                    break
                if rest.strip(_FILE_PADDING):
                    raise TruncatedFile(
                        f"the file ends inside a segment that has no terminator "
                        f"{show(terminator)} (begins {show(rest[:20])})",
                        self._position + 1,
                    )
                return None
            searched = self._start + offset
        raw = self._buffer[self._start : end]
        self._start = end + 1
        if len(raw) > self._max_segment_length:
            raise MalformedSegment(
                f"segment is longer than {self._max_segment_length} characters",
                self._position + 1,
            )
        self._position += 1
        return split_segment(raw, self._position, self.delimiters)


def parse_isa(head: str, position: int) -> tuple[Delimiters, tuple[str, ...], int, list[str]]:
    """Read the ISA at the start of ``head``: its delimiters, 16 elements, its length in
    characters (through its terminator) and the warnings it deserves.

    The element separator is the 4th character; the 16 elements are split on it, whatever their
    widths (a width off the fixed layout is a warning); ISA16 is the component separator and
    the next character the segment terminator (see ``terminator_at``).
    """

    def refuse(message: str) -> MalformedEnvelope:
        return MalformedEnvelope(message, position, "ISA")

    if len(head) < 4:
        raise TruncatedFile("the file ends inside the ISA header", position, "ISA")
    element = head[3]
    if _is_data(element) or element in _LAYOUT:
        raise refuse(f"element separator {show(element)} {_NOT_A_SEPARATOR}")
    at = 3
    for number in range(2, len(ISA_WIDTHS) + 1):  # the separator before each of ISA02..16
        at = head.find(element, at + 1)
        if at < 0:
            if len(head) < ISA_SEARCH:
                raise TruncatedFile(
                    f"the file ends inside the ISA header (before ISA{number:02d})",
                    position,
                    "ISA",
                )
            raise refuse(
                f"the ISA header has no ISA{number:02d}: fewer than {len(ISA_WIDTHS)} elements "
                f"separated by {show(element)} in its first {ISA_SEARCH} characters"
            )
    if len(head) < at + 3:
        raise TruncatedFile("the file ends inside the ISA header", position, "ISA")
    component = head[at + 1]  # ISA16: the one character after the last separator
    fields = [*head[4:at].split(element), component]
    if component == element:
        raise refuse(f"component separator ISA16 is the element separator {show(element)}")
    if _is_data(component) or component in _LAYOUT:
        raise refuse(f"component separator ISA16 {show(component)} {_NOT_A_SEPARATOR}")
    terminator, length, note = terminator_at(head, at + 2, element, position, "ISA")
    notes = [] if note is None else [note]
    control = fields[12].strip()
    if not (control.isascii() and control.isdigit()):
        raise refuse(f"ISA13 control number {show(fields[12])} is not 9 digits")
    version = fields[11]
    # ISA11 became the repetition separator in version 00402; before that it is a code ('U').
    repetition = fields[10] if version >= "00402" else None
    if repetition is not None and (_is_data(repetition) or repetition in _LAYOUT):
        raise refuse(f"repetition separator ISA11 {show(repetition)} {_NOT_A_SEPARATOR}")
    declared = [element, component, terminator] + ([repetition] if repetition else [])
    if len(set(declared)) != len(declared):
        raise refuse(
            "delimiters (element, component, segment[, repetition]) are not distinct: "
            + " ".join(show(c) for c in declared)
        )
    widths = [
        f"ISA{number:02d} {show(value)} is {len(value)} characters, not {width}"
        for number, (value, width) in enumerate(zip(fields, ISA_WIDTHS, strict=True), start=1)
        if len(value) != width
    ]
    if widths:
        notes.append("ISA fields off the fixed width: " + "; ".join(widths))
    return Delimiters(element, component, terminator, repetition), tuple(fields), length, notes


def terminator_at(
    head: str, at: int, element: str, position: int, segment_id: str
) -> tuple[str, int, str | None]:
    """The segment terminator that ends the header segment at ``head[at]``, the length of the
    header through it, and a warning when it had to be looked for.

    Normally it is ``head[at]``. A line break there is the terminator, unless the next
    non-blank character is a separator: then that character, written at the start of each line
    (``...:\n~GS|``), is the terminator and the line breaks are layout.
    """
    char = head[at]
    if char in _LAYOUT:
        after = at
        while after < len(head) and head[after] in _LAYOUT:
            after += 1
        following = head[after : after + 1]
        if following and not _is_data(following) and following != element:
            note = (
                f"a line break follows the {segment_id} header and {show(following)} begins the "
                f"next line: {show(following)} is read as the segment terminator"
            )
            return following, after + 1, note
        if char in "\r\n":
            return char, at + 1, None
    if _is_data(char) or char in " \t":
        raise MalformedEnvelope(
            f"segment terminator {show(char)} must not be a letter, digit or blank",
            position,
            segment_id,
        )
    return char, at + 1, None


_NOT_A_SEPARATOR = "must not be a letter, digit, blank or line break"


def _is_data(char: str) -> bool:
    """An ASCII letter or digit: data, never a separator. Punctuation, control characters (some
    networks use e.g. 0x1D) and non-ASCII characters (a file may declare 'Ö') can separate."""
    return char.isascii() and char.isalnum()


def split_segment(raw: str, position: int, delimiters: Delimiters) -> Segment:
    """Split one segment's text (without its terminator) into id and elements."""
    if raw[-1:] in _BREAK_ENDS:
        raw = raw.rstrip(_BETWEEN_SEGMENTS)
    parts = raw.split(delimiters.element)
    segment_id = parts[0]
    if segment_id not in _VALID_IDS:
        if not _SEGMENT_ID.fullmatch(segment_id):
            raise MalformedSegment(
                f"segment id {show(segment_id)} is not 2-3 capital letters/digits "
                f"(the ISA declares element separator {show(delimiters.element)} and segment "
                f"terminator {show(delimiters.segment)})",
                position,
            )
        if len(_VALID_IDS) < _VALID_IDS_KEPT:
            _VALID_IDS.add(segment_id)
    del parts[0]
    return Segment(position, segment_id, tuple(parts))


# Segment ids already seen to be well formed: a set lookup instead of a regex per segment. Capped,
# so a file of endless distinct (well-formed) ids cannot grow it.
_VALID_IDS: set[str] = set()
_VALID_IDS_KEPT = 512


def iter_segments(stream: IO[Any], *, encoding: str = "utf-8") -> Iterator[Segment]:
    """Convenience: the segments of ``stream`` (see ``SegmentReader``)."""
    return iter(SegmentReader(stream, encoding=encoding))
