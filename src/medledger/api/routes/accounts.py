"""Patients, encounters and procedures with their balances and what may be done to them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from medledger.api.deps import ActorDep, QueryText
from medledger.api.routing import api_router, on_event_loop
from medledger.api.schemas import (
    EncounterOut,
    PatientOut,
    PatientSummaryOut,
    PaymentOut,
    ProcedureOut,
    TransactionOut,
)
from medledger.http.dependencies import DatabaseDep, PathId
from medledger.services import accounts, history, payments

router = api_router(tags=["accounts"])


@router.get("/patients", response_model=list[PatientSummaryOut])
def search_patients(
    database: DatabaseDep,
    actor: ActorDep,
    search: QueryText = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[PatientSummaryOut]:
    found = accounts.search_patients(database, actor, search or "", limit, offset)
    return [PatientSummaryOut.of(summary) for summary in found]


@router.get("/patients/{patient_id}", response_model=PatientOut)
@on_event_loop
def get_patient(database: DatabaseDep, actor: ActorDep, patient_id: PathId) -> PatientOut:
    return PatientOut.of(accounts.patient_account(database, actor, patient_id))


@router.get("/patients/{patient_id}/history", response_model=list[TransactionOut])
def patient_history(
    database: DatabaseDep, actor: ActorDep, patient_id: PathId
) -> list[TransactionOut]:
    return [TransactionOut.of(v) for v in history.patient_history(database, actor, patient_id)]


@router.get("/patients/{patient_id}/payments", response_model=list[PaymentOut])
def patient_payments(
    database: DatabaseDep, actor: ActorDep, patient_id: PathId
) -> list[PaymentOut]:
    return [PaymentOut.of(v) for v in payments.patient_payments(database, actor, patient_id)]


@router.get("/encounters/{encounter_id}", response_model=EncounterOut)
@on_event_loop
def get_encounter(database: DatabaseDep, actor: ActorDep, encounter_id: PathId) -> EncounterOut:
    return EncounterOut.of(accounts.encounter_account(database, actor, encounter_id))


@router.get("/procedures/{procedure_id}", response_model=ProcedureOut)
@on_event_loop
def get_procedure(database: DatabaseDep, actor: ActorDep, procedure_id: PathId) -> ProcedureOut:
    """The procedure's columns and, for each action, whether it is allowed and if not why."""
    return ProcedureOut.of(accounts.procedure_account(database, actor, procedure_id))
