"""Patient money: applying a payment to open PR, leaving credit, refunding.

Default allocation (documented in docs/ledger.md): procedures oldest first (date of service, then
id), and within a procedure the PR CARCs in PR_ORDER — copay, coinsurance, deductible, other.
Money left over becomes credit on the encounter's first procedure: visible, refundable, and
applicable to PR that arrives later. Nothing is dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from medledger.domain.balance import Balance, Entry, identity_violations
from medledger.domain.columns import Column, pr_sort_key
from medledger.domain.errors import (
    CreditExceeded,
    ExceedsOpenPR,
    InvalidAmount,
    LedgerInconsistent,
    RefundExceedsPayment,
)
from medledger.domain.money import format_cents, require_positive

#: What one payment currently holds: cents per (procedure, CARC); CARC "" is its credit.
Holdings = Mapping[tuple[int, str], int]


def allocate(
    amount_cents: int, balances: Sequence[tuple[int, Balance]]
) -> dict[tuple[int, str], int]:
    """Default allocation of ``amount_cents`` over open PR, in the documented order.

    ``balances`` come oldest first. The result never exceeds what is open; the caller turns any
    remainder into credit.
    """
    plan: dict[tuple[int, str], int] = {}
    remaining = amount_cents
    for procedure_id, balance in balances:
        for carc in sorted(balance.open_pr_by_carc(), key=pr_sort_key):
            take = min(remaining, balance.open_pr(carc))
            if take > 0:
                plan[(procedure_id, carc)] = take
                remaining -= take
    return plan


def plan_payment(
    payment_id: int,
    amount_cents: int,
    balances: Mapping[int, Balance],
    allocation: Mapping[tuple[int, str], int],
    credit_procedure_id: int,
) -> list[Entry]:
    """Entries applying a payment as ``allocation`` says, the rest as credit.

    ``allocation`` is the default one from ``allocate`` or one the user gave; either way each part
    must fit the open PR it pays.
    """
    require_positive(amount_cents, "payment")
    applied = sum(allocation.values())
    if applied > amount_cents:
        raise InvalidAmount(
            f"allocation of {format_cents(applied)} exceeds the payment of {format_cents(amount_cents)}"
        )
    for (procedure_id, carc), cents in allocation.items():
        open_cents = balances[procedure_id].open_pr(carc) if procedure_id in balances else 0
        if cents <= 0 or cents > open_cents:
            raise ExceedsOpenPR(
                f"allocation of {format_cents(cents)} to CARC {carc} of procedure {procedure_id} "
                f"does not fit its open PR ({format_cents(open_cents)})",
                open_cents=open_cents,
                requested_cents=cents,
            )
    entries = [
        Entry(procedure_id, Column.PATIENT_PAID, carc, cents, payment_id)
        for (procedure_id, carc), cents in allocation.items()
    ]
    if amount_cents > applied:
        entries.append(
            Entry(credit_procedure_id, Column.PATIENT_PAID, "", amount_cents - applied, payment_id)
        )
    _require_sound(entries, balances, "payment")
    return entries


def plan_refund(
    payment_id: int,
    amount_cents: int,
    holdings: Holdings,
    balances: Mapping[int, Balance],
) -> list[Entry]:
    """Entries refunding part or all of a payment.

    Credit is refunded first (it pays nothing); then what the payment paid, newest procedure and
    last CARC first, which re-opens that PR.
    """
    require_positive(amount_cents, "refund")
    refundable = sum(cents for cents in holdings.values() if cents > 0)
    if amount_cents > refundable:
        raise RefundExceedsPayment(
            f"refund of {format_cents(amount_cents)} exceeds what this payment still holds "
            f"({format_cents(refundable)})",
            refundable_cents=refundable,
            requested_cents=amount_cents,
        )
    held = sorted(
        (key for key, cents in holdings.items() if cents > 0),
        key=lambda key: (key[0], pr_sort_key(key[1])),
        reverse=True,
    )
    order = sorted(held, key=lambda key: key[1] != "")  # stable: credit first, rest as sorted
    entries: list[Entry] = []
    remaining = amount_cents
    for procedure_id, carc in order:
        take = min(remaining, holdings[(procedure_id, carc)])
        if take > 0:
            entries.append(Entry(procedure_id, Column.REFUNDED, carc, take, payment_id))
            remaining -= take
    assert remaining == 0
    _require_sound(entries, balances, "refund")
    return entries


def plan_credit_application(
    payment_id: int,
    credit: Mapping[int, int],
    balances: Mapping[int, Balance],
    order: Sequence[int],
    amount_cents: int | None = None,
) -> list[Entry]:
    """Entries moving a payment's credit (cents per procedure) onto open PR, default order.

    A move: credit on one procedure goes down exactly as much as PR paid goes up.
    """
    available = sum(credit.values())
    wanted = available if amount_cents is None else amount_cents
    if wanted <= 0 or wanted > available:
        raise CreditExceeded(
            f"this payment has {format_cents(available)} of credit; cannot apply {format_cents(wanted)}",
            credit_cents=available,
        )
    plan = allocate(wanted, [(pid, balances[pid]) for pid in order if pid in balances])
    entries: list[Entry] = []
    to_take = sum(plan.values())
    for procedure_id, cents in credit.items():
        take = min(to_take, cents)
        if take > 0:
            entries.append(Entry(procedure_id, Column.PATIENT_PAID, "", -take, payment_id))
            to_take -= take
    entries.extend(
        Entry(pid, Column.PATIENT_PAID, carc, cents, payment_id)
        for (pid, carc), cents in plan.items()
    )
    _require_sound(entries, balances, "credit application")
    return entries


def _require_sound(entries: list[Entry], balances: Mapping[int, Balance], action: str) -> None:
    """Refuse ``entries`` if they would break a procedure's identities: the plans above keep
    them on a sound ledger, so only a journal that no longer adds up gets here."""
    for procedure_id in sorted({e.procedure_id for e in entries}):
        own = [e for e in entries if e.procedure_id == procedure_id]
        problems = identity_violations(balances.get(procedure_id, Balance()).plus(own))
        if problems:
            raise LedgerInconsistent(
                f"this {action} would leave procedure {procedure_id} inconsistent "
                f"({problems[0]}); run medledger verify",
                procedure_id=procedure_id,
                problem=problems[0],
            )
