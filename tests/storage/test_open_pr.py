"""Each patient's stored open PR moves with the journal, however many procedures and patients one
``add_entries`` touches (PostgreSQL: one statement summing per patient; SQLite: one per
procedure), on both engines."""

from __future__ import annotations

from sqlalchemy import select

from medledger.domain.balance import Entry
from medledger.domain.columns import Column
from medledger.services.verification import verify_organisation
from medledger.storage.tables import patient_open_pr
from medledger.storage.unit_of_work import UnitOfWork
from tests import builders


def test_one_batch_over_many_procedures_and_patients(engine, database, actor):
    first, second = builders.patient(engine, actor), builders.patient(engine, actor, "Roe")
    _, (a, b) = builders.visit(engine, actor, first, ["100.00", "50.00"])
    _, (c,) = builders.visit(engine, actor, second, ["80.00"])
    batches = [
        [Entry(a, Column.PR, "2", 3000), Entry(b, Column.PR, "1", 500),
         Entry(c, Column.PR, "2", 700), Entry(c, Column.CONTRACTUAL, "45", 1000)],
        # The first patient's two procedures cancel out; the second's adds to its row.
        [Entry(a, Column.PR, "2", -1000), Entry(b, Column.PR, "1", 1000),
         Entry(c, Column.PR, "3", 200)],
    ]  # fmt: skip
    with UnitOfWork(engine, actor.organisation_id) as uow:
        for number, entries in enumerate(batches):
            transaction = uow.ledger.open_transaction(
                builders.adjudication_header(actor, f"batch:{number}")
            )
            uow.ledger.add_entries(transaction, entries)
        uow.registry.set_pr_source([a, b, c], "remittance")  # as posting a remittance does
        uow.commit()
    with builders.reading(engine, actor.organisation_id) as connection:
        stored = dict(
            connection.execute(
                select(patient_open_pr.c.patient_id, patient_open_pr.c.open_pr_cents).where(
                    patient_open_pr.c.organisation_id == actor.organisation_id
                )
            ).all()
        )
        connection.rollback()
    assert stored == {first: 3500, second: 900}
    assert verify_organisation(database, actor.organisation_id).ok
