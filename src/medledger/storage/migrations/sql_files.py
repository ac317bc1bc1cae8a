"""Raw SQL files beside a migration: triggers and plpgsql cannot be said portably."""

from __future__ import annotations

from pathlib import Path

from alembic import op


def run_sql_beside(migration: str, stem: str, *, dialects: tuple[str, ...]) -> None:
    """Run ``<stem>.<dialect>.sql`` from the folder of ``migration`` (its ``__file__``) on the
    current connection, when its dialect is one of ``dialects`` (the others have no such file:
    nothing to do)."""
    bind = op.get_bind()
    if bind.dialect.name not in dialects:
        return
    script = Path(migration).with_name(f"{stem}.{bind.dialect.name}.sql").read_text()
    driver = bind.connection.driver_connection
    assert driver is not None  # a migration runs on an open connection
    if bind.dialect.name == "sqlite":
        driver.executescript(script)
    else:
        driver.execute(script)  # no parameters: psycopg leaves the plpgsql '%' alone
