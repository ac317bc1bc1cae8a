"""A charge's actions on the patient profile (seed 001): Write Off (and Remove Write Off from the
same window), and Cancel PR. Each answers with the dialog again, errors beside their fields, or
with every figure the action changed: the header, the charge, its visit's total."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request, Response
from starlette.datastructures import FormData

from medledger.domain.bounds import MAX_ID
from medledger.domain.errors import LedgerError
from medledger.domain.money import to_cents
from medledger.http.dependencies import DatabaseDep, PathId
from medledger.services import cancellations, write_offs
from medledger.services.actor import Actor
from medledger.services.ledger_requests import CancellationRequest, WriteOffRequest
from medledger.services.patient_views import charge_profile
from medledger.storage.unit_of_work import Database
from medledger.web.dialogs import action_done, show_dialog
from medledger.web.forms import errors_of, fields, key, optional, required, text
from medledger.web.rendering import money
from medledger.web.routing import web_router
from medledger.web.session import WebActor

router = web_router()
#: The Write Off, Remove Write Off and Cancel PR forms (Remove names the write-off it removes).
ChargeForm = Annotated[
    FormData, fields("reason", "amount", "custom_reason", "note", "key", "remove")
]


def dialog(
    request: Request,
    database: Database,
    actor: Actor,
    procedure_id: int,
    template: str,
    form: FormData | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    profile = charge_profile(database, actor, procedure_id)
    return show_dialog(
        request, template, form, errors, profile=profile, p=profile.procedure(procedure_id)
    )


def charge_changed(
    request: Request, database: Database, actor: Actor, procedure_id: int, message: str
) -> Response:
    """Swap in the new header, the charge (details open) and its visit's total."""
    profile = charge_profile(database, actor, procedure_id)
    return action_done(
        request, "patients/_charge_changed.html", message, profile=profile,
        p=profile.procedure(procedure_id), encounter=profile.encounter_of(procedure_id),
    )  # fmt: skip


#: A charge's windows: Write Off (with Remove Write Off in it), Cancel PR and Void charge
#: (posted by ``registration.void``).
DIALOGS = {
    "write-off": "dialogs/write_off.html",
    "cancel": "dialogs/cancel.html",
    "void": "dialogs/void_charge.html",
}


@router.get("/charges/{procedure_id}/{action}")
def charge_dialog(
    request: Request,
    database: DatabaseDep,
    actor: WebActor,
    procedure_id: PathId,
    action: Annotated[str, Path(pattern="^(write-off|cancel|void)$")],
) -> Response:
    return dialog(request, database, actor, procedure_id, DIALOGS[action])


@router.post("/charges/{procedure_id}/write-off")
def write_off(
    request: Request,
    database: DatabaseDep,
    actor: WebActor,
    procedure_id: PathId,
    form: ChargeForm,
) -> Response:
    """Confirm: post the write-off, or file it for approval when above the user's limit."""
    try:
        asked = WriteOffRequest(
            text(form, "reason"), procedure_id=procedure_id, total=required(form, "amount"),
            custom_reason=optional(form, "custom_reason"), note=optional(form, "note"),
        )  # fmt: skip
        outcome = write_offs.submit_write_offs(database, actor, [asked], key(form))
    except LedgerError as error:
        return dialog(
            request, database, actor, procedure_id, "dialogs/write_off.html", form, errors_of(error)
        )
    amount = money(to_cents(text(form, "amount")))
    message = (
        f"Wrote off {amount}."
        if outcome.approval is None
        else f"{amount} is above your write-off limit: it waits for a billing manager in "
        f"approval request #{outcome.approval.id}."
    )
    return charge_changed(request, database, actor, procedure_id, message)


@router.post("/write-offs/{write_off_id}/remove")
def remove_write_off(
    request: Request,
    database: DatabaseDep,
    actor: WebActor,
    write_off_id: PathId,
    charge: Annotated[int, Query(ge=1, le=MAX_ID, description="The charge whose window it was.")],
    form: ChargeForm,
) -> Response:
    """The red Remove Write Off button of ``charge``'s Write Off window: all of it, or the amount
    given."""
    try:
        write_offs.remove_write_off(database, actor, write_off_id, reason=text(form, "reason"),
            amount=optional(form, "amount"), custom_reason=optional(form, "custom_reason"),
            note=optional(form, "note"), idempotency_key=key(form),
        )  # fmt: skip
    except LedgerError as error:
        return dialog(
            request, database, actor, charge, "dialogs/write_off.html", form, errors_of(error)
        )
    return charge_changed(request, database, actor, charge, "Write-off removed.")


@router.post("/charges/{procedure_id}/cancel")
def cancel(
    request: Request,
    database: DatabaseDep,
    actor: WebActor,
    procedure_id: PathId,
    form: ChargeForm,
) -> Response:
    """Confirm: cancel the PR, or file the cancellation for approval when above the user's
    limit."""
    try:
        asked = CancellationRequest(
            procedure_id, text(form, "reason"), total=optional(form, "amount"),
            custom_reason=optional(form, "custom_reason"), note=optional(form, "note"),
        )  # fmt: skip
        outcome = cancellations.cancel_pr(database, actor, asked, key(form))
    except LedgerError as error:
        return dialog(
            request, database, actor, procedure_id, "dialogs/cancel.html", form, errors_of(error)
        )
    message = "PR cancelled."
    if outcome.approval is not None:
        message = (
            f"{money(outcome.approval.total_cents)} is above your write-off limit: the "
            f"cancellation waits for a billing manager in approval request #{outcome.approval.id}."
        )
    return charge_changed(request, database, actor, procedure_id, message)
