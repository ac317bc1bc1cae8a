"""From the 835's records to the ledger's: each claim as a ``ClaimAdvice``.

This is where X12 meets the ledger's vocabulary: CLP01 is the patient control number that names
the encounter, SVC06 (present when the payer adjudicated another code) holds the code that was
billed, DTM*472/150 the date of service, REF*6R the practice's line item control number, and each
CAS triple becomes an ``Adjustment`` in cents.
"""

from __future__ import annotations

from functools import lru_cache

from medledger.domain.adjudication import Adjustment
from medledger.domain.claim_advice import ClaimAdvice, LineAdvice
from medledger.x12.records import Adjustment as CasTriple
from medledger.x12.records import Claim, ServiceLine


def claim_advice(claim: Claim) -> ClaimAdvice:
    """The ledger's view of one CLP loop."""
    name = " ".join(n for n in (claim.patient_first_name, claim.patient_last_name) if n)
    return ClaimAdvice(
        patient_control_number=claim.patient_control_number,
        status_code=claim.status_code,
        charge_cents=claim.charge_cents,
        paid_cents=claim.paid_cents,
        payer_claim_number=claim.payer_claim_control_number,
        patient_name=name,
        adjustments=_adjustments(claim.adjustments),
        lines=tuple(_line(line) for line in claim.lines),
        position=claim.position,
    )


def _line(line: ServiceLine) -> LineAdvice:
    return LineAdvice(
        code=line.original_procedure_code or line.procedure_code,
        modifiers=line.modifiers,
        service_date=line.service_date_from,
        line_item_control_number=line.line_item_control_number,
        charge_cents=line.charge_cents,
        paid_cents=line.paid_cents,
        adjustments=_adjustments(line.adjustments),
        allowed_cents=line.allowed_cents,
    )


def _adjustments(triples: tuple[CasTriple, ...]) -> tuple[Adjustment, ...]:
    return tuple([_adjustment(t.group_code, t.carc, t.amount_cents) for t in triples])


#: The ledger's adjustment for (group, CARC, cents); one already made for the same values is that
#: one (a file repeats the same few hundred, and they are immutable). Bounded.
_adjustment = lru_cache(maxsize=4096)(Adjustment)
