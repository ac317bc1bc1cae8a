"""PostgreSQL as a wall of its own (docs/security.md): the app runs as a role that owns nothing
and may change only what the ledger changes, and row-level security shows a transaction only
the rows of the organisation it names, whatever a query asks for."""

from __future__ import annotations

import uuid

import pytest
from alembic import command
from sqlalchemy import Engine, insert, make_url, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from medledger.cli import app as cli_app
from medledger.services.actor import Actor
from medledger.services.registration import create_organisation
from medledger.storage.database import alembic_config, make_engine, migrate
from medledger.storage.registry import now
from medledger.storage.roles import APP_CHANGES
from medledger.storage.tables import metadata, patients
from medledger.storage.unit_of_work import Database
from tests import builders
from tests.conftest import (
    APP_ROLE,
    OWNER_ROLE,
    POSTGRES_URL,
    _drop_schema,
    _postgres_engine,
    as_role,
    in_schema,
)

INSUFFICIENT_PRIVILEGE = "42501"


@pytest.fixture(autouse=True)
def postgresql_only(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("roles and row-level security are PostgreSQL's (SQLite has neither)")


def other_organisation(database: Database) -> Actor:
    return create_organisation(database, f"Other {uuid.uuid4().hex[:8]}")


def test_the_app_role_is_no_superuser_and_owns_nothing(engine):
    with engine.connect() as connection:
        role = connection.execute(
            text(
                "SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
            )
        ).one()
        owned = connection.execute(
            text(
                "SELECT count(*) FROM pg_class WHERE relnamespace = current_schema()::regnamespace"
                " AND relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
            )
        ).scalar_one()
    assert tuple(role) == (APP_ROLE, False, False)
    assert owned == 0


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE ledger_entries DISABLE TRIGGER ALL",
        "ALTER TABLE ledger_transactions DISABLE TRIGGER ledger_transactions_no_change",
        "SET session_replication_role = replica",
        "DROP TRIGGER ledger_entries_no_change ON ledger_entries",
        "UPDATE ledger_entries SET amount_cents = amount_cents + 100 WHERE transaction_id = :t",
        "DELETE FROM ledger_entries WHERE transaction_id = :t",
        "UPDATE ledger_transactions SET note = 'edited' WHERE id = :t",
        "DELETE FROM ledger_transactions WHERE id = :t",
        "TRUNCATE ledger_entries",
        "ALTER TABLE patients DISABLE ROW LEVEL SECURITY",
        "ALTER TABLE patients NO FORCE ROW LEVEL SECURITY",
        "DROP POLICY organisation_rows ON patients",
        "CREATE TABLE shadow (id integer)",
    ],
)
def test_the_app_role_cannot_walk_past_the_guards(database, actor, write_off_id, sql):
    """Inside its own organisation's unit of work, where the rows are visible to it."""
    with pytest.raises(DBAPIError) as refused, database.unit_of_work(actor.organisation_id) as uow:
        uow.connection.execute(text(sql), {"t": write_off_id} if ":t" in sql else {})
    assert refused.value.orig.sqlstate == INSUFFICIENT_PRIVILEGE, refused.value.orig


def test_the_app_role_holds_exactly_its_privileges(engine):
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            held = {
                privilege
                for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "TRIGGER")
                if connection.execute(
                    text("SELECT has_table_privilege(current_user, :t, :p)"),
                    {"t": table.name, "p": privilege},
                ).scalar_one()
            }
            assert held == {"SELECT", "INSERT", *APP_CHANGES.get(table.name, ())}, table.name


def test_every_tenant_table_is_under_forced_row_level_security(engine):
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,"
                " (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies"
                " FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid"
                " WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'"
                " AND a.attname = 'organisation_id'"
            )
        ).all()
    tenant_tables = {t.name for t in metadata.sorted_tables if "organisation_id" in t.c}
    assert {row.relname for row in rows} == tenant_tables
    assert [
        row.relname for row in rows if not (row.relrowsecurity and row.relforcerowsecurity)
    ] == []
    assert [row.relname for row in rows if row.policies == 0] == []


@pytest.mark.parametrize("write", [True, False])
def test_an_unscoped_query_sees_only_its_own_organisations_rows(engine, database, actor, write):
    other = other_organisation(database)
    mine = builders.patient(engine, actor)
    theirs = builders.patient(engine, other)
    with database.unit_of_work(actor.organisation_id, write=write) as uow:
        rows = uow.connection.execute(text("SELECT id, organisation_id FROM patients")).all()
    assert mine in {row.id for row in rows} and theirs not in {row.id for row in rows}
    assert {row.organisation_id for row in rows} == {actor.organisation_id}
    with database.unit_of_work(other.organisation_id, write=write) as uow:
        ids = set(uow.connection.execute(text("SELECT id FROM patients")).scalars())
    assert theirs in ids and mine not in ids


