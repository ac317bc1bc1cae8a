"""Write 835 files (5010, 005010X221A1): the reader's inverse.

medledger generates remittances for its demo practice, its tests and its benchmark, and each one
reaches the ledger as a file, through the same reader and importer as a payer's 835: this module
writes them. It writes the records the reader yields (``Remittance`` with its ``Claim``s), and
the factories below build those records with the amounts that must agree computed, not typed:
a claim's charge and payment from its lines, a check's amount from its claims and PLBs.

What the records do not carry and 5010 requires is written as fixed placeholders: the payer's
address and technical contact (N3, N4, PER*BL). Bank routing (BPR05-BPR15) is not written, so an
ACH payment reads as a payment advice without account numbers. SE01, GE01, IEA01 and the control
numbers are counted as the segments go out, so files of any size stream in constant memory.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO

from medledger.x12.amounts import format_cents
from medledger.x12.errors import X12Error, show
from medledger.x12.records import (
    Adjustment,
    Claim,
    ProviderAdjustment,
    Remittance,
    ServiceLine,
)
from medledger.x12.tokens import Delimiters

VERSION = "005010X221A1"
_CAS_TRIPLES = 6
_PLB_PAIRS = 6


class _Composite(str):
    """A composite element already joined with the component separator."""


class UnwritableValue(X12Error):
    """A value holds one of the interchange's delimiters, so it cannot be written as it is."""


@dataclass(frozen=True, slots=True)
class Interchange:
    """The envelope: who sends the file to whom, when, under which numbers and delimiters."""

    created: datetime
    control_number: int = 1
    sender_id: str = "MEDLEDGER"
    receiver_id: str = "PRACTICE"
    delimiters: Delimiters = field(default_factory=lambda: Delimiters("*", ":", "~", "^"))
    newline: str = "\n"  # after each terminator, so people can read the file


def era_text(remittances: Iterable[Remittance], interchange: Interchange) -> str:
    """The whole 835 as text (for small files; ``write_era`` streams)."""
    out = io.StringIO()
    write_era(out, remittances, interchange)
    return out.getvalue()


def write_era(out: IO[str], remittances: Iterable[Remittance], interchange: Interchange) -> None:
    """Write one interchange with one functional group holding a transaction set per remittance.

    Each remittance's own envelope fields (control numbers, version, positions, hash) are
    ignored: the interchange numbers the sets 0001, 0002, ...
    """
    writer = SegmentWriter(out, interchange)
    stamp = interchange.created
    writer.isa()
    writer.segment(
        "GS", "HP", interchange.sender_id, interchange.receiver_id,
        f"{stamp:%Y%m%d}", f"{stamp:%H%M}", str(interchange.control_number), "X", VERSION,
    )  # fmt: skip
    sets = 0
    for sets, remittance in enumerate(remittances, start=1):
        writer.transaction_set(f"{sets:04d}", remittance)
    writer.segment("GE", str(sets), str(interchange.control_number))
    writer.segment("IEA", "1", f"{interchange.control_number:09d}")


