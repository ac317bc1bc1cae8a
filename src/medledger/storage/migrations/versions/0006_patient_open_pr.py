"""Each patient's open PR, materialised beside the procedure balances, so the work list reads the
patients who owe most by an index (it summed every balance row of the organisation: ~1 s at 1M
procedures). Filled from the procedure balances on upgrade.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 13:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "patient_open_pr",
        sa.Column("patient_id", Id, nullable=False),
        sa.Column("organisation_id", Id, nullable=False),
        sa.Column("open_pr_cents", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"],
            name=op.f("fk_patient_open_pr_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_patient_open_pr_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("patient_id", name=op.f("pk_patient_open_pr")),
    )  # fmt: skip
    op.create_index(
        "ix_patient_open_pr_rank", "patient_open_pr", ["organisation_id", "open_pr_cents"]
    )
    op.execute(
        """
        INSERT INTO patient_open_pr (patient_id, organisation_id, open_pr_cents)
        SELECT p.patient_id, p.organisation_id,
               SUM(CASE WHEN b."column" = 'patient_paid' THEN -b.amount_cents
                        ELSE b.amount_cents END)
        FROM procedure_balances b JOIN procedures p ON p.id = b.procedure_id
        WHERE b."column" IN ('pr', 'patient_paid', 'refunded') AND b.carc <> ''
        GROUP BY p.patient_id, p.organisation_id
        """
    )


def downgrade() -> None:
    op.drop_index("ix_patient_open_pr_rank", table_name="patient_open_pr")
    op.drop_table("patient_open_pr")
