"""The posting tool: remittances, their payment items, and write-off drafts with previews."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from medledger.api.deps import ActorDep, DryRun, answering
from medledger.api.routing import api_router, on_event_loop
from medledger.api.schemas import (
    ApprovalOut,
    DraftIn,
    DraftOut,
    DraftPatch,
    EffectOut,
    RemittanceOut,
    RemittanceSummaryOut,
    TransactionOut,
)
from medledger.http.dependencies import DatabaseDep, PathId
from medledger.services import drafts, history, remittance_views
from medledger.services.approval_requests import Outcome
from medledger.services.posting import committed

router = api_router(tags=["posting tool"])


@router.get("/remittances", response_model=list[RemittanceSummaryOut])
def list_remittances(
    database: DatabaseDep, actor: ActorDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[RemittanceSummaryOut]:
    return [
        RemittanceSummaryOut.of(r)
        for r in remittance_views.list_remittances(database, actor, limit)
    ]


@router.get("/remittances/{remittance_id}", response_model=RemittanceOut)
def get_remittance(database: DatabaseDep, actor: ActorDep, remittance_id: PathId) -> RemittanceOut:
    return RemittanceOut.of(remittance_views.payment_items_table(database, actor, remittance_id))


@router.post("/drafts", response_model=DraftOut, status_code=201)
def create_draft(
    database: DatabaseDep,
    actor: ActorDep,
    body: DraftIn,
    response: Response,
    dry_run: DryRun = False,
) -> DraftOut:
    """Write Off PR in the posting tool: the answer is the yellow preview row."""
    with answering(dry_run, response):
        view = drafts.create_draft(
            database,
            actor,
            amounts=body.amounts,
            reason=body.reason,
            payment_item_id=body.payment_item_id,
            procedure_id=body.procedure_id,
            custom_reason=body.custom_reason,
            note=body.note,
        )
    return DraftOut.of(view)


@router.get("/drafts/{draft_id}", response_model=DraftOut)
@on_event_loop
def get_draft(database: DatabaseDep, actor: ActorDep, draft_id: PathId) -> DraftOut:
    return DraftOut.of(drafts.get_draft(database, actor, draft_id))


@router.patch("/drafts/{draft_id}", response_model=DraftOut)
def edit_draft(
    database: DatabaseDep,
    actor: ActorDep,
    draft_id: PathId,
    body: DraftPatch,
    response: Response,
    dry_run: DryRun = False,
) -> DraftOut:
    """Edit a value cell or the note of the preview row."""
    with answering(dry_run, response):
        view = drafts.update_draft(
            database,
            actor,
            draft_id,
            amounts=body.amounts,
            note=body.note,
            reason=body.reason,
            custom_reason=body.custom_reason,
        )
    return DraftOut.of(view)


@router.delete("/drafts/{draft_id}", status_code=204)
def undo_draft(
    database: DatabaseDep, actor: ActorDep, draft_id: PathId, dry_run: DryRun = False
) -> Response:
    with answering(dry_run, Response()):
        drafts.discard_draft(database, actor, draft_id)
    return Response(status_code=204)


@router.post(
    "/drafts/{draft_id}/post",
    response_model=TransactionOut | ApprovalOut | EffectOut,
    status_code=201,
)
def post_draft(
    database: DatabaseDep,
    actor: ActorDep,
    draft_id: PathId,
    response: Response,
    dry_run: DryRun = False,
) -> TransactionOut | ApprovalOut | EffectOut:
    """Post the draft to the ledger, once: pressing Post again returns the same write-off.

    Above the user's write-off limit the draft waits for a billing manager instead: 202 with
    the approval request (approving it posts the draft; rejecting it opens the draft again).
    A dry run answers with the effect (and the approval request it would wait in).
    """
    if dry_run:
        outcome = Outcome()
        with answering(dry_run, response) as effect:
            outcome = drafts.post_draft(database, actor, draft_id)
        assert effect is not None
        return EffectOut.of(effect, outcome.approval)
    with committed() as posted:
        outcome = drafts.post_draft(database, actor, draft_id)
    if outcome.approval is not None:
        response.status_code = 202
        return ApprovalOut.of(outcome.approval)
    (view,) = history.answer(database, actor, outcome.transaction_ids, posted)
    return TransactionOut.of(view)
