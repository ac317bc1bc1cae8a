"""What a payer's remittance says about one claim, in the ledger's terms, before it is matched.

The 835 reader's records keep X12's shape; ``medledger.x12.mapping`` turns each claim into a
``ClaimAdvice`` (amounts in cents, CAS triples as ``Adjustment``s, the code that was billed). The
importer matches it to an encounter and its procedures (``domain.matching``), then posts it or
holds it for review (``domain.review``). A held claim is stored as its advice, so a biller can
post it later exactly as the payer sent it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from medledger.domain.adjudication import Adjustment


@dataclass(frozen=True, slots=True)
class LineAdvice:
    """The payer's decision on one billed service line.

    code, modifiers: the procedure as billed (when the payer adjudicated another code, the one it
        reports as billed), used to find the procedure.
    service_date: the line's date of service, or None when the payer gave none.
    line_item_control_number: the practice's own line id echoed back, or None.
    charge_cents, paid_cents, adjustments: the line's charge, payment and adjustments.
    allowed_cents: the payer's allowed amount, when it says; informational.
    """

    code: str
    modifiers: tuple[str, ...]
    service_date: date | None
    line_item_control_number: str | None
    charge_cents: int
    paid_cents: int
    adjustments: tuple[Adjustment, ...] = ()
    allowed_cents: int | None = None


@dataclass(frozen=True, slots=True)
class ClaimAdvice:
    """The payer's decision on one claim (one encounter).

    patient_control_number: the practice's claim id, which names the encounter.
    status_code: how the payer processed it (1 primary, 2 secondary, 4 denied, 22 reversal...).
    charge_cents, paid_cents: the claim's charge and payment (negative in a reversal).
    payer_claim_number: the payer's own id for the claim, or None.
    patient_name: as the payer has it, for the review queue.
    adjustments: claim-level adjustments only; the lines carry their own.
    lines: the service lines, possibly none (a claim adjudicated as a whole).
    position: where the claim is in its file (segment number), for messages.
    """

    patient_control_number: str
    status_code: str
    charge_cents: int
    paid_cents: int
    payer_claim_number: str | None
    patient_name: str
    adjustments: tuple[Adjustment, ...]
    lines: tuple[LineAdvice, ...]
    position: int = 0
