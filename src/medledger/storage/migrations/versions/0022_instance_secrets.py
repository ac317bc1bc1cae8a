"""One secret shared by every process on a database: ``instance_secrets`` holds the key that
signs the session cookie, made by the first process that needs it (``Directory.secret``), unless
MEDLEDGER_SECRET_KEY is set.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "instance_secrets",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_instance_secrets")),
    )


def downgrade() -> None:
    op.drop_table("instance_secrets")
