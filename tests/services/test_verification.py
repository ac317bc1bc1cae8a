"""``verify`` still reports every kind of difference now that the database makes the comparisons
and procedures go through in id ranges: a materialised row off by a cent, a stored PR source the
journal does not support, and a balance that breaks the identities in journal and materialised
rows alike — in whichever range they fall, and never another organisation's."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from medledger.domain.balance import Entry
from medledger.domain.columns import Column
from medledger.services.actor import Actor
from medledger.services.payments import record_payment
from medledger.services.registration import create_organisation
from medledger.services.verification import verify_organisation
from medledger.storage.unit_of_work import UnitOfWork
from tests import builders


@pytest.fixture
def practice(engine, actor):
    """Three visits of two procedures, each adjudicated: paid 50, CO-45 20, coinsurance 30."""
    procedure_ids = []
    for _ in range(3):
        patient_id = builders.patient(engine, actor)
        encounter_id, ids = builders.visit(engine, actor, patient_id, ["100.00", "100.00"])
        builders.adjudicate(
            engine,
            actor,
            encounter_id,
            {pid: (10000, 5000, {"CO-45": 2000, "PR-2": 3000}) for pid in ids},
        )
        procedure_ids += ids
    return procedure_ids


def plant(engine, sql, **values):
    with engine.begin() as connection:
        connection.execute(text(sql), values)


@pytest.mark.parametrize("batch", [1, 4, 1000])
def test_a_sound_ledger_verifies_clean_in_any_batch_size(database, actor, practice, batch):
    report = verify_organisation(database, actor.organisation_id, batch=batch)
    assert report.ok, report.differences
    assert report.procedures_checked == len(practice)


@pytest.mark.parametrize("batch", [1, 4, 1000])
def test_a_materialised_row_off_by_a_cent_is_reported(
    engine, raw_engine, database, actor, practice, batch
):
    first, last = practice[1], practice[-1]
    for procedure_id in (first, last):
        plant(
            raw_engine,
            "UPDATE procedure_balances SET amount_cents = amount_cents + 1 "
            "WHERE procedure_id = :p AND \"column\" = 'charge'",
            p=procedure_id,
        )

    report = verify_organisation(database, actor.organisation_id, batch=batch)

    assert report.differences == [
        f"procedure {first} charge[]: journal 10000, materialised 10001",
        f"procedure {last} charge[]: journal 10000, materialised 10001",
    ]


def test_a_materialised_row_the_journal_does_not_have_is_reported(
    engine, raw_engine, database, actor, practice
):
    plant(
        raw_engine,
        'INSERT INTO procedure_balances (procedure_id, organisation_id, "column", carc, '
        "amount_cents) VALUES (:p, :o, 'payer_oa', '23', -5)",
        p=practice[2],
        o=actor.organisation_id,
    )

    report = verify_organisation(database, actor.organisation_id, batch=2)

    assert report.differences == [
        f"procedure {practice[2]} payer_oa[23]: journal 0, materialised -5"
    ]


def test_a_pr_source_the_journal_does_not_support_is_reported(
    engine, raw_engine, database, actor, practice
):
    plant(raw_engine, "UPDATE procedures SET pr_source = 'estimate' WHERE id = :p", p=practice[3])

    report = verify_organisation(database, actor.organisation_id, batch=2)

    assert report.differences == [
        f"procedure {practice[3]}: PR source 'estimate', journal says 'remittance'"
    ]


def test_an_identity_violation_in_journal_and_balances_alike_is_reported(
    engine, database, actor, practice
):
    """More paid than charged, posted straight through the store: journal and materialised rows
    agree, so only the domain's identities can catch it."""
    procedure_id = practice[4]
    with UnitOfWork(engine, actor.organisation_id) as uow:
        uow.ledger.post(
            builders.adjudication_header(actor, uuid.uuid4().hex),
            [Entry(procedure_id, Column.PAYER_PAID, "", 6000)],
        )
        uow.commit()

    report = verify_organisation(database, actor.organisation_id, batch=3)

    assert report.differences == [
        f"procedure {procedure_id}: insurance balance is negative (-6000)"
    ]


