"""Every test runs against SQLite and PostgreSQL.

One database per engine per session (on PostgreSQL a schema of its own in the test database),
migrated once; each test gets its own organisation, which the tenant scoping keeps apart from
every other test's rows. PostgreSQL tests skip loudly when no
server answers, and fail instead of skipping when MEDLEDGER_REQUIRE_POSTGRES=1 (as in CI).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from medledger.services.actor import Actor
from medledger.services.registration import create_organisation
from medledger.storage.database import make_engine, migrate
from medledger.storage.unit_of_work import Database

POSTGRES_URL = os.environ.get(
    "MEDLEDGER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_engine() -> tuple[Engine, str]:
    """An engine whose connections live in a schema of their own, so that test runs started at
    the same time (two developers, CI and a benchmark) never drop each other's tables."""
    schema = f"test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as error:  # any failure to reach the server means "no PostgreSQL"
        message = f"PostgreSQL not reachable at {POSTGRES_URL}: {error.__class__.__name__}"
        if os.environ.get("MEDLEDGER_REQUIRE_POSTGRES") == "1":
            pytest.fail(message + " (MEDLEDGER_REQUIRE_POSTGRES=1)", pytrace=False)
        print(f"\n*** SKIPPING POSTGRESQL TESTS: {message} ***\n")
        pytest.skip(message)
    finally:
        admin.dispose()
    separator = "&" if "?" in POSTGRES_URL else "?"
    return make_engine(f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"), schema


def _drop_schema(schema: str) -> None:
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    schema = None
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "medledger.sqlite3"
        engine = make_engine(f"sqlite:///{path}")
    else:
        engine, schema = _postgres_engine()
    migrate(engine)
    yield engine
    engine.dispose()
    if schema is not None:
        _drop_schema(schema)


@pytest.fixture
def database(engine: Engine) -> Database:
    """What the fronts hand to services: the unit-of-work factory over the test's engine."""
    return Database(engine)


@pytest.fixture
def actor(database: Database) -> Actor:
    """A fresh organisation and its admin user, acting as the test."""
    admin = create_organisation(database, f"Practice {uuid.uuid4().hex[:8]}")
    return Actor(admin.organisation_id, admin.user_id, "test", "admin")
