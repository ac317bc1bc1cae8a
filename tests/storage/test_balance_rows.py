"""The materialised balance rows (``LedgerStore._add_to_balances``): keys of a procedure whose
balance was read under its lock go straight to INSERT when they are new, every other key through
the UPDATE that says whether it exists. Whatever the mix, the rows end as the journal's sums, on
both engines; a key believed new that exists after all fails loudly instead of losing money."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert

from medledger.domain.balance import Entry
from medledger.domain.columns import Column
from medledger.domain.errors import ConcurrentChange
from medledger.storage.tables import procedure_balances
from medledger.storage.unit_of_work import UnitOfWork
from tests import builders

_keys = itertools.count(1)
#: (column, CARC) keys an entry may add to: the charge row every procedure has, and new ones.
KEYS = [(Column.CHARGE, ""), (Column.PAYER_PAID, ""), (Column.CONTRACTUAL, "45"),
        (Column.PR, "2"), (Column.PR, "1")]  # fmt: skip
entries = st.lists(
    st.tuples(st.integers(0, 2), st.sampled_from(KEYS), st.integers(1, 5000)), max_size=8
)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    locked=st.sets(st.integers(0, 2)),
    read=st.sets(st.integers(0, 2)),
    batches=st.lists(entries, min_size=1, max_size=4),
)
def test_balance_rows_are_the_journal_sums_however_the_keys_were_known(
    engine, actor, locked, read, batches
):
    _, procedures = builders.visit(
        engine, actor, builders.patient(engine, actor), ["100.00", "50.00", "20.00"]
    )
    with UnitOfWork(engine, actor.organisation_id) as uow:
        uow.ledger.lock_procedures([procedures[n] for n in locked])
        uow.ledger.balances([procedures[n] for n in read])
        for batch in batches:
            _write(
                uow,
                actor,
                [Entry(procedures[n], column, carc, cents) for n, (column, carc), cents in batch],
            )
        uow.commit()
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        assert uow.ledger.materialised() == uow.ledger.recompute()


def _unseen_row(uow, procedure, carc):
    """A PR row added behind the store's back (as only a writer that skipped the lock could)."""
    uow.connection.execute(
        insert(procedure_balances).values(
            procedure_id=procedure, organisation_id=uow.organisation_id,
            column="pr", carc=carc, amount_cents=100,
        )
    )  # fmt: skip


def _write(uow, actor, entries):
    transaction = uow.ledger.open_transaction(
        builders.adjudication_header(actor, f"rows:{next(_keys)}")
    )
    uow.ledger.add_entries(transaction, entries)


def test_a_key_believed_new_that_exists_fails_on_the_primary_key(engine, actor):
    """Only a writer that skipped the lock could add a row between the read and the write; the
    INSERT then fails (the unit of work rolls back) rather than dropping the delta."""
    _, (procedure,) = builders.visit(engine, actor, builders.patient(engine, actor), ["100.00"])
    with pytest.raises(ConcurrentChange), UnitOfWork(engine, actor.organisation_id) as uow:
        uow.ledger.lock_procedures([procedure])
        uow.ledger.balances([procedure])
        _unseen_row(uow, procedure, "2")
        _write(uow, actor, [Entry(procedure, Column.PR, "2", 300)])
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        assert uow.ledger.materialised() == uow.ledger.recompute()


def test_a_write_forgets_which_keys_were_known(engine, actor):
    """What a unit of work knew of a procedure's rows serves its next write only: an import (one
    unit of work for a whole file) would otherwise keep every procedure it touched in memory.
    A later write of a key added since goes through the UPDATE and adds to it."""
    _, (procedure,) = builders.visit(engine, actor, builders.patient(engine, actor), ["100.00"])
    with UnitOfWork(engine, actor.organisation_id) as uow:
        uow.ledger.lock_procedures([procedure])
        uow.ledger.balances([procedure])
        _write(uow, actor, [Entry(procedure, Column.PR, "1", 200)])
        _unseen_row(uow, procedure, "3")
        _write(uow, actor, [Entry(procedure, Column.PR, "3", 200)])
        rows = uow.ledger.balances([procedure])[procedure]
    assert rows.amount(Column.PR, "1") == 200
    assert rows.amount(Column.PR, "3") == 300
