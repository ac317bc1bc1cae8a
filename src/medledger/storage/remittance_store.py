"""Remittances and their payment items (claim level and procedure level), as the payer sent them.

These rows are the payer's document; the money they carry reaches the ledger as one adjudication
transaction per remittance (and one more per held claim a biller posts later). PLB amounts are
kept with their remittance: they adjust the payment, not any procedure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from medledger.domain.adjudication import Adjustment
from medledger.domain.errors import NotFound
from medledger.domain.review import PostedClaim
from medledger.storage.bulk import allocate_ids, chunks, insert_rows, one_of
from medledger.storage.registry import now
from medledger.storage.tables import (
    payment_items,
    provider_adjustments,
    remittances,
)


@dataclass(frozen=True, slots=True)
class PaymentItem:
    """A payment item to store: a claim (``procedure_id`` None, its ``lines`` below it) or one
    procedure's line. Amounts as the payer sent them."""

    encounter_id: int
    procedure_id: int | None
    status_code: str | None
    charge_cents: int
    paid_cents: int
    adjustments: tuple[Adjustment, ...] = ()
    allowed_cents: int | None = None
    payer_claim_control_number: str | None = None
    lines: tuple[PaymentItem, ...] = field(default=())


_ITEM_COLUMNS = (
    "id", "organisation_id", "remittance_id", "parent_id", "level", "encounter_id",
    "procedure_id", "status_code", "charge_cents", "paid_cents", "allowed_cents",
    "payer_claim_control_number", "adjustments",
)  # fmt: skip


def adjustments_text(adjustments: Sequence[Adjustment]) -> str:
    """A payment item's CAS adjustments as stored on its row: "CO:45:7000;PR:2:3000"."""
    return ";".join(f"{a.group_code}:{a.carc}:{a.amount_cents}" for a in adjustments)


def parse_adjustments(text: str) -> list[Adjustment]:
    """The inverse of ``adjustments_text``."""
    if not text:
        return []
    return [
        Adjustment(group, carc, int(cents))
        for group, carc, cents in (triple.split(":") for triple in text.split(";"))
    ]


def warnings_of(row: Row[Any]) -> list[str]:
    """A remittance row's warnings (``set_warnings``), in the order they were found."""
    return row.warnings.split("\n") if row.warnings else []


def _count(claims: Sequence[PaymentItem]) -> int:
    return sum(1 + len(claim.lines) for claim in claims)


class RemittanceStore:
    def __init__(self, connection: Connection, organisation_id: int) -> None:
        self.connection = connection
        self.organisation_id = organisation_id
        self._dialect = connection.dialect.name

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

    def set_content_hash(self, remittance_id: int, content_hash: str) -> None:
        """Record an imported remittance's content hash, which its file gives only at its end."""
        self.connection.execute(
            update(remittances)
            .where(
                remittances.c.organisation_id == self.organisation_id,
                remittances.c.id == remittance_id,
            )
            .values(content_hash=content_hash)
        )

    def set_warnings(self, remittance_ids: Sequence[int], warnings: Sequence[str]) -> None:
        """Keep what the remittances' file had off (one warning a line); known at its end."""
        if not remittance_ids or not warnings:
            return
        self.connection.execute(
            update(remittances)
            .where(
                remittances.c.organisation_id == self.organisation_id,
                remittances.c.id.in_(remittance_ids),
            )
            .values(warnings="\n".join(warnings))
        )

    def add_items(self, remittance_id: int, claims: Sequence[PaymentItem]) -> None:
        """Store claim-level items with their procedure-level items and their adjustments, in
        one statement however many there are."""
        ids = iter(allocate_ids(self.connection, payment_items, _count(claims)))
        items: list[tuple[Any, ...]] = []

        def add(item: PaymentItem, parent_id: int | None) -> int:
            item_id = next(ids)
            items.append(
                (item_id, self.organisation_id, remittance_id, parent_id,
                 "claim" if parent_id is None else "procedure", item.encounter_id,
                 item.procedure_id, item.status_code, item.charge_cents, item.paid_cents,
                 item.allowed_cents, item.payer_claim_control_number,
                 adjustments_text(item.adjustments))
            )  # fmt: skip
            return item_id

        for claim in claims:
            claim_id = add(claim, None)
            for line in claim.lines:
                add(line, claim_id)
        insert_rows(self.connection, payment_items, _ITEM_COLUMNS, items)

    def add_provider_adjustments(
        self, remittance_id: int, adjustments: Sequence[tuple[str, date, str, str | None, int]]
    ) -> None:
        """A remittance's PLB amounts: (provider, fiscal period, reason, reference, cents)."""
        if adjustments:
            self.connection.execute(
                insert(provider_adjustments),
                [
                    {"organisation_id": self.organisation_id, "remittance_id": remittance_id,
                     "provider_id": provider, "fiscal_period_date": period, "reason_code": reason,
                     "reference": reference, "amount_cents": cents}
                    for provider, period, reason, reference, cents in adjustments
                ],
            )  # fmt: skip

    def claim_history(self, encounter_ids: Iterable[int]) -> dict[int, list[PostedClaim]]:
        """Every claim payment posted for each encounter, in posting order (one query)."""
        wanted = sorted(set(encounter_ids))
        history: dict[int, list[PostedClaim]] = {encounter_id: [] for encounter_id in wanted}
        rows = (
            row
            for part in chunks(wanted)
            for row in self.connection.execute(
                select(payment_items, remittances.c.payer_id, remittances.c.trace_number)
                .join(remittances, remittances.c.id == payment_items.c.remittance_id)
                .where(
                    payment_items.c.organisation_id == self.organisation_id,
                    payment_items.c.level == "claim",
                    one_of(payment_items.c.encounter_id, self._dialect, "encounter_ids", part),
                )
                .order_by(payment_items.c.id)
            )
        )
        for row in rows:
            history[row.encounter_id].append(
                PostedClaim(
                    row.payer_id,
                    row.trace_number,
                    row.status_code or "",
                    row.charge_cents,
                    row.paid_cents,
                    row.payer_claim_control_number,
                )
            )
        return history

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
            select(payment_items.c.id, payment_items.c.adjustments).where(
                payment_items.c.organisation_id == self.organisation_id,
                payment_items.c.id.in_(list(item_ids)),
            )
        )
        for row in rows:
            result[row.id] = parse_adjustments(row.adjustments)
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
