"""Registering by hand: patients (demographics, coverages), visits with their charges, and the
void of a charge entered in error; and a practice's CSV of them. Front desk, billers and
managers; every route that writes takes ``?dry_run=true`` (check everything, write nothing)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import File, Response, UploadFile

from medledger.api.deps import ActorDep, DryRun, IdempotencyKey, answering
from medledger.api.routing import api_router
from medledger.api.schemas import (
    CsvImportOut,
    EffectOut,
    EncounterOut,
    PatientChangesIn,
    PatientIn,
    PatientRecordOut,
    PayerOut,
    TransactionOut,
    VisitIn,
    VoidIn,
)
from medledger.http.dependencies import DatabaseDep, PathId
from medledger.services import accounts, history, posting, registration
from medledger.services.charge_voids import void_charge
from medledger.services.csv_import import import_csv

router = api_router(tags=["registration"])


@router.post("/patients", response_model=PatientRecordOut, status_code=201)
def register_patient(
    database: DatabaseDep,
    actor: ActorDep,
    body: PatientIn,
    response: Response,
    dry_run: DryRun = False,
) -> PatientRecordOut:
    """A new patient; 409 when the MRN is taken or the same person (member id, birth date and
    name) is registered already."""
    with answering(dry_run, response):
        record = registration.register_patient(
            database, actor, body.mrn, body.details(), [c.coverage() for c in body.coverages]
        )
    return PatientRecordOut.of(record, dry_run)


@router.get("/patients/{patient_id}/record", response_model=PatientRecordOut)
def get_patient_record(
    database: DatabaseDep, actor: ActorDep, patient_id: PathId
) -> PatientRecordOut:
    """The patient's demographics and coverages."""
    return PatientRecordOut.of(registration.patient_record(database, actor, patient_id))


@router.patch("/patients/{patient_id}", response_model=PatientRecordOut)
def update_patient(
    database: DatabaseDep,
    actor: ActorDep,
    patient_id: PathId,
    body: PatientChangesIn,
    response: Response,
    dry_run: DryRun = False,
) -> PatientRecordOut:
    """Change the fields sent, empty those named in ``clear``, remove the coverages in
    ``remove_coverages``; coverages sent are added (each payer and order once; one held
    already takes the member id sent)."""
    with answering(dry_run, response):
        record = registration.update_patient(database, actor, patient_id, body.details(), [c.coverage() for c in body.coverages],
            mrn=body.mrn, clear=body.clear, remove_coverages=[c.key() for c in body.remove_coverages],
        )  # fmt: skip
    return PatientRecordOut.of(record, dry_run)


@router.post(
    "/patients/{patient_id}/encounters", response_model=EncounterOut | EffectOut, status_code=201
)
def add_visit(
    database: DatabaseDep,
    actor: ActorDep,
    patient_id: PathId,
    body: VisitIn,
    response: Response,
    dry_run: DryRun = False,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """A visit with its procedures, charged in one transaction (the charges' effect in a dry
    run)."""
    with answering(dry_run, response) as effect:
        encounter_id = registration.add_encounter(database, actor, patient_id, body.patient_control_number, body.date_of_service,
            [p.line() for p in body.procedures], body.payer_id, details=body.details(),
            idempotency_key=idempotency_key,
        )  # fmt: skip
        return EncounterOut.of(accounts.encounter_account(database, actor, encounter_id))
    assert effect is not None
    return EffectOut.of(effect)


@router.post(
    "/procedures/{procedure_id}/void", response_model=TransactionOut | EffectOut, status_code=201
)
def void_procedure_charge(
    database: DatabaseDep,
    actor: ActorDep,
    procedure_id: PathId,
    body: VoidIn,
    response: Response,
    dry_run: DryRun = False,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Take a charge entered in error back (409 once money has moved against it)."""
    with answering(dry_run, response) as effect, posting.committed() as posted:
        transaction_id = void_charge(database, actor, procedure_id, reason=body.reason, custom_reason=body.custom_reason,
            note=body.note, idempotency_key=idempotency_key,
        )  # fmt: skip
        return TransactionOut.of(history.answer(database, actor, [transaction_id], posted)[0])
    assert effect is not None
    return EffectOut.of(effect)


@router.get("/payers", response_model=list[PayerOut])
def list_payers(database: DatabaseDep, actor: ActorDep) -> list[PayerOut]:
    return [PayerOut.model_validate(row) for row in registration.payers(database, actor)]


@router.post("/csv-files", response_model=CsvImportOut, status_code=201)
def import_csv_file(
    database: DatabaseDep,
    actor: ActorDep,
    file: Annotated[UploadFile, File(description="A CSV of patients, visits and charges.")],
    response: Response,
    dry_run: DryRun = False,
) -> CsvImportOut:
    """Import every row or none: when any row is wrong the answer is 422 ``csv-refused`` with
    ``errors: [{row, column, problem}]`` and nothing is written (docs/csv-import.md)."""
    with answering(dry_run, response):
        summary = import_csv(database, actor, file.file, file_name=file.filename, dry_run=dry_run)
    return CsvImportOut.of(summary)
