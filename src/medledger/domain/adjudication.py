"""Posting what a payer decided for a procedure, and estimated PR before it.

Estimated PR (a copay taken at check-in, an estimate) is PR entered before adjudication. When the
payer's remittance for the procedure is posted, its PR *replaces* the estimate — the documented
rule (docs/ledger.md):

1. the estimate's PR, write-offs and cancellations go back to zero, as entries of the remittance's
   transaction, so the history shows what was replaced;
2. patient money applied to the estimate becomes credit on the procedure;
3. the payer's amounts post: paid, CO, OA/PI/CR by CARC, PR by CARC;
4. credit on the procedure is applied to the new PR in the default order; the rest stays credit.

PR from a remittance is the payer's adjudication: a later remittance of the same payer adds to
it (a correction; a claim reversal takes it back), but it is never "replaced" by an estimate.

Coordination of benefits: a claim the payer processed as secondary or tertiary adjudicates what
the earlier payers left to the patient. Its remittance *replaces* that PR exactly as a first
remittance replaces an estimate (steps 1-4 above), and its CAS OA-23 ("impact of prior payer(s)
adjudication") is not posted: it restates amounts the earlier payer's remittance already posted.

Claim-level amounts (CAS on the claim, and payment the lines do not itemise) are spread over the
claim's procedures by ``spread_claim_level``.
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


#: CLP02 claim status codes, grouped by what they mean for posting.
PRIMARY_STATUSES = frozenset({"1", "19"})  # processed as primary (19: and forwarded)
SECONDARY_STATUSES = frozenset({"2", "20"})
TERTIARY_STATUSES = frozenset({"3", "21"})
DENIED_STATUS = "4"
REVERSAL_STATUS = "22"  # reversal of a previous payment: amounts are negated
PREDETERMINATION_STATUS = "25"  # predetermination pricing only: no payment was made
#: The CLP02 statuses whose amounts post: processed as primary, secondary, tertiary (and
#: forwarded), denied, reversed, and 23 (not our claim, forwarded to another payer).
POSTING_STATUSES = frozenset({"1", "2", "3", "4", "19", "20", "21", "22", "23"})
#: CARC 23, group OA: the prior payers' share, restated on a secondary or tertiary claim.
PRIOR_PAYER_CARC = "23"


def coordinates_benefits(status_code: str) -> bool:
    """Whether the payer adjudicated the claim after another payer (secondary or tertiary)."""
    return status_code in SECONDARY_STATUSES or status_code in TERTIARY_STATUSES


def without_prior_payer(adjustments: Sequence[Adjustment]) -> tuple[Adjustment, ...]:
    """A secondary payer's adjustments less OA-23, which restates what earlier payers did."""
    return tuple(
        a for a in adjustments if not (a.group_code == "OA" and a.carc == PRIOR_PAYER_CARC)
    )


def replaces_pr(*, pr_from_remittance: bool, crossover: bool) -> bool:
    """Whether this posting replaces the procedure's PR: an estimate's, or (``crossover``, a
    secondary payer's claim) the earlier payer's."""
    return crossover or not pr_from_remittance


