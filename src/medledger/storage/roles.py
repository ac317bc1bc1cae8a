"""PostgreSQL roles: the tables' owner, who migrates, and the app's role, which may read, add
rows, and change only what the ledger changes (docs/security.md).

The app role is no superuser and owns nothing, so it can neither disable a trigger, nor set
``session_replication_role``, nor alter, truncate or drop a table; it sees an organisation's
rows only through row-level security (migration 0020). SQLite has no roles: none of this
applies there.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from medledger.domain.errors import InvalidInput
from medledger.storage.tables import metadata

#: What the app may do to a table besides SELECT and INSERT; every other table (the journal
#: among them) only grows. UPDATE also covers the row locks the ledger takes (``FOR UPDATE``)
#: and ``INSERT … ON CONFLICT DO UPDATE``.
APP_CHANGES: dict[str, tuple[str, ...]] = {
    "users": ("UPDATE",),  # password
    "api_tokens": ("UPDATE",),  # revoked
    "user_sessions": ("UPDATE", "DELETE"),  # last seen; ended
    "patients": ("UPDATE",),  # details
    "encounters": ("UPDATE",),  # a corrected claim's details
    "coverages": ("UPDATE", "DELETE"),  # edited or removed with the patient
    "procedures": ("UPDATE",),  # PR source; locked while posting
    "claim_files": ("UPDATE",),  # counts, once imported
    "remittances": ("UPDATE",),  # warnings, content hash
    "drafts": ("UPDATE",),  # status, amounts
    "approval_requests": ("UPDATE",),  # the decision
    "audit_events": ("UPDATE",),  # an event's outcome, corrected as the response starts
    "procedure_balances": ("UPDATE",),  # materialised from the journal
    "patient_open_pr": ("UPDATE", "DELETE"),  # materialised; rebuilt after a bulk load
    "approval_reservations": ("DELETE",),  # go with the decision
    "organisation_settings": ("DELETE",),  # replaced
}


@dataclass(frozen=True)
class Login:
    """A role that logs in, and its password (None: the server's authentication decides)."""

    name: str
    password: str | None = None

    @classmethod
    def of_url(cls, url: str) -> Login:
        parsed = make_url(url)
        if not parsed.get_backend_name().startswith("postgresql") or not parsed.username:
            raise InvalidInput(f"not a PostgreSQL URL with a user name: {parsed!r}")
        return cls(parsed.username, parsed.password)


def setup_roles(connection: Connection, owner: Login, app: Login) -> None:
    """Create (or bring back to this shape) the owner and the app role, as a superuser, on the
    database and schema of ``connection``: both log in, neither is a superuser, creates roles or
    databases, or bypasses row-level security; the owner may create in the schema and takes over
    medledger's tables and functions already there; the app may only use it. Safe to repeat."""
    if owner.name == app.name:
        raise InvalidInput("the owner and the app need two different roles")
    connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('medledger roles'))"))
    me = connection.execute(text("SELECT current_user")).scalar_one()
    for login in (owner, app):
        superuser = connection.execute(
            text("SELECT rolsuper FROM pg_roles WHERE rolname = :name"), {"name": login.name}
        ).scalar()
        if superuser or login.name == me:
            raise InvalidInput(f"role {login.name} is a superuser: choose another name")
        verb = "CREATE" if superuser is None else "ALTER"
        attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOREPLICATION"
        if login.password is None:
            _run(connection, f"{verb} ROLE %I {attributes}", login.name)
        else:
            _run(connection, f"{verb} ROLE %I {attributes} PASSWORD %L", login.name, login.password)
    schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    _run(
        connection,
        "GRANT CONNECT ON DATABASE %I TO %I, %I",
        _database(connection),
        owner.name,
        app.name,
    )
    _run(connection, "GRANT USAGE, CREATE ON SCHEMA %I TO %I", schema, owner.name)
    _run(connection, "GRANT USAGE ON SCHEMA %I TO %I", schema, app.name)
    _run(connection, "REVOKE CREATE ON SCHEMA %I FROM PUBLIC, %I", schema, app.name)
    names = [table.name for table in metadata.sorted_tables] + ["alembic_version"]
    existing = connection.execute(
        text("SELECT tablename FROM pg_tables WHERE schemaname = :s AND tablename = ANY(:names)"),
        {"s": schema, "names": names},
    ).scalars()
    for table in existing:
        _run(connection, "ALTER TABLE %I.%I OWNER TO %I", schema, table, owner.name)
    functions = connection.execute(
        text(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n "
            "ON n.oid = p.pronamespace WHERE n.nspname = :s AND p.proname LIKE 'medledger\\_%'"
        ),
        {"s": schema},
    ).scalars()
    for function in functions:
        _run(connection, f"ALTER FUNCTION {function} OWNER TO %I", owner.name)


def grant_app(connection: Connection, app_role: str) -> None:
    """As the owner, after migrating: the app role's privileges on every table and sequence of
    the schema, exactly (what an earlier revision granted beyond them is taken back)."""
    schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    _run(connection, "REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %I", schema, app_role)
    for table in metadata.sorted_tables:
        privileges = ", ".join(("SELECT", "INSERT", *APP_CHANGES.get(table.name, ())))
        _run(connection, f"GRANT {privileges} ON %I.%I TO %I", schema, table.name, app_role)
    _run(connection, "GRANT SELECT ON %I.alembic_version TO %I", schema, app_role)
    _run(connection, "GRANT USAGE ON ALL SEQUENCES IN SCHEMA %I TO %I", schema, app_role)


def _database(connection: Connection) -> str:
    return str(connection.execute(text("SELECT current_database()")).scalar_one())


def _run(connection: Connection, template: str, *names: str) -> None:
    """Run a statement whose identifiers (``%I``) and literals (``%L``) the server quotes:
    role statements take no bind parameters."""
    marks = ", ".join(f"CAST(:a{i} AS text)" for i in range(len(names)))
    statement = connection.execute(
        text(f"SELECT format(CAST(:template AS text), {marks})"),
        {"template": template, **{f"a{i}": name for i, name in enumerate(names)}},
    ).scalar_one()
    driver = connection.connection.driver_connection
    assert driver is not None  # an open connection
    driver.execute(statement)
