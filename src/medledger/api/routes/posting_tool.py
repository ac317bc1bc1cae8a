"""The posting tool: remittances, their payment items, and write-off drafts with previews."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from medledger.api.deps import ActorDep, EngineDep, PathId
from medledger.api.money import AmountOut
from medledger.api.schemas import (
    BalanceOut,
    DraftIn,
    DraftOut,
    DraftPatch,
    Out,
    PermissionOut,
    TransactionOut,
)
from medledger.services import drafts, history, remittance_views

router = APIRouter(tags=["posting tool"])


class AdjustmentOut(Out):
    group_code: str
    carc: str
    amount: AmountOut


class PaymentItemOut(Out):
    """A claim-level or procedure-level item as the payer sent it, with the procedure's balance
    now and whether Write Off PR is offered on it (with the reason when it is not)."""

    id: int
    level: str
    parent_id: int | None
    encounter_id: PathId
    procedure_id: int | None
    status_code: str | None
    charge: AmountOut
    paid: AmountOut
    allowed: AmountOut | None
    adjustments: list[AdjustmentOut]
    balance: BalanceOut
    write_off: PermissionOut
    drafts: list[DraftOut]


class RemittanceOut(Out):
    id: int
    payer: str
    trace_number: str
    payment: AmountOut
    payment_date: Any
    source: str
    items: list[PaymentItemOut]


class RemittanceSummaryOut(Out):
    id: int
    payer: str
    trace_number: str
    payment: AmountOut
    payment_date: Any
    source: str


@router.get("/remittances", response_model=list[RemittanceSummaryOut])
def list_remittances(
    engine: EngineDep, actor: ActorDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[RemittanceSummaryOut]:
    return [
        RemittanceSummaryOut(
            id=r.id,
            payer=r.payer,
            trace_number=r.trace_number,
            payment=r.payment_cents,
            payment_date=r.payment_date,
            source=r.source,
        )
        for r in remittance_views.list_remittances(engine, actor, limit)
    ]


@router.get("/remittances/{remittance_id}", response_model=RemittanceOut)
def get_remittance(engine: EngineDep, actor: ActorDep, remittance_id: PathId) -> RemittanceOut:
    view = remittance_views.payment_items_table(engine, actor, remittance_id)
    return RemittanceOut(
        id=view.remittance.id,
        payer=view.payer,
        trace_number=view.remittance.trace_number,
        payment=view.remittance.payment_cents,
        payment_date=view.remittance.payment_date,
        source=view.remittance.source,
        items=[
            PaymentItemOut(
                id=i.item.id,
                level=i.item.level,
                parent_id=i.item.parent_id,
                encounter_id=i.item.encounter_id,
                procedure_id=i.item.procedure_id,
                status_code=i.item.status_code,
                charge=i.item.charge_cents,
                paid=i.item.paid_cents,
                allowed=i.item.allowed_cents,
                adjustments=[
                    AdjustmentOut(group_code=a.group_code, carc=a.carc, amount=a.amount_cents)
                    for a in i.adjustments
                ],
                balance=BalanceOut.of(i.balance),
                write_off=PermissionOut.of(i.write_off),
                drafts=[DraftOut.of(d) for d in i.drafts],
            )
            for i in view.items
        ],
    )


@router.post("/drafts", response_model=DraftOut, status_code=201)
def create_draft(engine: EngineDep, actor: ActorDep, body: DraftIn) -> DraftOut:
    """Write Off PR in the posting tool: the answer is the yellow preview row."""
    return DraftOut.of(
        drafts.create_draft(
            engine,
            actor,
            amounts=body.amounts,
            reason=body.reason,
            payment_item_id=body.payment_item_id,
            procedure_id=body.procedure_id,
            custom_reason=body.custom_reason,
            note=body.note,
        )
    )


@router.get("/drafts/{draft_id}", response_model=DraftOut)
def get_draft(engine: EngineDep, actor: ActorDep, draft_id: PathId) -> DraftOut:
    return DraftOut.of(drafts.get_draft(engine, actor, draft_id))


@router.patch("/drafts/{draft_id}", response_model=DraftOut)
def edit_draft(engine: EngineDep, actor: ActorDep, draft_id: PathId, body: DraftPatch) -> DraftOut:
    """Edit a value cell or the note of the preview row."""
    return DraftOut.of(
        drafts.update_draft(
            engine,
            actor,
            draft_id,
            amounts=body.amounts,
            note=body.note,
            reason=body.reason,
            custom_reason=body.custom_reason,
        )
    )


@router.delete("/drafts/{draft_id}", status_code=204)
def undo_draft(engine: EngineDep, actor: ActorDep, draft_id: PathId) -> Response:
    drafts.discard_draft(engine, actor, draft_id)
    return Response(status_code=204)


@router.post("/drafts/{draft_id}/post", response_model=TransactionOut, status_code=201)
def post_draft(engine: EngineDep, actor: ActorDep, draft_id: PathId) -> TransactionOut:
    """Post the draft to the ledger, once: pressing Post again returns the same write-off."""
    return TransactionOut.of(
        history.transaction(engine, actor, drafts.post_draft(engine, actor, draft_id))
    )
