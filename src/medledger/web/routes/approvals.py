"""Approvals: write-offs above a biller's limit wait here for a billing manager, who approves
(posting them, limits re-checked now) or rejects them with a reason."""

from __future__ import annotations

from typing import Annotated

from fastapi import Request, Response
from starlette.datastructures import FormData

from medledger.domain.errors import LedgerError
from medledger.domain.statuses import ApprovalStatus
from medledger.http.dependencies import DatabaseDep, PathId
from medledger.services import approvals
from medledger.services.actor import Actor
from medledger.services.approval_queue import approval_queue
from medledger.storage.unit_of_work import Database
from medledger.web.forms import fields, text
from medledger.web.rendering import render
from medledger.web.routing import web_router
from medledger.web.session import WebActor

router = web_router()


@router.get("/approvals")
def queue(
    request: Request,
    database: DatabaseDep,
    actor: WebActor,
    status: ApprovalStatus = ApprovalStatus.PENDING,
) -> Response:
    return _queue(request, database, actor, status=status)


@router.post("/approvals/{approval_id}/approve")
def approve(
    request: Request, database: DatabaseDep, actor: WebActor, approval_id: PathId
) -> Response:
    try:
        approvals.approve(database, actor, approval_id)
    except LedgerError as error:
        return _queue(request, database, actor, {approval_id: error.message}, 422)
    return _queue(request, database, actor, message=f"Request #{approval_id} approved and posted.")


@router.post("/approvals/{approval_id}/reject")
def reject(
    request: Request,
    database: DatabaseDep,
    actor: WebActor,
    approval_id: PathId,
    form: Annotated[FormData, fields("reason")],
) -> Response:
    try:
        approvals.reject(database, actor, approval_id, text(form, "reason"))
    except LedgerError as error:
        return _queue(request, database, actor, {approval_id: error.message}, 422)
    return _queue(request, database, actor, message=f"Request #{approval_id} rejected.")


def _queue(
    request: Request,
    database: Database,
    actor: Actor,
    errors: dict[int, str] | None = None,
    status_code: int = 200,
    message: str | None = None,
    *,
    status: ApprovalStatus = ApprovalStatus.PENDING,
) -> Response:
    return render(
        request, "approvals.html", status_code=status_code, status=status,
        lines=approval_queue(database, actor, status), errors=errors or {}, message=message,
    )  # fmt: skip
