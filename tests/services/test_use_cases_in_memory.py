"""Use cases run against a unit of work in memory (tests/services/fake_storage.py), with no
database: what a service decides is its own, and the stores only keep it.

One patient (7) with two procedures, each 100.00 charged, 60.00 paid by the payer and 40.00 of
coinsurance (PR CARC 2) open: procedure 1 seen on 2 March, procedure 2 on 9 March.
"""

from __future__ import annotations

import copy
from datetime import date

import pytest

from medledger.domain.balance import Balance, Entry
from medledger.domain.columns import Column
from medledger.domain.errors import IdempotencyConflict, InvalidAmount, InvalidInput, NotFound
from medledger.domain.transaction import TransactionKind
from medledger.services import payments
from medledger.services.actor import Actor
from tests.services.fake_storage import FakeDatabase, FakeLedger, FakePayments, FakeRegistry, row

DESK = Actor(1, 31, "test", "front_desk", None, "Carla Diaz")


def opened(procedure_id: int) -> Balance:
    return Balance.from_entries(
        [Entry(procedure_id, Column.CHARGE, "", 10000),
         Entry(procedure_id, Column.PAYER_PAID, "", 6000),
         Entry(procedure_id, Column.PR, "2", 4000)]
    )  # fmt: skip


@pytest.fixture
def database() -> FakeDatabase:
    registry = FakeRegistry(
        {1: row(id=1, patient_id=7, encounter_id=3, date_of_service=date(2026, 3, 2)),
         2: row(id=2, patient_id=7, encounter_id=4, date_of_service=date(2026, 3, 9))},
        {7: row(id=7, mrn="MRN-7")},
    )  # fmt: skip
    return FakeDatabase(
        registry=registry,
        ledger=FakeLedger(registry, {1: opened(1), 2: opened(2)}),
        payments=FakePayments(),
    )


def test_a_payment_pays_the_oldest_pr_first_and_leaves_the_rest_as_credit(database):
    transaction_id = payments.record_payment(database, DESK, 7, "90.00", method="cash")

    ledger, stored = database.stores["ledger"], database.stores["payments"]
    header, entries = ledger.transactions[transaction_id]
    assert (header.kind, header.user_id, header.patient_id) == (TransactionKind.PAYMENT, 31, 7)
    (payment,) = stored.payments.values()
    assert (payment.amount_cents, payment.method, header.payment_id) == (9000, "cash", payment.id)
    assert ledger.balance(1).open_pr("2") == 0 and ledger.balance(2).open_pr("2") == 0
    assert ledger.balance(2).credit == 1000  # the newest procedure holds what paid no PR
    assert sum(e.amount_cents for e in entries if e.column == Column.PATIENT_PAID) == 9000
    assert database.commits == 1


def test_a_repeated_key_answers_the_first_payment_and_a_different_request_is_refused(database):
    first = payments.record_payment(database, DESK, 7, "30.00", idempotency_key="desk-1")

    assert payments.record_payment(database, DESK, 7, "30.00", idempotency_key="desk-1") == first
    with pytest.raises(IdempotencyConflict):
        payments.record_payment(database, DESK, 7, "31.00", idempotency_key="desk-1")

    assert list(database.stores["ledger"].transactions) == [first]
    assert len(database.stores["payments"].payments) == 1
    assert database.stores["ledger"].balance(1).open_pr("2") == 1000


@pytest.mark.parametrize(
    ("patient_id", "amount", "method", "refusal"),
    [
        (7, "0.00", "card", InvalidAmount),
        (7, "12.345", "card", InvalidAmount),
        (7, "10.00", "barter", InvalidInput),
        (8, "10.00", "card", NotFound),
    ],
)
def test_a_refused_payment_changes_nothing(database, patient_id, amount, method, refusal):
    before = copy.deepcopy(database.stores)

    with pytest.raises(refusal):
        payments.record_payment(database, DESK, patient_id, amount, method=method)

    assert database.stores["ledger"].transactions == {}
    assert database.stores["ledger"].balances_now == before["ledger"].balances_now
    assert database.stores["payments"].payments == {}
    assert database.commits == 0
