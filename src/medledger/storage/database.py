"""Opening the database: the SQLite default or PostgreSQL, migrated to the current schema.

SQLite runs in WAL mode with foreign keys on, and write transactions start with
``BEGIN IMMEDIATE`` so that two writers are serialised before either reads a balance: that is how
the embedded default keeps concurrent write-offs from exceeding the open PR. PostgreSQL does the
same with row locks on the procedures a transaction touches (see ``LedgerStore.lock_procedures``).
A SQLite file's WAL is checkpointed in the background, not inside a commit (storage/checkpoints.py).

On PostgreSQL the app can run as a role that owns nothing (storage/roles.py): then
``MEDLEDGER_MIGRATION_URL`` names the tables' owner, who migrates and grants the app its
privileges; without it, the app's own URL migrates (SQLite, or one role for everything).
"""

from __future__ import annotations

import logging
import os
import weakref
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, make_url

from medledger.storage import checkpoints, roles

DEFAULT_URL = "sqlite:///medledger.sqlite3"
MIGRATIONS = Path(__file__).parent / "migrations"
_CHECKPOINTERS: weakref.WeakKeyDictionary[Engine, checkpoints.WalCheckpointer] = (
    weakref.WeakKeyDictionary()
)


def _no_result_rows(record: logging.LogRecord) -> bool:
    """SQLAlchemy logs every row it reads at DEBUG: patients' names. Its statements (at INFO,
    their parameters hidden) still log for whoever turns ``sqlalchemy.engine`` up."""
    return record.levelno > logging.DEBUG


logging.getLogger("sqlalchemy.engine.Engine").addFilter(_no_result_rows)


def database_url() -> str:
    """MEDLEDGER_DATABASE_URL, or a SQLite file in the working directory."""
    return os.environ.get("MEDLEDGER_DATABASE_URL", DEFAULT_URL)


def migration_url() -> str | None:
    """MEDLEDGER_MIGRATION_URL: the tables' owner, when the app's URL is another role."""
    return os.environ.get("MEDLEDGER_MIGRATION_URL") or None


def make_engine(url: str | None = None) -> Engine:
    """The engine every front and command opens. It never puts a statement's bound values in an
    error's message (``hide_parameters``): those are patients' names, notes and amounts, and
    error messages end up in logs."""
    url = url or database_url()
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            hide_parameters=True,
        )
        _configure_sqlite(engine)
        return engine
    # No pre-ping (a round trip on every checkout): after a database restart the first statement
    # on a dead connection fails, and SQLAlchemy then discards every older pooled connection.
    return create_engine(
        url, pool_size=20, max_overflow=20, pool_recycle=3600, hide_parameters=True
    )


def wal_checkpointer(engine: Engine) -> checkpoints.WalCheckpointer | None:
    """The background WAL checkpointer of a SQLite file's engine (None for PostgreSQL)."""
    return _CHECKPOINTERS.get(engine)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA wal_autocheckpoint={checkpoints.FALLBACK_PAGES}")
        cursor.close()

    path = engine.url.database
    if path and path != ":memory:" and not path.startswith("file:"):
        checkpointer = _CHECKPOINTERS[engine] = checkpoints.WalCheckpointer(path)
        event.listen(engine, "commit", lambda _connection: checkpointer.committed())
        event.listen(engine, "checkin", lambda _dbapi, _record: checkpointer.connection_returned())

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        write = connection.get_execution_options().get("medledger_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, app_role: str | None = None) -> None:
    """Bring the schema to the newest migration (creates a new SQLite file's tables); then, on
    PostgreSQL, grant ``app_role`` (when given) what the app may do (storage/roles.py)."""
    command.upgrade(alembic_config(engine), "head")
    if app_role is not None and engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            roles.grant_app(connection, app_role)


def setup_roles(superuser_url: str, owner_url: str, app_url: str) -> roles.Login:
    """As a superuser, create (or repair) the owner's and the app's roles of ``owner_url`` and
    ``app_url`` (storage/roles.py), then migrate as the owner and grant the app its privileges.
    The schema is the superuser URL's (its search path: ``public`` unless set). Safe to repeat.
    Answers the app's role."""
    owner, app = roles.Login.of_url(owner_url), roles.Login.of_url(app_url)
    admin = make_engine(superuser_url)
    try:
        with admin.begin() as connection:
            roles.setup_roles(connection, owner, app)
    finally:
        admin.dispose()
    engine = make_engine(owner_url)
    try:
        migrate(engine, app_role=app.name)
    finally:
        engine.dispose()
    return app


def is_current(engine: Engine) -> bool:
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        connection.rollback()
    return current == head


def open_database(url: str | None = None, owner_url: str | None = None) -> Engine:
    """An engine on a database at the current schema, migrating it first if needed: as the
    owner (``owner_url``, else MEDLEDGER_MIGRATION_URL) when that is another role."""
    engine = make_engine(url)
    if not is_current(engine):
        owner_url = owner_url or migration_url()
        if owner_url is None or make_url(owner_url) == engine.url:
            migrate(engine)
        else:
            owner = make_engine(owner_url)
            try:
                migrate(owner, app_role=engine.url.username)
            finally:
                owner.dispose()
    return engine
