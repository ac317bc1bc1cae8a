"""What an imported remittance's file had off, though its meaning was clear (an ISA field's
width, SE01 one off, the payment date taken from DTM*405): kept on the remittance, one warning a
line, so the posting tool and the API show it beside the money it came with.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 13:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("remittances", sa.Column("warnings", sa.Text(), nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN on both engines (SQLite 3.35+): a batch copy of the table would
    # drop it, which the foreign keys pointing at it refuse.
    op.drop_column("remittances", "warnings")
