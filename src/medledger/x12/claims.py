"""Read 837 claim files (5010 X222 professional, X223 institutional; 4010 X098, X096) in one pass.

``read_claims`` yields each claim (``SubmittedClaim``) as soon as its loop closes, through the
same segment reader and envelope checks as the 835 (envelope.py): GS01 must be HC, ST01 837.

An 837 is a tree of HL levels: a billing provider (HL03 20) over subscribers (22), a subscriber
over its dependents (23), and the claims (CLM, loop 2300) under the level of the person treated.
The reader keeps the current subscriber (NM1*IL, its SBR and its payer NM1*PR) and patient
(NM1*QC), and reads each claim's CLM, dates (DTP*472, or DTP*434 statement dates), diagnoses (HI),
rendering provider (NM1*82, or the 837I attending NM1*71), and service lines (LX + SV1/SV2 with
their DTP*472, REF*6R and NM1*82). Other subscriber loops (2320/2330, coordination of benefits)
and the segments it has no use for are passed over; a segment id that is no 837 segment is
refused, as are lines that do not add up to CLM02, and any loop out of order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from medledger.x12.amounts import format_cents
from medledger.x12.claim_records import (
    COVERAGE_ORDERS,
    ClaimPatient,
    SubmittedClaim,
    SubmittedLine,
)
from medledger.x12.elements import amount_of, optional, parse_date, required, unique
from medledger.x12.envelope import SetContext, SetKind, read_sets
from medledger.x12.errors import (
    BadCode,
    MalformedEnvelope,
    MalformedSegment,
    NotAClaimFile,
    X12Warning,
    show,
)
from medledger.x12.tokens import Segment

#: GS08 of the 837s read: professional and institutional, 5010 and 4010.
VERSIONS = {
    "005010X222": "professional",
    "005010X223": "institutional",
    "004010X098": "professional",
    "004010X096": "institutional",
}

#: Every segment id of the 837P/837I (5010 and 4010) transaction sets, envelope aside.
KNOWN_SEGMENTS = frozenset(
    [
        "BHT",
        "REF",
        "NM1",
        "N2",
        "N3",
        "N4",
        "PER",
        "HL",
        "PRV",
        "CUR",
        "SBR",
        "PAT",
        "DMG",
        "CLM",
        "DTP",
        "CL1",
        "PWK",
        "CN1",
        "DN1",
        "DN2",
        "AMT",
        "K3",
        "NTE",
        "CR1",
        "CR2",
        "CR3",
        "CR4",
        "CR5",
        "CR6",
        "CR7",
        "CR8",
        "CRC",
        "HI",
        "HCP",
        "QTY",
        "MEA",
        "LX",
        "SV1",
        "SV2",
        "SV3",
        "SV4",
        "SV5",
        "SV7",
        "TOO",
        "PS1",
        "LIN",
        "CTP",
        "CAS",
        "OI",
        "MOA",
        "MIA",
        "SVD",
        "LQ",
        "FRM",
        "HSD",
        "UR",
    ]
)
SERVICE_SEGMENTS = frozenset({"SV1", "SV2", "SV3", "SV4", "SV5", "SV7"})
#: HI qualifiers of diagnosis codes (principal, other, admitting, reason for visit, external
#: cause; ICD-10 with an A prefix). Occurrence, value, condition and procedure codes are not kept.
DIAGNOSIS_QUALIFIERS = frozenset(
    {"BK", "ABK", "BF", "ABF", "BJ", "ABJ", "PR", "APR", "BN", "ABN", "DR"}
)
_LEVELS = {"20": "billing provider", "22": "subscriber", "23": "patient"}
_CLAIM_DATES = frozenset({"472", "434"})
#: Product/service id qualifiers a service line's procedure may carry (SV101-1, SV202-1): HCPCS
#: and CPT (HC, five characters), HIPPS (HP), jurisdiction-specific (ER), HIEC (IV), ABC (WK),
#: and 4010's mutually defined (ZZ). A drug's NDC (N4) is not one: an 837 gives it in the
#: line's LIN03 beside the HCPCS code of the drug in SV101 (often a J code).
PROCEDURE_QUALIFIERS = frozenset({"HC", "HP", "ER", "IV", "WK", "ZZ"})
#: The longest procedure code the ledger holds (procedures.code): HCPCS, CPT and HIPPS codes
#: are five characters, revenue codes four; ten leaves room for the longer local codes.
MAX_PROCEDURE_CODE = 10


def read_claims(stream: IO[Any], *, encoding: str = "utf-8") -> Iterator[SubmittedClaim]:
    """Yield each claim of ``stream`` (text or binary) as its loop closes.

    Raises an ``X12Error`` subclass (and nothing else) for anything it refuses. The claim
    import keeps no warnings, so what the 835 import takes with a warning (a count or control
    number off, an ISA field's width, no ISA) refuses an 837 file, with the warning's words.
    """
    for item in read_sets(stream, CLAIMS, encoding=encoding):
        if isinstance(item, X12Warning):
            raise MalformedEnvelope(item.message, item.position, item.segment_id)
        yield item


def _refuse(segment: Segment, message: str) -> MalformedSegment:
    return MalformedSegment(message, segment.position, segment.segment_id)


def _dtp(segment: Segment) -> tuple[date, date]:
    """DTP03 as a day (format D8) or a range (RD8, 'CCYYMMDD-CCYYMMDD')."""
    form = required(segment, 2, "date format qualifier")
    text = required(segment, 3, "date")
    if form == "D8":
        day = parse_date(text, segment, "DTP03")
        return day, day
    if form == "RD8":
        first, _, last = text.partition("-")
        start = parse_date(first, segment, "DTP03")
        end = parse_date(last, segment, "DTP03")
        if end < start:
            raise _refuse(segment, f"DTP03 {show(text)} ends before it begins")
        return start, end
    raise BadCode(f"DTP02 {show(form)} is not D8 or RD8", segment.position, "DTP")


def _provider(segment: Segment) -> str:
    """An NM1 provider as one line: 'LAST, FIRST (NPI)' or 'ORGANISATION (NPI)'."""
    name = segment.get(3)
    if segment.get(4):
        name = f"{name}, {segment.get(4)}"
    return f"{name} ({segment.get(9)})" if segment.get(9) else name


class _Party:
    """One NM1 loop of a person (subscriber or patient) with its N3, N4 and DMG."""

    def __init__(self, nm1: Segment) -> None:
        required(nm1, 3, "last name")
        self.nm1 = nm1
        self.n3: Segment | None = None
        self.n4: Segment | None = None
        self.dmg: Segment | None = None
        self.segments = [nm1]

    def feed(self, segment: Segment) -> None:
        self.segments.append(segment)
        sid = segment.segment_id
        if sid == "N3":
            unique(segment, self.n3, "N3")
            self.n3 = segment
        elif sid == "N4":
            unique(segment, self.n4, "N4")
            self.n4 = segment
        elif sid == "DMG":
            unique(segment, self.dmg, "DMG")
            self.dmg = segment

    def patient(self, member_id: str | None) -> ClaimPatient:
        birth_date = None
        sex = None
        if self.dmg is not None:
            if self.dmg.get(1) != "D8":
                raise BadCode(f"DMG01 {show(self.dmg.get(1))} is not D8", self.dmg.position, "DMG")
            birth_date = parse_date(required(self.dmg, 2, "birth date"), self.dmg, "DMG02")
            sex = optional(self.dmg, 3)
        n3, n4 = self.n3, self.n4
        return ClaimPatient(
            last_name=self.nm1.get(3),
            first_name=self.nm1.get(4),
            birth_date=birth_date,
            sex=sex,
            member_id=member_id,
            address_line1=None if n3 is None else optional(n3, 1),
            address_line2=None if n3 is None else optional(n3, 2),
            city=None if n4 is None else optional(n4, 1),
            state=None if n4 is None else optional(n4, 2),
            postal_code=None if n4 is None else optional(n4, 3),
        )


class _LineBuilder:
    """Loop 2400: LX, then one SV1/SV2 with its dates, control number and rendering provider."""

    def __init__(self, lx: Segment) -> None:
        number = required(lx, 1, "assigned number")
        if not number.isdigit():
            raise _refuse(lx, f"LX01 {show(number)} is not a line number")
        self.lx = lx
        self.number = int(number)
        self.service: Segment | None = None
        self.qualifier = ""
        self.code = ""
        self.modifiers: tuple[str, ...] = ()
        self.revenue_code: str | None = None
        self.charge = 0
        self.units = 1
        self.date_from: date | None = None
        self.date_to: date | None = None
        self.control_number: str | None = None
        self.rendering: str | None = None

    def service_line(self, segment: Segment, component: str) -> None:
        sid = segment.segment_id
        if self.service is not None:
            raise _refuse(segment, f"a second service ({sid}) in line {self.number} (LX)")
        if sid not in ("SV1", "SV2"):
            raise _refuse(
                segment,
                f"{sid} is a service line this reader does not take: only professional (SV1) "
                "and institutional (SV2) lines",
            )
        self.service = segment
        if sid == "SV1":
            composite, charge_at, units_at = required(segment, 1, "procedure"), 2, 4
        else:
            self.revenue_code = required(segment, 1, "revenue code")
            composite, charge_at, units_at = segment.get(2), 3, 5
        if composite:
            parts = composite.split(component)
            if len(parts) < 2 or not parts[0] or not parts[1]:
                raise _refuse(
                    segment,
                    f"{segment.name(charge_at - 1)} {show(composite)} is not a composite "
                    f"'qualifier{component}code'",
                )
            self.qualifier, self.code = parts[0], parts[1]
            self.modifiers = tuple(m for m in parts[2:6] if m)
            _check_qualifier(segment, segment.name(charge_at - 1), self.qualifier, self.code)
        else:  # an institutional line billed by its revenue code alone
            assert self.revenue_code is not None
            self.qualifier, self.code = "NU", self.revenue_code
        if len(self.code) > MAX_PROCEDURE_CODE:
            raise _refuse(
                segment,
                f"procedure code {show(self.code)} is longer than {MAX_PROCEDURE_CODE} characters",
            )
        self.charge = amount_of(segment, charge_at)
        if self.charge < 0:
            raise _refuse(segment, f"{segment.name(charge_at)} (line charge) is negative")
        self.units = _units(segment, units_at)

    def feed(self, segment: Segment) -> None:
        sid, qualifier = segment.segment_id, segment.get(1)
        if sid == "DTP" and qualifier == "472":
            unique(segment, self.date_from, "service date (DTP*472)")
            self.date_from, self.date_to = _dtp(segment)
        elif sid == "REF" and qualifier == "6R":
            unique(segment, self.control_number, "REF*6R")
            self.control_number = required(segment, 2, "line item control number")
        elif sid == "NM1" and qualifier == "82" and self.rendering is None:
            self.rendering = _provider(segment)

    def build(self) -> SubmittedLine:
        if self.service is None:
            raise _refuse(self.lx, f"line {self.number} (LX) has no service (SV1 or SV2)")
        return SubmittedLine(
            line_number=self.number,
            code_qualifier=self.qualifier,
            procedure_code=self.code,
            modifiers=self.modifiers,
            revenue_code=self.revenue_code,
            units=self.units,
            charge_cents=self.charge,
            service_date_from=self.date_from,
            service_date_to=self.date_to,
            line_item_control_number=self.control_number,
            rendering_provider=self.rendering,
            position=self.service.position,
        )


def _check_qualifier(segment: Segment, element: str, qualifier: str, code: str) -> None:
    """Refuse a service line whose procedure is not a procedure code (see PROCEDURE_QUALIFIERS)."""
    if qualifier == "N4":
        raise _refuse(
            segment,
            f"{element} gives NDC {show(code)} (qualifier N4) as the procedure: an 837 line "
            "carries its HCPCS code here and the drug's NDC in LIN03",
        )
    if qualifier not in PROCEDURE_QUALIFIERS:
        raise _refuse(
            segment,
            f"{element} qualifier {show(qualifier)} is not a procedure code qualifier "
            f"({', '.join(sorted(PROCEDURE_QUALIFIERS))})",
        )


def _units(segment: Segment, number: int) -> int:
    """Service units as a whole positive number ('1', '1.00', '30' minutes)."""
    text = segment.get(number)
    if text == "":
        raise _refuse(segment, f"{segment.name(number)} (service unit count) is missing")
    try:
        units = Decimal(text)
    except InvalidOperation:
        units = Decimal(-1)
    if not units.is_finite() or units <= 0 or units != units.to_integral_value():
        raise _refuse(
            segment, f"{segment.name(number)} {show(text)} is not a whole number of units"
        )
    return int(units)


class _ClaimBuilder:
    """Loop 2300: the CLM and what follows it up to the next claim or HL."""

    def __init__(self, clm: Segment, component: str) -> None:
        self.clm = clm
        self.component = component
        self.control_number = required(clm, 1, "patient control number")
        if len(self.control_number) > 38:
            raise _refuse(clm, f"CLM01 {show(self.control_number)} is longer than 38 characters")
        self.charge = amount_of(clm, 2)
        composite = required(clm, 5, "facility code, qualifier and frequency")
        facility = composite.split(component)
        if len(facility) < 3:
            raise _refuse(
                clm,
                f"CLM05 {show(composite)} is not a composite 'facility{component}qualifier"
                f"{component}frequency' (the ISA declares component separator {show(component)})",
            )
        self.place_of_service = facility[0] or None
        self.frequency = facility[2]
        if len(self.frequency) != 1 or not self.frequency.isdigit():
            raise BadCode(
                f"CLM05-3 {show(self.frequency)} is not a claim frequency code (one digit: "
                "1 original, 7 replacement, 8 void)",
                clm.position,
                "CLM",
            )
        self.area = "claim"  # claim -> other (2320/2330) ; line (2400) once LX comes
        self.dates: tuple[date, date] | None = None
        self.diagnoses: list[str] = []
        self.rendering: str | None = None
        self.payer_claim_number: str | None = None
        self.line: _LineBuilder | None = None
        self.lines: list[SubmittedLine] = []
        self.segments = [clm]

    def feed(self, segment: Segment) -> None:
        self.segments.append(segment)
        sid = segment.segment_id
        if sid == "LX":
            self._close_line()
            self.area = "line"
            self.line = _LineBuilder(segment)
        elif sid in SERVICE_SEGMENTS:
            if self.line is None:
                raise _refuse(segment, f"{sid} before LX (a service line needs its LX)")
            self.line.service_line(segment, self.component)
        elif self.line is not None:
            self.line.feed(segment)
        elif sid == "SBR":
            self.area = "other"  # 2320: another payer's subscriber, for coordination of benefits
        elif self.area == "claim":
            self._claim_segment(segment)

    def _claim_segment(self, segment: Segment) -> None:
        sid, qualifier = segment.segment_id, segment.get(1)
        if sid == "DTP" and qualifier in _CLAIM_DATES:
            unique(segment, self.dates, "claim service dates (DTP*472/434)")
            self.dates = _dtp(segment)
        elif sid == "HI":
            for composite in segment.elements:
                kind, _, rest = composite.partition(self.component)
                if kind in DIAGNOSIS_QUALIFIERS and rest:
                    self.diagnoses.append(rest.split(self.component)[0])
        elif sid == "REF" and qualifier == "F8":
            self.payer_claim_number = required(segment, 2, "payer claim control number")
        elif sid == "NM1" and qualifier in ("82", "71") and self.rendering is None:
            self.rendering = _provider(segment)

    def _close_line(self) -> None:
        if self.line is not None:
            self.lines.append(self.line.build())
            self.line = None

    def build(self, level: _Level, version: str) -> SubmittedClaim:
        self._close_line()
        if not self.lines:
            raise _refuse(self.clm, f"claim {show(self.control_number)} has no service line (LX)")
        total = sum(line.charge_cents for line in self.lines)
        if total != self.charge:
            difference = total - self.charge
            raise _refuse(
                self.clm,
                f"claim {show(self.control_number)}: CLM02 says {format_cents(self.charge)} but "
                f"its {len(self.lines)} service lines add up to {format_cents(total)} "
                f"({format_cents(difference)} {'more' if difference > 0 else 'less'})",
            )
        line_dates = [line.service_date_from for line in self.lines if line.service_date_from]
        if self.dates is None and len(line_dates) < len(self.lines):
            raise _refuse(
                self.clm,
                f"claim {show(self.control_number)} has a line without a service date (DTP*472) "
                "and no claim date (DTP*472 or DTP*434)",
            )
        patient, subscriber_id = level.patient()
        assert level.payer is not None and level.sbr is not None
        digest = hashlib.sha256()
        for segment in (*level.segments(), *self.segments):
            text = "\x1d".join((segment.segment_id, *segment.elements))
            digest.update(text.replace(self.component, "\x1f").encode() + b"\x1e")
        return SubmittedClaim(
            patient_control_number=self.control_number,
            charge_cents=self.charge,
            place_of_service=self.place_of_service,
            frequency_code=self.frequency,
            payer_claim_control_number=self.payer_claim_number,
            patient=patient,
            subscriber_member_id=subscriber_id,
            payer_name=level.payer.get(3),
            payer_id=level.payer.get(9),
            coverage_order=COVERAGE_ORDERS[level.sbr.get(1)],
            rendering_provider=self.rendering,
            diagnosis_codes=tuple(self.diagnoses),
            service_date_from=None if self.dates is None else self.dates[0],
            service_date_to=None if self.dates is None else self.dates[1],
            service_date=min(line_dates) if self.dates is None else self.dates[0],
            lines=tuple(self.lines),
            version=version,
            position=self.clm.position,
            content_hash=digest.hexdigest(),
        )


class _Level:
    """The people of the current HL: the subscriber (with SBR and payer) and the patient."""

    def __init__(self) -> None:
        self.code = ""  # HL03 of the current level
        self.sbr: Segment | None = None
        self.subscriber: _Party | None = None
        self.payer: Segment | None = None
        self.patient_party: _Party | None = None
        self.party: _Party | None = None  # the NM1 loop the next N3/N4/DMG belong to

    def enter(self, code: str) -> None:
        self.code = code
        self.party = None
        self.patient_party = None
        if code != "23":  # a patient level keeps the subscriber above it
            self.sbr = self.subscriber = self.payer = None

    def feed(self, segment: Segment) -> None:
        sid, qualifier = segment.segment_id, segment.get(1)
        if sid == "SBR" and self.code == "22":
            unique(segment, self.sbr, "SBR")
            order = required(segment, 1, "payer responsibility sequence")
            if order not in COVERAGE_ORDERS:
                raise BadCode(
                    f"SBR01 {show(order)} is not P, S or T (primary, secondary, tertiary)",
                    segment.position,
                    "SBR",
                )
            self.sbr = segment
        elif sid == "NM1":
            self.party = None
            if qualifier == "IL" and self.code == "22":
                unique(segment, self.subscriber, "subscriber name (NM1*IL)")
                self.subscriber = self.party = _Party(segment)
            elif qualifier == "PR" and self.code == "22":
                unique(segment, self.payer, "payer name (NM1*PR)")
                required(segment, 3, "payer name")
                required(segment, 9, "payer identifier")
                self.payer = segment
            elif qualifier == "QC" and self.code == "23":
                unique(segment, self.patient_party, "patient name (NM1*QC)")
                self.patient_party = self.party = _Party(segment)
        elif self.party is not None and sid in ("N3", "N4", "DMG", "REF", "PER"):
            self.party.feed(segment)

    def claim_can_start(self, clm: Segment) -> None:
        """Refuse a CLM that has no subscriber, payer or patient above it."""
        missing = [
            what
            for what, present in (
                ("SBR (subscriber information)", self.sbr),
                ("NM1*IL (subscriber name)", self.subscriber),
                ("NM1*PR (payer name)", self.payer),
            )
            if present is None
        ]
        if self.code == "23" and self.patient_party is None:
            missing.append("NM1*QC (patient name)")
        if self.code not in ("22", "23"):
            missing.append("a subscriber or patient level (HL03 22 or 23)")
        if missing:
            raise _refuse(clm, f"claim before its {', '.join(missing)}")

    def patient(self) -> tuple[ClaimPatient, str | None]:
        """The person treated and the subscriber's member id."""
        assert self.subscriber is not None
        subscriber_id = optional(self.subscriber.nm1, 9)
        if self.code == "23":
            assert self.patient_party is not None
            own_id = optional(self.patient_party.nm1, 9)
            return self.patient_party.patient(own_id or subscriber_id), subscriber_id
        return self.subscriber.patient(subscriber_id), subscriber_id

    def segments(self) -> list[Segment]:
        """The segments that say who the claim is for, for its content hash."""
        people = [self.subscriber, self.patient_party if self.code == "23" else None]
        found = [s for party in people if party is not None for s in party.segments]
        return [s for s in (self.sbr, self.payer) if s is not None] + found


class _ClaimSet:
    """Reads one 837 transaction set (ST..SE); hands each claim out as it closes."""

    def __init__(self, st: Segment, context: SetContext) -> None:
        self.st = st
        self.component = context.component
        self.version = context.version
        if not any(context.version.startswith(prefix) for prefix in VERSIONS):
            raise NotAClaimFile(
                f"GS08 {show(context.version)} is not an 837 this reader takes "
                "(005010X222 or 004010X098 professional, 005010X223 or 004010X096 institutional)",
                st.position,
                "ST",
            )
        self.started = False
        self.levels: dict[str, str] = {}  # HL01 -> HL03
        self.level = _Level()
        self.claim: _ClaimBuilder | None = None

    def feed(self, segment: Segment) -> SubmittedClaim | None:
        sid = segment.segment_id
        if sid not in KNOWN_SEGMENTS:
            raise _refuse(segment, f"{sid} is not a segment of the 837 transaction set")
        if not self.started:
            if sid != "BHT":
                raise _refuse(segment, f"expected BHT right after ST, found {sid}")
            self.started = True
            return None
        if sid == "HL":
            closed = self._close_claim()
            self._hl(segment)
            return closed
        if sid == "CLM":
            closed = self._close_claim()
            self.level.claim_can_start(segment)
            self.claim = _ClaimBuilder(segment, self.component)
            return closed
        if self.claim is not None:
            self.claim.feed(segment)
        elif sid in SERVICE_SEGMENTS or sid == "LX":
            raise _refuse(segment, f"{sid} before the first CLM (claim information)")
        elif self.levels:
            self.level.feed(segment)
        return None

    def _hl(self, segment: Segment) -> None:
        number = required(segment, 1, "hierarchical id number")
        parent = segment.get(2)
        code = required(segment, 3, "hierarchical level code")
        if number in self.levels:
            raise _refuse(segment, f"HL01 {show(number)} is used twice")
        if code not in _LEVELS:
            raise BadCode(
                f"HL03 {show(code)} is not 20, 22 or 23 (billing provider, subscriber, patient)",
                segment.position,
                "HL",
            )
        expected_parent = {"20": None, "22": "20", "23": "22"}[code]
        if expected_parent is not None and self.levels.get(parent) != expected_parent:
            raise _refuse(
                segment,
                f"HL02 {show(parent)}: a {_LEVELS[code]} level must be under a "
                f"{_LEVELS[expected_parent]} level",
            )
        self.levels[number] = code
        self.level.enter(code)

    def _close_claim(self) -> SubmittedClaim | None:
        claim, self.claim = self.claim, None
        return None if claim is None else claim.build(self.level, self.version)

    def finish(self, se: Segment) -> tuple[SubmittedClaim, ...]:
        if not self.started:
            raise _refuse(se, "the transaction set has no BHT")
        last = self._close_claim()
        return () if last is None else (last,)


#: The 837 for the shared envelope (envelope.py): GS01 HC, ST01 837, read by ``_ClaimSet``.
CLAIMS: SetKind[SubmittedClaim] = SetKind(
    "HC", "health care claim", "837", NotAClaimFile, _ClaimSet
)
