"""What an 837 claim file brings: patient demographics and coverages, an encounter's claim details
(place of service, rendering provider, diagnoses, frequency), a line's revenue code, the files and
claims imported (a file once per content), and the procedures a replacement or void took back.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_PATIENT_COLUMNS = (
    ("sex", 1), ("member_id", 80), ("address_line1", 100), ("address_line2", 100),
    ("city", 60), ("state", 10), ("postal_code", 15),
)  # fmt: skip


def _org() -> sa.Column[int]:
    return sa.Column("organisation_id", Id, sa.ForeignKey("organisations.id"), nullable=False)


def upgrade() -> None:
    for name, length in _PATIENT_COLUMNS:
        op.add_column("patients", sa.Column(name, sa.String(length), nullable=True))
    op.create_index("ix_patients_member_id", "patients", ["organisation_id", "member_id"])
    op.add_column("encounters", sa.Column("place_of_service", sa.String(10), nullable=True))
    op.add_column("encounters", sa.Column("rendering_provider", sa.String(200), nullable=True))
    op.add_column("encounters", sa.Column("diagnosis_codes", sa.Text(), nullable=True))
    op.add_column("encounters", sa.Column("frequency_code", sa.String(1), nullable=True))
    op.add_column("procedures", sa.Column("revenue_code", sa.String(4), nullable=True))
    op.create_table(
        "coverages",
        sa.Column("id", Id, primary_key=True),
        _org(),
        sa.Column("patient_id", Id, sa.ForeignKey("patients.id"), nullable=False),
        sa.Column("payer_id", Id, sa.ForeignKey("payers.id"), nullable=False),
        sa.Column("coverage_order", sa.String(10), nullable=False),
        sa.Column("member_id", sa.String(80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("patient_id", "coverage_order", "payer_id"),
        sa.CheckConstraint("coverage_order IN ('primary', 'secondary', 'tertiary')", name="order"),
    )
    op.create_index("ix_coverages_patient_id", "coverages", ["patient_id"])
    op.create_table(
        "claim_files",
        sa.Column("id", Id, primary_key=True),
        _org(),
        sa.Column("file_hash", sa.String(64), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("claims", sa.Integer(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("user_id", Id, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("organisation_id", "file_hash"),
    )
    op.create_table(
        "submitted_claims",
        sa.Column("id", Id, primary_key=True),
        _org(),
        sa.Column("claim_file_id", Id, sa.ForeignKey("claim_files.id"), nullable=False),
        sa.Column("encounter_id", Id, sa.ForeignKey("encounters.id"), nullable=True),
        sa.Column("patient_control_number", sa.String(38), nullable=False),
        sa.Column("frequency_code", sa.String(1), nullable=False),
        sa.Column("charge_cents", sa.BigInteger(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("held_reason", sa.String(500), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('imported', 'replaced', 'voided', 'unchanged', 'held')", name="status"
        ),
        sa.CheckConstraint("(status = 'held') = (held_reason IS NOT NULL)", name="held_reason"),
    )
    op.create_index("ix_submitted_claims_claim_file_id", "submitted_claims", ["claim_file_id"])
    op.create_index("ix_submitted_claims_encounter_id", "submitted_claims", ["encounter_id"])
    op.create_index(
        "ix_submitted_claims_number",
        "submitted_claims",
        ["organisation_id", "patient_control_number"],
    )
    op.create_table(
        "procedure_voids",
        sa.Column("procedure_id", Id, sa.ForeignKey("procedures.id"), primary_key=True),
        _org(),
        sa.Column("submitted_claim_id", Id, sa.ForeignKey("submitted_claims.id"), nullable=False),
        sa.Column("transaction_id", Id, sa.ForeignKey("ledger_transactions.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("procedure_voids")
    op.drop_index("ix_submitted_claims_number", table_name="submitted_claims")
    op.drop_index("ix_submitted_claims_encounter_id", table_name="submitted_claims")
    op.drop_index("ix_submitted_claims_claim_file_id", table_name="submitted_claims")
    op.drop_table("submitted_claims")
    op.drop_table("claim_files")
    op.drop_index("ix_coverages_patient_id", table_name="coverages")
    op.drop_table("coverages")
    # ALTER TABLE ... DROP COLUMN on both engines (SQLite 3.35+): a batch copy of these tables
    # would drop them, which the foreign keys pointing at them refuse.
    op.drop_column("procedures", "revenue_code")
    for name in ("frequency_code", "diagnosis_codes", "rendering_provider", "place_of_service"):
        op.drop_column("encounters", name)
    op.drop_index("ix_patients_member_id", table_name="patients")
    for name, _ in reversed(_PATIENT_COLUMNS):
        op.drop_column("patients", name)
