"""The journal's kinds are ``TransactionKind``'s: the migrated database's CHECK lists exactly its
values, takes each of them, and refuses anything else."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from medledger.domain.transaction import TransactionKind
from medledger.storage.unit_of_work import UnitOfWork


def kind_check(connection: Connection) -> str:
    """The text of ``ledger_transactions_chk_kind`` as the database holds it."""
    if connection.dialect.name == "postgresql":
        return connection.execute(
            text(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = "
                "'ledger_transactions'::regclass AND conname = 'ledger_transactions_chk_kind'"
            )
        ).scalar_one()
    table = connection.execute(
        text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'ledger_transactions'")
    ).scalar_one()
    found = re.search(r"CONSTRAINT ledger_transactions_chk_kind CHECK \((.*?\))\)", table)
    assert found is not None, table
    return found.group(1)


def test_the_check_lists_exactly_the_kinds(engine):
    with engine.connect() as connection:
        listed = re.findall(r"'([^']*)'", kind_check(connection))
    assert sorted(listed) == sorted(kind.value for kind in TransactionKind)


def _insert(connection: Connection, actor, kind: str, reverts_id: int | None = None) -> int:
    return connection.execute(
        text(
            "INSERT INTO ledger_transactions (organisation_id, kind, user_id, source, "
            "idempotency_key, request_hash, reverts_id, created_at) VALUES "
            "(:org, :kind, :user, 'test', :key, 'h', :reverts, CURRENT_TIMESTAMP) RETURNING id"
        ),
        {"org": actor.organisation_id, "kind": kind, "user": actor.user_id,
         "key": uuid.uuid4().hex, "reverts": reverts_id},
    ).scalar_one()  # fmt: skip


@pytest.mark.parametrize("refused", ["gift", "Write_off", "WRITE_OFF", ""])
def test_the_database_takes_every_kind_and_nothing_else(engine, actor, refused):
    with UnitOfWork(engine, actor.organisation_id) as uow:  # never committed: rolled back
        connection = uow.connection
        taken = []
        for kind in TransactionKind:  # a reversal names an earlier transaction
            reverts = taken[0] if kind is TransactionKind.REVERSAL else None
            taken.append(_insert(connection, actor, kind.value, reverts))
        with pytest.raises(IntegrityError), connection.begin_nested():
            _insert(connection, actor, refused)
    assert len(taken) == len(TransactionKind)
