"""Drafts above the poster's limit wait for approval: a draft may be ``waiting``, and an
approval request may name the draft it would post.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.drop_constraint("status", type_="check")
        batch_op.create_check_constraint(
            "status", "status IN ('open', 'waiting', 'posted', 'discarded')"
        )
    with op.batch_alter_table("approval_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("draft_id", Id, nullable=True))
        batch_op.create_foreign_key(
            "fk_approval_requests_draft_id_drafts", "drafts", ["draft_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("approval_requests", schema=None) as batch_op:
        batch_op.drop_constraint("fk_approval_requests_draft_id_drafts", type_="foreignkey")
        batch_op.drop_column("draft_id")
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.drop_constraint("status", type_="check")
        batch_op.create_check_constraint("status", "status IN ('open', 'posted', 'discarded')")
