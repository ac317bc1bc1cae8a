"""Who wrote the practice's own data, on the rows themselves: ``created_by`` on patients,
payers, coverages, encounters and procedures, and ``updated_by``/``updated_at`` on patients
(the last change of their details).

Existing rows: a procedure's ``created_by`` is filled with the user of the first charge
transaction that charged it (every way in writes a procedure and posts its charge in one
database transaction, by one user), and an encounter's with its first procedure's. Patients,
payers, coverages and procedures never charged (no charge above zero) stay empty: nothing
recorded who wrote them.

PostgreSQL adds each column with its foreign key constraint. SQLite cannot add a constraint to
a table, but adds a column with its own named REFERENCES clause, and drops it again as a column.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

USER_COLUMNS = (
    ("patients", "created_by"),
    ("patients", "updated_by"),
    ("payers", "created_by"),
    ("coverages", "created_by"),
    ("encounters", "created_by"),
    ("procedures", "created_by"),
)

BACKFILL = (
    """
    UPDATE procedures SET created_by = (
        SELECT t.user_id FROM ledger_entries e
        JOIN ledger_transactions t ON t.id = e.transaction_id
        WHERE e.procedure_id = procedures.id AND t.kind = 'charge' AND e.amount_cents > 0
        ORDER BY t.id LIMIT 1
    )
    """,
    """
    UPDATE encounters SET created_by = (
        SELECT p.created_by FROM procedures p
        WHERE p.encounter_id = encounters.id AND p.created_by IS NOT NULL
        ORDER BY p.line_number LIMIT 1
    )
    """,
)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, column in USER_COLUMNS:
        constraint = f"fk_{table}_{column}_users"
        if sqlite:
            op.execute(
                f"ALTER TABLE {table} ADD COLUMN {column} INTEGER "
                f"CONSTRAINT {constraint} REFERENCES users (id)"
            )
        else:
            op.add_column(table, sa.Column(column, Id, sa.ForeignKey("users.id", name=constraint)))
    op.add_column("patients", sa.Column("updated_at", sa.DateTime(timezone=True)))
    for statement in BACKFILL:
        op.execute(statement)


def downgrade() -> None:
    op.drop_column("patients", "updated_at")
    for table, column in reversed(USER_COLUMNS):
        op.drop_column(table, column)
