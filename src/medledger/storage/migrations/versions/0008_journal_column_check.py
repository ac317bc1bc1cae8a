"""The journal's column CHECK says "one of these eleven names" as a chain of equalities.

The same rule as before, cheaper for SQLite to hold: SQLite 3.40 evaluates ``x IN (list of
three or more constants)`` in a CHECK by building a temporary index of the list for each row it
checks (about 3 µs a row, measured: half the cost of inserting a journal row, which an import
writes three of per service line), while ``x = 'a' OR x = 'b' ...`` is plain comparisons. The
allowed values are unchanged, so existing rows need no check beyond the copy's.

SQLite cannot alter a CHECK: the table is rebuilt (created anew from its own stored DDL with
the one expression replaced, rows copied with their ids, the old table dropped, the new one
renamed, its indexes and append-only triggers created again). Nothing references
``ledger_entries`` by foreign key, so dropping it disturbs no other table. PostgreSQL swaps the
constraint in place (and validates every row against the new one).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 15:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COLUMNS = (
    "charge", "payer_paid", "contractual", "payer_oa", "payer_pi", "payer_cr", "pr",
    "written_off", "cancelled", "patient_paid", "refunded",
)  # fmt: skip
AS_LIST = '"column" IN (' + ", ".join(f"'{name}'" for name in COLUMNS) + ")"
AS_EQUALITIES = " OR ".join(f"\"column\" = '{name}'" for name in COLUMNS)
CONSTRAINT = "ledger_entries_chk_column"


def upgrade() -> None:
    _replace_check(AS_LIST, AS_EQUALITIES)


def downgrade() -> None:
    _replace_check(AS_EQUALITIES, AS_LIST)


def _replace_check(old: str, new: str) -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        op.execute(f"ALTER TABLE ledger_entries DROP CONSTRAINT {CONSTRAINT}")
        op.execute(f"ALTER TABLE ledger_entries ADD CONSTRAINT {CONSTRAINT} CHECK ({new})")
        return
    stored = connection.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'ledger_entries'")
    ).scalar_one()
    assert stored.count(f"CHECK ({old})") == 1, "the journal's column CHECK is not as expected"
    create = stored.replace(f"CHECK ({old})", f"CHECK ({new})")
    head, _, rest = create.partition("(")
    assert "ledger_entries" in head
    dependents = (
        connection.execute(
            sa.text(
                "SELECT sql FROM sqlite_master WHERE tbl_name = 'ledger_entries' "
                "AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name"
            )
        )
        .scalars()
        .all()
    )
    op.execute(f"CREATE TABLE ledger_entries_rebuilt ({rest}")
    op.execute("INSERT INTO ledger_entries_rebuilt SELECT * FROM ledger_entries")
    op.execute("DROP TABLE ledger_entries")
    op.execute("ALTER TABLE ledger_entries_rebuilt RENAME TO ledger_entries")
    for statement in dependents:
        op.execute(statement)
