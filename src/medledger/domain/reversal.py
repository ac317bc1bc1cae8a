"""Reversals: every posted action can be undone by a new transaction linked to it.

Nothing is updated or deleted. A reversal's entries are the negation of what the original still
has standing (after earlier partial reversals), so applying it brings every column back exactly to
what it was without the original. A write-off can also be removed in part.

Patient money is pooled per procedure (one payment's credit and another's sit in the same
column), so a reversal is checked per payment too: it may not take back from a payment more than
that payment still holds on a procedure and CARC. Otherwise reversing a payment whose credit was
since applied elsewhere would take another payment's credit, and that payment's refund would find
nothing to refund.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from medledger.domain.balance import Balance, Entry, identity_violations
from medledger.domain.columns import Column, pr_sort_key
from medledger.domain.errors import (
    NotAWriteOff,
    NotReversible,
    ReversalExceedsOriginal,
)
from medledger.domain.money import format_cents, require_positive
from medledger.domain.write_off import written_off_by_key

EntryKey = tuple[int, Column, str, int | None]
#: What payments hold now per (payment, procedure, CARC): paid − refunded; CARC "" is credit.
PaymentHoldings = Mapping[tuple[int, int, str], int]


@dataclass(frozen=True, slots=True)
class Posted:
    """A transaction as the rules need it: its kind and entries, plus its reversals' entries.

    kind: the transaction kind ("write_off", "payment", ...).
    entries: the entries it posted.
    reversal_entries: all entries of the reversals already posted against it (may be empty).
    """

    kind: str
    entries: tuple[Entry, ...]
    reversal_entries: tuple[Entry, ...] = ()


def standing(posted: Posted) -> dict[EntryKey, int]:
    """What the transaction still contributes per (procedure, column, CARC, payment)."""
    sums: dict[EntryKey, int] = {}
    for entry in (*posted.entries, *posted.reversal_entries):
        key = (entry.procedure_id, entry.column, entry.carc, entry.payment_id)
        sums[key] = sums.get(key, 0) + entry.amount_cents
    return {key: cents for key, cents in sums.items() if cents}


def plan_full_reversal(
    posted: Posted,
    balances: Mapping[int, Balance],
    holdings: PaymentHoldings,
    others: Mapping[int, Posted],
) -> list[Entry]:
    """Entries reversing all that ``posted`` still contributes.

    ``holdings`` are what the payments ``posted`` moves hold now; ``others`` are the other
    transactions (by id) that moved those payments' money, to name the ones to undo first.
    Refused when nothing is left to reverse, when it would take from a payment more than the
    payment holds (its money was since refunded, applied elsewhere or moved by a remittance), or
    when undoing it would break an identity.
    """
    if posted.kind == "reversal":
        raise NotReversible("a reversal cannot itself be reversed; post the action again instead")
    remaining = standing(posted)
    if not remaining:
        raise NotReversible("this transaction has already been reversed in full")
    entries = [
        Entry(procedure_id, column, carc, -cents, payment_id)
        for (procedure_id, column, carc, payment_id), cents in remaining.items()
    ]
    _check_holdings(remaining, holdings, others)
    _check_result(entries, balances)
    return entries


def plan_write_off_removal(
    posted: Posted,
    balances: Mapping[int, Balance],
    amounts: Mapping[tuple[int, str], int] | None = None,
) -> list[Entry]:
    """Entries removing a write-off, in whole (``amounts`` None) or in part.

    ``amounts`` maps (procedure, CARC) to the cents to restore to PR. Each is limited by what the
    write-off still has standing and by what is still written off on the procedure now.
    """
    require_write_off(posted)
    left = {
        key: cents
        for key, cents in written_off_by_key((*posted.entries, *posted.reversal_entries)).items()
        if cents
    }
    if not left:
        raise NotReversible("this write-off has already been removed in full")
    wanted = dict(left) if amounts is None else dict(amounts)
    for (procedure_id, carc), cents in wanted.items():
        require_positive(cents, "amount to remove")
        still = left.get((procedure_id, carc), 0)
        if cents > still:
            raise ReversalExceedsOriginal(
                f"only {format_cents(still)} of this write-off (CARC {carc}) is left to remove",
                remaining_cents=still,
                requested_cents=cents,
            )
    entries: list[Entry] = []
    for (procedure_id, carc), cents in wanted.items():
        entries.append(Entry(procedure_id, Column.WRITTEN_OFF, carc, -cents))
        entries.append(Entry(procedure_id, Column.PR, carc, cents))
    _check_result(entries, balances)
    return entries


def split_removal(posted: Posted, total_cents: int) -> dict[tuple[int, str], int]:
    """Split one amount to remove over a write-off's standing parts: procedure order, PR_ORDER."""
    require_write_off(posted)
    require_positive(total_cents, "amount to remove")
    left = written_off_by_key((*posted.entries, *posted.reversal_entries))
    available = sum(cents for cents in left.values() if cents > 0)
    if total_cents > available:
        raise ReversalExceedsOriginal(
            f"only {format_cents(available)} of this write-off is left to remove",
            remaining_cents=available,
            requested_cents=total_cents,
        )
    order = sorted((k for k, v in left.items() if v > 0), key=lambda k: (k[0], pr_sort_key(k[1])))
    split: dict[tuple[int, str], int] = {}
    remaining = total_cents
    for key in order:
        take = min(remaining, left[key])
        if take:
            split[key] = take
            remaining -= take
    return split


