"""Write off PR: the practice chooses not to collect PR that is technically due.

A write-off is net zero on the procedure: each amount leaves the PR column of its CARC and enters
Other Adjustments (``WRITTEN_OFF``) under the same CARC. The charge is unchanged and the patient
balance drops by the amount. Only unpaid PR can be written off: PR that a patient payment covers
must be refunded (or the payment moved) first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from medledger.domain.balance import Balance, Entry, identity_violations
from medledger.domain.columns import Column, pr_sort_key
from medledger.domain.errors import (
    AlreadyFullyWrittenOff,
    ApprovalPending,
    ClaimLevelItem,
    ExceedsOpenPR,
    InvalidAmount,
    NothingAssigned,
    NotPatientResponsibility,
    PaidPRMustBeRefundedFirst,
)
from medledger.domain.money import format_cents, require_positive
from medledger.domain.permission import Permission


class Held(NamedTuple):
    """PR of one CARC a pending approval request holds back: cents, and the request's number."""

    cents: int
    approval_id: int


#: What pending approval requests hold of one procedure's PR, per CARC.
HeldByCarc = Mapping[str, Held]


def available_by_carc(balance: Balance, held: HeldByCarc | None = None) -> dict[str, int]:
    """Open PR per CARC that no pending approval request holds: what a write-off may take."""
    held = held or {}
    available = {}
    for carc, cents in balance.open_pr_by_carc().items():
        left = cents - held[carc].cents if carc in held else cents
        if left > 0:
            available[carc] = left
    return available


def can_write_off(
    balance: Balance, *, claim_level: bool = False, held: HeldByCarc | None = None
) -> Permission:
    """Whether any PR of this procedure can be written off now, and if not, why not (the same
    ladder of reasons for a procedure, an encounter and a patient: see ``plan_total``)."""
    if claim_level:
        return Permission.deny(
            ClaimLevelItem(
                "write-offs apply to procedure-level payment items only; "
                "open the claim and pick one of its procedures"
            )
        )
    carcs = balance.pr_carcs()
    if not any(balance.assigned(carc) for carc in carcs):
        return Permission.deny(
            NothingAssigned("no patient responsibility is assigned to this procedure")
        )
    open_by_carc = available_by_carc(balance, held)
    if open_by_carc:
        return Permission.grant(open_by_carc)
    if balance.total_open_pr():
        (carc, holder), *_ = (held or {}).items()
        return Permission.deny(pending(carc, holder))
    paid = balance.pr_paid()
    if paid:
        return Permission.deny(PaidPRMustBeRefundedFirst.for_paid(paid))
    if balance.other_adjustments:
        return Permission.deny(
            AlreadyFullyWrittenOff(
                "all of this procedure's PR is already written off",
                written_off_cents=balance.other_adjustments,
            )
        )
    return Permission.deny(NothingAssigned("this procedure has no PR left: it was cancelled"))


def pending(carc: str, holder: Held) -> ApprovalPending:
    """The refusal of PR of ``carc`` that a pending approval request holds."""
    return ApprovalPending(
        f"{format_cents(holder.cents)} of CARC {carc} waits for approval in request "
        f"#{holder.approval_id}; decide that request first",
        carc=carc,
        approval_id=holder.approval_id,
        held_cents=holder.cents,
    )


def plan_write_off(
    procedure_id: int,
    balance: Balance,
    amounts: Mapping[str, int],
    held: HeldByCarc | None = None,
) -> list[Entry]:
    """The entries writing off ``amounts`` (cents per PR CARC) on one procedure, leaving what
    pending approval requests hold (``held``) alone.

    Raises the specific error for the first guard that fails; writes nothing itself.
    """
    if not amounts:
        raise InvalidAmount("give an amount for at least one PR CARC")
    for carc, cents in amounts.items():
        _check_write_off_amount(balance, carc, cents)
        holder = (held or {}).get(carc)
        if holder is not None and cents > balance.open_pr(carc) - holder.cents:
            raise pending(carc, holder)
    # From here on the write-off is valid.
    entries: list[Entry] = []
    for carc in sorted(amounts, key=pr_sort_key):
        entries.append(Entry(procedure_id, Column.PR, carc, -amounts[carc]))
        entries.append(Entry(procedure_id, Column.WRITTEN_OFF, carc, amounts[carc]))
    assert sum(e.amount_cents for e in entries) == 0, "a write-off is a move"
    assert not identity_violations(balance.plus(entries))
    return entries


