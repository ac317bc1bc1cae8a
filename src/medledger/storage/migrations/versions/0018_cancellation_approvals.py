"""Cancellations of estimated PR above a biller's limit wait for approval like write-offs: the
approval_requests kind CHECK gains ``cancellation``.

PostgreSQL swaps the constraint in place. SQLite cannot alter a CHECK, and rebuilding the table
would trip the foreign keys the reservations hold on it; a CHECK does not change how rows are
stored, so the table's stored definition is edited (``writable_schema`` and a new
``schema_version``, as in 0016), and every existing row already satisfies the wider rule.
Downgrading refuses while a cancellation request exists (the narrower CHECK would not hold).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

TABLE = "approval_requests"
CONSTRAINT = "approval_requests_chk_kind"
BEFORE = "kind IN ('write_off')"
AFTER = "kind IN ('write_off', 'cancellation')"


def upgrade() -> None:
    _replace_check(BEFORE, AFTER)


def downgrade() -> None:
    cancellations = (
        op.get_bind()
        .execute(sa.text(f"SELECT count(*) FROM {TABLE} WHERE kind = 'cancellation'"))
        .scalar_one()
    )
    assert not cancellations, "cancellation approval requests exist; decide and remove them first"
    _replace_check(AFTER, BEFORE)


def _replace_check(old: str, new: str) -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {TABLE} DROP CONSTRAINT {CONSTRAINT}")
        op.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {CONSTRAINT} CHECK ({new})")
        return
    stored = connection.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"),
        {"name": TABLE},
    ).scalar_one()
    assert stored.count(old) == 1, f"the {TABLE} kind CHECK is not as expected"
    version = connection.execute(sa.text("PRAGMA schema_version")).scalar_one()
    connection.execute(sa.text("PRAGMA writable_schema = ON"))
    connection.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = :name"),
        {"sql": stored.replace(old, new), "name": TABLE},
    )
    connection.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    connection.execute(sa.text("PRAGMA writable_schema = OFF"))
