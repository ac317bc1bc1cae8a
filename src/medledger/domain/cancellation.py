"""Cancel PR: the practice says the PR is wrong and should never have existed.

Unlike a write-off (PR due but not collected), a cancellation sends the cents back to the
insurance balance. It is restricted: PR from a payer's remittance is the payer's adjudication and
changes only by a payer correction; paid PR must be refunded first; written-off PR must have its
write-off removed first. PR a pending approval request holds is not offered.
"""

from __future__ import annotations

from collections.abc import Mapping

from medledger.domain.balance import Balance, Entry, identity_violations
from medledger.domain.columns import Column, pr_sort_key
from medledger.domain.errors import (
    ExceedsOpenPR,
    InvalidAmount,
    NothingAssigned,
    NotPatientResponsibility,
    PaidPRMustBeRefundedFirst,
    RemittancePRCannotBeCancelled,
    WriteOffMustBeRemovedFirst,
)
from medledger.domain.money import format_cents, require_positive
from medledger.domain.permission import Permission
from medledger.domain.write_off import HeldByCarc, available_by_carc, pending, split_total


def can_cancel(
    balance: Balance, *, pr_from_remittance: bool, held: HeldByCarc | None = None
) -> Permission:
    """Whether the procedure's PR can be cancelled now (what pending approval requests hold,
    ``held``, left out), and if not, why not."""
    if not balance.pr_net:
        return Permission.deny(NothingAssigned("this procedure has no PR to cancel"))
    if pr_from_remittance:
        return Permission.deny(
            RemittancePRCannotBeCancelled(
                "this PR came from the payer's remittance and cannot be cancelled; "
                "it changes only by a payer correction or reversal (or write it off instead)"
            )
        )
    paid = balance.pr_paid()
    if paid:
        return Permission.deny(PaidPRMustBeRefundedFirst.for_paid(paid))
    if balance.other_adjustments:
        return Permission.deny(
            WriteOffMustBeRemovedFirst(
                "part of this PR is written off; remove the write-off first",
                written_off_cents=balance.other_adjustments,
            )
        )
    available = available_by_carc(balance, held)
    if not available:
        (carc, holder), *_ = (held or {}).items()
        return Permission.deny(pending(carc, holder))
    return Permission.grant(available)


def cancellation_amounts(
    allowed: Permission, total_cents: int | None, held: HeldByCarc | None = None
) -> dict[str, int]:
    """What a cancellation of ``total_cents`` takes per CARC (split by PR_ORDER over what
    ``can_cancel`` allowed), or of all that is allowed (None). More than is allowed: "waits for
    approval" when a pending request holds part of the PR, else "exceeds the PR"."""
    allowed.raise_if_denied()
    if total_cents is None:
        return dict(allowed.open_by_carc)
    if held and total_cents > allowed.total_cents:
        raise pending(*next(iter(held.items())))
    return split_total(total_cents, allowed.open_by_carc)


def plan_cancellation(
    procedure_id: int,
    balance: Balance,
    amounts: Mapping[str, int],
    *,
    pr_from_remittance: bool,
    held: HeldByCarc | None = None,
) -> list[Entry]:
    """Entries cancelling ``amounts`` (cents per PR CARC): PR[carc] → cancelled (insurance),
    leaving what pending approval requests hold (``held``) alone."""
    can_cancel(balance, pr_from_remittance=pr_from_remittance, held=held).raise_if_denied()
    if not amounts:
        raise InvalidAmount("give an amount for at least one PR CARC")
    for carc, cents in amounts.items():
        require_positive(cents, "amount to cancel")
        pr = balance.amount(Column.PR, carc)
        if not pr:
            raise NotPatientResponsibility(f"CARC {carc} has no PR to cancel", carc=carc)
        if cents > pr:
            raise ExceedsOpenPR(
                f"cancellation of {format_cents(cents)} exceeds the PR of CARC {carc} "
                f"({format_cents(pr)})",
                open_cents=pr,
                requested_cents=cents,
            )
        holder = (held or {}).get(carc)
        if holder is not None and cents > pr - holder.cents:
            raise pending(carc, holder)
    # From here on the cancellation is valid.
    entries: list[Entry] = []
    for carc in sorted(amounts, key=pr_sort_key):
        entries.append(Entry(procedure_id, Column.PR, carc, -amounts[carc]))
        entries.append(Entry(procedure_id, Column.CANCELLED, carc, amounts[carc]))
    assert sum(e.amount_cents for e in entries) == 0, "a cancellation is a move"
    assert not identity_violations(balance.plus(entries))
    return entries