def test_a_payment_holding_less_than_nothing_on_a_procedure_is_reported(
    engine, database, actor, practice
):
    """Paid money moved from one payment to another on the same procedure and CARC, posted
    straight through the store: the columns' sums, the materialised rows and the identities all
    hold, so only the per-payment holdings show that the first payment holds -5.00 there."""
    first, second = practice[0], practice[1]  # one patient's visit, 30.00 coinsurance each
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        patient_id = uow.registry.procedure(first).patient_id
    payments = []
    for amount in ("50.00", "10.00"):  # 30.00 on the first, 20.00 + 10.00 on the second
        transaction_id = record_payment(database, actor, patient_id, amount)
        with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
            payments.append(uow.ledger.transaction(transaction_id).payment_id)
    with UnitOfWork(engine, actor.organisation_id) as uow:
        assert uow.ledger.payment_holdings(payments[0]) == {(first, "2"): 3000, (second, "2"): 2000}
        uow.ledger.post(
            builders.adjudication_header(actor, uuid.uuid4().hex),
            [
                Entry(second, Column.PATIENT_PAID, "2", -2500, payments[0]),
                Entry(second, Column.PATIENT_PAID, "2", 2500, payments[1]),
            ],
        )
        uow.commit()

    report = verify_organisation(database, actor.organisation_id, batch=1)

    assert report.differences == [
        f"payment {payments[0]} on procedure {second}[2]: holds -500, less than nothing"
    ]


def test_another_organisations_differences_are_not_reported(
    engine, raw_engine, database, actor, practice
):
    other = create_organisation(database, f"Other {uuid.uuid4().hex[:8]}")
    other_actor = Actor(other.organisation_id, other.user_id, "test", "admin")
    patient_id = builders.patient(engine, other_actor)
    _, (theirs,) = builders.visit(engine, other_actor, patient_id, ["80.00"])
    plant(
        raw_engine,
        "UPDATE procedure_balances SET amount_cents = amount_cents + 1 WHERE procedure_id = :p",
        p=theirs,
    )

    assert verify_organisation(database, actor.organisation_id, batch=2).ok
    report = verify_organisation(database, other.organisation_id, batch=2)
    assert report.differences == [f"procedure {theirs} charge[]: journal 8000, materialised 8001"]


@pytest.mark.parametrize("batch", [1, 1000])
def test_a_patients_open_pr_that_is_not_the_sum_of_their_procedures_is_reported(
    engine, raw_engine, database, actor, practice, batch
):
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        first, second = (uow.registry.procedure(p).patient_id for p in (practice[0], practice[2]))
        assert uow.ledger.patients_owing_most(10) == sorted(uow.ledger.patients_owing_most(10))
    plant(
        raw_engine, "UPDATE patient_open_pr SET open_pr_cents = 5999 WHERE patient_id = :p", p=first
    )
    plant(raw_engine, "DELETE FROM patient_open_pr WHERE patient_id = :p", p=second)

    report = verify_organisation(database, actor.organisation_id, batch=batch)

    assert report.differences == [
        f"patient {first}: open PR 5999, procedure balances say 6000",
        f"patient {second}: open PR 0, procedure balances say 6000",
    ]


def test_rebuilding_the_open_pr_from_the_balances_mends_it(
    engine, raw_engine, database, actor, practice
):
    plant(
        raw_engine,
        "UPDATE patient_open_pr SET open_pr_cents = 1 WHERE organisation_id = :o",
        o=actor.organisation_id,
    )
    assert not verify_organisation(database, actor.organisation_id).ok
    with UnitOfWork(engine, actor.organisation_id) as uow:
        uow.ledger.rebuild_open_pr()
        uow.commit()
    assert verify_organisation(database, actor.organisation_id).ok
