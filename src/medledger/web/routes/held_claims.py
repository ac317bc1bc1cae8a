"""Held claims: what an 835 import could not post, and the biller's two ways out — post the
claim to the encounter they choose (each line to a procedure when the rules cannot tell), or
dismiss it with a reason."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response
from starlette.datastructures import FormData

from medledger.domain.bounds import parse_id
from medledger.domain.errors import InvalidInput, LedgerError
from medledger.http.dependencies import DatabaseDep, PathId
from medledger.services.actor import Actor
from medledger.services.review_queue import (
    dismiss_held_claim,
    encounter_choices,
    held_claim,
    held_claims,
    resolve_held_claim,
)
from medledger.storage.unit_of_work import Database
from medledger.web.forms import fields, text
from medledger.web.rendering import render
from medledger.web.routing import web_router
from medledger.web.session import WebActor

router = web_router()
Search = Annotated[str, Query(max_length=100)]
ShowAll = Annotated[bool, Query(alias="all")]
#: The chosen encounter, and per line the chosen procedure (``procedure-<encounter>-<line>``).
PostForm = Annotated[FormData, fields("encounter_id", "q", prefixes=("procedure-",))]
DismissForm = Annotated[FormData, fields("reason", "q")]


@router.get("/held-claims")
def queue(
    request: Request, database: DatabaseDep, actor: WebActor, show_all: ShowAll = False
) -> Response:
    items = held_claims(database, actor, include_resolved=show_all)
    return render(request, "held_claims/list.html", items=items, show_all=show_all)


@router.get("/held-claims/{item_id}")
def claim_page(
    request: Request, database: DatabaseDep, actor: WebActor, item_id: PathId, q: Search = ""
) -> Response:
    return _page(request, database, actor, item_id, q)


@router.post("/held-claims/{item_id}/post")
def post(
    request: Request,
    database: DatabaseDep,
    actor: WebActor,
    item_id: PathId,
    form: PostForm,
) -> Response:
    """Post to the chosen encounter; a refusal (the claim still fails a check) shows inline."""
    try:
        encounter_id = _chosen_encounter(form)
        resolve_held_claim(
            database, actor, item_id, encounter_id, _chosen_procedures(form, encounter_id)
        )
    except LedgerError as error:
        return _page(
            request, database, actor, item_id, text(form, "q"), form, post_error=error.message
        )
    return _page(request, database, actor, item_id, message="Posted to the ledger.")


@router.post("/held-claims/{item_id}/dismiss")
def dismiss(
    request: Request,
    database: DatabaseDep,
    actor: WebActor,
    item_id: PathId,
    form: DismissForm,
) -> Response:
    try:
        dismiss_held_claim(database, actor, item_id, text(form, "reason"))
    except LedgerError as error:
        return _page(
            request, database, actor, item_id, text(form, "q"), form, dismiss_error=error.message
        )
    return _page(request, database, actor, item_id, message="Dismissed.")


def _chosen_encounter(form: FormData) -> int:
    chosen = text(form, "encounter_id")
    if not chosen:
        raise InvalidInput("choose the encounter to post the claim to")
    return parse_id(chosen, "the encounter")


def _chosen_procedures(form: FormData, encounter_id: int) -> list[int] | None:
    """The procedure picked for each line, in order; None when every line is left to the rules."""
    prefix = f"procedure-{encounter_id}-"
    lines = {name: name.removeprefix(prefix) for name in form if name.startswith(prefix)}
    if not all(line.isascii() and line.isdigit() and len(line) < 6 for line in lines.values()):
        raise InvalidInput("the form names a line that is not a line of this claim")
    picks = [text(form, name) for name in sorted(lines, key=lambda name: int(lines[name]))]
    if not any(picks):
        return None
    if not all(picks):
        raise InvalidInput("choose a procedure for every line, or leave every line to the rules")
    return [parse_id(pick, "the procedure") for pick in picks]


def _page(
    request: Request,
    database: Database,
    actor: Actor,
    item_id: int,
    search: str = "",
    form: FormData | None = None,
    *,
    message: str | None = None,
    post_error: str | None = None,
    dismiss_error: str | None = None,
) -> Response:
    item = held_claim(database, actor, item_id)
    choices = encounter_choices(database, actor, item_id, search) if item.resolution is None else []
    return render(
        request, "held_claims/claim.html", status_code=422 if post_error or dismiss_error else 200,
        item=item, choices=choices, search=search, form=form or {}, message=message,
        post_error=post_error,
        dismiss_error=dismiss_error,
    )  # fmt: skip