class SegmentWriter:
    def __init__(self, out: IO[str], interchange: Interchange) -> None:
        self.out = out
        self.interchange = interchange
        self.delimiters = interchange.delimiters
        self.ending = interchange.delimiters.segment + interchange.newline
        self.forbidden = {
            c
            for c in (
                self.delimiters.element,
                self.delimiters.component,
                self.delimiters.segment,
                self.delimiters.repetition,
            )
            if c
        }
        self.count = 0  # segments since ST

    def isa(self) -> None:
        interchange, delimiters = self.interchange, self.delimiters
        stamp = interchange.created
        fields = (
            "00", " " * 10, "00", " " * 10,
            "ZZ", interchange.sender_id.ljust(15)[:15], "ZZ", interchange.receiver_id.ljust(15)[:15],
            f"{stamp:%y%m%d}", f"{stamp:%H%M}", delimiters.repetition or "U", "00501",
            f"{interchange.control_number:09d}", "0", "P", delimiters.component,
        )  # fmt: skip
        self.out.write("ISA" + delimiters.element + delimiters.element.join(fields) + self.ending)

    def segment(self, segment_id: str, *elements: str) -> None:
        values = list(elements)
        while values and not values[-1]:
            values.pop()  # X12 writes no trailing empty elements
        for value in values:
            self._check(value, composite=isinstance(value, _Composite))
        self.out.write(self.delimiters.element.join((segment_id, *values)) + self.ending)
        self.count += 1

    def composite(self, *parts: str) -> str:
        for part in parts:
            self._check(part, composite=False)
        values = list(parts)
        while values and not values[-1]:
            values.pop()
        return _Composite(self.delimiters.component.join(values))

    def _check(self, value: str, *, composite: bool) -> None:
        """Refuse a value holding a delimiter (a composite holds its component separators)."""
        forbidden = self.forbidden - {self.delimiters.component} if composite else self.forbidden
        if forbidden.intersection(value):
            raise UnwritableValue(f"value {show(value)} holds a delimiter of the interchange")

    def transaction_set(self, control_number: str, remittance: Remittance) -> None:
        self.count = 0
        self.segment("ST", "835", control_number)
        self._header(remittance)
        if remittance.claims:
            self.segment("LX", "1")
        for claim in remittance.claims:
            self._claim(claim)
        self._provider_adjustments(remittance.provider_adjustments)
        self.segment("SE", str(self.count + 1), control_number)

    def _header(self, r: Remittance) -> None:
        self.segment(
            "BPR", r.handling_code, _amount(r.payment_amount_cents), r.credit_debit_flag,
            r.payment_method, *([""] * 11), _date(r.payment_date),
        )  # fmt: skip
        self.segment("TRN", "1", r.trace_number, r.payer_id)
        payer_id = ("XV", r.payer_identifier) if r.payer_identifier else ("", "")
        self.segment("N1", "PR", r.payer_name, *payer_id)
        self.segment("N3", "ADDRESS ON FILE")
        self.segment("N4", "ANYTOWN", "OH", "45209")
        self.segment("PER", "BL", "EDI SUPPORT", "TE", "8005550100")
        self.segment("N1", "PE", r.payee_name, r.payee_id_qualifier or "", r.payee_id or "")

    def _claim(self, claim: Claim) -> None:
        responsibility = claim.patient_responsibility_cents
        self.segment(
            "CLP", claim.patient_control_number, claim.status_code, _amount(claim.charge_cents),
            _amount(claim.paid_cents), "" if responsibility is None else _amount(responsibility),
            claim.claim_filing_indicator or "", claim.payer_claim_control_number or "",
        )  # fmt: skip
        self._adjustments(claim.adjustments)
        member = ("MI", claim.patient_member_id) if claim.patient_member_id else ("", "")
        self.segment(
            "NM1", "QC", "1", claim.patient_last_name, claim.patient_first_name or "",
            "", "", "", *member,
        )  # fmt: skip
        if claim.statement_date_from:
            self.segment("DTM", "232", _date(claim.statement_date_from))
        if claim.statement_date_to:
            self.segment("DTM", "233", _date(claim.statement_date_to))
        for line in claim.lines:
            self._line(line)

    def _line(self, line: ServiceLine) -> None:
        original = ""
        if line.original_procedure_code:
            original = self.composite(
                line.original_code_qualifier or line.code_qualifier, line.original_procedure_code
            )
        self.segment(
            "SVC",
            self.composite(line.code_qualifier, line.procedure_code, *line.modifiers),
            _amount(line.charge_cents), _amount(line.paid_cents), line.revenue_code or "",
            line.units or "", original,
        )  # fmt: skip
        start, end = line.service_date_from, line.service_date_to
        if start and (end is None or end == start):
            self.segment("DTM", "472", _date(start))
        else:
            if start:
                self.segment("DTM", "150", _date(start))
            if end:
                self.segment("DTM", "151", _date(end))
        self._adjustments(line.adjustments)
        if line.line_item_control_number:
            self.segment("REF", "6R", line.line_item_control_number)
        if line.allowed_cents is not None:
            self.segment("AMT", "B6", _amount(line.allowed_cents))
        for remark in line.remark_codes:
            self.segment("LQ", "HE", remark)

    def _adjustments(self, adjustments: Sequence[Adjustment]) -> None:
        """One CAS per group code (in order of first appearance), six triples at most each."""
        groups: dict[str, list[Adjustment]] = {}
        for adjustment in adjustments:
            groups.setdefault(adjustment.group_code, []).append(adjustment)
        for group, members in groups.items():
            for start in range(0, len(members), _CAS_TRIPLES):
                triples: list[str] = []
                for a in members[start : start + _CAS_TRIPLES]:
                    triples += [a.carc, _amount(a.amount_cents), a.quantity or ""]
                self.segment("CAS", group, *triples)

    def _provider_adjustments(self, adjustments: Sequence[ProviderAdjustment]) -> None:
        """One PLB per provider and fiscal period, six reason/amount pairs at most each."""
        groups: dict[tuple[str, date], list[ProviderAdjustment]] = {}
        for adjustment in adjustments:
            key = (adjustment.provider_id, adjustment.fiscal_period_date)
            groups.setdefault(key, []).append(adjustment)
        for (provider_id, period), members in groups.items():
            for start in range(0, len(members), _PLB_PAIRS):
                pairs: list[str] = []
                for p in members[start : start + _PLB_PAIRS]:
                    pairs += [
                        self.composite(p.reason_code, p.reference or ""),
                        _amount(p.amount_cents),
                    ]
                self.segment("PLB", provider_id, _date(period), *pairs)


