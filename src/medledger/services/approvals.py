"""Write-offs and cancellations above the acting user's limit wait for a billing manager.

Nothing is refused for being large: ``write_offs.submit_write_offs`` and
``cancellations.cancel_pr`` file the request with everything needed to post it and hold its
amounts (``approval_requests.file_request``). A manager approves it — posting it and
recording the decision in one database transaction, every rule re-checked against the ledger as
it is then — or rejects it with a reason. Each decision is a guarded transition: of two decisions
on one request (approve racing reject) exactly one lands; the other is refused
(``approval-decided``), and nothing of it stays.
"""

from __future__ import annotations

from medledger.domain.errors import DraftClosed, InvalidReason, NotFound
from medledger.domain.statuses import ApprovalStatus, DraftStatus
from medledger.domain.transaction import TransactionKind
from medledger.services.actor import Actor
from medledger.services.approval_requests import ApprovalView, approval_decided, approval_view
from medledger.services.authorization import authorize, can
from medledger.services.cancellations import cancel_pr
from medledger.services.ledger_requests import CancellationRequest, WriteOffRequest
from medledger.services.write_offs import submit_write_offs
from medledger.storage.unit_of_work import UnitOfWorkFactory


def approve(database: UnitOfWorkFactory, actor: Actor, approval_id: int) -> ApprovalView:
    """Post the waiting write-offs (or draft) or cancellation as the approving manager and mark
    the request approved, in one transaction; a dry run plans it all and keeps nothing."""
    authorize(actor, "approve")
    pending = get_approval(database, actor, approval_id)
    # Decided: that is the answer, however the ledger moved.
    if pending.status != ApprovalStatus.PENDING:
        raise approval_decided(approval_id, pending.status)
    key = f"approval:{approval_id}"
    if pending.kind == TransactionKind.CANCELLATION:
        (cancellation,) = pending.requests
        assert isinstance(cancellation, CancellationRequest)
        cancel_pr(database, actor, cancellation, key, approving=approval_id)
    else:
        write_offs = [r for r in pending.requests if isinstance(r, WriteOffRequest)]
        submit_write_offs(
            database, actor, write_offs, key, draft_id=pending.draft_id, approving=approval_id
        )
    return get_approval(database, actor, approval_id)


def reject(
    database: UnitOfWorkFactory, actor: Actor, approval_id: int, reason: str
) -> ApprovalView:
    """Reject the request with a reason: its holds are released and a draft it would have
    posted goes back to its biller, open again — both only if it is still pending."""
    authorize(actor, "approve")
    if not reason.strip():
        raise InvalidReason("say why the request is rejected")
    with database.unit_of_work(actor.organisation_id) as uow:
        row = uow.approvals.get(approval_id)
        if not uow.approvals.decide(
            approval_id, ApprovalStatus.REJECTED, actor.user_id, reason.strip(), []
        ):
            raise approval_decided(approval_id, uow.approvals.get(approval_id).status)
        if row.draft_id is not None and not uow.drafts.move(
            row.draft_id, DraftStatus.WAITING, DraftStatus.OPEN
        ):
            raise DraftClosed(f"draft {row.draft_id} is no longer waiting", draft_id=row.draft_id)
        view = approval_view(uow.approvals.get(approval_id))
        uow.commit()  # a dry run's commit keeps nothing
    return view


def get_approval(database: UnitOfWorkFactory, actor: Actor, approval_id: int) -> ApprovalView:
    """Managers see every request; others only their own (another's is "not found")."""
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        row = uow.approvals.get(approval_id)
    if not (can(actor, "approve") or row.requested_by == actor.user_id):
        raise NotFound("approval request", approval_id)
    return approval_view(row)


def list_approvals(
    database: UnitOfWorkFactory, actor: Actor, status: str | None = ApprovalStatus.PENDING
) -> list[ApprovalView]:
    """Managers see the queue; everyone else the outcome of their own requests."""
    mine = None if can(actor, "approve") else actor.user_id
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        return [approval_view(row) for row in uow.approvals.find(status, mine)]
