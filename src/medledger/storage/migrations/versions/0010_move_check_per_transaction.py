"""PostgreSQL checks that a move nets to zero once per move, not once per journal row.

0001's deferred constraint trigger on ``ledger_entries`` fired at commit for every journal row,
and each firing looked its transaction up to learn whether it was a move at all: an import's
30,000 adjudication entries cost ≈ 0.25 s of commit for no check (docs/benchmarks/era-import.md). The same
rule now hangs on the move itself:

- a deferred constraint trigger on ``ledger_transactions``, queued only for rows whose kind can
  be a move (``WHEN`` on the new row: a write-off, cancellation, credit application or
  reversal), sums that transaction's entries at commit, as before;
- entries added to a move written by an earlier database transaction, which that trigger will
  not see again, are summed by a statement-level trigger on ``ledger_entries`` at the end of the
  statement that adds them (no writer does this; a forged row is refused, as before). "Earlier"
  is told by the move row's ``xmin`` against this transaction's id, so a move written inside a
  savepoint (none is) would be summed after each of its statements too: stricter, not looser.

SQLite has no deferred triggers (the domain's assertion and ``verify`` guard it there): nothing
changes.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 18:10:00
"""

from __future__ import annotations

from medledger.storage.migrations.sql_files import run_sql_beside

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_beside(__file__, "0010_move_check_per_transaction", dialects=("postgresql",))


def downgrade() -> None:
    run_sql_beside(__file__, "0010_move_check_per_transaction.downgrade", dialects=("postgresql",))