def test_with_no_organisation_named_no_rows_show(engine, raw_engine, actor):
    builders.patient(engine, actor)
    for tried in (engine, make_engine(owner_url(engine))):  # FORCE: the owner too
        with tried.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM patients")).scalar_one() == 0
            assert connection.execute(text("SELECT count(*) FROM users")).scalar_one() == 0
        if tried is not engine:
            tried.dispose()
    with raw_engine.connect() as connection:  # the rows are there: a superuser sees them
        assert connection.execute(text("SELECT count(*) FROM patients")).scalar_one() > 0


def test_a_read_only_unit_of_work_leaves_no_organisation_behind(engine, database, actor):
    """A read in autocommit names its organisation for the session: cleared as it ends."""
    builders.patient(engine, actor)
    for _ in range(3):
        with database.unit_of_work(actor.organisation_id, write=False) as uow:
            assert uow.connection.execute(text("SELECT count(*) FROM patients")).scalar_one()
    pooled = [engine.connect() for _ in range(engine.pool.checkedin() + 1)]
    try:
        assert {c.execute(text("SELECT count(*) FROM patients")).scalar_one() for c in pooled} == {
            0
        }
    finally:
        for connection in pooled:
            connection.close()


def test_a_row_of_another_organisation_cannot_be_written(database, actor):
    other = other_organisation(database)
    row = {
        "organisation_id": other.organisation_id,
        "mrn": "FOREIGN-1",
        "first_name": "Ann",
        "last_name": "Other",
        "created_at": now(),
    }
    with pytest.raises(DBAPIError) as refused, database.unit_of_work(actor.organisation_id) as uow:
        uow.connection.execute(insert(patients).values(**row))
    assert "row-level security" in str(refused.value.orig)


def owner_url(engine: Engine) -> str:
    return engine.url.set(username=OWNER_ROLE).render_as_string(hide_password=False)


def test_db_setup_roles_makes_a_fresh_database_ready_and_can_be_repeated():
    raw, schema = _postgres_engine()
    superuser = in_schema(POSTGRES_URL, schema)
    owner = in_schema(as_role(POSTGRES_URL, OWNER_ROLE), schema)
    app = in_schema(as_role(POSTGRES_URL, APP_ROLE), schema)
    runner = CliRunner()
    try:
        for _ in range(2):
            result = runner.invoke(
                cli_app,
                ["--database-url", app, "--migration-url", owner,
                 "db", "setup-roles", "--superuser-url", superuser],
            )  # fmt: skip
            assert result.exit_code == 0, result.output
            assert f"{OWNER_ROLE} owns and migrates, {APP_ROLE} runs the app" in result.stdout
        made = runner.invoke(
            cli_app,
            ["--database-url", app, "--migration-url", owner, "init", "--organisation", "New"],
            env={"MEDLEDGER_NEW_PASSWORD": "the first admin's passphrase"},
        )
        assert made.exit_code == 0, made.output
        with raw.connect() as connection:
            owners = set(
                connection.execute(
                    text("SELECT tableowner FROM pg_tables WHERE schemaname = :s"), {"s": schema}
                ).scalars()
            )
        assert owners == {OWNER_ROLE}
    finally:
        raw.dispose()
        _drop_schema(schema)


def test_db_setup_roles_refuses_a_superuser_as_either_role():
    result = CliRunner().invoke(
        cli_app,
        ["--database-url", as_role(POSTGRES_URL, APP_ROLE), "--migration-url", POSTGRES_URL,
         "db", "setup-roles", "--superuser-url", POSTGRES_URL],
    )  # fmt: skip
    assert result.exit_code == 1
    assert f"role {make_url(POSTGRES_URL).username} is a superuser" in result.output


def test_row_level_security_steps_down_and_up_again():
    engine, schema = _postgres_engine()

    def policies() -> int:
        with engine.connect() as connection:
            return connection.execute(
                text(
                    "SELECT count(*) FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid"
                    " WHERE c.relnamespace = current_schema()::regnamespace"
                )
            ).scalar_one()

    try:
        migrate(engine)
        at_head = policies()
        assert at_head > len([t for t in metadata.sorted_tables if "organisation_id" in t.c])
        command.downgrade(alembic_config(engine), "0019")
        assert policies() == 0
        command.upgrade(alembic_config(engine), "head")
        assert policies() == at_head
    finally:
        engine.dispose()
        _drop_schema(schema)