def plan_adjudication(
    procedure_id: int,
    balance: Balance,
    result: PayerResult,
    *,
    pr_from_remittance: bool,
    payments: Mapping[int, Mapping[str, int]],
    crossover: bool = False,
) -> list[Entry]:
    """Entries posting a payer's result on one procedure (see the module docstring for the rule).

    ``payments`` maps each patient payment to what it holds on this procedure, per CARC ("" is
    credit), so that money applied to replaced PR can be re-applied. ``crossover``: the result is
    a secondary payer's, which replaces the PR an earlier payer assigned.
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
    if replaces_pr(pr_from_remittance=pr_from_remittance, crossover=crossover) and (
        balance.pr_carcs()
    ):
        entries += _replace_pr(procedure_id, balance, payments)
    if result.paid_cents:
        entries.append(Entry(procedure_id, Column.PAYER_PAID, "", result.paid_cents))
    entries += [
        Entry(procedure_id, GROUP_COLUMNS[a.group_code], a.carc, a.amount_cents)
        for a in result.adjustments
        if a.amount_cents
    ]
    after = balance.plus(entries)
    _check_fits_charge(after)
    credit = _apply_procedure_credit(procedure_id, after, payments, entries)
    if credit:
        entries += credit
        assert not identity_violations(after.plus(credit))
    return entries


#: Columns a procedure's balance may hold for ``plan_payer_only``: the charge and what payers
#: did. Everything else (PR, its write-offs, cancellations, patient money) is what the general
#: rule replaces, re-applies or checks against.
_CHARGE, _PAYER_PAID, _PR = Column.CHARGE, Column.PAYER_PAID, Column.PR
_PAYER_ONLY_COLUMNS = frozenset(
    {Column.CHARGE, Column.PAYER_PAID, Column.CONTRACTUAL, Column.PAYER_OA, Column.PAYER_PI,
     Column.PAYER_CR}
)  # fmt: skip


def plan_payer_only(
    procedure_id: int,
    balance: Balance,
    result: PayerResult,
    payments: Mapping[int, Mapping[str, int]],
) -> tuple[list[Entry], Balance] | None:
    """``plan_adjudication`` for the common case, with the balance after: the procedure holds
    nothing but its charge and earlier payers' amounts (no PR, write-off, cancellation or
    patient money, and no payment holds anything on it) and the posting is sound. None
    otherwise, and the caller takes the general rule, which then gives the reason it refuses
    (or plans what this path leaves to it).

    An import posts thousands of such procedures; here each costs one pass over its entries
    instead of the general rule's balance arithmetic. Property-tested against
    ``plan_adjudication`` (tests/domain/test_era_rules.py): same entries, same balance after.
    """
    if payments:
        return None
    amounts = dict(balance.amounts)
    insurance = 0
    for (column, _), cents in amounts.items():
        if column not in _PAYER_ONLY_COLUMNS:
            return None
        insurance += cents if column == _CHARGE else -cents
    entries: list[Entry] = []
    pr_keys: list[tuple[Column, str]] = []  # the balance held no PR: only these can go negative
    paid = result.paid_cents
    if paid:
        entries.append(Entry(procedure_id, _PAYER_PAID, "", paid))
        amounts[_PAYER_PAID, ""] = amounts.get((_PAYER_PAID, ""), 0) + paid
        insurance -= paid
    for adjustment in result.adjustments:
        target = GROUP_COLUMNS.get(adjustment.group_code)
        if target is None or not valid_carc(adjustment.carc):
            return None
        cents = adjustment.amount_cents
        if cents:
            entries.append(Entry(procedure_id, target, adjustment.carc, cents))
            key = (target, adjustment.carc)
            amounts[key] = amounts.get(key, 0) + cents
            insurance -= cents
            if target is _PR:
                pr_keys.append(key)
    if insurance < 0:
        return None
    for key in pr_keys:
        if amounts[key] < 0:
            return None
    return entries, Balance.of(amounts)


def _replace_pr(
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


def open_to_payer(balance: Balance, *, replaces: bool) -> int:
    """What a payer's posting may still settle on a procedure: its insurance balance, plus the PR
    (and written-off PR) the posting replaces."""
    if replaces:
        return balance.insurance_balance + balance.pr_net + balance.other_adjustments
    return balance.insurance_balance


def spread_claim_level(
    procedures: Sequence[tuple[int, int]],
    results: Mapping[int, PayerResult],
    balances: Mapping[int, Balance],
    paid_cents: int,
    adjustments: Sequence[Adjustment],
) -> dict[int, PayerResult]:
    """Add a claim's claim-level amounts to its procedures' results.

    ``procedures`` are (procedure, cents open to the payer before this claim), oldest first;
    ``results`` the line-level results; ``paid_cents`` the payment no line itemises (claim paid
    less line payments; negative when claim-level CAS came out of the line payments);
    ``adjustments`` the claim-level CAS.

    Amounts that take something back (negative) go first, each from the procedures that hold it
    (in the ledger or in this claim's lines), oldest first; then each positive amount lands
    oldest first, each procedure taking at most what is still open on it. The last procedure
    takes any remainder, so the claim's totals always post in full; if that overfills it, the
    adjudication rules refuse the posting.
    """
    assert procedures, "a claim reaches the ledger through at least one procedure"
    paid = {pid: results[pid].paid_cents if pid in results else 0 for pid, _ in procedures}
    parts: dict[int, list[Adjustment]] = {
        pid: list(results[pid].adjustments) if pid in results else [] for pid, _ in procedures
    }
    room = {
        pid: open_cents - paid[pid] - sum(a.amount_cents for a in parts[pid])
        for pid, open_cents in procedures
    }
    amounts: list[Adjustment | None] = [None, *adjustments]  # None is the claim-level payment
    for amount in sorted(amounts, key=lambda a: _cents(a, paid_cents) >= 0):
        cents = _cents(amount, paid_cents)
        if not cents:
            continue
        for pid, take in _places(cents, procedures, room, _holding(amount, balances, paid, parts)):
            room[pid] -= take
            if amount is None:
                paid[pid] += take
            else:
                parts[pid].append(Adjustment(amount.group_code, amount.carc, take))
    return {
        pid: PayerResult(paid[pid], tuple(parts[pid]))
        for pid, _ in procedures
        if pid in results or paid[pid] or parts[pid]
    }


def _cents(amount: Adjustment | None, paid_cents: int) -> int:
    return paid_cents if amount is None else amount.amount_cents


def _holding(
    amount: Adjustment | None,
    balances: Mapping[int, Balance],
    paid: Mapping[int, int],
    parts: Mapping[int, list[Adjustment]],
) -> dict[int, int]:
    """What each procedure holds of the amount's column (and CARC): ledger plus this claim."""
    if amount is None:
        return {pid: balances[pid].payer_paid + cents for pid, cents in paid.items()}
    column = GROUP_COLUMNS.get(amount.group_code)
    if column is None:  # an unknown group: plan_adjudication refuses it with its reason
        return dict.fromkeys(parts, 0)
    return {
        pid: balances[pid].amount(column, amount.carc)
        + sum(
            a.amount_cents
            for a in own
            if a.group_code == amount.group_code and a.carc == amount.carc
        )
        for pid, own in parts.items()
    }


def _places(
    cents: int,
    procedures: Sequence[tuple[int, int]],
    room: Mapping[int, int],
    holding: Mapping[int, int],
) -> list[tuple[int, int]]:
    """Where ``cents`` lands: a positive amount by room, a negative one by what is held."""
    places: list[tuple[int, int]] = []
    remaining = cents
    last = procedures[-1][0]
    for pid, _ in procedures:
        if pid == last:
            take = remaining
        elif remaining > 0:
            take = min(remaining, max(room[pid], 0))
        else:
            take = -min(-remaining, max(holding[pid], 0))
        if take:
            places.append((pid, take))
            remaining -= take
        if not remaining:
            break
    return places


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
