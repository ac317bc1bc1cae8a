"""Alembic environment: migrations run on the engine medledger hands over (see database.py).

On PostgreSQL they run with ``row_security = off``: a migration statement that row-level
security would filter (migration 0020) fails instead of quietly touching no rows. The
connection is then discarded, not pooled, so no later user of the engine inherits the setting.
"""

from __future__ import annotations

from alembic import context

from medledger.storage.tables import metadata

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    postgresql = connection.dialect.name == "postgresql"
    try:
        if postgresql:
            connection.exec_driver_sql("SET row_security = off")
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    finally:
        if postgresql:
            connection.invalidate()
