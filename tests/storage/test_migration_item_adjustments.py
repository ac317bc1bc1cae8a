"""Migration 0005 carries payment item adjustments from their own rows onto the items'
rows, in order, and its downgrade splits them back: on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import Engine, text

from medledger.storage.database import alembic_config, make_engine
from tests.conftest import _drop_schema, _postgres_engine

REVISION = "0005"


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh(request, tmp_path):
    """An empty database of its own (the session's shared one is already at head)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'migrate.sqlite3'}")
        yield engine
        engine.dispose()
        return
    engine, schema = _postgres_engine()
    yield engine
    engine.dispose()
    _drop_schema(schema)


def items_with_adjustments(engine: Engine) -> None:
    """Two payment items, one with three adjustments (inserted out of item order), one without."""
    statements = [
        "INSERT INTO organisations (id, name, created_at) VALUES (1, 'P', CURRENT_TIMESTAMP)",
        "INSERT INTO patients (id, organisation_id, mrn, first_name, last_name, created_at) "
        "VALUES (1, 1, 'M1', 'A', 'B', CURRENT_TIMESTAMP)",
        "INSERT INTO payers (id, organisation_id, payer_code, name, created_at) "
        "VALUES (1, 1, 'X', 'X', CURRENT_TIMESTAMP)",
        "INSERT INTO encounters (id, organisation_id, patient_id, patient_control_number, "
        "date_of_service, created_at) VALUES (1, 1, 1, 'PCN', '2024-03-01', CURRENT_TIMESTAMP)",
        "INSERT INTO remittances (id, organisation_id, payer_id, trace_number, payment_cents, "
        "source, created_at) VALUES (1, 1, 1, 'T', 100, 'era', CURRENT_TIMESTAMP)",
        "INSERT INTO payment_items (id, organisation_id, remittance_id, level, encounter_id, "
        "charge_cents, paid_cents) VALUES (1, 1, 1, 'claim', 1, 500, 100), "
        "(2, 1, 1, 'claim', 1, 500, 500)",
        "INSERT INTO payment_item_adjustments (id, organisation_id, payment_item_id, group_code, "
        "carc, amount_cents) VALUES (1, 1, 1, 'CO', '45', 300), (2, 1, 1, 'PR', '2', 150), "
        "(3, 1, 1, 'CO', 'A2', -50)",
    ]
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


def test_adjustments_move_onto_their_items_and_back(fresh):
    config = alembic_config(fresh)
    command.upgrade(config, "0004")
    items_with_adjustments(fresh)
    command.upgrade(config, REVISION)
    with fresh.connect() as connection:
        moved = connection.execute(
            text("SELECT id, adjustments FROM payment_items ORDER BY id")
        ).all()
    assert [tuple(row) for row in moved] == [(1, "CO:45:300;PR:2:150;CO:A2:-50"), (2, "")]
    command.downgrade(config, "0004")
    with fresh.connect() as connection:
        back = connection.execute(
            text(
                "SELECT payment_item_id, group_code, carc, amount_cents "
                "FROM payment_item_adjustments ORDER BY id"
            )
        ).all()
    assert [tuple(row) for row in back] == [(1, "CO", "45", 300), (1, "PR", "2", 150),
                                            (1, "CO", "A2", -50)]  # fmt: skip