def _check_write_off_amount(balance: Balance, carc: str, cents: int) -> None:
    require_positive(cents, f"write-off amount for CARC {carc}")
    if not balance.assigned(carc):
        raise NotPatientResponsibility(
            f"CARC {carc} carries no patient responsibility on this procedure",
            carc=carc,
        )
    open_cents = balance.open_pr(carc)
    if cents <= open_cents:
        return
    if cents <= balance.amount(Column.PR, carc):
        raise PaidPRMustBeRefundedFirst(
            f"only {format_cents(open_cents)} of CARC {carc} is unpaid; "
            f"refund the payment first to write off {format_cents(cents)}",
            carc=carc,
            open_cents=open_cents,
            requested_cents=cents,
        )
    raise ExceedsOpenPR(
        f"write-off of {format_cents(cents)} exceeds the open PR of CARC {carc} "
        f"({format_cents(open_cents)})",
        carc=carc,
        open_cents=open_cents,
        requested_cents=cents,
    )


def split_total(total_cents: int, open_by_carc: Mapping[str, int]) -> dict[str, int]:
    """Split one amount over PR CARCs in PR_ORDER (copay, coinsurance, deductible, other).

    The seed's patient-profile dialog asks for one amount; this is the documented rule that turns
    it into amounts per CARC. Refuses a total above what is open.
    """
    require_positive(total_cents)
    available = sum(open_by_carc.values())
    if total_cents > available:
        raise ExceedsOpenPR(
            f"amount {format_cents(total_cents)} exceeds the open PR ({format_cents(available)})",
            open_cents=available,
            requested_cents=total_cents,
        )
    split: dict[str, int] = {}
    remaining = total_cents
    for carc in sorted(open_by_carc, key=pr_sort_key):
        take = min(remaining, open_by_carc[carc])
        if take > 0:
            split[carc] = take
            remaining -= take
    assert remaining == 0
    return split


def plan_total(
    total_cents: int,
    balances: Sequence[tuple[int, Balance]],
    held: Mapping[int, HeldByCarc] | None = None,
) -> dict[int, dict[str, int]]:
    """Split one amount over procedures (given oldest first), then over CARCs in PR_ORDER.

    One procedure, an encounter's or a patient's: the oldest PR goes first, because that is the
    PR least likely to be collected. The guards are those of one procedure, in the same order,
    so each level gives the same reason: nothing open anywhere → the first procedure's reason
    (paid PR → refund first); more asked than is open → refund first when paid PR would cover
    it, "waits for approval" when a pending request holds it, else "exceeds the open PR".
    """
    held = held or {}
    require_positive(total_cents)
    permissions = [can_write_off(b, held=held.get(pid)) for pid, b in balances]
    granted = sum(p.total_cents for p in permissions)
    if not granted:
        reasons = [p.reason for p in permissions if p.reason is not None]
        paid = [r for r in reasons if isinstance(r, PaidPRMustBeRefundedFirst)]
        raise (paid or reasons)[0]
    if total_cents > granted:
        raise _beyond_open(total_cents, granted, balances, held)
    plan: dict[int, dict[str, int]] = {}
    remaining = total_cents
    for (procedure_id, _), permission in zip(balances, permissions, strict=True):
        take = min(remaining, permission.total_cents)
        if take > 0:
            plan[procedure_id] = split_total(take, permission.open_by_carc)
            remaining -= take
    assert remaining == 0
    return plan


def _beyond_open(
    total_cents: int,
    granted: int,
    balances: Sequence[tuple[int, Balance]],
    held: Mapping[int, HeldByCarc],
) -> Exception:
    """Why ``total_cents`` cannot be written off when only ``granted`` is free."""
    paid = sum(balance.pr_paid() for _, balance in balances)
    if paid and total_cents <= granted + paid:
        return PaidPRMustBeRefundedFirst(
            f"only {format_cents(granted)} of the PR is unpaid; "
            f"refund the payment first to write off {format_cents(total_cents)}",
            open_cents=granted,
            requested_cents=total_cents,
        )
    holders = [item for procedure_id, _ in balances for item in held.get(procedure_id, {}).items()]
    if holders:
        return pending(*holders[0])
    return ExceedsOpenPR(
        f"amount {format_cents(total_cents)} exceeds the open PR ({format_cents(granted)})",
        open_cents=granted,
        requested_cents=total_cents,
    )


def written_off_total(entries: Iterable[Entry]) -> int:
    """Cents a set of entries writes off (net), e.g. to compare with a user's limit."""
    return sum(e.amount_cents for e in entries if e.column == Column.WRITTEN_OFF)


def written_off_by_key(entries: Iterable[Entry]) -> dict[tuple[int, str], int]:
    """Cents written off per (procedure, CARC) by a write-off's entries or its reversals."""
    result: dict[tuple[int, str], int] = {}
    for entry in entries:
        if entry.column == Column.WRITTEN_OFF:
            key = (entry.procedure_id, entry.carc)
            result[key] = result.get(key, 0) + entry.amount_cents
    return result