def require_write_off(posted: Posted) -> None:
    if posted.kind != "write_off":
        raise NotAWriteOff(f"this is a {posted.kind.replace('_', ' ')}, not a write-off")


def _holding_changes(sums: Mapping[EntryKey, int]) -> dict[tuple[int, int, str], int]:
    """What ``standing`` sums add to payments' holdings per (payment, procedure, CARC): patient
    paid adds, refunded takes away."""
    changes: dict[tuple[int, int, str], int] = {}
    for (procedure_id, column, carc, payment_id), cents in sums.items():
        if payment_id is not None and column in (Column.PATIENT_PAID, Column.REFUNDED):
            key = (payment_id, procedure_id, carc)
            changes[key] = changes.get(key, 0) + (
                cents if column == Column.PATIENT_PAID else -cents
            )
    return {key: cents for key, cents in changes.items() if cents}


def _check_holdings(
    remaining: Mapping[EntryKey, int], holdings: PaymentHoldings, others: Mapping[int, Posted]
) -> None:
    """Refuse to leave any payment holding less than nothing on a procedure and CARC (reversing
    takes back ``remaining``), naming the transactions that took that money since: they are to
    be reversed first."""
    for key, taken in sorted(_holding_changes(remaining).items()):
        held = holdings.get(key, 0)
        if taken <= 0 or held >= taken:
            continue
        payment_id, procedure_id, carc = key
        takers = [
            f"{other.kind.replace('_', ' ')} {number}"
            for number, other in sorted(others.items())
            if _holding_changes(standing(other)).get(key, 0) < 0
        ]
        money = "credit" if not carc else f"CARC {carc} PR paid"
        first = f"reverse {', '.join(takers)} first" if takers else "undo the later actions first"
        raise NotReversible(
            f"payment {payment_id} holds {format_cents(held)} of {money} on procedure "
            f"{procedure_id} now, less than the {format_cents(taken)} reversing this would "
            f"take back; {first}",
            payment_id=payment_id,
            procedure_id=procedure_id,
            carc=carc,
            held_cents=held,
            requested_cents=taken,
        )


def _check_result(entries: Iterable[Entry], balances: Mapping[int, Balance]) -> None:
    by_procedure: dict[int, list[Entry]] = {}
    for entry in entries:
        by_procedure.setdefault(entry.procedure_id, []).append(entry)
    for procedure_id, own in by_procedure.items():
        after = balances.get(procedure_id, Balance()).plus(own)
        problems = identity_violations(after)
        if problems:
            raise NotReversible(
                f"reversing this would leave procedure {procedure_id} inconsistent "
                f"({problems[0]}); undo the later actions on it first",
                procedure_id=procedure_id,
            )
