"""Access, for admins: who may log in (deactivate a user: every session and token of theirs
ends) and which API tokens still work (revoke one)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Request, Response
from starlette.datastructures import FormData

from medledger.domain.errors import LedgerError
from medledger.http.dependencies import DatabaseDep, PathId
from medledger.services import auth
from medledger.services.actor import Actor
from medledger.storage.unit_of_work import Database
from medledger.web.forms import fields, text
from medledger.web.rendering import render
from medledger.web.routing import web_router
from medledger.web.session import WebActor

router = web_router()


@router.get("/access")
def access(request: Request, database: DatabaseDep, actor: WebActor) -> Response:
    return _access(request, database, actor)


@router.post("/access/deactivate")
def deactivate(
    request: Request,
    database: DatabaseDep,
    actor: WebActor,
    form: Annotated[FormData, fields("username")],
) -> Response:
    username = text(form, "username")
    try:
        auth.deactivate_user(database, actor, username)
    except LedgerError as error:
        return _access(request, database, actor, error=error.message, status_code=422)
    return _access(request, database, actor, message=f"{username} deactivated; sessions ended.")


@router.post("/access/tokens/{token_id}/revoke")
def revoke(request: Request, database: DatabaseDep, actor: WebActor, token_id: PathId) -> Response:
    try:
        auth.revoke_token_by_id(database, actor, token_id)
    except LedgerError as error:
        return _access(request, database, actor, error=error.message, status_code=422)
    return _access(request, database, actor, message=f"Token #{token_id} revoked.")


def _access(
    request: Request,
    database: Database,
    actor: Actor,
    *,
    message: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request, "access.html", status_code=status_code,
        users=auth.users_and_access(database, actor), tokens=auth.list_tokens(database, actor),
        message=message, error=error,
    )  # fmt: skip
