"""Tokens, users, approvals of write-offs above a limit, and the reason lists."""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel, Field

from medledger.api.deps import PUBLIC, ActorDep, DryRun, answering
from medledger.api.money import AmountIn
from medledger.api.routing import api_router, on_event_loop
from medledger.api.schemas import ApprovalOut, EffectOut, In, RejectIn, TokenIn, TokenOut
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
    """Exchange a username and password for an API token (shown only this once; a dry run
    checks the password and answers with a token that is not kept)."""
    with answering(dry_run, response):
        actor = auth.login(database, body.organisation_id, body.username, body.password, "api")
        token = auth.issue_token(database, actor, body.name)
    return TokenOut(token=token)


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
