"""The migrations build exactly the schema ``storage/tables.py`` declares, on both engines, and
the newest one can be undone and redone (so a bad deploy can step back)."""

from __future__ import annotations

import re

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.exc import DBAPIError

from medledger.services.registration import create_organisation
from medledger.services.verification import verify_organisation
from medledger.storage.database import alembic_config, make_engine, migrate
from medledger.storage.registry import now
from medledger.storage.tables import approval_requests, metadata
from medledger.storage.unit_of_work import Database, UnitOfWork
from tests import builders
from tests.conftest import _drop_schema, _postgres_engine


def test_the_migrated_schema_is_the_declared_one(engine):
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
        connection.rollback()
    assert differences == []


def test_the_newest_migration_steps_down_and_up_again(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'steps.sqlite3'}")
    migrate(engine)
    config = alembic_config(engine)
    head = ScriptDirectory.from_config(config).get_current_head()
    command.downgrade(config, "-1")
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() != head
        connection.rollback()
    command.upgrade(config, "head")
    assert "draft_id" in {c["name"] for c in inspect(engine).get_columns("approval_requests")}


def migrated_practice(path):
    """A migrated SQLite file holding one patient with an adjudicated visit (PR 30.00)."""
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    actor = create_organisation(Database(engine), "Migrated practice")
    patient_id = builders.patient(engine, actor)
    encounter_id, (procedure_id,) = builders.visit(engine, actor, patient_id, ["100.00"])
    builders.adjudicate(engine, actor, encounter_id, {procedure_id: (10000, 7000, {"PR-2": 3000})})
    return engine, actor, patient_id


def test_patients_open_pr_is_filled_from_the_balances_on_upgrade(tmp_path):
    engine, actor, patient_id = migrated_practice(tmp_path / "open_pr.sqlite3")
    config = alembic_config(engine)
    command.downgrade(config, "0005")  # before patient_open_pr existed
    command.upgrade(config, "head")
    assert verify_organisation(Database(engine), actor.organisation_id).ok
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        assert uow.ledger.patients_owing_most(5) == [patient_id]


def test_the_journal_keeps_its_rows_indexes_and_guards_through_0008(tmp_path):
    """0008 rebuilds SQLite's journal table to restate its column CHECK: every row, index and
    append-only trigger comes through, down and up again, and the CHECK still refuses."""
    engine, actor, _ = migrated_practice(tmp_path / "journal.sqlite3")

    def journal() -> tuple[list[tuple[object, ...]], set[str], str]:
        with engine.connect() as connection:
            rows = [tuple(r) for r in connection.execute(text("SELECT * FROM ledger_entries"))]
            schema = connection.execute(
                text("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'ledger_entries'")
            ).all()
            connection.rollback()
        dependents = {name for kind, name, _ in schema if kind in ("index", "trigger")}
        (table,) = [sql for kind, _, sql in schema if kind == "table"]
        return rows, dependents, table

    rows, dependents, table = journal()
    assert len(rows) == 3 and "\"column\" = 'refunded'" in table
    assert {"ledger_entries_no_update", "ledger_entries_no_delete"} <= dependents
    assert {"ix_ledger_entries_procedure_id", "ix_ledger_entries_transaction_id"} <= dependents
    config = alembic_config(engine)
    command.downgrade(config, "0007")
    assert journal()[:2] == (rows, dependents) and '"column" IN (' in journal()[2]
    command.upgrade(config, "head")
    assert journal()[:2] == (rows, dependents)
    assert verify_organisation(Database(engine), actor.organisation_id).ok
    with pytest.raises(DBAPIError), engine.begin() as connection:
        connection.execute(text("DELETE FROM ledger_entries"))
    with pytest.raises(DBAPIError), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO ledger_entries (organisation_id, transaction_id, procedure_id, "
                '"column", carc, amount_cents) SELECT organisation_id, transaction_id, '
                "procedure_id, 'invented', carc, 5 FROM ledger_entries LIMIT 1"
            )
        )


