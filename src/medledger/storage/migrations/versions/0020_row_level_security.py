"""Row-level security on PostgreSQL: every table holding an organisation's rows shows and takes
only the rows of the organisation its transaction names (``medledger.organisation_id``, set by
the unit of work: storage/unit_of_work.py), a second wall behind the stores' own scoping.

- ``medledger_organisation()`` reads that setting (NULL when unset or empty: no rows at all);
- each tenant table gets ``organisation_rows``: ``organisation_id = medledger_organisation()``
  for reading and for writing (a row of another organisation can be neither seen nor written);
- ``api_tokens`` may also be read by its SHA-256 (``medledger.token_hash``): how a bearer token
  finds its organisation before one is known (storage/directory.py);
- ``audit_events`` also takes and shows events of no organisation (an anonymous request: a
  route and its outcome, nobody's data);
- FORCE: the tables' owner obeys the policies too. A later migration that must rewrite rows of
  every organisation lifts FORCE on its table for its own transaction (``ALTER TABLE … NO FORCE
  ROW LEVEL SECURITY`` … ``FORCE …``); migrations run with ``row_security = off`` (env.py), so
  one that forgets fails instead of quietly seeing no rows.

Foreign-key and unique checks are the database's own and see every row, as before. Superusers
and roles with BYPASSRLS see every row (the test suite's raw checks, a DBA). SQLite has no
row-level security: nothing changes there.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 02:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

#: Every table with an ``organisation_id`` at this revision (a test holds the list to the schema).
TENANT_TABLES = (
    "organisation_settings",
    "users",
    "patients",
    "payers",
    "encounters",
    "procedures",
    "coverages",
    "claim_files",
    "submitted_claims",
    "remittances",
    "payment_items",
    "provider_adjustments",
    "procedure_voids",
    "patient_payments",
    "refunds",
    "ledger_transactions",
    "ledger_entries",
    "procedure_balances",
    "patient_open_pr",
    "drafts",
    "api_tokens",
    "approval_requests",
    "approval_reservations",
    "audit_events",
    "review_items",
    "review_resolutions",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE FUNCTION medledger_organisation() RETURNS bigint LANGUAGE sql STABLE "
        "PARALLEL SAFE AS $$ "
        "SELECT NULLIF(current_setting('medledger.organisation_id', true), '')::bigint $$"
    )
    for table in TENANT_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY organisation_rows ON {table} "
            "USING (organisation_id = medledger_organisation())"
        )
    op.execute(
        "CREATE POLICY token_lookup ON api_tokens FOR SELECT "
        "USING (token_hash = current_setting('medledger.token_hash', true))"
    )
    op.execute(
        "CREATE POLICY no_organisation ON audit_events FOR INSERT "
        "WITH CHECK (organisation_id IS NULL)"
    )
    op.execute(
        "CREATE POLICY no_organisation_read ON audit_events FOR SELECT "
        "USING (organisation_id IS NULL)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP POLICY no_organisation_read ON audit_events")
    op.execute("DROP POLICY no_organisation ON audit_events")
    op.execute("DROP POLICY token_lookup ON api_tokens")
    for table in TENANT_TABLES:
        op.execute(f"DROP POLICY organisation_rows ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute("DROP FUNCTION medledger_organisation()")
