"""Two more reasons a claim is held: a predetermination (CLP02 25, nothing paid) and a claim
status outside the X12 list (held with its value rather than posted as a payment).

The review_items reason CHECK gains the two codes. PostgreSQL swaps the constraint in place.
SQLite cannot alter a CHECK, and rebuilding the table would trip the foreign key the
resolutions hold on it; a CHECK does not change how rows are stored, so the table's stored
definition is edited (SQLite's documented way for such changes: ``writable_schema`` and a new
``schema_version``), and every existing row already satisfies the wider rule.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

BEFORE = (
    "unmatched_claim", "unmatched_line", "duplicate_claim", "balance_would_go_negative",
    "secondary_before_primary", "reversal_without_original",
)  # fmt: skip
AFTER = (*BEFORE, "predetermination", "unknown_claim_status")
CONSTRAINT = "review_items_chk_reason"


def _check(reasons: tuple[str, ...]) -> str:
    return "reason IN (" + ", ".join(f"'{reason}'" for reason in reasons) + ")"


def upgrade() -> None:
    _replace_check(_check(BEFORE), _check(AFTER))


def downgrade() -> None:
    _replace_check(_check(AFTER), _check(BEFORE))


def _replace_check(old: str, new: str) -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        op.execute(f"ALTER TABLE review_items DROP CONSTRAINT {CONSTRAINT}")
        op.execute(f"ALTER TABLE review_items ADD CONSTRAINT {CONSTRAINT} CHECK ({new})")
        return
    stored = connection.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'review_items'")
    ).scalar_one()
    assert stored.count(old) == 1, "the review_items reason CHECK is not as expected"
    version = connection.execute(sa.text("PRAGMA schema_version")).scalar_one()
    connection.execute(sa.text("PRAGMA writable_schema = ON"))
    connection.execute(
        sa.text(
            "UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = 'review_items'"
        ),
        {"sql": stored.replace(old, new)},
    )
    connection.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    connection.execute(sa.text("PRAGMA writable_schema = OFF"))
