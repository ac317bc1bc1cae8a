"""Every test runs against SQLite and PostgreSQL.

One database per engine per session (on PostgreSQL a schema of its own in the test database),
migrated once; each test gets its own organisation, which the tenant scoping keeps apart from
every other test's rows. PostgreSQL tests skip loudly when no
server answers, and fail instead of skipping when MEDLEDGER_REQUIRE_POSTGRES=1 (as in CI).

On PostgreSQL the tests run as production does (docs/security.md): the superuser of
MEDLEDGER_TEST_POSTGRES_URL creates an owner and an app role, the owner migrates, and ``engine``
is the app's role, under row-level security. ``raw_engine`` is the superuser in the same schema,
for a test that reads or forges rows behind the app's back (on SQLite: the same engine).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, make_url, text

from medledger.services.actor import Actor
from medledger.services.registration import create_organisation
from medledger.storage.database import make_engine, migrate, setup_roles
from medledger.storage.unit_of_work import Database

POSTGRES_URL = os.environ.get(
    "MEDLEDGER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
#: The roles the tests run as on PostgreSQL (the server's, shared by every test run).
OWNER_ROLE, APP_ROLE = "medledger_test_owner", "medledger_test_app"


def _postgres_engine() -> tuple[Engine, str]:
    """A superuser's engine whose connections live in a schema of their own, so that test runs
    started at the same time (two developers, CI and a benchmark) never drop each other's
    tables."""
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
    return make_engine(in_schema(POSTGRES_URL, schema)), schema


def in_schema(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


def as_role(url: str, role: str) -> str:
    """``url`` logging in as ``role`` (the test server trusts local connections)."""
    return make_url(url).set(username=role, password=None).render_as_string(hide_password=False)


def app_role_engine(schema: str) -> Engine:
    """The app's role on ``schema``, after creating the roles and migrating as the owner."""
    setup_roles(
        in_schema(POSTGRES_URL, schema),
        in_schema(as_role(POSTGRES_URL, OWNER_ROLE), schema),
        in_schema(as_role(POSTGRES_URL, APP_ROLE), schema),
    )
    return make_engine(in_schema(as_role(POSTGRES_URL, APP_ROLE), schema))


def _drop_schema(schema: str) -> None:
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(autouse=True)
def cli_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's own place for ``medledger login`` to keep its token (never the real home),
    and no MEDLEDGER_TOKEN from the environment the tests run in."""
    monkeypatch.setenv("MEDLEDGER_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))
    monkeypatch.delenv("MEDLEDGER_TOKEN", raising=False)


#: Each app engine's raw engine (see above).
_RAW_ENGINES: dict[Engine, Engine] = {}


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """The app's engine: on PostgreSQL its least-privilege role."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "medledger.sqlite3"
        engine = make_engine(f"sqlite:///{path}")
        _RAW_ENGINES[engine] = engine
        migrate(engine)
        yield engine
        engine.dispose()
        return
    raw, schema = _postgres_engine()
    try:
        app = app_role_engine(schema)
        _RAW_ENGINES[app] = raw
        yield app
        app.dispose()
    finally:
        raw.dispose()
        _drop_schema(schema)


@pytest.fixture(scope="session")
def raw_engine(engine: Engine) -> Engine:
    """The superuser's engine on the same database (on SQLite: the same engine)."""
    return _RAW_ENGINES[engine]


@pytest.fixture
def database(engine: Engine) -> Database:
    """What the fronts hand to services: the unit-of-work factory over the test's engine."""
    return Database(engine)


@pytest.fixture
def actor(database: Database) -> Actor:
    """A fresh organisation and its admin user, acting as the test."""
    admin = create_organisation(database, f"Practice {uuid.uuid4().hex[:8]}")
    return Actor(admin.organisation_id, admin.user_id, "test", "admin")
