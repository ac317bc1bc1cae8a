"""What an 835 says, as plain immutable values (amounts in integer cents, dates as ``date``).

The records keep X12's own meaning and names (CLP03 is ``charge_cents``, CAS is an
``Adjustment``...) and nothing of its syntax, so the ledger code that posts them never sees a
separator or a segment id. They are frozen so a parsed remittance can be checked, logged and
posted without anyone "fixing" a number on the way. ``position`` fields are the 1-based segment
numbers in the file, kept for error messages and audit trails.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from medledger.x12.errors import X12Warning

# CAS01 claim adjustment group codes. CR (corrections and reversals) exists only in 4010 (X091)
# files, but such files are still in circulation, so it is accepted.
GROUP_CODES = frozenset({"CO", "PR", "OA", "PI", "CR"})


@dataclass(frozen=True, slots=True)
class Adjustment:
    """One CAS reason/amount/quantity triple. A positive amount reduces the payment."""

    group_code: str  # CO contractual, PR patient responsibility, OA other, PI payer, CR 4010
    carc: str  # claim adjustment reason code (CAS02, 05, 08...)
    amount_cents: int
    quantity: str | None


@dataclass(frozen=True, slots=True)
class ServiceLine:
    """Loop 2110: one SVC with its dates, adjustments, control number and remarks."""

    code_qualifier: str  # SVC01-1, e.g. HC (HCPCS/CPT), AD (dental), NU (revenue), N4 (NDC)
    procedure_code: str  # SVC01-2
    modifiers: tuple[str, ...]  # SVC01-3..6
    charge_cents: int  # SVC02
    paid_cents: int  # SVC03
    revenue_code: str | None  # SVC04
    units: str | None  # SVC05, kept as text (it is a quantity, not money)
    original_code_qualifier: str | None  # SVC06-1 when the payer changed the code
    original_procedure_code: str | None  # SVC06-2
    service_date_from: date | None  # DTM*472, or DTM*150
    service_date_to: date | None  # DTM*472, or DTM*151
    line_item_control_number: str | None  # REF*6R (the 837's line item control number)
    allowed_cents: int | None  # AMT*B6 (informational, not part of balancing)
    adjustments: tuple[Adjustment, ...]
    remark_codes: tuple[str, ...]  # LQ02 values
    position: int  # segment number of the SVC

    @property
    def adjustment_cents(self) -> int:
        return sum(a.amount_cents for a in self.adjustments)


@dataclass(frozen=True, slots=True)
class Claim:
    """Loop 2100: one CLP (a claim's adjudication) with claim-level CAS and its service lines."""

    patient_control_number: str  # CLP01, the provider's own claim id from the 837
    status_code: str  # CLP02: 1 primary, 2 secondary, 3 tertiary, 4 denied, 22 reversal...
    charge_cents: int  # CLP03
    paid_cents: int  # CLP04
    patient_responsibility_cents: int | None  # CLP05
    claim_filing_indicator: str | None  # CLP06
    payer_claim_control_number: str | None  # CLP07
    patient_last_name: str  # NM1*QC NM103
    patient_first_name: str | None  # NM1*QC NM104
    patient_member_id: str | None  # NM1*QC NM109
    statement_date_from: date | None  # DTM*232
    statement_date_to: date | None  # DTM*233
    adjustments: tuple[Adjustment, ...]  # claim-level CAS only
    lines: tuple[ServiceLine, ...]
    position: int  # segment number of the CLP

    @property
    def all_adjustments(self) -> tuple[Adjustment, ...]:
        """Claim-level then line-level adjustments: everything that explains charge - paid."""
        return self.adjustments + tuple(a for line in self.lines for a in line.adjustments)


@dataclass(frozen=True, slots=True)
class ProviderAdjustment:
    """One reason/amount pair of a PLB; a positive amount reduces the payment (a recoupment)."""

    provider_id: str  # PLB01
    fiscal_period_date: date  # PLB02
    reason_code: str  # PLB03-1 (WO overpayment recovery, FB forwarding balance, CS, L6...)
    reference: str | None  # PLB03-2
    amount_cents: int  # PLB04, 06, ...
    position: int  # segment number of the PLB


@dataclass(frozen=True, slots=True)
class RemittanceHeader:
    """What an importer needs of a transaction set before its claims: who pays, how much, under
    which trace number.

    ``read_era(..., headers=True)`` yields it as soon as the set's header (table 1) closes, so an
    importer can post claim by claim in one pass; the ``Remittance`` at SE carries all of it
    again with what only the end of the set knows (PLB, content hash).
    """

    control_number: str  # ST02
    net_payment_cents: int  # BPR02 signed by BPR03 (see ``Remittance.net_payment_cents``)
    payment_date: date  # BPR16, else DTM*405, else GS04 (see ``warnings``)
    trace_number: str  # TRN02
    payer_id: str  # TRN03
    payer_name: str  # N1*PR N102
    payer_identifier: str | None  # N1*PR N104
    position: int  # segment number of the ST
    header_hash: str  # sha256 of BPR..the last header segment, delimiters normalised
    payer_additional_id: str | None = None  # REF*2U after N1*PR (the payer's identification)
    warnings: tuple[X12Warning, ...] = ()  # what this set had off, though its meaning is clear


@dataclass(frozen=True, slots=True)
class Remittance:
    """One 835 transaction set (ST..SE): one payment (or notice) from one payer to one payee.

    ``claims`` is empty in what ``read_era`` yields (it streams the claims before it);
    ``read_remittances`` fills it. ``content_hash`` tells a re-sent remittance from a changed
    one: ST/SE control numbers, the envelope and the delimiters do not enter it.
    """

    control_number: str  # ST02
    payment_amount_cents: int  # BPR02, always >= 0; see ``net_payment_cents``
    credit_debit_flag: str  # BPR03: C credit, D debit
    handling_code: str  # BPR01: C/D/I payment (+advice), H notification only, P prenote, U, X
    payment_method: str  # BPR04: ACH, CHK, BOP, FWT, NON (no payment)
    payment_date: date  # BPR16, else DTM*405, else GS04 (see ``warnings``)
    trace_number: str  # TRN02: check or EFT trace number, the key for matching the deposit
    payer_id: str  # TRN03
    payer_name: str  # N1*PR N102
    payer_identifier: str | None  # N1*PR N104 (optional in 5010)
    payee_name: str  # N1*PE N102
    payee_id_qualifier: str | None  # N1*PE N103: XX NPI, FI tax id, PI/XV payer-assigned
    payee_id: str | None  # N1*PE N104
    claims: tuple[Claim, ...]
    provider_adjustments: tuple[ProviderAdjustment, ...]
    interchange_control_number: str  # ISA13
    group_control_number: str  # GS06
    version: str  # GS08, e.g. 005010X221A1
    position: int  # segment number of the ST
    content_hash: str  # sha256 of BPR..the segment before SE, delimiters normalised
    warnings: tuple[X12Warning, ...] = ()  # what this set had off, though its meaning is clear

    @property
    def net_payment_cents(self) -> int:
        """BPR02 signed by BPR03: a debit is money flowing back to the payer."""
        if self.credit_debit_flag == "D":
            return -self.payment_amount_cents
        return self.payment_amount_cents
