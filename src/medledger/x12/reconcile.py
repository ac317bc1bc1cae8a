"""Check that an 835 balances before a cent of it reaches the ledger.

The 5010 TR3 (X221A1, section 1.10.2 "Balancing") requires an 835 to balance at three levels;
an adjustment (CAS, PLB) with a positive amount reduces the payment, a negative one increases it:

- service line: SVC02 (charge) - sum of the line's CAS amounts = SVC03 (paid);
- claim: CLP03 (charge) - sum of all CAS amounts, claim level and line level = CLP04 (paid);
- transaction: sum of CLP04 - sum of PLB amounts = BPR02 (negated when BPR03 is 'D', debit).

One more rule follows from how lines relate to claims. The TR3 lets a payer report only some
service lines of a claim (institutional claims priced at claim level, room per diem...), so the
sum of SVC02 may be less than CLP03: the unreported lines are simply not itemised. It can never
be *more*: even unbundled lines carry the original charge once (the split-off lines charge 0).
Lines that charge more than their claim mean the file itemises money its own totals do not
contain, which would post line payments the check does not cover, so that is refused too. With
the two rules above this is the "sum of SVC03 - claim-level CAS = CLP04 when every line is
reported" check, without refusing legitimately partial line detail.

``check`` raises the first imbalance; ``imbalances`` lists them all for a report;
``claim_imbalances`` and ``payment_imbalances`` check a file claim by claim as it streams.
"""

from __future__ import annotations

from medledger.x12.amounts import format_cents
from medledger.x12.errors import ReconciliationError, show
from medledger.x12.records import Claim, Remittance


def check(remittance: Remittance) -> None:
    """Raise ``ReconciliationError`` (with position and difference) unless everything balances."""
    found = imbalances(remittance)
    if found:
        raise found[0]


def imbalances(remittance: Remittance) -> list[ReconciliationError]:
    """Every balancing rule the remittance breaks, in file order, transaction level last."""
    found: list[ReconciliationError] = []
    for claim in remittance.claims:
        found.extend(claim_imbalances(claim))
    claims_paid = sum(c.paid_cents for c in remittance.claims)
    found.extend(payment_imbalances(remittance, claims_paid))
    return found


def payment_imbalances(remittance: Remittance, claims_paid_cents: int) -> list[ReconciliationError]:
    """The transaction-level rule, given the sum of CLP04 of the set's claims.

    Apart from the claims so that a streaming reader (``read_era``) can check a set whose claims
    it has already let go: it only needs their sum.
    """
    provider_adjusted = sum(p.amount_cents for p in remittance.provider_adjustments)
    difference = claims_paid_cents - provider_adjusted - remittance.net_payment_cents
    if not difference:
        return []
    return [
        ReconciliationError(
            f"transaction set {show(remittance.control_number)}: sum of CLP04 "
            f"{format_cents(claims_paid_cents)} - sum of PLB {format_cents(provider_adjusted)} "
            f"= {format_cents(claims_paid_cents - provider_adjusted)} but BPR02 pays "
            f"{format_cents(remittance.net_payment_cents)} "
            f"(difference {format_cents(difference)})",
            # BPR is always the segment right after ST (the parser enforces it).
            remittance.position + 1,
            "BPR",
            difference,
        )
    ]


def claim_imbalances(claim: Claim) -> list[ReconciliationError]:
    """The line- and claim-level rules for one claim, in file order."""
    found: list[ReconciliationError] = []
    label = f"claim {show(claim.patient_control_number)}"
    for line in claim.lines:
        adjusted = line.adjustment_cents
        difference = line.charge_cents - adjusted - line.paid_cents
        if difference:
            found.append(
                ReconciliationError(
                    f"{label}, line {line.code_qualifier}:{line.procedure_code}: SVC02 "
                    f"{format_cents(line.charge_cents)} - adjustments {format_cents(adjusted)} "
                    f"!= SVC03 {format_cents(line.paid_cents)} "
                    f"(difference {format_cents(difference)})",
                    line.position,
                    "SVC",
                    difference,
                )
            )
    adjusted = sum(a.amount_cents for a in claim.all_adjustments)
    difference = claim.charge_cents - adjusted - claim.paid_cents
    if difference:
        found.append(
            ReconciliationError(
                f"{label}: CLP03 {format_cents(claim.charge_cents)} - claim and line "
                f"adjustments {format_cents(adjusted)} != CLP04 {format_cents(claim.paid_cents)} "
                f"(difference {format_cents(difference)})",
                claim.position,
                "CLP",
                difference,
            )
        )
    if claim.lines:
        line_charges = sum(line.charge_cents for line in claim.lines)
        sign = 1 if claim.charge_cents >= 0 else -1
        if not 0 <= sign * line_charges <= sign * claim.charge_cents:
            difference = line_charges - claim.charge_cents
            found.append(
                ReconciliationError(
                    f"{label}: its service lines charge {format_cents(line_charges)} (sum of "
                    f"SVC02) but the claim charges {format_cents(claim.charge_cents)} (CLP03); "
                    f"lines cannot itemise more than their claim "
                    f"(difference {format_cents(difference)})",
                    claim.position,
                    "CLP",
                    difference,
                )
            )
    return found
