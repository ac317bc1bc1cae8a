"""The home screen's patients with open PR: ranked by the database, figures from ``Balance``.

The ranking query mirrors ``Balance.open_pr`` (PR − paid + refunded, per PR CARC); these
scenarios hold every way a patient's open PR moves (partial payment, write-off, full payment
with credit left over, refund), so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

import pytest

from medledger.services import accounts, payments
from medledger.services.work_list import patients_with_open_pr, remittances_to_post, work_list
from medledger.storage.unit_of_work import UnitOfWork
from tests import builders
from tests.plans import sqlite_plans


@pytest.fixture
def owing(engine, database, actor):
    """Open PR: B 50.00, A 35.00, D 10.00; C paid in full (with credit), E never adjudicated."""
    a, _ = builders.adjudicated_patient(engine, actor, ["100.00"], {"PR-2": 3000, "PR-1": 2000})
    payments.record_payment(database, actor, a, "15.00")
    b, b_ids = builders.adjudicated_patient(engine, actor, ["100.00", "100.00"], {"PR-2": 3000})
    builders.write_off(engine, actor, b_ids[0], reason="small_balance", amounts={"2": "10.00"})
    c, _ = builders.adjudicated_patient(engine, actor, ["100.00"], {"PR-2": 3000})
    payments.record_payment(database, actor, c, "40.00")
    d, _ = builders.adjudicated_patient(engine, actor, ["100.00"], {"PR-2": 3000})
    paid = payments.record_payment(database, actor, d, "30.00")
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        payment_id = uow.ledger.transaction(paid).payment_id
    payments.refund_payment(database, actor, payment_id, "10.00")
    e = builders.patient(engine, actor)
    builders.visit(engine, actor, e, ["100.00"])
    return a, b, c, d, e


def test_patients_come_most_open_pr_first_with_balances_from_the_domain(database, actor, owing):
    a, b, _, d, _ = owing

    found = patients_with_open_pr(database, actor)

    assert [(p.patient.id, p.open_pr_cents) for p in found] == [(b, 5000), (a, 3500), (d, 1000)]
    for line in found:
        account = accounts.patient_account(database, actor, line.patient.id)
        assert line.balance == account.balance
        assert line.open_pr_cents == account.balance.total_open_pr()


def test_the_limit_keeps_the_patients_with_most_open_pr(database, actor, owing):
    a, b, *_ = owing

    assert [p.patient.id for p in patients_with_open_pr(database, actor, limit=2)] == [b, a]
    assert [p.patient.id for p in work_list(database, actor, limit=1).patients] == [b]


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # PostgreSQL's plans: the docs
def test_previews_are_counted_from_the_open_drafts_not_the_remittances_items(
    engine, database, actor
):
    patient_id = builders.patient(engine, actor)
    encounter_id, (procedure_id,) = builders.visit(engine, actor, patient_id, ["100.00"])
    builders.adjudicate(engine, actor, encounter_id, {procedure_id: (10000, 7000, {"PR-2": 3000})})

    plans = sqlite_plans(engine, lambda: remittances_to_post(database, actor), "drafts")
    for plan in plans.values():
        assert plan[0].startswith("SEARCH drafts USING INDEX ix_drafts_open"), plan
        assert not any(step.startswith("SCAN") for step in plan), plan


def test_patients_owing_the_same_come_in_patient_order(engine, database, actor):
    same = [
        builders.adjudicated_patient(engine, actor, ["100.00"], {"PR-2": 2000})[0] for _ in range(3)
    ]
    most, _ = builders.adjudicated_patient(engine, actor, ["100.00"], {"PR-2": 2500})

    ranked = [p.patient.id for p in patients_with_open_pr(database, actor)]

    assert ranked == [most, *sorted(same)]


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # PostgreSQL's plans: the docs
def test_the_ranking_reads_only_the_rows_it_shows_however_many_owe_the_same(
    engine, database, actor
):
    """An index in the ranking's own order: no sort of every patient owing the same amount."""
    for _ in range(3):
        builders.adjudicated_patient(engine, actor, ["100.00"], {"PR-2": 2000})

    plans = sqlite_plans(
        engine, lambda: patients_with_open_pr(database, actor, limit=2), "FROM patient_open_pr"
    )

    for plan in plans.values():
        assert plan == [plan[0]], plan  # one step: no temporary B-tree for any ORDER BY part
        assert "INDEX ix_patient_open_pr_rank" in plan[0], plan


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # PostgreSQL's plans: the docs
def test_the_shown_patients_are_read_by_primary_key_not_the_organisation(engine, database, actor):
    """SQLite, with no statistics, read every patient of the organisation for an id list."""
    for _ in range(12):  # more ids than SQLite's guess for an index equality (10 rows)
        builders.adjudicated_patient(engine, actor, ["100.00"], {"PR-2": 2000})

    plans = sqlite_plans(engine, lambda: work_list(database, actor), "FROM patients")

    for plan in plans.values():
        assert plan == ["SEARCH patients USING INTEGER PRIMARY KEY (rowid=?)"], plan
