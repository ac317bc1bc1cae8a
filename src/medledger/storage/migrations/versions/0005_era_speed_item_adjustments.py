"""ERA import speed: a payment item's CAS adjustments move onto the item's row.

They were a row each in ``payment_item_adjustments`` (two or more per service line of every
imported 835), read only all together, per item, to show the remittance. One text column on
``payment_items`` ("CO:45:7000;PR:2:3000", in the payer's order) holds the same and spares an
import a quarter of its rows. Existing rows are carried over, in their order; downgrade splits
them back.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 13:00:00
"""

from __future__ import annotations

from itertools import groupby

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("payment_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("adjustments", sa.Text(), nullable=False, server_default=""))
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT payment_item_id, group_code, carc, amount_cents "
            "FROM payment_item_adjustments ORDER BY payment_item_id, id"
        )
    )
    updates = [
        {"id": item_id, "adjustments": ";".join(f"{g}:{c}:{a}" for _, g, c, a in triples)}
        for item_id, triples in groupby(rows, key=lambda row: row[0])
    ]
    if updates:
        connection.execute(
            sa.text("UPDATE payment_items SET adjustments = :adjustments WHERE id = :id"), updates
        )
    with op.batch_alter_table("payment_item_adjustments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_item_adjustments_payment_item_id"))
    op.drop_table("payment_item_adjustments")


def downgrade() -> None:
    op.create_table(
        "payment_item_adjustments",
        sa.Column("id", Id, nullable=False),
        sa.Column("organisation_id", Id, nullable=False),
        sa.Column("payment_item_id", Id, nullable=False),
        sa.Column("group_code", sa.String(length=2), nullable=False),
        sa.Column("carc", sa.String(length=5), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "group_code IN ('CO', 'PR', 'OA', 'PI', 'CR')",
            name=op.f("payment_item_adjustments_chk_group_code"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_payment_item_adjustments_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_item_id"],
            ["payment_items.id"],
            name=op.f("fk_payment_item_adjustments_payment_item_id_payment_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_item_adjustments")),
    )
    with op.batch_alter_table("payment_item_adjustments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_item_adjustments_payment_item_id"),
            ["payment_item_id"],
            unique=False,
        )
    connection = op.get_bind()
    items = connection.execute(
        sa.text(
            "SELECT id, organisation_id, adjustments FROM payment_items "
            "WHERE adjustments <> '' ORDER BY id"
        )
    )
    triples = [
        {"organisation_id": org, "payment_item_id": item_id, "group_code": group, "carc": carc,
         "amount_cents": int(cents)}
        for item_id, org, text in items
        for group, carc, cents in (triple.split(":") for triple in text.split(";"))
    ]  # fmt: skip
    if triples:
        connection.execute(
            sa.text(
                "INSERT INTO payment_item_adjustments "
                "(organisation_id, payment_item_id, group_code, carc, amount_cents) "
                "VALUES (:organisation_id, :payment_item_id, :group_code, :carc, :amount_cents)"
            ),
            triples,
        )
    # Not a batch (table rebuilding) drop on SQLite: rebuilding payment_items would trip the
    # foreign keys that point at it. SQLite drops a column in place since 3.35.
    op.execute("ALTER TABLE payment_items DROP COLUMN adjustments")
