"""The statement-level check of 0010 finds the moves it sums by primary key.

0010's ``medledger_check_earlier_moves`` picked the transactions of the entries a statement
added with ``t.id IN (SELECT transaction_id FROM added)``; the planner, which knows nothing of a
transition table's size, answered it by reading ``ledger_transactions`` whole, on every insert
of journal entries: a write-off post went from 4.5 to 6.7 ms (p50, PostgreSQL, the scale bench
at 10,000 procedures). ``t.id = ANY (ARRAY(SELECT DISTINCT ...))`` is an index lookup per id:
4.4 ms again. The rule is the same.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 19:45:00
"""

from __future__ import annotations

from medledger.storage.migrations.sql_files import run_sql_beside

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_beside(__file__, "0011_earlier_move_check_by_id", dialects=("postgresql",))


def downgrade() -> None:
    run_sql_beside(__file__, "0011_earlier_move_check_by_id.downgrade", dialects=("postgresql",))
