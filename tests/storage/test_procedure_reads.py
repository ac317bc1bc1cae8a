"""A screen's procedures come with their balances in one query (each procedure's balance rows
folded into one text value by the database): the same balances ``balances`` reads row by row,
on both engines, whatever keys a procedure holds."""

from __future__ import annotations

from medledger.domain.balance import Entry
from medledger.domain.columns import Column
from medledger.storage.ledger_store import TransactionHeader
from medledger.storage.tables import procedure_balances
from medledger.storage.unit_of_work import UnitOfWork
from tests import builders


def test_balances_beside_procedures_agree_with_the_balance_rows(engine, actor):
    patient_id = builders.patient(engine, actor)
    _, (busy, plain) = builders.visit(engine, actor, patient_id, ["200.00", "80.00"])
    _, (bare,) = builders.visit(engine, actor, patient_id, ["15.00"])
    entries = [
        Entry(busy, Column.PAYER_PAID, "", 9000), Entry(busy, Column.CONTRACTUAL, "45", 4000),
        Entry(busy, Column.PR, "1", 3000), Entry(busy, Column.PR, "2", 2500),
        Entry(busy, Column.PR, "PR99", 1500), Entry(busy, Column.CHARGE, "", 500),
        Entry(busy, Column.PAYER_OA, "A1", 100), Entry(busy, Column.PR, "2", -100),
    ]  # fmt: skip
    with UnitOfWork(engine, actor.organisation_id) as uow:
        moved = uow.ledger.open_transaction(
            TransactionHeader("adjudication", actor.user_id, "test", "reads:1", "h")
        )
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
