"""The work list counts the previews waiting to be posted from the organisation's open drafts:
an index on (organisation, status), so it reads those few rows and not every draft ever made.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 14:35:00
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_drafts_open", "drafts", ["organisation_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_drafts_open", table_name="drafts")
