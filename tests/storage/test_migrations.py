"""The migrations build exactly the schema ``storage/tables.py`` declares, on both engines, and
the newest one can be undone and redone (so a bad deploy can step back)."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from medledger.services.registration import create_organisation
from medledger.services.verification import verify_organisation
from medledger.storage.database import alembic_config, make_engine, migrate
from medledger.storage.tables import metadata
from medledger.storage.unit_of_work import UnitOfWork
from tests import builders


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


def test_patients_open_pr_is_filled_from_the_balances_on_upgrade(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'open_pr.sqlite3'}")
    migrate(engine)
    actor = create_organisation(engine, "Upgraded practice")
    patient_id = builders.patient(engine, actor)
    encounter_id, (procedure_id,) = builders.visit(engine, actor, patient_id, ["100.00"])
    builders.adjudicate(engine, actor, encounter_id, {procedure_id: (10000, 7000, {"PR-2": 3000})})
    config = alembic_config(engine)
    command.downgrade(config, "0005")  # before patient_open_pr existed
    command.upgrade(config, "head")
    assert verify_organisation(engine, actor.organisation_id).ok
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        assert uow.ledger.patients_owing_most(5) == [patient_id]
