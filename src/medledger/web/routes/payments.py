"""The front desk's Payments & refunds tab: take a payment, refund one, apply a credit."""

from __future__ import annotations

from typing import Annotated

from fastapi import Request, Response
from starlette.datastructures import FormData

from medledger.domain.errors import LedgerError
from medledger.http.dependencies import DatabaseDep, PathId
from medledger.services import payments
from medledger.services.patient_views import patient_profile
from medledger.storage.unit_of_work import Database
from medledger.web.dialogs import action_done, show_dialog
from medledger.web.forms import errors_of, fields, key, optional, optional_id, required, text
from medledger.web.rendering import render
from medledger.web.routing import web_router
from medledger.web.session import WebActor

router = web_router()
PaymentForm = Annotated[
    FormData, fields("amount", "method", "encounter", "reference", "note", "key")
]
RefundForm = Annotated[FormData, fields("amount", "note", "key")]


@router.post("/patients/{patient_id}/payments")
def take_payment(
    request: Request,
    database: DatabaseDep,
    actor: WebActor,
    patient_id: PathId,
    form: PaymentForm,
) -> Response:
    """Apply to one visit's open PR, or (no visit chosen) to the oldest open PR first."""
    try:
        payments.record_payment(database, actor, patient_id, required(form, "amount"), method=text(form, "method"),
            encounter_id=optional_id(form, "encounter", "visit"),
            reference=optional(form, "reference"), note=optional(form, "note"),
            idempotency_key=key(form),
        )  # fmt: skip
    except LedgerError as error:
        profile = patient_profile(database, actor, patient_id)
        return render(
            request, "patients/_payments_changed.html", status_code=422, profile=profile,
            form=form, errors=errors_of(error), message=None,
        )  # fmt: skip
    return _payments_changed(request, database, actor, patient_id, "Payment recorded.")


@router.get("/patients/{patient_id}/payments/{payment_id}/refund")
def refund_dialog(
    request: Request, database: DatabaseDep, actor: WebActor, patient_id: PathId, payment_id: PathId
) -> Response:
    profile = patient_profile(database, actor, patient_id)
    return show_dialog(
        request, "dialogs/refund.html", profile=profile, paid=profile.payment(payment_id)
    )


@router.post("/patients/{patient_id}/payments/{payment_id}/refund")
def refund(
    request: Request,
    database: DatabaseDep,
    actor: WebActor,
    patient_id: PathId,
    payment_id: PathId,
    form: RefundForm,
) -> Response:
    try:
        payments.refund_payment(database, actor, payment_id, optional(form, "amount"), note=optional(form, "note"),
            idempotency_key=key(form),
        )  # fmt: skip
    except LedgerError as error:
        profile = patient_profile(database, actor, patient_id)
        return show_dialog(
            request, "dialogs/refund.html", form, errors_of(error), profile=profile,
            paid=profile.payment(payment_id),
        )  # fmt: skip
    return _payments_changed(request, database, actor, patient_id, "Refund recorded.")


@router.post("/patients/{patient_id}/payments/{payment_id}/apply-credit")
def apply_credit(
    request: Request,
    database: DatabaseDep,
    actor: WebActor,
    patient_id: PathId,
    payment_id: PathId,
) -> Response:
    payments.apply_credit(database, actor, payment_id)
    return _payments_changed(request, database, actor, patient_id, "Credit applied.")


def _payments_changed(
    request: Request, database: Database, actor: WebActor, patient_id: int, message: str
) -> Response:
    return action_done(
        request, "patients/_payments_changed.html", message,
        profile=patient_profile(database, actor, patient_id), form={}, errors={},
    )  # fmt: skip
