"""The History tab's Undo: any ledger line but a charge, a reversal or a payer's remittance is
reversed by a new linked line (the original stays, marked undone)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Request, Response
from starlette.datastructures import FormData

from medledger.domain.errors import LedgerError
from medledger.http.dependencies import DatabaseDep, PathId
from medledger.services.patient_views import patient_profile
from medledger.services.reversals import reverse_transaction
from medledger.web.dialogs import action_done, show_dialog
from medledger.web.forms import errors_of, fields, key, optional, text
from medledger.web.routing import web_router
from medledger.web.session import WebActor

router = web_router()
UndoForm = Annotated[FormData, fields("reason", "custom_reason", "note", "key")]


@router.get("/patients/{patient_id}/lines/{transaction_id}/undo")
def undo_dialog(
    request: Request,
    database: DatabaseDep,
    actor: WebActor,
    patient_id: PathId,
    transaction_id: PathId,
) -> Response:
    profile = patient_profile(database, actor, patient_id)
    return show_dialog(
        request, "dialogs/undo.html", profile=profile, view=profile.line(transaction_id)
    )


@router.post("/patients/{patient_id}/lines/{transaction_id}/undo")
def undo(
    request: Request,
    database: DatabaseDep,
    actor: WebActor,
    patient_id: PathId,
    transaction_id: PathId,
    form: UndoForm,
) -> Response:
    try:
        reverse_transaction(database, actor, transaction_id, reason=text(form, "reason"),
            custom_reason=optional(form, "custom_reason"), note=optional(form, "note"),
            idempotency_key=key(form),
        )  # fmt: skip
    except LedgerError as error:
        profile = patient_profile(database, actor, patient_id)
        return show_dialog(
            request, "dialogs/undo.html", form, errors_of(error), profile=profile,
            view=profile.line(transaction_id),
        )  # fmt: skip
    profile = patient_profile(database, actor, patient_id)
    return action_done(
        request,
        "patients/_history_changed.html",
        f"Line #{transaction_id} undone.",
        profile=profile,
    )
