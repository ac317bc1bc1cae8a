"""The patient profile: header with the outstanding balance, and its tabs (charges, history,
payments); a charge's details open in place under its row."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request, Response

from medledger.http.dependencies import DatabaseDep, PathId
from medledger.services.patient_views import PatientProfile, charge_profile, patient_profile
from medledger.web.rendering import render
from medledger.web.routing import web_router
from medledger.web.session import WebActor

router = web_router()


@router.get("/patients/{patient_id}")
def charges_tab(
    request: Request, database: DatabaseDep, actor: WebActor, patient_id: PathId
) -> Response:
    return _tab(request, patient_profile(database, actor, patient_id), "charges")


@router.get("/patients/{patient_id}/{tab}")
def other_tab(
    request: Request,
    database: DatabaseDep,
    actor: WebActor,
    patient_id: PathId,
    tab: Annotated[str, Path(pattern="^(history|payments)$")],
) -> Response:
    return _tab(request, patient_profile(database, actor, patient_id), tab)


@router.get("/charges/{procedure_id}")
def charge_details(
    request: Request,
    database: DatabaseDep,
    actor: WebActor,
    procedure_id: PathId,
    details: bool = True,
) -> Response:
    """View Details (htmx: the charge's rows, opened or closed; a link: the profile, opened)."""
    profile = charge_profile(database, actor, procedure_id)
    if request.headers.get("hx-request") != "true":
        return render(
            request,
            "patients/profile.html",
            profile=profile,
            tab="charges",
            open_charge=procedure_id,
        )
    return render(
        request, "patients/_charge.html", profile=profile, p=profile.procedure(procedure_id),
        open=details,
    )  # fmt: skip


def _tab(
    request: Request, profile: PatientProfile, tab: str, open_charge: int | None = None
) -> Response:
    return render(
        request, "patients/profile.html", profile=profile, tab=tab, open_charge=open_charge,
        form={}, errors={},
    )  # fmt: skip
