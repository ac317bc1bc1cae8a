"""The X12 envelope around 835 and 837 transaction sets, checked as the segments stream by.

ISA/IEA and GS/GE pairing, IEA01 (number of groups), GE01 (number of transaction sets), SE01
(segments in ST..SE), the control numbers that must repeat, and GS01/ST01 naming the kind of
file expected. A file that ends early is refused with the position of its last segment. Each
ST..SE is handed to a transaction set reader the caller chooses (``SetKind.start``): the 835
reader (era.py) and the 837 reader (claims.py) share this one envelope and ``SegmentReader``.

Because checking is streamed, an error in the envelope *after* a transaction set (a bad GE01, a
missing IEA) is raised after that set's items were yielded: a caller that must take a file
all-or-nothing writes inside one database transaction it commits only once the iterator is done.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any, Generic, Protocol, TypeVar

from medledger.x12.elements import control_count, required
from medledger.x12.errors import MalformedEnvelope, TruncatedFile, X12Error, X12Warning, show
from medledger.x12.tokens import Segment, SegmentReader

ENVELOPE_SEGMENTS = frozenset({"ISA", "GS", "ST", "SE", "GE", "IEA"})

Item = TypeVar("Item")
Item_co = TypeVar("Item_co", covariant=True)


@dataclass(frozen=True, slots=True)
class SetContext:
    """What a transaction set reader needs of the envelope around it."""

    component: str  # ISA16, the component separator
    interchange_control_number: str  # ISA13
    group_control_number: str  # GS06
    version: str  # GS08, e.g. 005010X221A1 or 004010X098A1
    group_date: str = ""  # GS04 (CCYYMMDD), '' without a GS


class Transaction(Protocol[Item_co]):
    """Reads one ST..SE: ``feed`` each segment inside it, ``finish`` at its SE."""

    st: Segment

    def feed(self, segment: Segment) -> Item_co | None: ...

    def finish(self, se: Segment) -> tuple[Item_co, ...]: ...


@dataclass(frozen=True, slots=True)
class SetKind(Generic[Item]):
    """One kind of transaction set: GS01 and ST01 it must carry, and its reader."""

    functional_id: str  # GS01: HP for an 835, HC for an 837
    functional_name: str  # for the refusal of another GS01
    set_id: str  # ST01: 835, 837
    wrong_kind: type[X12Error]  # raised for another GS01 or ST01
    start: Callable[[Segment, SetContext], Transaction[Item]]


def read_sets(
    stream: IO[Any], kind: SetKind[Item], *, encoding: str = "utf-8"
) -> Iterator[Item | X12Warning]:
    """Yield what each transaction set's reader hands out, segment by segment, in file order,
    and each ``X12Warning`` about the envelope as soon as it is found."""
    reader = SegmentReader(stream, encoding=encoding)
    envelope = Envelope(reader, kind)
    warnings = reader.warnings
    segment: Segment | None = None
    for segment in reader:
        transaction = envelope.transaction
        if transaction is not None and segment.segment_id not in ENVELOPE_SEGMENTS:
            item = transaction.feed(segment)
            if item is not None:
                yield item
            continue
        if warnings:  # the ISA's own, or a bare GS/ST's, before anything refuses the segment
            yield from warnings
            warnings.clear()
        closed = envelope.feed(segment)
        if warnings:
            yield from warnings
            warnings.clear()
        if closed is not None:
            yield from closed
    envelope.finish(segment)


class Envelope(Generic[Item]):
    """ISA > GS > ST nesting, counts and control numbers, checked as segments stream by."""

    def __init__(self, reader: SegmentReader, kind: SetKind[Item]) -> None:
        self.reader = reader
        self.kind = kind
        self.isa: Segment | None = None
        self.gs: Segment | None = None
        self.group_count = 0
        self.set_count = 0
        self.transaction: Transaction[Item] | None = None
        self.seen_interchange = False
        # The outermost envelope segment the file began with when it has no ISA: GS, or ST.
        self.bare: str | None = None

    def feed(self, segment: Segment) -> tuple[Item, ...] | None:
        """Take an envelope segment (or any segment outside a transaction set); at an SE,
        return what the transaction set's ``finish`` hands out."""
        sid = segment.segment_id
        if sid == "ISA":
            self._isa(segment)
        elif sid == "GS":
            self._gs(segment)
        elif sid == "ST":
            self._st(segment)
        elif sid == "SE":
            return self._se(segment)
        elif sid == "GE":
            self._ge(segment)
        elif sid == "IEA":
            self._iea(segment)
        else:
            raise MalformedEnvelope(
                f"{sid} segment outside a transaction set ({self._expecting()})",
                segment.position,
                sid,
            )
        return None

    def _expecting(self) -> str:
        if self.transaction is not None:
            st = self.transaction.st
            return (
                f"expected SE closing transaction set {show(st.get(2))} "
                f"begun at segment {st.position}"
            )
        if self.gs is not None:
            return f"expected ST or GE in the group begun at segment {self.gs.position}"
        if self.isa is not None:
            return f"expected GS or IEA in the interchange begun at segment {self.isa.position}"
        if self.bare == "ST":
            return "expected ST"
        return "expected ISA" if self.bare is None else "expected GS"

    def _out_of_place(self, segment: Segment) -> MalformedEnvelope:
        return MalformedEnvelope(
            f"{segment.segment_id} out of place: {self._expecting()}",
            segment.position,
            segment.segment_id,
        )

    def _warn(self, message: str, segment: Segment) -> None:
        self.reader.warnings.append(X12Warning(message, segment.position, segment.segment_id))

    def _isa(self, segment: Segment) -> None:
        if self.isa is not None or self.bare is not None:
            raise self._out_of_place(segment)
        self.isa = segment
        self.group_count = 0
        self.seen_interchange = True

    def _gs(self, segment: Segment) -> None:
        if self.isa is None and self.bare is None and not self.seen_interchange:
            self.bare = "GS"  # a file that begins with GS: groups with no interchange around
        if (self.isa is None and self.bare != "GS") or self.gs is not None:
            raise self._out_of_place(segment)
        functional_id = segment.get(1)
        kind = self.kind
        if functional_id != kind.functional_id:
            raise kind.wrong_kind(
                f"GS01 {show(functional_id)}: the functional group is not "
                f"{kind.functional_id} ({kind.functional_name})",
                segment.position,
                "GS",
            )
        required(segment, 6, "group control number")
        self.gs = segment
        self.group_count += 1
        self.set_count = 0

    def _st(self, segment: Segment) -> None:
        if self.gs is None and self.bare is None and not self.seen_interchange:
            self.bare = "ST"  # a file that begins with ST: transaction sets with no group around
        if (self.gs is None and self.bare != "ST") or self.transaction is not None:
            raise self._out_of_place(segment)
        set_id = segment.get(1)
        kind = self.kind
        if set_id != kind.set_id:
            raise kind.wrong_kind(
                f"ST01 {show(set_id)}: the transaction set is not an {kind.set_id}",
                segment.position,
                "ST",
            )
        required(segment, 2, "transaction set control number")
        assert self.reader.delimiters is not None
        isa, gs = self.isa, self.gs
        self.transaction = kind.start(
            segment,
            SetContext(
                self.reader.delimiters.component,
                interchange_control_number="" if isa is None else isa.get(13),
                group_control_number="" if gs is None else gs.get(6),
                version=segment.get(3) if gs is None else gs.get(8),
                group_date="" if gs is None else gs.get(4),
            ),
        )
        self.set_count += 1

    def _se(self, segment: Segment) -> tuple[Item, ...]:
        transaction = self.transaction
        if transaction is None:
            raise self._out_of_place(segment)
        st = transaction.st
        declared = control_count(segment, 1, "number of included segments")
        counted = segment.position - st.position + 1
        if declared != counted:
            self._warn(
                f"SE01 says {declared} segments but transaction set {show(st.get(2))} "
                f"(ST at segment {st.position}) has {counted}",
                segment,
            )
        if segment.get(2) != st.get(2):
            self._warn(
                f"SE02 {show(segment.get(2))} does not match ST02 {show(st.get(2))}", segment
            )
        closed = transaction.finish(segment)
        self.transaction = None
        return closed

    def _ge(self, segment: Segment) -> None:
        if self.gs is None or self.transaction is not None:
            raise self._out_of_place(segment)
        declared = control_count(segment, 1, "number of transaction sets")
        if declared != self.set_count:
            self._warn(
                f"GE01 says {declared} transaction sets but the group (GS at segment "
                f"{self.gs.position}) has {self.set_count}",
                segment,
            )
        if segment.get(2) != self.gs.get(6):
            self._warn(
                f"GE02 {show(segment.get(2))} does not match GS06 {show(self.gs.get(6))}", segment
            )
        self.gs = None

    def _iea(self, segment: Segment) -> None:
        if self.isa is None or self.gs is not None:
            raise self._out_of_place(segment)
        declared = control_count(segment, 1, "number of functional groups")
        if declared != self.group_count:
            self._warn(
                f"IEA01 says {declared} functional groups but the interchange (ISA at segment "
                f"{self.isa.position}) has {self.group_count}",
                segment,
            )
        if segment.get(2) != self.isa.get(13):
            self._warn(
                f"IEA02 {show(segment.get(2))} does not match ISA13 {show(self.isa.get(13))}",
                segment,
            )
        self.isa = None

    def finish(self, last: Segment | None) -> None:
        """At the end of the stream: refuse it unless the last interchange was closed."""
        closed = self.isa is None and self.gs is None and self.transaction is None
        if closed and (self.seen_interchange or self.bare is not None):
            return
        missing = self._expecting().removeprefix("expected ")
        if last is None:
            raise TruncatedFile("the file holds no segments")
        raise TruncatedFile(
            f"the file ends after segment {last.position} ({last.segment_id}) without {missing}",
            last.position,
            last.segment_id,
        )
