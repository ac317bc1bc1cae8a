"""Approval limits that cannot be split or raced: each organisation's settings (the limit
window's time zone and length in calendar days), and what a pending approval request holds.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "organisation_settings",
        sa.Column("organisation_id", Id, sa.ForeignKey("organisations.id"), primary_key=True),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("limit_window_days", sa.Integer(), nullable=False),
        sa.CheckConstraint("limit_window_days BETWEEN 1 AND 366", name="limit_window_days"),
    )
    op.create_table(
        "approval_reservations",
        sa.Column("organisation_id", Id, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("approval_id", Id, sa.ForeignKey("approval_requests.id"), nullable=False),
        sa.Column("procedure_id", Id, sa.ForeignKey("procedures.id"), nullable=False),
        sa.Column("carc", sa.String(5), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("organisation_id", "procedure_id", "carc"),
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
    )
    op.create_index(
        "ix_approval_reservations_approval_id", "approval_reservations", ["approval_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_approval_reservations_approval_id", table_name="approval_reservations")
    op.drop_table("approval_reservations")
    op.drop_table("organisation_settings")
