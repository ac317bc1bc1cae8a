"""Tokens, users, approvals of write-offs above a limit, and the reason lists."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Response
from pydantic import BaseModel, Field

from medledger.api.deps import PUBLIC, ActorDep, DryRun, answering
from medledger.api.money import AmountIn
from medledger.api.routing import api_router, on_event_loop
from medledger.api.schemas import (
    ApprovalOut,
    EffectOut,
    In,
    RejectIn,
    TokenIn,
    TokenInfoOut,
    TokenOut,
)
from medledger.domain.credentials import normalise_username
from medledger.domain.reasons import CANCEL_REASONS, REVERSAL_REASONS, WRITE_OFF_REASONS
from medledger.domain.statuses import ApprovalStatus, Role
from medledger.http.dependencies import DatabaseDep, PathId
from medledger.services import approvals, auth, registration

router = api_router(tags=["access"])


@router.post("/tokens", response_model=TokenOut, status_code=201, openapi_extra=PUBLIC)
def issue_token(
    database: DatabaseDep, body: TokenIn, response: Response, dry_run: DryRun = False
) -> TokenOut:
    """Exchange a username and password for an API token (shown only this once; it works until
    ``expires_at``, MEDLEDGER_TOKEN_DAYS after its issue, or until revoked). A dry run checks
    the password and answers with a token that is not kept."""
    with answering(dry_run, response):
        actor = auth.login(database, body.organisation_id, body.username, body.password, "api")
        issued = auth.issue_token(database, actor, body.name)
    return TokenOut(token=issued.token, expires_at=issued.expires_at)


@router.get("/tokens", response_model=list[TokenInfoOut])
def list_tokens(database: DatabaseDep, actor: ActorDep) -> list[TokenInfoOut]:
    """The tokens that still work: an admin sees everyone's, anyone else their own."""
    return [TokenInfoOut.model_validate(t) for t in auth.list_tokens(database, actor)]


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(
    database: DatabaseDep, actor: ActorDep, token_id: PathId, dry_run: DryRun = False
) -> Response:
    """Revoke a token at once: one's own, or anyone's for an admin."""
    with answering(dry_run, Response()):
        auth.revoke_token_by_id(database, actor, token_id)
    return Response(status_code=204)


class UserIn(In):
    username: str = Field(min_length=1, max_length=100)
    display_name: str = Field(min_length=1, max_length=200)
    role: Role
    password: str = Field(max_length=200, description="At least 12 characters, not a common one.")
    write_off_limit: AmountIn | None = None


class UserOut(BaseModel):
    id: int
    username: str
    role: str


@router.post("/users", response_model=UserOut, status_code=201)
def add_user(
    database: DatabaseDep,
    actor: ActorDep,
    body: UserIn,
    response: Response,
    dry_run: DryRun = False,
) -> UserOut:
    with answering(dry_run, response):
        user_id = registration.add_user(database, actor, body.username, body.display_name, body.role, body.write_off_limit,
            auth.hash_password(body.password),
        )  # fmt: skip
    return UserOut(id=user_id, username=normalise_username(body.username), role=body.role)


Username = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[^\x00]*$")]


@router.post("/users/{username}/deactivate", status_code=204)
def deactivate_user(
    database: DatabaseDep, actor: ActorDep, username: Username, dry_run: DryRun = False
) -> Response:
    """An admin takes a user's access away: no more logins, and every session and token of
    theirs ends at once. What they did stays theirs in the journal."""
    with answering(dry_run, Response()):
        auth.deactivate_user(database, actor, username)
    return Response(status_code=204)


@router.get("/approvals", response_model=list[ApprovalOut])
def list_approvals(
    database: DatabaseDep,
    actor: ActorDep,
    status: ApprovalStatus | None = ApprovalStatus.PENDING,
) -> list[ApprovalOut]:
    """Managers see the queue; everyone else sees the outcome of their own requests."""
    return [ApprovalOut.of(v) for v in approvals.list_approvals(database, actor, status)]


@router.get("/approvals/{approval_id}", response_model=ApprovalOut)
@on_event_loop
def get_approval(database: DatabaseDep, actor: ActorDep, approval_id: PathId) -> ApprovalOut:
    return ApprovalOut.of(approvals.get_approval(database, actor, approval_id))


@router.post("/approvals/{approval_id}/approve", response_model=ApprovalOut | EffectOut)
def approve(
    database: DatabaseDep,
    actor: ActorDep,
    approval_id: PathId,
    response: Response,
    dry_run: DryRun = False,
) -> ApprovalOut | EffectOut:
    """Post the request's write-offs and mark it approved, in one transaction (409
    ``approval-decided`` if it was decided meanwhile); a dry run answers with the effect."""
    with answering(dry_run, response) as effect:
        return ApprovalOut.of(approvals.approve(database, actor, approval_id))
    assert effect is not None
    return EffectOut.of(effect)


@router.post("/approvals/{approval_id}/reject", response_model=ApprovalOut)
def reject(
    database: DatabaseDep,
    actor: ActorDep,
    approval_id: PathId,
    body: RejectIn,
    response: Response,
    dry_run: DryRun = False,
) -> ApprovalOut:
    """Reject the request (409 ``approval-decided`` if it was decided meanwhile)."""
    with answering(dry_run, response):
        view = approvals.reject(database, actor, approval_id, body.reason)
    return ApprovalOut.of(view)


@router.get("/reasons")
async def reasons(_: ActorDep) -> dict[str, dict[str, str]]:
    """The standard reason lists (code -> label); "custom" takes the user's own text."""
    return {"write_off": WRITE_OFF_REASONS, "cancel": CANCEL_REASONS, "reversal": REVERSAL_REASONS}
