"""Write-offs above the acting user's limit wait for a billing manager.

Nothing is refused for being large: the request is kept with everything needed to post it, a
manager approves (which posts it, re-checking every limit against the ledger as it is then) or
rejects it with a reason, and the requester sees the outcome.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Row, insert, select, update

from medledger.domain.errors import DraftClosed, InvalidInput, InvalidReason, NotFound
from medledger.domain.money import to_cents
from medledger.services.actor import Actor
from medledger.services.authorization import ApprovalRequired, authorize, can
from medledger.services.drafts import post_draft
from medledger.services.write_offs import WriteOffRequest, write_off_many
from medledger.storage.draft_store import amounts_of
from medledger.storage.registry import now
from medledger.storage.tables import approval_requests
from medledger.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ApprovalView:
    id: int
    status: str
    total_cents: int
    requested_by: int
    created_at: datetime
    requests: tuple[WriteOffRequest, ...]
    decided_by: int | None
    decided_at: datetime | None
    decision_reason: str | None
    transaction_ids: tuple[int, ...]
    draft_id: int | None = None


@dataclass(frozen=True)
class WriteOffOutcome:
    """Either the posted transactions, or the approval request the write-offs wait in."""

    transaction_ids: tuple[int, ...] = ()
    approval: ApprovalView | None = None


def submit_write_offs(
    engine: Engine,
    actor: Actor,
    requests: Sequence[WriteOffRequest],
    idempotency_key: str | None = None,
) -> WriteOffOutcome:
    """Post the write-offs, or — when above the user's limit — file them for approval."""
    try:
        return WriteOffOutcome(tuple(write_off_many(engine, actor, requests, idempotency_key)))
    except ApprovalRequired as over:
        total = int(over.details["requested_cents"])
        return WriteOffOutcome(approval=_file(engine, actor, requests, total))


def submit_draft(engine: Engine, actor: Actor, draft_id: int) -> WriteOffOutcome:
    """Post a posting-tool draft, or — above the user's limit — hand it to a billing manager.

    The draft then waits (not editable, not posted by the next Post) until the manager approves
    it, which posts it, or rejects it, which gives it back to the biller to change or undo.
    Pressing Post again on a waiting draft answers with the request it waits in.
    """
    try:
        return WriteOffOutcome((post_draft(engine, actor, draft_id),))
    except ApprovalRequired as over:
        total = int(over.details["requested_cents"])
        return WriteOffOutcome(approval=_file_draft(engine, actor, draft_id, total))
    except DraftClosed:
        with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
            waiting = uow.drafts.waiting_in(draft_id)
        if waiting is None:
            raise
        return WriteOffOutcome(approval=get_approval(engine, actor, waiting))


def _file(
    engine: Engine, actor: Actor, requests: Sequence[WriteOffRequest], total_cents: int
) -> ApprovalView:
    with UnitOfWork(engine, actor.organisation_id) as uow:
        approval_id = _insert(uow, actor, requests, total_cents)
        uow.commit()
    return get_approval(engine, actor, approval_id)


def _file_draft(engine: Engine, actor: Actor, draft_id: int, total_cents: int) -> ApprovalView:
    """The draft waits in a new approval request (one transaction: never one without the other)."""
    with UnitOfWork(engine, actor.organisation_id) as uow:
        row = uow.drafts.get(draft_id, for_update=True)
        waiting = uow.drafts.waiting_in(draft_id) if row.status == "waiting" else None
        if waiting is None:
            if row.status != "open":
                raise DraftClosed(f"draft {draft_id} was {row.status}", draft_id=draft_id)
            request = WriteOffRequest(
                reason=row.reason_code,
                procedure_id=row.procedure_id,
                amounts=amounts_of(row),
                custom_reason=row.reason_text if row.reason_code == "custom" else None,
                note=row.note,
            )
            uow.drafts.change(draft_id, status="waiting")
            waiting = _insert(uow, actor, [request], total_cents, draft_id)
            uow.commit()
    return get_approval(engine, actor, waiting)


def _insert(
    uow: UnitOfWork,
    actor: Actor,
    requests: Sequence[WriteOffRequest],
    total_cents: int,
    draft_id: int | None = None,
) -> int:
    payload = json.dumps([_jsonable(request) for request in requests], sort_keys=True)
    return int(
        uow.connection.execute(
            insert(approval_requests)
            .values(
                organisation_id=actor.organisation_id,
                kind="write_off",
                payload=payload,
                total_cents=total_cents,
                requested_by=actor.user_id,
                status="pending",
                draft_id=draft_id,
                created_at=now(),
            )
            .returning(approval_requests.c.id)
        ).scalar_one()
    )


