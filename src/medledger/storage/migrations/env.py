"""Alembic environment: migrations run on the engine medledger hands over (see database.py)."""

from __future__ import annotations

from alembic import context

from medledger.storage.tables import metadata

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
