"""Which organisation's rows PostgreSQL's row-level security (migration 0020) lets a connection
see and write: the settings it reads, named per transaction. SQLite has no row-level security;
there the stores' own scoping is the only wall.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, text

#: The settings row-level security reads (migration 0020).
ORGANISATION_SETTING = "medledger.organisation_id"
TOKEN_SETTING = "medledger.token_hash"


@contextmanager
def database_scope(connection: Connection, settings: dict[str, str]) -> Iterator[None]:
    """Name ``settings`` to PostgreSQL's row-level security for what ``connection`` runs inside
    this block (SQLite has none: nothing to do).

    Inside a transaction the settings are the transaction's own (they end with it); a
    connection in autocommit (a read-only unit of work) has none, so they are set for its
    session and cleared as the block ends, before the connection goes back to the pool.
    """
    if connection.dialect.name != "postgresql":
        yield
        return
    autocommit = connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
    _set(connection, settings, local=not autocommit)
    try:
        yield
    finally:
        if autocommit and not connection.invalidated:
            _set(connection, dict.fromkeys(settings, ""), local=False)


def _set(connection: Connection, settings: dict[str, str], *, local: bool) -> None:
    calls = ", ".join(f"set_config(:n{i}, :v{i}, :local)" for i in range(len(settings)))
    values: dict[str, Any] = {"local": local}
    for i, (name, value) in enumerate(settings.items()):
        values[f"n{i}"], values[f"v{i}"] = name, value
    connection.execute(text(f"SELECT {calls}"), values)


def organisation_scope(
    connection: Connection, organisation_id: int | None
) -> AbstractContextManager[None]:
    """``database_scope`` of one organisation (None: of none)."""
    value = "" if organisation_id is None else str(organisation_id)
    return database_scope(connection, {ORGANISATION_SETTING: value})


@contextmanager
def organisation_transaction(engine: Engine, organisation_id: int | None) -> Iterator[Connection]:
    """A writing transaction that commits as its block ends, over ``organisation_id``'s rows
    (none for None): for a front's own rows written outside a unit of work (its audit trail)."""
    connection = engine.connect().execution_options(medledger_write=True)
    with connection, connection.begin(), organisation_scope(connection, organisation_id):
        yield connection
