"""The front desk's registration screens: New patient, Edit patient, Add visit (plain forms a
person finishes with the keyboard: labelled fields in reading order, Enter submits, each refusal
beside its field), and the Void charge window of a charge (opened by ``charges.charge_dialog``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from medledger.domain.bounds import parse_day
from medledger.domain.errors import InvalidInput, LedgerError
from medledger.domain.money import to_cents
from medledger.domain.registration import PatientDetails, check_modifiers, check_text, check_units
from medledger.http.dependencies import DatabaseDep, PathId
from medledger.services import registration
from medledger.services.charge_voids import void_charge
from medledger.storage.unit_of_work import Database
from medledger.web.forms import errors_of, fields, key, optional, text
from medledger.web.rendering import render
from medledger.web.routes.charges import DIALOGS, charge_changed, dialog
from medledger.web.routing import web_router
from medledger.web.session import WebActor

router = web_router()

PATIENT_FIELDS = (
    "mrn", "first_name", "last_name", "birth_date", "sex", "member_id", "address_line1",
    "address_line2", "city", "state", "postal_code", "payer_code", "coverage_order",
)  # fmt: skip
#: Edit patient lists each coverage held as ``coverage-<n>-key`` ("order:payer code", hidden),
#: ``coverage-<n>-member_id`` and ``coverage-<n>-remove`` (a checkbox).
COVERAGE_FIELD = re.compile(r"coverage-([0-9]{1,2})-key")
PatientForm = Annotated[FormData, fields(*PATIENT_FIELDS, prefixes=("coverage-",))]
VISIT_FIELDS = (
    "date_of_service", "patient_control_number", "payer", "place_of_service",
    "rendering_provider", "diagnosis_codes",
)  # fmt: skip
#: Blank procedure rows the Add visit screen offers.
VISIT_LINES = 4
LINE_FIELDS = ("code", "modifiers", "units", "charge")
VisitForm = Annotated[FormData, fields(*VISIT_FIELDS, prefixes=("line-",))]
VoidForm = Annotated[FormData, fields("reason", "custom_reason", "note", "key")]
_LIST = re.compile(r"[\s,;:]+")


def _errors(error: LedgerError, names: tuple[str, ...], prefix: str = "") -> dict[str, str]:
    """The refusal beside the field it names (``field`` of its details), else the form's."""
    named = error.details.get("field")
    return {f"{prefix}{named}" if named in names else "form": error.message}


# -- New patient, Edit patient ----------------------------------------------------------------
#: The patient's details on the form (all but the MRN and the coverage fields).
DETAIL_FIELDS = PATIENT_FIELDS[1:11]


def _patient_page(
    request: Request,
    database: Database,
    actor: WebActor,
    form: Any,
    errors: dict[str, str],
    record: registration.PatientRecord | None = None,
) -> Response:
    return render(
        request, "patients/patient_form.html", status_code=422 if errors else 200, form=form,
        errors=errors, payers=registration.payers(database, actor), record=record,
    )  # fmt: skip


def _details(form: FormData) -> PatientDetails:
    born = optional(form, "birth_date")
    return PatientDetails(
        optional(form, "first_name"), text(form, "last_name"),
        None if born is None else parse_day(born, "birth_date"), optional(form, "sex"),
        optional(form, "member_id"), optional(form, "address_line1"),
        optional(form, "address_line2"), optional(form, "city"), optional(form, "state"),
        optional(form, "postal_code"),
    )  # fmt: skip


def _coverages(form: FormData) -> list[registration.CoverageInput]:
    """The coverages held whose member id the form gives, and the one it adds when a payer is
    given."""
    kept = [
        registration.CoverageInput(key.payer_code, key.order, optional(form, f"{field}-member_id"))
        for field, key in _held(form)
        if not text(form, f"{field}-remove")
    ]
    payer = optional(form, "payer_code")
    if payer is None:
        return kept
    return [*kept, registration.CoverageInput(payer, text(form, "coverage_order") or "primary")]


def _removed(form: FormData) -> list[registration.CoverageKey]:
    """The coverages held that the form's Remove boxes tick."""
    return [key for field, key in _held(form) if text(form, f"{field}-remove")]


def _held(form: FormData) -> list[tuple[str, registration.CoverageKey]]:
    """Each coverage the Edit patient form lists: its fields' prefix and which coverage."""
    held = []
    for name in form:
        if COVERAGE_FIELD.fullmatch(name):
            order, _, payer = text(form, name).partition(":")
            held.append((name.removesuffix("-key"), registration.CoverageKey(payer, order)))
    return held


@router.get("/patients/new")
def new_patient(request: Request, database: DatabaseDep, actor: WebActor) -> Response:
    return _patient_page(request, database, actor, {}, {})


@router.post("/patients/new")
def register_patient(
    request: Request, database: DatabaseDep, actor: WebActor, form: PatientForm
) -> Response:
    """Register, then open the patient's page; or the form again with the refusal inline."""
    try:
        record = registration.register_patient(
            database, actor, text(form, "mrn"), _details(form), _coverages(form)
        )
    except LedgerError as error:
        return _patient_page(request, database, actor, form, _errors(error, PATIENT_FIELDS))
    return RedirectResponse(f"/patients/{record.patient.id}", status_code=303)