def _amount(cents: int) -> str:
    return format_cents(cents)


def _date(day: date) -> str:
    return f"{day:%Y%m%d}"


# -- factories: records to write, with the amounts that must agree computed -------------------


def adjustment(group_code: str, carc: str, amount_cents: int) -> Adjustment:
    return Adjustment(group_code, carc, amount_cents, None)


def service_line(
    code: str,
    charge_cents: int,
    paid_cents: int,
    adjustments: Sequence[Adjustment] = (),
    *,
    modifiers: Sequence[str] = (),
    service_date: date | None = None,
    control_number: str | None = None,
    allowed_cents: int | None = None,
    units: str | None = "1",
    qualifier: str = "HC",
    remark_codes: Sequence[str] = (),
) -> ServiceLine:
    """One SVC loop; ``charge - adjustments = paid`` is the caller's to keep."""
    return ServiceLine(
        code_qualifier=qualifier,
        procedure_code=code,
        modifiers=tuple(modifiers),
        charge_cents=charge_cents,
        paid_cents=paid_cents,
        revenue_code=None,
        units=units,
        original_code_qualifier=None,
        original_procedure_code=None,
        service_date_from=service_date,
        service_date_to=service_date,
        line_item_control_number=control_number,
        allowed_cents=allowed_cents,
        adjustments=tuple(adjustments),
        remark_codes=tuple(remark_codes),
        position=0,
    )


def claim(
    patient_control_number: str,
    lines: Sequence[ServiceLine] = (),
    *,
    status_code: str = "1",
    adjustments: Sequence[Adjustment] = (),
    charge_cents: int | None = None,
    paid_cents: int | None = None,
    patient: tuple[str, str] = ("DOE", "JANE"),
    member_id: str | None = None,
    payer_claim_number: str | None = None,
    filing_indicator: str = "12",
) -> Claim:
    """One CLP loop. Charge defaults to the lines' charges; payment to the lines' payments less
    the claim-level adjustments (so the claim balances); PR (CLP05) to the PR adjustments."""
    all_adjustments = (*adjustments, *(a for line in lines for a in line.adjustments))
    charge = sum(line.charge_cents for line in lines) if charge_cents is None else charge_cents
    if paid_cents is None:
        paid_cents = sum(line.paid_cents for line in lines) - sum(
            a.amount_cents for a in adjustments
        )
    last, first = patient
    return Claim(
        patient_control_number=patient_control_number,
        status_code=status_code,
        charge_cents=charge,
        paid_cents=paid_cents,
        patient_responsibility_cents=sum(
            a.amount_cents for a in all_adjustments if a.group_code == "PR"
        ),
        claim_filing_indicator=filing_indicator,
        payer_claim_control_number=payer_claim_number or f"ICN{patient_control_number}",
        patient_last_name=last,
        patient_first_name=first,
        patient_member_id=member_id,
        statement_date_from=None,
        statement_date_to=None,
        adjustments=tuple(adjustments),
        lines=tuple(lines),
        position=0,
    )


def provider_adjustment(
    reason_code: str,
    amount_cents: int,
    *,
    reference: str | None = None,
    provider_id: str = "1234567893",
    fiscal_period: date = date(2000, 12, 31),
) -> ProviderAdjustment:
    return ProviderAdjustment(provider_id, fiscal_period, reason_code, reference, amount_cents, 0)


def remittance(
    claims: Sequence[Claim],
    *,
    trace_number: str,
    payment_date: date,
    payer_name: str = "ACME HEALTH PLAN",
    payer_id: str = "1512345678",
    payer_identifier: str | None = None,
    payee_name: str = "MEDLEDGER PRACTICE",
    payee_npi: str = "1234567893",
    provider_adjustments: Sequence[ProviderAdjustment] = (),
    payment_method: str = "CHK",
) -> Remittance:
    """One transaction set; BPR02 is the claims' payments less the PLBs (debit when negative)."""
    net = sum(c.paid_cents for c in claims) - sum(p.amount_cents for p in provider_adjustments)
    return Remittance(
        control_number="",
        payment_amount_cents=abs(net),
        credit_debit_flag="D" if net < 0 else "C",
        handling_code="I" if net else "H",
        payment_method=payment_method if net else "NON",
        payment_date=payment_date,
        trace_number=trace_number,
        payer_id=payer_id,
        payer_name=payer_name,
        payer_identifier=payer_identifier,
        payee_name=payee_name,
        payee_id_qualifier="XX",
        payee_id=payee_npi,
        claims=tuple(claims),
        provider_adjustments=tuple(provider_adjustments),
        interchange_control_number="",
        group_control_number="",
        version=VERSION,
        position=0,
        content_hash="",
    )
