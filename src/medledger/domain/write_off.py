"""Write off PR: the practice chooses not to collect PR that is technically due.

A write-off is net zero on the procedure: each amount leaves the PR column of its CARC and enters
Other Adjustments (``WRITTEN_OFF``) under the same CARC. The charge is unchanged and the patient
balance drops by the amount. Only unpaid PR can be written off: PR that a patient payment covers
must be refunded (or the payment moved) first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from medledger.domain.balance import Balance, Entry, identity_violations
from medledger.domain.columns import Column, pr_sort_key
from medledger.domain.errors import (
    AlreadyFullyWrittenOff,
    ClaimLevelItem,
    ExceedsOpenPR,
    InvalidAmount,
    NothingAssigned,
    NotPatientResponsibility,
    PaidPRMustBeRefundedFirst,
)
from medledger.domain.money import format_cents, require_positive
from medledger.domain.permission import Permission


def can_write_off(balance: Balance, *, claim_level: bool = False) -> Permission:
    """Whether any PR of this procedure can be written off now, and if not, why not."""
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
    open_by_carc = balance.open_pr_by_carc()
    if open_by_carc:
        return Permission.grant(open_by_carc)
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


def plan_write_off(procedure_id: int, balance: Balance, amounts: Mapping[str, int]) -> list[Entry]:
    """The entries writing off ``amounts`` (cents per PR CARC) on one procedure.

    Raises the specific error for the first guard that fails; writes nothing itself.
    """
    if not amounts:
        raise InvalidAmount("give an amount for at least one PR CARC")
    for carc, cents in amounts.items():
        _check_write_off_amount(balance, carc, cents)
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


def split_over_procedures(
    total_cents: int, balances: Sequence[tuple[int, Balance]]
) -> dict[int, dict[str, int]]:
    """Split one amount over procedures (given oldest first), then over CARCs in PR_ORDER.

    This is the encounter- and patient-level write-off: the oldest PR goes first, because that is
    the PR least likely to be collected.
    """
    open_total = sum(balance.total_open_pr() for _, balance in balances)
    if total_cents > open_total or total_cents <= 0:
        split_total(total_cents, {"": open_total})  # raises the specific error
    plan: dict[int, dict[str, int]] = {}
    remaining = total_cents
    for procedure_id, balance in balances:
        open_here = balance.open_pr_by_carc()
        take = min(remaining, sum(open_here.values()))
        if take > 0:
            plan[procedure_id] = split_total(take, open_here)
            remaining -= take
    assert remaining == 0
    return plan


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
