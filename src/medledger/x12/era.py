"""Read 835 remittances (5010 X221A1, and the older 4010 X091A1) from a stream, one pass.

``read_era`` yields each claim as soon as its loop closes and, at each SE, the transaction set's
``Remittance`` (payment, payer, payee, PLB) without its claims: memory stays flat however many
claims a file holds. ``read_remittances`` is the convenience that collects each set's claims
into its ``Remittance``. Around them the envelope is checked as it streams by: ISA/IEA and GS/GE
pairing, IEA01 (number of groups), GE01 (number of transaction sets), SE01 (segments in ST..SE),
the control numbers that must repeat, GS01 'HP' and ST01 '835'. A file that ends early is
refused with the position of its last segment.

Because checking is streamed, an error in the envelope *after* a transaction set (a bad GE01, a
missing IEA) is raised after that set has been yielded. A caller that must post a file
all-or-nothing either consumes the whole iterator before writing anything, or (as the import
does) writes inside one database transaction that it commits only once the iterator is done.

The parser is strict where money or identity is read (amounts, dates, codes, the order of
loops) and silent about segments it has no use for (MIA, MOA, PER, TS3, other NM1/REF/DTM...).
A segment id that does not belong to an 835 at all is refused: it means the file is not what it
claims to be, or the loops are being misread.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from typing import IO, Any

from medledger.x12.amounts import plain_cents
from medledger.x12.elements import (
    DIGITS,
    READ_KEPT,
    amount_of,
    code,
    dtm,
    element_date,
    is_date,
    optional,
    optional_amount_of,
    parse_date,
    required,
    unique,
)
from medledger.x12.envelope import SetContext, SetKind, read_sets
from medledger.x12.errors import BadCode, BadDate, MalformedSegment, NotAnERA, X12Warning, show
from medledger.x12.records import (
    GROUP_CODES,
    Adjustment,
    Claim,
    ProviderAdjustment,
    Remittance,
    RemittanceHeader,
    ServiceLine,
)
from medledger.x12.tokens import Segment

# Segments of the 835 by area (TR3 5010 X221A1 plus N2, which 4010 X091A1 allowed in 1000A/B).
HEADER_SEGMENTS = frozenset(
    {"BPR", "TRN", "CUR", "REF", "DTM", "N1", "N2", "N3", "N4", "PER", "RDM"}
)
CLAIM_SEGMENTS = frozenset({"CAS", "NM1", "MIA", "MOA", "REF", "DTM", "PER", "AMT", "QTY"})
LINE_SEGMENTS = frozenset({"DTM", "CAS", "REF", "AMT", "QTY", "LQ"})
DETAIL_STARTERS = frozenset({"LX", "TS3", "TS2", "CLP", "SVC"})
SUMMARY_SEGMENTS = frozenset({"PLB"})
HEADER_ONLY_SEGMENTS = HEADER_SEGMENTS - CLAIM_SEGMENTS - LINE_SEGMENTS
KNOWN_SEGMENTS = (
    HEADER_SEGMENTS | CLAIM_SEGMENTS | LINE_SEGMENTS | DETAIL_STARTERS | SUMMARY_SEGMENTS
)

HANDLING_CODES = frozenset({"C", "D", "H", "I", "P", "U", "X"})  # BPR01
CREDIT_DEBIT_FLAGS = frozenset({"C", "D"})  # BPR03
PAYMENT_METHODS = frozenset({"ACH", "BOP", "CHK", "FWT", "NON"})  # BPR04

_CODE = re.compile(r"[A-Z0-9]{1,5}")
# CAS triples already read and checked, by their text: a file repeats the same few hundred
# thousands of times, and a dict lookup replaces the checks and a new record. Capped, so a file
# of endless distinct values cannot grow it.
_ADJUSTMENTS_READ: dict[tuple[str, str, str, str], Adjustment] = {}
_CAS_TRIPLES = 6
_LINE_DATES = frozenset({"472", "150", "151"})  # DTM01 of a service line's dates
_PLB_PAIRS = 6


def read_era(
    stream: IO[Any], *, encoding: str = "utf-8", headers: bool = False
) -> Iterator[Claim | Remittance | RemittanceHeader | X12Warning]:
    """Yield each claim of ``stream`` as it closes, then, at its SE, its transaction set.

    The ``Remittance`` yielded at an SE has ``claims == ()``: its claims are the ``Claim``
    records yielded since the previous one. With ``headers``, each set's ``RemittanceHeader``
    comes first, as soon as its header closes. An ``X12Warning`` comes as soon as the envelope
    shows something off whose meaning is clear (see envelope.py); it concerns the whole file.
    Raises an ``X12Error`` subclass (and nothing else) for anything it refuses. Balancing is
    not checked here (see ``medledger.x12.reconcile``).
    """
    items = read_sets(stream, ERA, encoding=encoding)
    if headers:
        return items
    return (item for item in items if not isinstance(item, RemittanceHeader))


def read_remittances(
    stream: IO[Any], *, encoding: str = "utf-8", warnings: list[X12Warning] | None = None
) -> Iterator[Remittance]:
    """Yield each 835 transaction set of ``stream`` (text or binary) with its claims; the
    file's warnings are appended to ``warnings`` when it is given.

    Holds one transaction set's claims at a time; ``read_era`` holds one claim.
    """
    claims: list[Claim] = []
    for item in read_era(stream, encoding=encoding):
        if isinstance(item, Claim):
            claims.append(item)
        elif isinstance(item, Remittance):
            yield replace(item, claims=tuple(claims))
            claims = []
        elif isinstance(item, X12Warning) and warnings is not None:
            warnings.append(item)


# -- one transaction set -----------------------------------------------------------------------


class _LineBuilder:
    def __init__(self, segment: Segment, component: str) -> None:
        self.segment = segment
        elements = segment.elements
        count = len(elements)
        raw = elements[0] if count else ""
        if not raw:
            required(segment, 1, "procedure identifier")  # raises
        parts = raw.split(component)
        if len(parts) < 2 or parts[0] == "" or parts[1] == "":
            raise MalformedSegment(
                f"SVC01 {show(raw)} is not a composite 'qualifier{component}code' "
                f"(the ISA declares component separator {show(component)})",
                segment.position,
                "SVC",
            )
        if len(parts) > 8:
            raise MalformedSegment(
                f"SVC01 {show(raw)} has more than 8 components", segment.position, "SVC"
            )
        self.qualifier = parts[0]
        self.code = parts[1]
        self.modifiers = tuple(m for m in parts[2:6] if m)
        self.charge = amount_of(segment, 2)
        self.paid = amount_of(segment, 3)
        self.revenue_code = (elements[3] or None) if count > 3 else None
        self.units = (elements[4] or None) if count > 4 else None
        self.original_qualifier: str | None = None
        self.original_code: str | None = None
        original = elements[5] if count > 5 else ""
        if original:
            original_parts = original.split(component)
            if len(original_parts) < 2 or not original_parts[0] or not original_parts[1]:
                raise MalformedSegment(
                    f"SVC06 {show(original)} is not a composite 'qualifier{component}code'",
                    segment.position,
                    "SVC",
                )
            self.original_qualifier, self.original_code = original_parts[0], original_parts[1]
        self.date_from: date | None = None
        self.date_to: date | None = None
        self.control_number: str | None = None
        self.allowed: int | None = None
        self.adjustments: list[Adjustment] = []
        self.remarks: list[str] = []

    def feed(self, segment: Segment) -> None:
        _, sid, elements = segment
        qualifier = elements[0] if elements else ""
        if sid == "CAS":
            self.adjustments += _adjustments(segment)
        elif sid == "DTM" and qualifier in _LINE_DATES:
            qualifier, start, end = dtm(segment)
            if qualifier in ("472", "150"):
                unique(segment, self.date_from, "service start date (DTM*472/150)")
                self.date_from = start
            if qualifier in ("472", "151"):
                unique(segment, self.date_to, "service end date (DTM*472/151)")
                self.date_to = end
        elif sid == "REF" and qualifier == "6R":
            unique(segment, self.control_number, "REF*6R")
            self.control_number = required(segment, 2, "line item control number")
        elif sid == "AMT" and qualifier == "B6":
            unique(segment, self.allowed, "AMT*B6")
            self.allowed = amount_of(segment, 2)
        elif sid == "LQ":
            self.remarks.append(required(segment, 2, "remark code"))

    def build(self) -> ServiceLine:
        return ServiceLine(
            code_qualifier=self.qualifier,
            procedure_code=self.code,
            modifiers=self.modifiers,
            charge_cents=self.charge,
            paid_cents=self.paid,
            revenue_code=self.revenue_code,
            units=self.units,
            original_code_qualifier=self.original_qualifier,
            original_procedure_code=self.original_code,
            service_date_from=self.date_from,
            service_date_to=self.date_to,
            line_item_control_number=self.control_number,
            allowed_cents=self.allowed,
            adjustments=tuple(self.adjustments),
            remark_codes=tuple(self.remarks),
            position=self.segment.position,
        )


class _ClaimBuilder:
    def __init__(self, segment: Segment) -> None:
        self.segment = segment
        self.patient_control_number = required(segment, 1, "patient control number")
        self.status = required(segment, 2, "claim status code")
        if not DIGITS.fullmatch(self.status) or len(self.status) > 2:
            raise BadCode(
                f"CLP02 {show(self.status)} is not a claim status code", segment.position, "CLP"
            )
        self.charge = amount_of(segment, 3)
        self.paid = amount_of(segment, 4)
        self.patient_responsibility = optional_amount_of(segment, 5)
        self.filing_indicator = optional(segment, 6)
        self.payer_control_number = optional(segment, 7)
        self.patient: Segment | None = None
        self.statement_from: date | None = None
        self.statement_to: date | None = None
        self.adjustments: list[Adjustment] = []
        self.lines: list[ServiceLine] = []

    def feed(self, segment: Segment) -> None:
        sid = segment.segment_id
        if sid == "CAS":
            self.adjustments.extend(_adjustments(segment))
        elif sid == "NM1" and segment.get(1) == "QC":
            unique(segment, self.patient, "patient name (NM1*QC)")
            required(segment, 3, "patient last name")
            self.patient = segment
        elif sid == "DTM" and segment.get(1) in ("232", "233"):
            _, start, end = dtm(segment)
            if segment.get(1) == "232":
                unique(segment, self.statement_from, "DTM*232")
                self.statement_from = start
            else:
                unique(segment, self.statement_to, "DTM*233")
                self.statement_to = end

    def build(self) -> Claim:
        if self.patient is None:
            raise MalformedSegment(
                f"claim {show(self.patient_control_number)} has no patient name (NM1*QC)",
                self.segment.position,
                "CLP",
            )
        return Claim(
            patient_control_number=self.patient_control_number,
            status_code=self.status,
            charge_cents=self.charge,
            paid_cents=self.paid,
            patient_responsibility_cents=self.patient_responsibility,
            claim_filing_indicator=self.filing_indicator,
            payer_claim_control_number=self.payer_control_number,
            patient_last_name=self.patient.get(3),
            patient_first_name=optional(self.patient, 4),
            patient_member_id=optional(self.patient, 9),
            statement_date_from=self.statement_from,
            statement_date_to=self.statement_to,
            adjustments=tuple(self.adjustments),
            lines=tuple(self.lines),
            position=self.segment.position,
        )


def _adjustments(segment: Segment) -> list[Adjustment]:
    """The up to six reason/amount/quantity triples of one CAS.

    A triple read before (same group, reason, amount and quantity text) is the record already
    made for it: it passed the same checks then.
    """
    elements = segment.elements
    count = len(elements)
    group = elements[0] if count else ""
    if group not in GROUP_CODES:
        code(segment, 1, GROUP_CODES, "claim adjustment group code")  # raises
    if count > 1 + 3 * _CAS_TRIPLES:
        raise MalformedSegment(
            f"CAS has {count} elements; at most 19 are defined", segment.position, "CAS"
        )
    found: list[Adjustment] = []
    for reason_index in range(1, count, 3):  # CAS02, CAS05, ... (elements[0] is CAS01)
        reason = elements[reason_index]
        amount = elements[reason_index + 1] if reason_index + 1 < count else ""
        quantity = elements[reason_index + 2] if reason_index + 2 < count else ""
        if not (reason or amount or quantity):
            continue
        key = (group, reason, amount, quantity)
        adjustment = _ADJUSTMENTS_READ.get(key)
        if adjustment is None:
            adjustment = _adjustment(segment, reason_index + 1, *key)
            if len(_ADJUSTMENTS_READ) < READ_KEPT:
                _ADJUSTMENTS_READ[key] = adjustment
        found.append(adjustment)
    if not found:
        raise MalformedSegment("CAS holds no adjustment", segment.position, "CAS")
    return found


def _adjustment(
    segment: Segment, number: int, group: str, reason: str, amount: str, quantity: str
) -> Adjustment:
    """One CAS triple whose reason is element ``number``, checked."""
    if not reason:
        raise MalformedSegment(
            f"{segment.name(number)} (adjustment reason code) is missing",
            segment.position,
            "CAS",
        )
    if not _CODE.fullmatch(reason):
        raise BadCode(
            f"{segment.name(number)} {show(reason)} is not an adjustment reason code",
            segment.position,
            "CAS",
        )
    cents = plain_cents(amount)
    if cents is None:
        cents = amount_of(segment, number + 1)  # refused with its element's name, or exact
    return Adjustment(group, reason, cents, quantity or None)


def _provider_adjustments(segment: Segment, component: str) -> list[ProviderAdjustment]:
    """The up to six reason:reference/amount pairs of one PLB."""
    provider_id = required(segment, 1, "provider identifier")
    period = element_date(segment, 2, "fiscal period date")
    if len(segment.elements) > 2 + 2 * _PLB_PAIRS:
        raise MalformedSegment(
            f"PLB has {len(segment.elements)} elements; at most 14 are defined",
            segment.position,
            "PLB",
        )
    found: list[ProviderAdjustment] = []
    for index in range(_PLB_PAIRS):
        reason_at = 3 + 2 * index
        identifier, amount = segment.get(reason_at), segment.get(reason_at + 1)
        if not (identifier or amount):
            continue
        reason, _, reference = identifier.partition(component)
        if not _CODE.fullmatch(reason):
            raise BadCode(
                f"{segment.name(reason_at)} {show(identifier)} does not begin with an "
                "adjustment reason code",
                segment.position,
                "PLB",
            )
        cents = amount_of(segment, reason_at + 1)
        found.append(
            ProviderAdjustment(
                provider_id, period, reason, reference or None, cents, segment.position
            )
        )
    if not found:
        raise MalformedSegment("PLB holds no adjustment", segment.position, "PLB")
    return found


class _Transaction:
    """Reads one transaction set (ST..SE), checking loop order; hands each claim out as it closes.

    It also hashes the set's content (``Remittance.content_hash``): every segment from BPR to the
    last before SE, with the element and component separators normalised, so the same remittance
    re-sent in another file, with other delimiters or control numbers, hashes the same.
    """

    def __init__(self, st: Segment, context: SetContext) -> None:
        self.st = st
        self.component = context.component
        self.interchange_control_number = context.interchange_control_number
        self.group_control_number = context.group_control_number
        self.version = context.version
        self.group_date = context.group_date
        self.production: Segment | None = None  # DTM*405, the production date
        self.payment_date: date | None = None  # known when the header closes
        self.warnings: tuple[X12Warning, ...] = ()
        self.area = "start"  # start -> header -> detail -> summary
        self.bpr: Segment | None = None
        self.trn: Segment | None = None
        self.payer: Segment | None = None
        self.payee: Segment | None = None
        self.payer_ref: Segment | None = None  # REF*2U, in the payer's loop (1000A)
        self.after_lx = False
        self.claim: _ClaimBuilder | None = None
        self.line: _LineBuilder | None = None
        self.provider_adjustments: list[ProviderAdjustment] = []
        self.digest = hashlib.sha256()
        self.header_digest = self.digest.copy()  # the digest as the header's last segment left it
        self.unhashed: list[Segment] = []  # taken since the digest was last brought up to date

    def _digested(self) -> hashlib._Hash:
        """The content digest with every segment taken so far: they are hashed a claim at a
        time (one ``update`` of their normalised text), not one call per segment."""
        if self.unhashed:
            # Elements are joined by 0x1D and components become 0x1F, whatever the file used;
            # a file whose component separator is 0x1D itself is joined by 0x1E first.
            join = "\x1d" if self.component != "\x1d" else "\x1e"
            text = "".join([s.segment_id + join + join.join(s.elements) for s in self.unhashed])
            text = text.replace(self.component, "\x1f")
            self.digest.update((text if join == "\x1d" else text.replace(join, "\x1d")).encode())
            self.unhashed.clear()
        return self.digest

    def _refuse(self, segment: Segment, message: str) -> MalformedSegment:
        return MalformedSegment(message, segment.position, segment.segment_id)

    def feed(self, segment: Segment) -> Claim | RemittanceHeader | None:
        """Take one segment of the set; return the claim it closes, if it closes one, or the
        header when this segment closes it (the first detail segment opens no claim yet)."""
        sid = segment.segment_id
        self.unhashed.append(segment)
        line = self.line
        if line is not None and sid in LINE_SEGMENTS:  # the hot path: a service line's details
            line.feed(segment)
            return None
        if sid not in KNOWN_SEGMENTS:
            raise self._refuse(segment, f"{sid} is not a segment of the 835 transaction set")
        if self.area == "detail":
            return self._detail(segment)
        if self.area == "start":
            if sid != "BPR":
                raise self._refuse(segment, f"expected BPR right after ST, found {sid}")
            self._bpr(segment)
            self.header_digest = self._digested().copy()
            self.area = "header"
            return None
        if self.area == "header":
            if sid in HEADER_SEGMENTS:
                self._header(segment)
                self.header_digest = self._digested().copy()
                return None
            if sid not in ("LX", "CLP", "PLB"):
                raise self._refuse(segment, f"{sid} is not allowed in the 835 header (table 1)")
            header = self._end_header(segment)
            self.area = "detail"
            self._detail(segment)  # closes no claim: none was open
            return header
        if sid != "PLB":
            raise self._refuse(segment, f"{sid} after PLB: only PLB may follow PLB (table 3)")
        self.provider_adjustments.extend(_provider_adjustments(segment, self.component))
        return None

    # header

    def _bpr(self, segment: Segment) -> None:
        code(segment, 1, HANDLING_CODES, "transaction handling code")
        amount = amount_of(segment, 2)
        if amount < 0:
            raise self._refuse(segment, "BPR02 is negative; BPR03 carries credit or debit")
        code(segment, 3, CREDIT_DEBIT_FLAGS, "credit/debit flag")
        code(segment, 4, PAYMENT_METHODS, "payment method")
        self.bpr = (
            segment  # BPR16, the payment date, is read with its fallbacks at the header's end
        )

    def _header(self, segment: Segment) -> None:
        sid = segment.segment_id
        if sid == "BPR":
            raise self._refuse(segment, "a second BPR in one transaction set")
        if sid == "TRN":
            unique(segment, self.trn, "TRN")
            required(segment, 2, "check or EFT trace number")
            required(segment, 3, "payer identifier")
            self.trn = segment
        elif sid == "REF" and segment.get(1) == "2U" and self.payer is not None:
            if self.payee is None:  # loop 1000A: after N1*PR, before N1*PE
                unique(segment, self.payer_ref, "REF*2U")
                self.payer_ref = segment
        elif sid == "DTM" and segment.get(1) == "405":
            unique(segment, self.production, "production date (DTM*405)")
            self.production = segment
        elif sid == "N1" and segment.get(1) in ("PR", "PE"):
            is_payer = segment.get(1) == "PR"
            unique(segment, self.payer if is_payer else self.payee, f"N1*{segment.get(1)}")
            required(segment, 2, "payer name" if is_payer else "payee name")
            if is_payer:
                self.payer = segment
            else:
                self.payee = segment

    def _end_header(self, segment: Segment) -> RemittanceHeader:
        """Check the header is complete (``segment`` is the one after it); its summary."""
        for present, what in (
            (self.trn, "TRN (check/EFT trace number)"),
            (self.payer, "N1*PR (payer identification)"),
            (self.payee, "N1*PE (payee identification)"),
        ):
            if present is None:
                raise self._refuse(segment, f"the 835 header has no {what}")
        bpr, trn, payer = self.bpr, self.trn, self.payer
        assert bpr is not None and trn is not None and payer is not None
        amount = amount_of(bpr, 2)
        self.payment_date = self._payment_date(bpr)
        return RemittanceHeader(
            control_number=self.st.get(2),
            net_payment_cents=-amount if bpr.get(3) == "D" else amount,
            payment_date=self.payment_date,
            trace_number=trn.get(2),
            payer_id=trn.get(3),
            payer_name=payer.get(2),
            payer_identifier=optional(payer, 4),
            position=self.st.position,
            header_hash=self.header_digest.hexdigest(),
            warnings=self.warnings,
            payer_additional_id=None if self.payer_ref is None else optional(self.payer_ref, 2),
        )

    def _payment_date(self, bpr: Segment) -> date:
        """BPR16 when it is a date; otherwise the production date (DTM*405), otherwise the
        group's date (GS04), with a warning saying which was taken and why."""
        text = bpr.get(16)
        if text and is_date(text):
            return parse_date(text, bpr, "BPR16")
        why = (
            "BPR16 (payment date) is missing"
            if not text
            else (f"BPR16 {show(text)} is not a valid CCYYMMDD date")
        )
        if self.production is not None:
            day, used = dtm(self.production)[1], "the production date DTM*405"
        elif self.group_date and is_date(self.group_date):
            day, used = parse_date(self.group_date, bpr, "GS04"), "the group's date GS04"
        else:
            raise (MalformedSegment if not text else BadDate)(
                f"{why}, and there is no production date (DTM*405) or group date (GS04) to "
                "take instead",
                bpr.position,
                "BPR",
            )
        self.warnings += (
            X12Warning(
                f"{why}: the payment date is {used}, {day.isoformat()}", bpr.position, "BPR"
            ),
        )
        return day

    # detail

    def _detail(self, segment: Segment) -> Claim | None:
        sid = segment.segment_id
        if sid in ("LX", "CLP", "PLB"):
            closed = self._close_claim()
            if sid == "LX":
                self.after_lx = True
            elif sid == "CLP":
                self.after_lx = False
                self.claim = _ClaimBuilder(segment)
            else:
                self.area = "summary"
                self.provider_adjustments.extend(_provider_adjustments(segment, self.component))
            return closed
        if sid in ("TS3", "TS2"):
            if not self.after_lx:
                raise self._refuse(segment, f"{sid} must follow LX (loop 2000 header)")
            return None
        if sid in HEADER_ONLY_SEGMENTS:
            raise self._refuse(
                segment, f"{sid} belongs to the 835 header (table 1) but claim detail has begun"
            )
        if self.claim is None:
            raise self._refuse(segment, f"{sid} before the first CLP (claim payment loop)")
        if sid == "SVC":
            self._close_line()
            self.line = _LineBuilder(segment, self.component)
        elif self.line is not None:
            raise self._refuse(segment, f"{sid} is not allowed in a service line (loop 2110)")
        elif sid not in CLAIM_SEGMENTS:
            raise self._refuse(segment, f"{sid} is not allowed in a claim (loop 2100)")
        else:
            self.claim.feed(segment)
        return None

    def _close_line(self) -> None:
        if self.line is not None:
            assert self.claim is not None
            self.claim.lines.append(self.line.build())
            self.line = None

    def _close_claim(self) -> Claim | None:
        self._close_line()
        self._digested()
        claim, self.claim = self.claim, None
        return None if claim is None else claim.build()

    def finish(self, se: Segment) -> tuple[Claim | Remittance | RemittanceHeader, ...]:
        """At SE: the last claim (if one is open) and the set's ``Remittance`` (claims ()),
        after the set's ``RemittanceHeader`` if no detail closed the header."""
        if self.area == "start":
            raise self._refuse(se, "the transaction set has no BPR")
        opening: tuple[RemittanceHeader, ...] = ()
        if self.area == "header":
            opening = (self._end_header(se),)
        last = self._close_claim()
        bpr, trn, payer, payee = self.bpr, self.trn, self.payer, self.payee
        assert bpr is not None and trn is not None and payer is not None and payee is not None
        assert self.payment_date is not None  # the header closed
        remittance = Remittance(
            control_number=self.st.get(2),
            payment_amount_cents=amount_of(bpr, 2),
            credit_debit_flag=bpr.get(3),
            handling_code=bpr.get(1),
            payment_method=bpr.get(4),
            payment_date=self.payment_date,
            trace_number=trn.get(2),
            payer_id=trn.get(3),
            payer_name=payer.get(2),
            payer_identifier=optional(payer, 4),
            payee_name=payee.get(2),
            payee_id_qualifier=optional(payee, 3),
            payee_id=optional(payee, 4),
            claims=(),
            provider_adjustments=tuple(self.provider_adjustments),
            interchange_control_number=self.interchange_control_number,
            group_control_number=self.group_control_number,
            version=self.version,
            position=self.st.position,
            content_hash=self._digested().hexdigest(),
            warnings=self.warnings,
        )
        return (*opening, remittance) if last is None else (*opening, last, remittance)


#: The 835 for the shared envelope (envelope.py): GS01 HP, ST01 835, read by ``_Transaction``.
ERA: SetKind[Claim | Remittance | RemittanceHeader] = SetKind(
    "HP", "health care claim payment/advice", "835", NotAnERA, _Transaction
)
