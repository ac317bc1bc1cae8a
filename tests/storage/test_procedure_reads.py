"""A screen's procedures come with their balances in one query (each procedure's balance rows
folded into one text value by the database): the same balances ``balances`` reads row by row,
on both engines, whatever keys a procedure holds. A patient's whole account comes in one
statement too, with the same rows the separate reads give."""

from __future__ import annotations

from datetime import date

import pytest

from medledger.domain.balance import Entry
from medledger.domain.columns import Column
from medledger.domain.errors import NotFound
from medledger.services import accounts
from medledger.services.registration import create_organisation
from medledger.storage.tables import procedure_balances
from medledger.storage.unit_of_work import UnitOfWork
from tests import builders
from tests.plans import sqlite_plans


def test_balances_beside_procedures_agree_with_the_balance_rows(engine, raw_engine, actor):
    patient_id = builders.patient(engine, actor)
    _, (busy, plain) = builders.visit(engine, actor, patient_id, ["200.00", "80.00"])
    _, (bare,) = builders.visit(engine, actor, patient_id, ["15.00"])
    entries = [
        Entry(busy, Column.PAYER_PAID, "", 9000), Entry(busy, Column.CONTRACTUAL, "45", 4000),
        Entry(busy, Column.PR, "1", 3000), Entry(busy, Column.PR, "2", 2500),
        Entry(busy, Column.PR, "PR99", 1500), Entry(busy, Column.CHARGE, "", 500),
        Entry(busy, Column.PAYER_OA, "A1", 100), Entry(busy, Column.PR, "2", -100),
    ]  # fmt: skip
    # As the superuser: the app may not delete a balance row (storage/roles.py).
    with UnitOfWork(raw_engine, actor.organisation_id) as uow:
        moved = uow.ledger.open_transaction(builders.adjudication_header(actor, "reads:1"))
        uow.ledger.add_entries(moved, entries)
        # A procedure with no balance rows at all (the screen shows zeros, not an error).
        uow.connection.execute(
            procedure_balances.delete().where(procedure_balances.c.procedure_id == bare)
        )
        shown = dict(uow.ledger.procedures_with_balances("patient_id", patient_id))
        by_rows = uow.ledger.balances([busy, plain, bare])
    assert [row.id for row in shown] == [busy, plain, bare]  # oldest first, as ever
    assert {row.id: balance for row, balance in shown.items()} == by_rows
    assert by_rows[busy].amount(Column.PR, "PR99") == 1500
    assert by_rows[busy].amount(Column.PR, "2") == 2400
    assert by_rows[bare].amounts == {}


def test_a_patients_rows_in_one_statement_are_what_the_three_reads_give(engine, actor):
    patient_id = builders.patient(engine, actor)
    _, (late,) = builders.visit(engine, actor, patient_id, ["40.00"], on=date(2026, 5, 2))
    _, (first, second) = builders.visit(
        engine, actor, patient_id, ["200.00", "80.00"], on=date(2026, 1, 9)
    )
    with UnitOfWork(engine, actor.organisation_id) as uow:
        empty = uow.registry.add_encounter(
            patient_id, "NOLINES", date(2026, 3, 3), created_by=actor.user_id
        )
        rows = uow.ledger.patient_rows(patient_id)
        patient = uow.registry.patient(patient_id)
        encounters = uow.registry.encounters_of_patient(patient_id)
        procedures = uow.ledger.procedures_with_balances("patient_id", patient_id)

    assert tuple(rows.patient) == tuple(patient)
    assert rows.patient.last_name == "Doe"
    assert [tuple(e) for e in rows.encounters] == [tuple(e) for e in encounters]
    assert [e.id for e in rows.encounters][1] == empty  # dates order them, not ids
    # (a row of procedures_with_balances ends with its balance text; the record does not)
    assert [(tuple(p), b) for p, b in rows.procedures] == [
        (tuple(p)[:-1], b) for p, b in procedures
    ]
    assert [p.id for p, _ in rows.procedures] == [first, second, late]
    assert rows.procedures[0][1].amount(Column.CHARGE, "") == 20000


def test_a_patient_without_visits_has_no_rows_and_another_practices_is_not_found(
    engine, database, actor
):
    patient_id = builders.patient(engine, actor)
    elsewhere = create_organisation(database, "Elsewhere")
    with UnitOfWork(engine, actor.organisation_id) as uow:
        rows = uow.ledger.patient_rows(patient_id)
    assert (rows.patient.id, rows.encounters, rows.procedures) == (patient_id, [], [])
    with UnitOfWork(engine, elsewhere.organisation_id) as uow, pytest.raises(NotFound):
        uow.ledger.patient_rows(patient_id)


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # PostgreSQL's plan: the docs
def test_a_patients_account_is_read_through_the_patient_and_its_visits_indexes(
    engine, database, actor
):
    patient_id = builders.patient(engine, actor)
    for day in (1, 2, 3):
        builders.visit(engine, actor, patient_id, ["50.00", "20.00"], on=date(2026, 2, day))

    [plan] = sqlite_plans(
        engine, lambda: accounts.patient_account(database, actor, patient_id), "LEFT OUTER JOIN"
    ).values()

    assert not [step for step in plan if step.startswith("SCAN")], plan
    assert any("encounters USING INDEX" in step for step in plan), plan
    assert any("procedures USING INDEX" in step for step in plan), plan
