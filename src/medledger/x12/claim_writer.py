"""Write 837 professional claim files (5010, 005010X222A1): the claim reader's inverse.

medledger writes 837s for its demo practice, its tests and its benchmark, so that their patients,
visits and charges reach the ledger the way a practice's own do: as a file, through the reader
and the importer. It writes the records the reader yields (``SubmittedClaim``); the factories
below build them with CLM02 computed from the lines, not typed.

Each claim goes under its own subscriber level (HL 22, the patient is the subscriber), below one
billing provider. What the records do not carry and 5010 requires is written as fixed
placeholders: the submitter's contact, the billing provider's address and tax id.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date
from typing import IO

from medledger.x12.amounts import format_cents
from medledger.x12.claim_records import (
    COVERAGE_ORDERS,
    ClaimPatient,
    SubmittedClaim,
    SubmittedLine,
)
from medledger.x12.writer import Interchange, SegmentWriter

VERSION = "005010X222A1"
_SBR_CODES = {order: code for code, order in COVERAGE_ORDERS.items()}


def claims_text(
    claims: Iterable[SubmittedClaim],
    interchange: Interchange,
    *,
    practice: str = "MEDLEDGER PRACTICE",
    npi: str = "1234567893",
) -> str:
    """The whole 837 as text (for small files; ``write_claims`` streams)."""
    out = io.StringIO()
    write_claims(out, claims, interchange, practice=practice, npi=npi)
    return out.getvalue()


def write_claims(
    out: IO[str],
    claims: Iterable[SubmittedClaim],
    interchange: Interchange,
    *,
    practice: str = "MEDLEDGER PRACTICE",
    npi: str = "1234567893",
) -> None:
    """One interchange, one functional group, one transaction set holding every claim."""
    writer = SegmentWriter(out, interchange)
    stamp = interchange.created
    number = str(interchange.control_number)
    writer.isa()
    writer.segment(
        "GS", "HC", interchange.sender_id, interchange.receiver_id,
        f"{stamp:%Y%m%d}", f"{stamp:%H%M}", number, "X", VERSION,
    )  # fmt: skip
    writer.count = 0
    writer.segment("ST", "837", "0001", VERSION)
    writer.segment("BHT", "0019", "00", number, f"{stamp:%Y%m%d}", f"{stamp:%H%M}", "CH")
    writer.segment("NM1", "41", "2", practice, "", "", "", "", "46", npi)
    writer.segment("PER", "IC", "BILLING OFFICE", "TE", "5555550100")
    receiver_written = False
    level = 1
    for claim in claims:
        if not receiver_written:
            writer.segment("NM1", "40", "2", claim.payer_name, "", "", "", "", "46", claim.payer_id)
            writer.segment("HL", "1", "", "20", "1")
            writer.segment("NM1", "85", "2", practice, "", "", "", "", "XX", npi)
            writer.segment("N3", "1 MAIN STREET")
            writer.segment("N4", "SPRINGFIELD", "IL", "627010000")
            writer.segment("REF", "EI", "123456789")
            receiver_written = True
        level += 1
        _claim(writer, claim, level)
    writer.segment("SE", str(writer.count + 1), "0001")
    writer.segment("GE", "1", number)
    writer.segment("IEA", "1", f"{interchange.control_number:09d}")


def _claim(writer: SegmentWriter, claim: SubmittedClaim, level: int) -> None:
    patient = claim.patient
    writer.segment("HL", str(level), "1", "22", "0")
    writer.segment("SBR", _SBR_CODES[claim.coverage_order], "18", "", "", "", "", "", "", "CI")
    writer.segment(
        "NM1", "IL", "1", patient.last_name, patient.first_name, "", "", "",
        "MI" if patient.member_id else "", patient.member_id or "",
    )  # fmt: skip
    if patient.address_line1:
        writer.segment("N3", patient.address_line1, patient.address_line2 or "")
        writer.segment("N4", patient.city or "", patient.state or "", patient.postal_code or "")
    if patient.birth_date:
        writer.segment("DMG", "D8", f"{patient.birth_date:%Y%m%d}", patient.sex or "")
    writer.segment("NM1", "PR", "2", claim.payer_name, "", "", "", "", "PI", claim.payer_id)
    facility = writer.composite(claim.place_of_service or "11", "B", claim.frequency_code)
    writer.segment(
        "CLM", claim.patient_control_number, format_cents(claim.charge_cents), "", "",
        facility, "Y", "A", "Y", "Y",
    )  # fmt: skip
    if claim.payer_claim_control_number:
        writer.segment("REF", "F8", claim.payer_claim_control_number)
    if claim.diagnosis_codes:
        first, *others = claim.diagnosis_codes
        writer.segment(
            "HI",
            writer.composite("ABK", first),
            *(writer.composite("ABF", code) for code in others),
        )
    for line in claim.lines:
        _line(writer, line)


def _line(writer: SegmentWriter, line: SubmittedLine) -> None:
    writer.segment("LX", str(line.line_number))
    writer.segment(
        "SV1", writer.composite(line.code_qualifier, line.procedure_code, *line.modifiers),
        format_cents(line.charge_cents), "UN", str(line.units), "", "", "1",
    )  # fmt: skip
    if line.service_date_from:
        day = line.service_date_from
        if line.service_date_to and line.service_date_to != day:
            writer.segment("DTP", "472", "RD8", f"{day:%Y%m%d}-{line.service_date_to:%Y%m%d}")
        else:
            writer.segment("DTP", "472", "D8", f"{day:%Y%m%d}")
    if line.line_item_control_number:
        writer.segment("REF", "6R", line.line_item_control_number)


# -- factories: records to write, with CLM02 computed ----------------------------------------


def submitted_line(
    code: str,
    charge_cents: int,
    service_date: date,
    *,
    modifiers: Sequence[str] = (),
    units: int = 1,
    control_number: str | None = None,
    line_number: int = 0,
) -> SubmittedLine:
    """One SV1 line (``line_number`` 0: numbered by ``submitted_claim``)."""
    return SubmittedLine(
        line_number=line_number,
        code_qualifier="HC",
        procedure_code=code,
        modifiers=tuple(modifiers),
        revenue_code=None,
        units=units,
        charge_cents=charge_cents,
        service_date_from=service_date,
        service_date_to=service_date,
        line_item_control_number=control_number,
        rendering_provider=None,
        position=0,
    )


def submitted_claim(
    patient_control_number: str,
    lines: Sequence[SubmittedLine],
    *,
    patient: tuple[str, str] = ("DOE", "JANE"),
    birth_date: date | None = date(1980, 1, 1),
    sex: str | None = "F",
    member_id: str | None = "MEMBER001",
    payer: tuple[str, str] = ("ACME HEALTH PLAN", "ACME01"),
    frequency_code: str = "1",
    payer_claim_control_number: str | None = None,
    diagnosis_codes: Sequence[str] = ("Z0000",),
    coverage_order: str = "primary",
) -> SubmittedClaim:
    """One claim, CLM02 the sum of its lines, the lines numbered 1, 2, ... in order."""
    last, first = patient
    numbered = tuple(
        line if line.line_number else _renumbered(line, number)
        for number, line in enumerate(lines, start=1)
    )
    return SubmittedClaim(
        patient_control_number=patient_control_number,
        charge_cents=sum(line.charge_cents for line in numbered),
        place_of_service="11",
        frequency_code=frequency_code,
        payer_claim_control_number=payer_claim_control_number,
        patient=ClaimPatient(
            last_name=last,
            first_name=first,
            birth_date=birth_date,
            sex=sex,
            member_id=member_id,
            address_line1="1 ELM STREET",
            address_line2=None,
            city="SPRINGFIELD",
            state="IL",
            postal_code="62701",
        ),
        subscriber_member_id=member_id,
        payer_name=payer[0],
        payer_id=payer[1],
        coverage_order=coverage_order,
        rendering_provider=None,
        diagnosis_codes=tuple(diagnosis_codes),
        service_date_from=None,
        service_date_to=None,
        service_date=min(line.service_date_from or date.max for line in numbered),
        lines=numbered,
        version=VERSION,
        position=0,
        content_hash="",
    )


def _renumbered(line: SubmittedLine, number: int) -> SubmittedLine:
    return replace(line, line_number=number)
