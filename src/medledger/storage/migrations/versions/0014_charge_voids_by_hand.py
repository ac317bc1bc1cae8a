"""A charge voided by hand (entered in error) is taken back like a void claim's, with no claim:
``procedure_voids.submitted_claim_id`` may be empty.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 13:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # A batch copy on SQLite is safe here: no foreign key points at procedure_voids.
    with op.batch_alter_table("procedure_voids") as batch:
        batch.alter_column("submitted_claim_id", existing_type=Id, nullable=True)


def downgrade() -> None:
    by_hand = op.get_bind().execute(
        sa.text("SELECT count(*) FROM procedure_voids WHERE submitted_claim_id IS NULL")
    )
    if by_hand.scalar_one():
        # Dropping them would put voided charges back among the lines a claim can replace.
        raise RuntimeError("charges voided by hand exist; 0013 cannot record them")
    with op.batch_alter_table("procedure_voids") as batch:
        batch.alter_column("submitted_claim_id", existing_type=Id, nullable=False)
