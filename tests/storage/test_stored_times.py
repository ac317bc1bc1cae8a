"""Stored moments read back in UTC on both engines, whatever the database session's time zone:
the same row must not show one time on SQLite and another on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, timedelta

from sqlalchemy import select, text

from medledger.storage.tables import patients
from tests import builders


def test_a_stored_time_reads_back_in_utc_whatever_the_session_time_zone(engine, actor):
    patient_id = builders.patient(engine, actor)
    with builders.reading(engine, actor.organisation_id) as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SET TIME ZONE 'America/New_York'"))
        created = connection.execute(
            select(patients.c.created_at).where(patients.c.id == patient_id)
        ).scalar_one()
        connection.rollback()
    assert created.tzinfo is not None
    assert created.utcoffset() == timedelta(0)
    assert created.tzinfo == UTC