def approve(engine: Engine, actor: Actor, approval_id: int) -> ApprovalView:
    """Post the waiting write-offs (or draft) as the approving manager; limits re-checked now."""
    authorize(actor, "approve")
    pending = _pending(engine, actor, approval_id)
    if pending.draft_id is not None:
        ids = [post_draft(engine, actor, pending.draft_id, approved=True)]
    else:
        key = f"approval:{approval_id}"
        ids = write_off_many(engine, actor, pending.requests, idempotency_key=key)
    _decide(engine, actor, approval_id, "approved", None, ids)
    return get_approval(engine, actor, approval_id)


def reject(engine: Engine, actor: Actor, approval_id: int, reason: str) -> ApprovalView:
    authorize(actor, "approve")
    if not reason.strip():
        raise InvalidReason("say why the write-off is rejected")
    pending = _pending(engine, actor, approval_id)
    _decide(engine, actor, approval_id, "rejected", reason.strip(), [], pending.draft_id)
    return get_approval(engine, actor, approval_id)


def get_approval(engine: Engine, actor: Actor, approval_id: int) -> ApprovalView:
    """Managers see every request; others only their own (another's is "not found")."""
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        row = uow.connection.execute(
            select(approval_requests).where(
                approval_requests.c.organisation_id == actor.organisation_id,
                approval_requests.c.id == approval_id,
            )
        ).first()
    if row is None or not (can(actor, "approve") or row.requested_by == actor.user_id):
        raise NotFound("approval request", approval_id)
    return _view(row)


def list_approvals(
    engine: Engine, actor: Actor, status: str | None = "pending"
) -> list[ApprovalView]:
    query = select(approval_requests).where(
        approval_requests.c.organisation_id == actor.organisation_id
    )
    if status is not None:
        query = query.where(approval_requests.c.status == status)
    if not can(actor, "approve"):
        query = query.where(approval_requests.c.requested_by == actor.user_id)
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        rows = list(uow.connection.execute(query.order_by(approval_requests.c.id)))
    return [_view(row) for row in rows]


def _pending(engine: Engine, actor: Actor, approval_id: int) -> ApprovalView:
    view = get_approval(engine, actor, approval_id)
    if view.status != "pending":
        raise InvalidInput(f"approval request {approval_id} was already {view.status}")
    return view


def _decide(
    engine: Engine,
    actor: Actor,
    approval_id: int,
    status: str,
    reason: str | None,
    transaction_ids: Sequence[int],
    returned_draft: int | None = None,
) -> None:
    """Record the decision; a rejected draft goes back to its biller, open again."""
    with UnitOfWork(engine, actor.organisation_id) as uow:
        if returned_draft is not None:
            uow.drafts.change(returned_draft, status="open")
        uow.connection.execute(
            update(approval_requests)
            .where(
                approval_requests.c.organisation_id == actor.organisation_id,
                approval_requests.c.id == approval_id,
                approval_requests.c.status == "pending",
            )
            .values(
                status=status,
                decided_by=actor.user_id,
                decided_at=now(),
                decision_reason=reason,
                transaction_ids=json.dumps(list(transaction_ids)),
            )
        )
        uow.commit()


def _jsonable(request: WriteOffRequest) -> dict[str, Any]:
    """A request with its amounts as exact decimal strings (cents checked now, not later)."""
    data = asdict(request)
    if request.amounts is not None:
        data["amounts"] = {carc: str(to_cents(v)) for carc, v in request.amounts.items()}
    if request.total is not None:
        data["total"] = str(to_cents(request.total))
    return data


def _view(row: Row[Any]) -> ApprovalView:
    requests = []
    for data in json.loads(row.payload):
        if data["amounts"] is not None:
            data["amounts"] = {carc: int(cents) for carc, cents in data["amounts"].items()}
        if data["total"] is not None:
            data["total"] = int(data["total"])
        requests.append(WriteOffRequest(**data))
    return ApprovalView(
        row.id, row.status, row.total_cents, row.requested_by, row.created_at, tuple(requests),
        row.decided_by, row.decided_at, row.decision_reason,
        tuple(json.loads(row.transaction_ids or "[]")), row.draft_id,
    )  # fmt: skip
