"""Write-offs (modelled on the best public billing APIs), cancellations, payments, refunds,
reversals and the journal. Every mutating route takes ``?dry_run=true``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Query, Response

from medledger.api.deps import ActorDep, DryRun, IdempotencyKey, QueryMoment
from medledger.api.routing import api_router, on_event_loop
from medledger.api.schemas import (
    ApprovalOut,
    CancellationIn,
    EffectOut,
    PaymentIn,
    RefundIn,
    RemoveIn,
    ReverseIn,
    TransactionOut,
    WriteOffOut,
    WriteOffsIn,
    WriteOffsPosted,
)
from medledger.domain.errors import NotFound
from medledger.domain.reasons import WriteOffReason
from medledger.domain.transaction import TransactionKind
from medledger.http.dependencies import DatabaseDep, PathId, QueryId
from medledger.services import cancellations, history, payments, reversals, write_offs
from medledger.services.actor import Actor
from medledger.services.approval_requests import Outcome
from medledger.services.history import Sort, TransactionFilter, TransactionView
from medledger.services.ledger_requests import CancellationRequest, WriteOffRequest
from medledger.services.posting import committed, dry_run
from medledger.storage.unit_of_work import Database

router = api_router(tags=["ledger"])


def _posted_or_effect(
    database: Database, actor: Actor, preview: bool, post: Callable[[], list[int]]
) -> tuple[list[TransactionView], EffectOut | None]:
    """Run a posting service for real, or as a dry run for its effect only."""
    if preview:
        with dry_run() as effect:
            post()
        return [], EffectOut.of(effect)
    with committed() as posted:
        transaction_ids = post()
    return history.answer(database, actor, transaction_ids, posted), None


def _submitted(
    database: Database,
    actor: Actor,
    response: Response,
    preview: bool,
    submit: Callable[[], Outcome],
) -> tuple[EffectOut | ApprovalOut | None, list[TransactionView]]:
    """Run a service that posts or files for approval: for real (the posted transactions, or
    202 and the approval request), or as a dry run (its effect, with the request it would
    file)."""
    if preview:
        outcome = Outcome()
        with dry_run() as effect:
            outcome = submit()
        response.status_code = 200
        return EffectOut.of(effect, outcome.approval), []
    with committed() as posted:
        outcome = submit()
    if outcome.approval is not None:
        response.status_code = 202
        return ApprovalOut.of(outcome.approval), []
    return None, history.answer(database, actor, outcome.transaction_ids, posted)


def write_off_out(view: TransactionView) -> WriteOffOut:
    # The fields as values, not model_dump(): that would serialise amounts to decimal strings,
    # which then re-validate as integer cents ("15.00" -> 15) or fail ("0.01" -> a 500).
    return WriteOffOut(
        **dict(TransactionOut.of(view)),
        written_off=view.written_off_cents,
        remaining=view.standing_written_off_cents,
    )


@router.post("/write-offs", response_model=WriteOffsPosted | EffectOut, status_code=201)
def post_write_offs(
    database: DatabaseDep,
    actor: ActorDep,
    body: WriteOffsIn,
    response: Response,
    dry_run_: DryRun = False,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Post all the write-offs or none. Above the user's limit they wait for approval (202)."""
    requests = [
        WriteOffRequest(
            w.reason,
            procedure_id=w.procedure_id,
            payment_item_id=w.payment_item_id,
            encounter_id=w.encounter_id,
            patient_id=w.patient_id,
            amounts=w.amounts,
            total=w.amount,
            custom_reason=w.custom_reason,
            note=w.note,
        )
        for w in body.write_offs
    ]
    answer, views = _submitted(database, actor, response, dry_run_, lambda: (
        write_offs.submit_write_offs(database, actor, requests, idempotency_key)
    ))  # fmt: skip
    if isinstance(answer, ApprovalOut):
        return WriteOffsPosted(status="pending_approval", approval=answer)
    if answer is not None:
        return answer
    return WriteOffsPosted(status="posted", write_offs=[write_off_out(v) for v in views])


