"""Usernames in one form and write-off limits never negative.

Every username is rewritten to its normalised form (``domain/credentials.py``: NFKC, case-folded,
trimmed), which the application stores and looks up from now on; two users of one organisation
that become the same name stop the upgrade with both names, to be renamed by hand first. A unique
index on the lower-cased name backs this in the database (a row inserted around the application
as ``Manager`` beside ``manager`` is refused). A negative write-off limit let nothing through
without approval, as zero does: such limits become zero, and a CHECK keeps them at zero or more.

PostgreSQL adds the CHECK in place; SQLite gets it by editing the table's stored definition
(``writable_schema``, as in 0016 and 0018) since rebuilding ``users`` would trip the foreign keys
that point at it; every row satisfies it by then. Downgrading drops the index and the CHECK and
leaves the names normalised.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 02:00:00
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

from medledger.domain.credentials import normalise_username

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

CONSTRAINT = "users_chk_write_off_limit"
CHECK = "write_off_limit_cents IS NULL OR write_off_limit_cents >= 0"
INDEX = "users_username_folded"
#: Where SQLite's stored CREATE TABLE users gets the new CHECK: after the role CHECK.
ROLE_CHECK = "role IN ('front_desk', 'biller', 'billing_manager', 'admin'))"


def upgrade() -> None:
    connection = op.get_bind()
    _normalise_usernames(connection)
    connection.execute(
        sa.text("UPDATE users SET write_off_limit_cents = 0 WHERE write_off_limit_cents < 0")
    )
    if connection.dialect.name == "postgresql":
        op.execute(f"ALTER TABLE users ADD CONSTRAINT {CONSTRAINT} CHECK ({CHECK})")
    else:
        _edit_sqlite_users(ROLE_CHECK, f"{ROLE_CHECK}, CONSTRAINT {CONSTRAINT} CHECK ({CHECK})")
    op.execute(f"CREATE UNIQUE INDEX {INDEX} ON users (organisation_id, lower(username))")


def downgrade() -> None:
    op.execute(f"DROP INDEX {INDEX}")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE users DROP CONSTRAINT {CONSTRAINT}")
    else:
        _edit_sqlite_users(f"{ROLE_CHECK}, CONSTRAINT {CONSTRAINT} CHECK ({CHECK})", ROLE_CHECK)


def _normalise_usernames(connection: sa.Connection) -> None:
    rows = connection.execute(
        sa.text("SELECT id, organisation_id, username FROM users ORDER BY id")
    ).all()
    named: dict[tuple[int, str], list[str]] = defaultdict(list)
    for _, organisation_id, username in rows:
        named[(organisation_id, normalise_username(username))].append(username)
    clashes = [f"organisation {o}: {names!r}" for (o, _), names in named.items() if len(names) > 1]
    assert not clashes, "usernames that become the same name; rename them first: " + "; ".join(
        clashes
    )
    for user_id, _, username in rows:
        if normalise_username(username) != username:
            connection.execute(
                sa.text("UPDATE users SET username = :name WHERE id = :id"),
                {"name": normalise_username(username), "id": user_id},
            )


def _edit_sqlite_users(old: str, new: str) -> None:
    connection = op.get_bind()
    stored = connection.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'")
    ).scalar_one()
    assert stored.count(old) == 1, "the users table's CHECKs are not as expected"
    version = connection.execute(sa.text("PRAGMA schema_version")).scalar_one()
    connection.execute(sa.text("PRAGMA writable_schema = ON"))
    connection.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = 'users'"),
        {"sql": stored.replace(old, new)},
    )
    connection.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    connection.execute(sa.text("PRAGMA writable_schema = OFF"))
