"""Posting what a payer decided for a procedure, and estimated PR before it.

Estimated PR (a copay taken at check-in, an estimate) is PR entered before adjudication. When the
payer's remittance for the procedure is posted, its PR *replaces* the estimate — the documented
rule (docs/ledger.md):

1. the estimate's PR, write-offs and cancellations go back to zero, as entries of the remittance's
   transaction, so the history shows what was replaced;
2. patient money applied to the estimate becomes credit on the procedure;
3. the payer's amounts post: paid, CO, OA/PI/CR by CARC, PR by CARC;
4. credit on the procedure is applied to the new PR in the default order; the rest stays credit.

PR from a remittance is the payer's adjudication: a later remittance adds to it (a secondary
payer, a correction) and a claim reversal reverses it, but it is never "replaced" by an estimate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from medledger.domain.balance import Balance, Entry, identity_violations
from medledger.domain.columns import GROUP_COLUMNS, Column, pr_sort_key, valid_carc
from medledger.domain.errors import AdjudicationExceedsCharge, InvalidAmount, InvalidInput
from medledger.domain.money import format_cents, require_positive
from medledger.domain.payments import allocate


@dataclass(frozen=True, slots=True)
class Adjustment:
    """One CAS triple: group code (CO, PR, OA, PI, CR), CARC, signed cents."""

    group_code: str
    carc: str
    amount_cents: int


@dataclass(frozen=True, slots=True)
class PayerResult:
    """What a payer decided for one procedure: paid cents and the adjustments."""

    paid_cents: int
    adjustments: tuple[Adjustment, ...] = ()


def plan_estimate(
    procedure_id: int, balance: Balance, amounts: Mapping[str, int], *, pr_from_remittance: bool
) -> list[Entry]:
    """Entries assigning estimated PR (cents per PR CARC) before the payer adjudicates."""
    if pr_from_remittance:
        raise InvalidInput(
            "the payer has adjudicated this procedure; its PR comes from the remittance"
        )
    if not amounts:
        raise InvalidAmount("give an amount for at least one PR CARC")
    for carc, cents in amounts.items():
        if not valid_carc(carc):
            raise InvalidInput(f"{carc!r} is not a CARC", carc=carc)
        require_positive(cents, "estimated PR")
    entries = [
        Entry(procedure_id, Column.PR, carc, amounts[carc])
        for carc in sorted(amounts, key=pr_sort_key)
    ]
    _check_fits_charge(balance.plus(entries))
    return entries


def plan_adjudication(
    procedure_id: int,
    balance: Balance,
    result: PayerResult,
    *,
    pr_from_remittance: bool,
    payments: Mapping[int, Mapping[str, int]],
) -> list[Entry]:
    """Entries posting a payer's result on one procedure (see the module docstring for the rule).

    ``payments`` maps each patient payment to what it holds on this procedure, per CARC ("" is
    credit), so that money applied to a replaced estimate can be re-applied.
    """
    for adjustment in result.adjustments:
        if adjustment.group_code not in GROUP_COLUMNS:
            raise InvalidInput(
                f"unknown CAS group code {adjustment.group_code!r}; expected CO, PR, OA, PI or CR",
                group_code=adjustment.group_code,
            )
        if not valid_carc(adjustment.carc):
            raise InvalidInput(f"{adjustment.carc!r} is not a CARC", carc=adjustment.carc)
    entries: list[Entry] = []
    if not pr_from_remittance and balance.pr_carcs():
        entries += _replace_estimate(procedure_id, balance, payments)
    if result.paid_cents:
        entries.append(Entry(procedure_id, Column.PAYER_PAID, "", result.paid_cents))
    entries += [
        Entry(procedure_id, GROUP_COLUMNS[a.group_code], a.carc, a.amount_cents)
        for a in result.adjustments
        if a.amount_cents
    ]
    after = balance.plus(entries)
    _check_fits_charge(after)
    entries += _apply_procedure_credit(procedure_id, after, payments, entries)
    assert not identity_violations(balance.plus(entries))
    return entries


def _replace_estimate(
    procedure_id: int, balance: Balance, payments: Mapping[int, Mapping[str, int]]
) -> list[Entry]:
    entries: list[Entry] = []
    for column in (Column.PR, Column.WRITTEN_OFF, Column.CANCELLED):
        for carc, cents in balance.by_carc(column).items():
            if cents:
                entries.append(Entry(procedure_id, column, carc, -cents))
    for payment_id, held in payments.items():
        for carc, cents in held.items():
            if carc and cents > 0:
                entries.append(Entry(procedure_id, Column.PATIENT_PAID, carc, -cents, payment_id))
                entries.append(Entry(procedure_id, Column.PATIENT_PAID, "", cents, payment_id))
    return entries


def _apply_procedure_credit(
    procedure_id: int,
    balance: Balance,
    payments: Mapping[int, Mapping[str, int]],
    planned: Sequence[Entry],
) -> list[Entry]:
    """Apply each payment's credit on this procedure to its open PR, oldest payment first."""
    entries: list[Entry] = []
    current = balance
    for payment_id in sorted(payments):
        credit = payments[payment_id].get("", 0) + sum(
            e.amount_cents
            for e in planned
            if e.payment_id == payment_id and e.column == Column.PATIENT_PAID and e.carc == ""
        )
        plan = allocate(credit, [(procedure_id, current)])
        moved = sum(plan.values())
        if not moved:
            continue
        own = [Entry(procedure_id, Column.PATIENT_PAID, "", -moved, payment_id)]
        own += [
            Entry(procedure_id, Column.PATIENT_PAID, carc, cents, payment_id)
            for (_, carc), cents in plan.items()
        ]
        current = current.plus(own)
        entries += own
    return entries


def _check_fits_charge(balance: Balance) -> None:
    problems = identity_violations(balance)
    if balance.insurance_balance < 0:
        raise AdjudicationExceedsCharge(
            f"paid and adjusted amounts exceed the charge by {format_cents(-balance.insurance_balance)}",
            excess_cents=-balance.insurance_balance,
        )
    if problems:
        raise InvalidAmount(f"this posting would leave the procedure inconsistent: {problems[0]}")
