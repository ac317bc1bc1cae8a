"""What an 837 says about a claim, as plain immutable values (amounts in integer cents).

The records keep the 837's meaning (CLM01 is ``patient_control_number``, SV1/SV2 a
``SubmittedLine``) and nothing of its syntax, so the service that registers them never sees a
separator, a loop or a segment id. ``position`` fields are 1-based segment numbers in the file,
kept for error messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

#: SBR01 payer responsibility sequence -> the coverage's order.
COVERAGE_ORDERS = {"P": "primary", "S": "secondary", "T": "tertiary"}


@dataclass(frozen=True, slots=True)
class ClaimPatient:
    """The patient: loop 2010BA (subscriber) when the patient is the subscriber, else 2010CA.

    ``member_id`` is the patient's own id when the file gives one (2010CA NM109 in 4010), else
    the subscriber's (NM1*IL NM109): the id on the card the claim was billed under. Address
    fields are None when the file has no N3/N4 for the patient.
    """

    last_name: str  # NM103
    first_name: str  # NM104 ('' for none)
    birth_date: date | None  # DMG02
    sex: str | None  # DMG03: F, M, U
    member_id: str | None
    address_line1: str | None  # N301
    address_line2: str | None  # N302
    city: str | None  # N401
    state: str | None  # N402
    postal_code: str | None  # N403


@dataclass(frozen=True, slots=True)
class SubmittedLine:
    """Loop 2400: one service line (SV1 professional, SV2 institutional).

    ``procedure_code`` is the HCPCS/CPT code, or for an institutional line billed by revenue
    code only, the revenue code (an 835 answers such a line with SVC01 'NU:<revenue code>').
    """

    line_number: int  # LX01
    code_qualifier: str  # HC, and in 4010 also e.g. IV, ZZ; 'NU' for a revenue code alone
    procedure_code: str
    modifiers: tuple[str, ...]
    revenue_code: str | None  # SV201 (837I)
    units: int  # SV104 / SV205, whole units
    charge_cents: int  # SV102 / SV203
    service_date_from: date | None  # DTP*472
    service_date_to: date | None
    line_item_control_number: str | None  # REF*6R
    rendering_provider: str | None  # 2420A NM1*82: name and id
    position: int  # segment number of the SV1/SV2


@dataclass(frozen=True, slots=True)
class SubmittedClaim:
    """Loop 2300: one claim with its patient, payer, coverage order and lines.

    ``frequency_code`` (CLM05-3) says what the claim does: 1 an original, 7 a replacement of an
    earlier claim with the same CLM01, 8 a void of it (domain/claim_frequency.py).
    ``content_hash`` tells a re-sent claim from a changed one: the claim's own segments and its
    patient, subscriber and payer loops, delimiters normalised, envelope and control numbers not.
    """

    patient_control_number: str  # CLM01
    charge_cents: int  # CLM02, the sum of the lines' charges
    place_of_service: str | None  # CLM05-1 (837P place of service, 837I facility type code)
    frequency_code: str  # CLM05-3
    payer_claim_control_number: str | None  # REF*F8, the payer's number of the claim replaced
    patient: ClaimPatient
    subscriber_member_id: str | None  # NM1*IL NM109
    payer_name: str  # 2010BB NM103
    payer_id: str  # 2010BB NM109
    coverage_order: str  # primary / secondary / tertiary (SBR01)
    rendering_provider: str | None  # 2310B NM1*82 (837P), 2310A NM1*71 attending (837I)
    diagnosis_codes: tuple[str, ...]  # HI, in order, without their qualifiers
    service_date_from: date | None  # DTP*472 or DTP*434 (837I statement dates)
    service_date_to: date | None
    service_date: date  # the encounter's date: the claim's own, else its earliest line's
    lines: tuple[SubmittedLine, ...]
    version: str  # GS08, e.g. 005010X222A1
    position: int  # segment number of the CLM
    content_hash: str
