"""Sessions and tokens that end: ``user_sessions`` (one row per logged-in browser; logging out
deletes it) and ``api_tokens.expires_at``. On PostgreSQL ``user_sessions`` is under row-level
security like every tenant table (0020).

Tokens issued before this migration had no end; they get one 30 days from the upgrade (the
default lifetime of a new token), rather than a past one that would cut every script off at
once.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 02:00:00
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "user_sessions",
        sa.Column("id", Id, nullable=False),
        sa.Column("organisation_id", Id, nullable=False),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_user_sessions_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("session_hash", name=op.f("uq_user_sessions_session_hash")),
    )
    op.create_index(op.f("ix_user_sessions_user_id"), "user_sessions", ["user_id"])
    if postgresql:
        op.execute("ALTER TABLE user_sessions ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE user_sessions FORCE ROW LEVEL SECURITY")
        op.execute(
            "CREATE POLICY organisation_rows ON user_sessions "
            "USING (organisation_id = medledger_organisation())"
        )
    op.add_column("api_tokens", sa.Column("expires_at", sa.DateTime(timezone=True)))
    tokens = sa.table("api_tokens", sa.column("expires_at", sa.DateTime(timezone=True)))
    if postgresql:  # every organisation's tokens: past row-level security for this update (0020)
        op.execute("ALTER TABLE api_tokens NO FORCE ROW LEVEL SECURITY")
    op.execute(tokens.update().values(expires_at=datetime.now(UTC) + timedelta(days=30)))
    if postgresql:
        op.execute("ALTER TABLE api_tokens FORCE ROW LEVEL SECURITY")
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column("expires_at", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")
    op.drop_index(op.f("ix_user_sessions_user_id"), table_name="user_sessions")
    op.drop_table("user_sessions")