def test_the_move_check_per_transaction_steps_down_and_up_on_postgresql():
    """0010 swaps PostgreSQL's per-row move check for one per move (and back): in a schema of
    its own, so the session's migrated schema is not stepped down under other tests."""
    engine, schema = _postgres_engine()

    def move_triggers() -> set[str]:
        with engine.connect() as connection:
            names = connection.execute(
                text(
                    "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE '%move%'"
                    " AND tgrelid::regclass::text IN ('ledger_entries', 'ledger_transactions')"
                )
            ).scalars()
            found = set(names)
            connection.rollback()
        return found

    try:
        migrate(engine)
        after = {
            "ledger_transactions_move_nets_to_zero",
            "ledger_entries_earlier_move_nets_to_zero",
        }
        assert move_triggers() == after
        command.downgrade(alembic_config(engine), "0009")
        assert move_triggers() == {"ledger_entries_move_nets_to_zero"}
        command.upgrade(alembic_config(engine), "head")
        assert move_triggers() == after
    finally:
        engine.dispose()
        _drop_schema(schema)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_0018_lets_an_approval_request_hold_a_cancellation(tmp_path, dialect):
    """Below 0018 the kind CHECK refuses a cancellation request; at head it takes one, and
    stepping down again is refused while one exists (on SQLite the CHECK is edited in place)."""
    if dialect == "sqlite":
        engine, schema = make_engine(f"sqlite:///{tmp_path / 'kinds.sqlite3'}"), None
    else:
        engine, schema = _postgres_engine()
    try:
        migrate(engine)
        actor = create_organisation(Database(engine), "Kinds")
        request = insert(approval_requests).values(
            organisation_id=actor.organisation_id, kind="cancellation", payload="[]",
            total_cents=1, requested_by=actor.user_id, status="pending", created_at=now(),
        )  # fmt: skip
        config = alembic_config(engine)
        command.downgrade(config, "0017")
        with pytest.raises(DBAPIError), engine.begin() as connection:
            connection.execute(request)
        command.upgrade(config, "head")
        with engine.begin() as connection:
            connection.execute(request)
        with pytest.raises(AssertionError, match="cancellation approval requests exist"):
            command.downgrade(config, "0017")
        with engine.begin() as connection:
            kind = connection.execute(select(approval_requests.c.kind)).scalar_one()
        assert kind == "cancellation"
    finally:
        engine.dispose()
        if schema is not None:
            _drop_schema(schema)


def test_rows_written_before_0017_get_the_user_their_charge_names(tmp_path):
    """0017 fills procedures' and encounters' ``created_by`` from the charge transaction that
    charged them; patients and payers stay empty: nothing recorded who wrote them."""
    engine, actor, patient_id = migrated_practice(tmp_path / "acting.sqlite3")
    config = alembic_config(engine)
    command.downgrade(config, "0016")
    command.upgrade(config, "head")
    with engine.connect() as connection:
        written = {
            table: set(connection.execute(text(f"SELECT created_by FROM {table}")).scalars())
            for table in ("procedures", "encounters", "patients")
        }
        connection.rollback()
    assert written == {
        "procedures": {actor.user_id},
        "encounters": {actor.user_id},
        "patients": {None},
    }
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        assert uow.registry.patient(patient_id).updated_at is None


def test_0019_normalises_usernames_and_raises_negative_limits_to_zero(tmp_path):
    engine, actor, _ = migrated_practice(tmp_path / "users.sqlite3")
    config = alembic_config(engine)
    command.downgrade(config, "0018")
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE users SET username = ' ＡＤＭＩＮ', write_off_limit_cents = -100")
        )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        assert connection.execute(
            text("SELECT username, write_off_limit_cents FROM users")
        ).one() == ("admin", 0)
        connection.rollback()


def test_0019_stops_on_two_users_that_become_one_name(tmp_path):
    engine, actor, _ = migrated_practice(tmp_path / "clash.sqlite3")
    config = alembic_config(engine)
    command.downgrade(config, "0018")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (organisation_id, username, display_name, role, active,"
                " created_at) SELECT organisation_id, 'Admin ', display_name, role, active,"
                " created_at FROM users"
            )
        )
    with pytest.raises(AssertionError, match=re.escape("['admin', 'Admin ']")):
        command.upgrade(config, "head")
