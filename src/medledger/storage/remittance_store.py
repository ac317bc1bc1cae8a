"""Remittances and their payment items (claim level and procedure level), as the payer sent them.

These rows are the payer's document; the money they carry reaches the ledger as one adjudication
transaction per remittance.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, Row, insert, select

from medledger.domain.adjudication import Adjustment
from medledger.domain.errors import NotFound
from medledger.storage.registry import now
from medledger.storage.tables import payment_item_adjustments, payment_items, remittances


class RemittanceStore:
    def __init__(self, connection: Connection, organisation_id: int) -> None:
        self.connection = connection
        self.organisation_id = organisation_id

    def find(self, payer_id: int, trace_number: str) -> Row[Any] | None:
        return self.connection.execute(
            select(remittances).where(
                remittances.c.organisation_id == self.organisation_id,
                remittances.c.payer_id == payer_id,
                remittances.c.trace_number == trace_number,
            )
        ).first()

    def add(
        self,
        payer_id: int,
        trace_number: str,
        payment_cents: int,
        payment_date: date | None,
        source: str,
        file_name: str | None,
        content_hash: str | None,
    ) -> int:
        return int(
            self.connection.execute(
                insert(remittances)
                .values(
                    organisation_id=self.organisation_id,
                    payer_id=payer_id,
                    trace_number=trace_number,
                    payment_cents=payment_cents,
                    payment_date=payment_date,
                    source=source,
                    file_name=file_name,
                    content_hash=content_hash,
                    created_at=now(),
                )
                .returning(remittances.c.id)
            ).scalar_one()
        )

    def add_item(
        self,
        remittance_id: int,
        *,
        level: str,
        encounter_id: int,
        procedure_id: int | None,
        parent_id: int | None,
        status_code: str | None,
        charge_cents: int,
        paid_cents: int,
        allowed_cents: int | None,
        adjustments: Sequence[Adjustment],
    ) -> int:
        item_id = int(
            self.connection.execute(
                insert(payment_items)
                .values(
                    organisation_id=self.organisation_id,
                    remittance_id=remittance_id,
                    level=level,
                    encounter_id=encounter_id,
                    procedure_id=procedure_id,
                    parent_id=parent_id,
                    status_code=status_code,
                    charge_cents=charge_cents,
                    paid_cents=paid_cents,
                    allowed_cents=allowed_cents,
                )
                .returning(payment_items.c.id)
            ).scalar_one()
        )
        if adjustments:
            self.connection.execute(
                insert(payment_item_adjustments),
                [
                    {
                        "organisation_id": self.organisation_id,
                        "payment_item_id": item_id,
                        "group_code": a.group_code,
                        "carc": a.carc,
                        "amount_cents": a.amount_cents,
                    }
                    for a in adjustments
                ],
            )
        return item_id

    def get(self, remittance_id: int) -> Row[Any]:
        row = self.connection.execute(
            select(remittances).where(
                remittances.c.organisation_id == self.organisation_id,
                remittances.c.id == remittance_id,
            )
        ).first()
        if row is None:
            raise NotFound("remittance", remittance_id)
        return row

    def item(self, item_id: int) -> Row[Any]:
        row = self.connection.execute(
            select(payment_items).where(
                payment_items.c.organisation_id == self.organisation_id,
                payment_items.c.id == item_id,
            )
        ).first()
        if row is None:
            raise NotFound("payment item", item_id)
        return row

    def items(self, remittance_id: int) -> list[Row[Any]]:
        return list(
            self.connection.execute(
                select(payment_items)
                .where(
                    payment_items.c.organisation_id == self.organisation_id,
                    payment_items.c.remittance_id == remittance_id,
                )
                .order_by(payment_items.c.id)
            )
        )

    def adjustments(self, item_ids: Sequence[int]) -> dict[int, list[Adjustment]]:
        result: dict[int, list[Adjustment]] = {item_id: [] for item_id in item_ids}
        rows = self.connection.execute(
            select(payment_item_adjustments)
            .where(
                payment_item_adjustments.c.organisation_id == self.organisation_id,
                payment_item_adjustments.c.payment_item_id.in_(list(item_ids)),
            )
            .order_by(payment_item_adjustments.c.id)
        )
        for row in rows:
            result[row.payment_item_id].append(
                Adjustment(row.group_code, row.carc, row.amount_cents)
            )
        return result

    def list(self, limit: int = 100) -> list[Row[Any]]:
        return list(
            self.connection.execute(
                select(remittances)
                .where(remittances.c.organisation_id == self.organisation_id)
                .order_by(remittances.c.id.desc())
                .limit(limit)
            )
        )
