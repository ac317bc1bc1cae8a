"""Filing a request above the acting user's limit for approval, and deciding one: the part of
writing off and cancelling PR that is the same for both.

A posting service (``write_offs.submit_write_offs``, ``cancellations.cancel_pr``) plans its
entries into a ``Tally`` and passes ``settle`` as the posting's last step: for a new request it
raises ``OverLimit`` when what the user took off the account within the window is now above
their limit, which unwinds the posting; the service then files the whole request with
``file_request``, holding its amounts. For a manager's approval ``settle`` records the decision
in the same database transaction as the posting, guarded (``WHERE status = 'pending'``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from medledger.domain.balance import Entry
from medledger.domain.columns import Column
from medledger.domain.errors import ApprovalDecided, ApprovalPending, ConcurrentChange, DraftClosed
from medledger.domain.money import format_cents
from medledger.domain.statuses import ApprovalStatus, DraftStatus
from medledger.services.actor import Actor
from medledger.services.ledger_requests import LedgerRequest, decode, encode, kind_of
from medledger.services.limits import over_limit
from medledger.storage.unit_of_work import Record, UnitOfWork, UnitOfWorkFactory

#: The columns a write-off and a cancellation move PR to: what a request takes off PR.
_TAKEN = (Column.WRITTEN_OFF, Column.CANCELLED)


@dataclass(frozen=True)
class ApprovalView:
    """An approval request: write-offs or a cancellation above their requester's limit,
    waiting or decided.

    kind: write_off or cancellation (what ``requests`` holds). status: pending, approved or
    rejected. transaction_ids: what approving it posted. draft_id: the posting-tool draft it
    would post (None for a direct request).
    """

    id: int
    kind: str
    status: str
    total_cents: int
    requested_by: int
    created_at: datetime
    requests: tuple[LedgerRequest, ...]
    decided_by: int | None
    decided_at: datetime | None
    decision_reason: str | None
    transaction_ids: tuple[int, ...]
    draft_id: int | None = None


@dataclass(frozen=True)
class Outcome:
    """What a write-off or cancellation request came to: ``transaction_ids`` posted, or (above
    the user's limit) the ``approval`` request it waits in. On a dry run, the approval request
    that would be filed (nothing is kept, its number included)."""

    transaction_ids: tuple[int, ...] = ()
    approval: ApprovalView | None = None


@dataclass
class Tally:
    """What a request's plans take off PR: cents per patient, and per (procedure, CARC)."""

    by_patient: dict[int, int] = field(default_factory=dict)
    by_key: dict[tuple[int, str], int] = field(default_factory=dict)

    def add(self, patient_id: int, entries: Sequence[Entry]) -> None:
        for entry in entries:
            if entry.column in _TAKEN:
                key = (entry.procedure_id, entry.carc)
                self.by_key[key] = self.by_key.get(key, 0) + entry.amount_cents
                self.by_patient[patient_id] = (
                    self.by_patient.get(patient_id, 0) + entry.amount_cents
                )


class OverLimit(Exception):
    """Unwinds the posting's unit of work when the request needs approval."""

    def __init__(self) -> None:
        super().__init__("above the write-off limit")


def settle(
    uow: UnitOfWork,
    actor: Actor,
    tally: Tally,
    approving: int | None,
    transaction_ids: Sequence[int],
) -> None:
    """The posting's last step. A new request: raise OverLimit when what the actor took off a
    patient's PR within the window (this request's rows, written by now, included) is above
    their limit. An approval (the manager's decision, not a new request): record it, refused
    if the request was decided meanwhile."""
    if approving is None:
        if over_limit(uow, actor, tally.by_patient) is not None:
            raise OverLimit
    elif not uow.approvals.decide(
        approving, ApprovalStatus.APPROVED, actor.user_id, None, transaction_ids
    ):
        raise approval_decided(approving, uow.approvals.get(approving).status)


def approval_decided(approval_id: int, status: str) -> ApprovalDecided:
    """The refusal of a decision on a request that is no longer pending (``status``)."""
    return ApprovalDecided(
        f"approval request {approval_id} was already {status}", approval_id=approval_id
    )


def file_request(
    database: UnitOfWorkFactory,
    actor: Actor,
    requests: Sequence[LedgerRequest],
    tally: Tally,
    draft_id: int | None = None,
) -> ApprovalView:
    """File the requests (all of one kind) for approval, holding their amounts; one pending
    request per procedure and CARC (a second is refused with the first one's number). A draft
    it posts moves to waiting. On a dry run nothing is kept."""
    (kind,) = {kind_of(request) for request in requests}
    total = sum(tally.by_key.values())
    try:
        with database.unit_of_work(actor.organisation_id) as uow:
            _refuse_second_request(uow, tally)
            if draft_id is not None and not uow.drafts.move(
                draft_id, DraftStatus.OPEN, DraftStatus.WAITING
            ):
                raise DraftClosed(f"draft {draft_id} was {uow.drafts.get(draft_id).status}")
            approval_id = uow.approvals.add(kind, encode(requests), total, actor.user_id, draft_id)
            uow.approvals.reserve(approval_id, tally.by_key)
            view = approval_view(uow.approvals.get(approval_id))
            uow.commit()  # a dry run's commit keeps nothing
            return view
    except ConcurrentChange:
        # Filed at the same moment as another request on the same PR: that one is pending now.
        with database.unit_of_work(actor.organisation_id, write=False) as uow:
            _refuse_second_request(uow, tally)
        raise


def _refuse_second_request(uow: UnitOfWork, tally: Tally) -> None:
    first = uow.approvals.pending_on(sorted(tally.by_key))
    if first is not None:
        raise ApprovalPending(
            f"this PR already waits for approval in request #{first} "
            f"({format_cents(uow.approvals.get(first).total_cents)}); decide that one first",
            approval_id=first,
        )


def approval_view(row: Record) -> ApprovalView:
    return ApprovalView(
        row.id, row.kind, row.status, row.total_cents, row.requested_by, row.created_at,
        decode(row.kind, row.payload), row.decided_by, row.decided_at, row.decision_reason,
        tuple(json.loads(row.transaction_ids or "[]")), row.draft_id,
    )  # fmt: skip