@router.get("/write-offs", response_model=list[WriteOffOut])
def list_write_offs(
    database: DatabaseDep,
    actor: ActorDep,
    patient_id: QueryId = None,
    encounter_id: QueryId = None,
    procedure_id: QueryId = None,
    reason: WriteOffReason | None = None,
    user_id: QueryId = None,
    start: QueryMoment = None,
    end: QueryMoment = None,
    sort: Sort = "-created_at",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[WriteOffOut]:
    wanted = TransactionFilter(
        TransactionKind.WRITE_OFF, patient_id, encounter_id, procedure_id, reason, user_id, start, end, sort,
        limit, offset,
    )  # fmt: skip
    return [write_off_out(v) for v in history.find_transactions(database, actor, wanted)]


@router.get("/write-offs/{write_off_id}", response_model=WriteOffOut)
@on_event_loop
def get_write_off(database: DatabaseDep, actor: ActorDep, write_off_id: PathId) -> WriteOffOut:
    view = history.transaction(database, actor, write_off_id)
    if view.kind != TransactionKind.WRITE_OFF:
        raise NotFound("write-off", write_off_id)
    return write_off_out(view)


@router.post(
    "/write-offs/{write_off_id}/remove", response_model=WriteOffOut | EffectOut, status_code=201
)
def remove_write_off(
    database: DatabaseDep,
    actor: ActorDep,
    write_off_id: PathId,
    body: RemoveIn,
    response: Response,
    dry_run_: DryRun = False,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Remove a write-off in whole or in part: the reversal, linked both ways."""
    views, effect = _posted_or_effect(database, actor, dry_run_, lambda: [
        write_offs.remove_write_off(database, actor, write_off_id, reason=body.reason, amount=body.amount,
            custom_reason=body.custom_reason, note=body.note, idempotency_key=idempotency_key,
        )
    ])  # fmt: skip
    return _answer(response, views, effect, write_off_out)


@router.post(
    "/cancellations",
    response_model=TransactionOut | ApprovalOut | EffectOut,
    status_code=201,
    responses={202: {"model": ApprovalOut, "description": "Above the limit: waits for approval"}},
)
def cancel_pr(
    database: DatabaseDep, actor: ActorDep, body: CancellationIn, response: Response,
    dry_run_: DryRun = False, idempotency_key: IdempotencyKey = None,
) -> Any:  # fmt: skip
    """Cancel estimated PR. Above the user's limit the whole cancellation waits for approval:
    202 with the approval request."""
    request = CancellationRequest(
        body.procedure_id, body.reason, amounts=body.amounts, total=body.amount,
        custom_reason=body.custom_reason, note=body.note,
    )  # fmt: skip
    answer, views = _submitted(database, actor, response, dry_run_, lambda: (
        cancellations.cancel_pr(database, actor, request, idempotency_key)
    ))  # fmt: skip
    return answer if answer is not None else TransactionOut.of(views[0])


@router.post("/payments", response_model=TransactionOut | EffectOut, status_code=201)
def take_payment(
    database: DatabaseDep, actor: ActorDep, body: PaymentIn, response: Response,
    dry_run_: DryRun = False, idempotency_key: IdempotencyKey = None,
) -> Any:  # fmt: skip
    views, effect = _posted_or_effect(database, actor, dry_run_, lambda: [
        payments.record_payment(database, actor, body.patient_id, body.amount, method=body.method,
            encounter_id=body.encounter_id, reference=body.reference, note=body.note,
            idempotency_key=idempotency_key,
        )
    ])  # fmt: skip
    return _answer(response, views, effect, TransactionOut.of)


@router.post(
    "/payments/{payment_id}/refunds", response_model=TransactionOut | EffectOut, status_code=201
)
def refund(
    database: DatabaseDep, actor: ActorDep, payment_id: PathId, body: RefundIn, response: Response,
    dry_run_: DryRun = False, idempotency_key: IdempotencyKey = None,
) -> Any:  # fmt: skip
    views, effect = _posted_or_effect(database, actor, dry_run_, lambda: [
        payments.refund_payment(database, actor, payment_id, body.amount, note=body.note, idempotency_key=idempotency_key
        )
    ])  # fmt: skip
    return _answer(response, views, effect, TransactionOut.of)


@router.post(
    "/transactions/{transaction_id}/reverse",
    response_model=TransactionOut | EffectOut,
    status_code=201,
)
def reverse(
    database: DatabaseDep, actor: ActorDep, transaction_id: PathId, body: ReverseIn, response: Response,
    dry_run_: DryRun = False, idempotency_key: IdempotencyKey = None,
) -> Any:  # fmt: skip
    views, effect = _posted_or_effect(database, actor, dry_run_, lambda: [
        reversals.reverse_transaction(database, actor, transaction_id, reason=body.reason, custom_reason=body.custom_reason,
            note=body.note, idempotency_key=idempotency_key,
        )
    ])  # fmt: skip
    return _answer(response, views, effect, TransactionOut.of)


@router.get("/transactions/{transaction_id}", response_model=TransactionOut)
@on_event_loop
def get_transaction(
    database: DatabaseDep, actor: ActorDep, transaction_id: PathId
) -> TransactionOut:
    return TransactionOut.of(history.transaction(database, actor, transaction_id))


def _answer(
    response: Response,
    views: list[TransactionView],
    effect: EffectOut | None,
    shape: Callable[[TransactionView], Any],
) -> Any:
    if effect is not None:
        response.status_code = 200
        return effect
    return shape(views[0])