@router.get("/patients/{patient_id}/edit")
def edit_patient(
    request: Request, database: DatabaseDep, actor: WebActor, patient_id: PathId
) -> Response:
    """The patient's details as stored, ready to change (each coverage's member id, or the
    coverage removed; and a coverage to add)."""
    record = registration.patient_record(database, actor, patient_id)
    row = record.patient._mapping
    form = {name: "" if row[name] is None else str(row[name]) for name in ("mrn", *DETAIL_FIELDS)}
    return _patient_page(request, database, actor, form, {}, record)


@router.post("/patients/{patient_id}/edit")
def save_patient(
    request: Request,
    database: DatabaseDep,
    actor: WebActor,
    patient_id: PathId,
    form: PatientForm,
) -> Response:
    """Save what changed (a field emptied is emptied) through the service behind
    ``PATCH /api/patients/{id}``, then open the patient's page; or the form again with the
    refusal inline."""
    try:
        registration.update_patient(database, actor, patient_id, _details(form), _coverages(form), mrn=text(form, "mrn"),
            clear=[name for name in DETAIL_FIELDS if not text(form, name)],
            remove_coverages=_removed(form),
        )  # fmt: skip
    except LedgerError as error:
        record = registration.patient_record(database, actor, patient_id)
        errors = _errors(error, PATIENT_FIELDS)
        return _patient_page(request, database, actor, form, errors, record)
    return RedirectResponse(f"/patients/{patient_id}", status_code=303)


# -- Add visit --------------------------------------------------------------------------------
def _visit_page(
    request: Request,
    database: Database,
    actor: WebActor,
    patient_id: int,
    form: Any,
    errors: dict[str, str],
) -> Response:
    return render(
        request, "patients/add_visit.html", status_code=422 if errors else 200,
        record=registration.patient_record(database, actor, patient_id), form=form, errors=errors,
        lines=range(1, VISIT_LINES + 1), today=date.today().isoformat(),
    )  # fmt: skip


@router.get("/patients/{patient_id}/visits/new")
def new_visit(
    request: Request, database: DatabaseDep, actor: WebActor, patient_id: PathId
) -> Response:
    return _visit_page(request, database, actor, patient_id, {}, {})


@router.post("/patients/{patient_id}/visits/new")
def add_visit(
    request: Request,
    database: DatabaseDep,
    actor: WebActor,
    patient_id: PathId,
    form: VisitForm,
) -> Response:
    """Charge the visit, then show the patient's Charges tab; or the form again, each line's
    refusals beside its fields."""
    errors: dict[str, str] = {}
    lines = _lines(form, errors)
    try:
        on = parse_day(text(form, "date_of_service"), "date_of_service")
        payer = optional(form, "payer")
        if not lines and not errors:
            raise InvalidInput("enter at least one procedure: its code and charge", field="form")
        details = registration.VisitDetails(
            optional(form, "place_of_service"), optional(form, "rendering_provider"),
            tuple(_LIST.split(text(form, "diagnosis_codes"))),
        )  # fmt: skip
        if not errors:
            registration.add_encounter(database, actor, patient_id, optional(form, "patient_control_number"), on, lines,
                None if payer is None else int(registration.payer_by_code(database, actor, payer).id),
                details=details,
            )  # fmt: skip
    except LedgerError as error:
        errors = {**_errors(error, VISIT_FIELDS), **errors}
    if errors:
        return _visit_page(request, database, actor, patient_id, form, errors)
    return RedirectResponse(f"/patients/{patient_id}", status_code=303)


def _lines(form: FormData, errors: dict[str, str]) -> list[registration.ProcedureInput]:
    """The procedure rows filled in, each field checked; refusals go to ``errors`` by field."""
    found = []
    for number in range(1, VISIT_LINES + 1):
        values = {name: text(form, f"line-{number}-{name}") for name in LINE_FIELDS}
        if not any(values.values()):
            continue
        checked: dict[str, Any] = {}
        checks: dict[str, Callable[[str], Any]] = {
            "code": lambda v: check_text(v, "code", required=True).upper(),
            "modifiers": lambda v: check_modifiers(tuple(_LIST.split(v))),
            "units": lambda v: check_units(int(v) if v.isascii() and v.isdigit() else 0),
            "charge": lambda v: to_cents(v) if v else _no_charge(),
        }
        for name, check in checks.items():
            value = values[name] or ("1" if name == "units" else "")
            try:
                checked[name] = check(value[:20] if name == "units" else value)
            except LedgerError as error:
                errors[f"line-{number}-{name}"] = error.message
        if len(checked) == len(checks):
            found.append(
                registration.ProcedureInput(
                    checked["code"], values["charge"], checked["modifiers"], checked["units"]
                )
            )
    return found


def _no_charge() -> int:
    raise InvalidInput("enter the charge, such as 150.00")


# -- Void charge ------------------------------------------------------------------------------
@router.post("/charges/{procedure_id}/void")
def void(
    request: Request,
    database: DatabaseDep,
    actor: WebActor,
    procedure_id: PathId,
    form: VoidForm,
) -> Response:
    try:
        void_charge(database, actor, procedure_id, reason=text(form, "reason") or "entered_in_error",
            custom_reason=optional(form, "custom_reason"), note=optional(form, "note"),
            idempotency_key=key(form),
        )  # fmt: skip
    except LedgerError as error:
        return dialog(
            request, database, actor, procedure_id, DIALOGS["void"], form, errors_of(error)
        )
    return charge_changed(request, database, actor, procedure_id, "Charge voided.")
