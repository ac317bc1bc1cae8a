"""CSV import of patients, visits and charges: a good file registers everything once; one bad
row writes nothing and the report names that row, column and problem; on both databases."""

from __future__ import annotations

import io
from datetime import date

import pytest

from medledger.domain.registration import PatientDetails
from medledger.services import accounts
from medledger.services.csv_import import CsvRefused, import_csv
from medledger.services.registration import register_patient
from medledger.storage.unit_of_work import UnitOfWork

HEADER = (
    "mrn,last_name,first_name,birth_date,sex,member_id,payer_code,payer_name,coverage_order,"
    "visit_id,date_of_service,place_of_service,diagnosis_codes,procedure_code,modifiers,units,charge\n"
)
GOOD = HEADER + (
    "C-1,Smith,Ann,1970-05-01,F,MEM-1,BCBS,Blue Cross,primary,CV-1,2026-03-02,11,J06.9 R05,99213,25,1,150.00\n"
    "C-1,Smith,Ann,1970-05-01,F,MEM-1,BCBS,,,CV-1,2026-03-02,,,97110,,3,285.00\n"
    "C-2,Jones,Bob,1981-11-30,M,,,,,,,,,,,,\n"
    ",Lee,Kim,1990-01-02,,MEM-9,,,,,2026-03-04,,,99212,,,80.00\n"
)


def csv_file(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode())


def patient(engine, actor, mrn):
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        return uow.registry.find_patient(mrn)


def test_a_good_file_registers_patients_visits_and_charges(engine, database, actor):
    summary = import_csv(database, actor, csv_file(GOOD), file_name="practice.csv")
    assert (summary.rows, summary.patients_added, summary.visits, summary.lines) == (4, 3, 2, 3)
    assert summary.charge_cents == 51500
    ann = accounts.patient_account(database, actor, "C-1")
    [visit] = ann.encounters
    assert visit.encounter.patient_control_number == "CV-1"
    assert visit.encounter.diagnosis_codes == "J069,R05"
    assert [(p.procedure.code, p.procedure.units, p.balance.charge) for p in visit.procedures] == [
        ("99213", 1, 15000), ("97110", 3, 28500),
    ]  # fmt: skip
    assert patient(engine, actor, "C-2").birth_date == date(1981, 11, 30)
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        [coverage] = uow.claims.coverages_of(patient(engine, actor, "C-1").id)
        assert (coverage.coverage_order, coverage.member_id) == ("primary", "MEM-1")
        lee = uow.claims.matching_patient("MEM-9", date(1990, 1, 2), "Lee", "Kim")
        assert lee.mrn.startswith("837-")  # the 837 import's number: one person, one record

    again = import_csv(database, actor, csv_file(GOOD), file_name="practice.csv")
    assert (again.patients_added, again.visits, again.visits_unchanged) == (0, 1, 1)


def test_one_bad_row_writes_nothing_and_reports_that_row(engine, database, actor):
    bad = GOOD.replace("97110,,3,285.00", "97110,,3,28.5.00")
    with pytest.raises(CsvRefused) as refused:
        import_csv(database, actor, csv_file(bad), file_name="bad.csv")
    assert refused.value.details["errors"] == [
        {"row": 3, "column": "charge", "problem": refused.value.details["errors"][0]["problem"]}
    ]
    assert "28.5.00" in refused.value.details["errors"][0]["problem"]
    assert "bad.csv: 1 problem(s), nothing imported; first: row 3, column charge" in str(
        refused.value
    )
    assert patient(engine, actor, "C-1") is None and patient(engine, actor, "C-2") is None


def test_every_problem_of_every_row_is_reported(database, actor):
    bad = HEADER + (
        "C-1,,Ann,1970-13-01,X,,,,,V1,2026-03-02,,,99213,LONG,0,-1.00\n"
        "C-2,Jones,Bob,,,,,Acme,fourth,,,,,,,,\n"
    )
    with pytest.raises(CsvRefused) as refused:
        import_csv(database, actor, csv_file(bad))
    found = {(e["row"], e["column"]) for e in refused.value.details["errors"]}
    assert found == {
        (2, "last_name"), (2, "birth_date"), (2, "sex"), (2, "modifiers"), (2, "units"),
        (2, "charge"), (3, "payer_name"), (3, "coverage_order"),
    }  # fmt: skip


def test_an_unknown_column_or_a_missing_last_name_refuses_the_header(database, actor):
    with pytest.raises(CsvRefused) as refused:
        import_csv(database, actor, csv_file("mrn,first,charge\nC-1,Ann,1.00\n"))
    assert {(e["row"], e["column"]) for e in refused.value.details["errors"]} == {
        (1, "first"), (1, "last_name"),
    }  # fmt: skip


def test_problems_only_the_database_can_tell_roll_everything_back(engine, database, actor):
    register_patient(database, actor, "C-2", PatientDetails("Other", "Person"))
    with pytest.raises(CsvRefused) as refused:
        import_csv(database, actor, csv_file(GOOD))
    assert refused.value.details["errors"] == [
        {"row": 4, "column": "mrn", "problem": "MRN C-2 is registered to another patient"}
    ]
    assert patient(engine, actor, "C-1") is None


def test_a_matching_patient_is_found_not_registered_twice(database, actor):
    known = register_patient(
        database,
        actor,
        "OLD-1",
        PatientDetails("Ann", "Smith", date(1970, 5, 1), member_id="MEM-1"),
    ).patient
    summary = import_csv(database, actor, csv_file(GOOD.replace("C-1,", ",")))
    assert summary.patients_matched == 1
    assert accounts.patient_account(database, actor, known.id).balance.charge == 43500


def test_a_dry_run_checks_everything_and_writes_nothing(engine, database, actor):
    summary = import_csv(database, actor, csv_file(GOOD), dry_run=True)
    assert (summary.dry_run, summary.visits, summary.charge_cents) == (True, 2, 51500)
    assert patient(engine, actor, "C-1") is None
