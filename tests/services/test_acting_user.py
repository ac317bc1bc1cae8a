"""Every row of the practice's own data names the user who wrote it — patients (and who last
changed them), payers, coverages, encounters and procedures — whichever way it came in: by
hand, an 837, a CSV or an 835's new payer. On SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import date

from bench.claims import generate
from sqlalchemy import select

from medledger.domain.registration import PatientDetails
from medledger.services.claim_import import import_claims
from medledger.services.csv_import import import_csv
from medledger.services.era_import import import_era
from medledger.services.registration import (
    CoverageInput,
    ProcedureInput,
    actor_for,
    add_encounter,
    add_user,
    create_organisation,
    patient_record,
    register_patient,
    update_patient,
)
from medledger.storage.tables import coverages, encounters, patients, payers, procedures
from medledger.storage.unit_of_work import Database
from tests import builders

WRITTEN = (patients, payers, coverages, encounters, procedures)


def user(engine, actor, username: str, role: str):
    add_user(Database(engine), actor, username, username.title(), role)
    return actor_for(Database(engine), actor.organisation_id, username, "test")


def writers(engine, organisation_id: int) -> dict[str, set[int | None]]:
    """Each table's ``created_by`` values in the organisation."""
    with builders.reading(engine, organisation_id) as connection:
        return {
            table.name: set(
                connection.execute(
                    select(table.c.created_by).where(table.c.organisation_id == organisation_id)
                ).scalars()
            )
            for table in WRITTEN
        }


def test_a_patient_names_who_registered_and_who_last_changed_them(engine, database, actor):
    desk = user(engine, actor, "desk", "front_desk")
    biller = user(engine, actor, "biller", "biller")
    details = PatientDetails("Ann", "Smith", date(1970, 5, 1), member_id="M-1")
    record = register_patient(database, desk, "AU-1", details, [CoverageInput("BCBS")])
    assert (record.registered.user_id, record.registered.user_name) == (desk.user_id, "Desk")
    assert record.changed is None
    patient_id = record.patient.id

    update_patient(database, desk, patient_id, PatientDetails(), [])  # nothing to change
    assert patient_record(database, desk, patient_id).changed is None
    changed = update_patient(database, biller, patient_id, PatientDetails(city="Chicago"))
    assert changed.registered == record.registered
    assert changed.changed is not None
    assert (changed.changed.user_id, changed.changed.user_name) == (biller.user_id, "Biller")
    assert changed.changed.at >= record.registered.at
    add_encounter(
        database, desk, patient_id, "AU-PCN", date(2026, 3, 2), [ProcedureInput("99213", "90.00")]
    )
    assert writers(engine, actor.organisation_id) == {name: {desk.user_id} for name in
                                                      ("patients", "payers", "coverages",
                                                       "encounters", "procedures")}  # fmt: skip


def test_an_837_and_its_835_are_written_by_the_importing_user(engine, database):
    admin = create_organisation(database, "Acting user 837")
    biller = user(engine, admin, "biller", "biller")
    pair = generate(5)
    import_claims(database, biller, io.BytesIO(pair.claims_837.encode()), file_name="c.837")
    assert writers(engine, admin.organisation_id) == {t.name: {biller.user_id} for t in WRITTEN}

    other = create_organisation(database, "Acting user 835")
    import_era(database, other, io.BytesIO(pair.remittance_835.encode()), file_name="r.835")
    assert writers(engine, other.organisation_id)["payers"] == {other.user_id}


def test_a_csv_import_is_written_by_the_importing_user(engine, database):
    admin = create_organisation(database, "Acting user CSV")
    desk = user(engine, admin, "desk", "front_desk")
    text = (
        "mrn,last_name,first_name,payer_code,visit_id,date_of_service,procedure_code,charge\n"
        "C-1,Smith,Ann,BCBS,CV-1,2026-03-02,99213,150.00\n"
    )
    import_csv(database, desk, io.BytesIO(text.encode()), file_name="p.csv")
    assert writers(engine, admin.organisation_id) == {t.name: {desk.user_id} for t in WRITTEN}
