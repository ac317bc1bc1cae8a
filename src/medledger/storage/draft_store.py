"""Drafts: write-offs being prepared in the posting tool (the open ones and those waiting for
approval are its preview rows). Not ledger rows: they may change."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from medledger.domain.errors import NotFound
from medledger.domain.statuses import ApprovalStatus, DraftStatus
from medledger.domain.transaction import TransactionKind
from medledger.storage.registry import now
from medledger.storage.tables import approval_requests, drafts


class DraftStore:
    def __init__(self, connection: Connection, organisation_id: int) -> None:
        self.connection = connection
        self.organisation_id = organisation_id

    def add(
        self,
        procedure_id: int,
        payment_item_id: int | None,
        amounts: dict[str, int],
        reason_code: str,
        reason_text: str,
        note: str | None,
        created_by: int,
    ) -> int:
        stamp = now()
        return int(
            self.connection.execute(
                insert(drafts)
                .values(
                    organisation_id=self.organisation_id,
                    kind=TransactionKind.WRITE_OFF,
                    procedure_id=procedure_id,
                    payment_item_id=payment_item_id,
                    amounts=json.dumps(amounts, sort_keys=True),
                    reason_code=reason_code,
                    reason_text=reason_text,
                    note=note,
                    status=DraftStatus.OPEN,
                    created_by=created_by,
                    created_at=stamp,
                    updated_at=stamp,
                )
                .returning(drafts.c.id)
            ).scalar_one()
        )

    def get(self, draft_id: int, *, for_update: bool = False) -> Row[Any]:
        query = select(drafts).where(
            drafts.c.organisation_id == self.organisation_id, drafts.c.id == draft_id
        )
        if for_update and self.connection.dialect.name == "postgresql":
            query = query.with_for_update()
        row = self.connection.execute(query).first()
        if row is None:
            raise NotFound("draft", draft_id)
        return row

    def change(self, draft_id: int, **values: Any) -> None:
        if "amounts" in values:
            values["amounts"] = json.dumps(values["amounts"], sort_keys=True)
        self.connection.execute(
            update(drafts)
            .where(drafts.c.organisation_id == self.organisation_id, drafts.c.id == draft_id)
            .values(updated_at=now(), **values)
        )

    def move(
        self, draft_id: int, status: str, to: str, posted_transaction_id: int | None = None
    ) -> bool:
        """Move the draft from ``status`` to ``to`` if it is still in ``status`` (False if not):
        a guarded transition, so a reject cannot reopen a draft an approval just posted."""
        values: dict[str, Any] = {"status": to, "updated_at": now()}
        if posted_transaction_id is not None:
            values["posted_transaction_id"] = posted_transaction_id
        changed = self.connection.execute(
            update(drafts)
            .where(
                drafts.c.organisation_id == self.organisation_id,
                drafts.c.id == draft_id,
                drafts.c.status == status,
            )
            .values(**values)
        ).rowcount
        return bool(changed == 1)

    def waiting_in(self, draft_id: int) -> int | None:
        """The pending approval request a waiting draft is in."""
        return self.connection.execute(
            select(approval_requests.c.id).where(
                approval_requests.c.organisation_id == self.organisation_id,
                approval_requests.c.draft_id == draft_id,
                approval_requests.c.status == ApprovalStatus.PENDING,
            )
        ).scalar()

    def previews_for_items(self, payment_item_ids: list[int]) -> list[Row[Any]]:
        return list(
            self.connection.execute(
                select(drafts)
                .where(
                    drafts.c.organisation_id == self.organisation_id,
                    drafts.c.payment_item_id.in_(payment_item_ids),
                    drafts.c.status.in_((DraftStatus.OPEN, DraftStatus.WAITING)),
                )
                .order_by(drafts.c.id)
            )
        )

    def open_on_procedures(self, procedure_ids: list[int]) -> list[Row[Any]]:
        """The open drafts of these procedures, oldest first (they are previewed in turn)."""
        return list(
            self.connection.execute(
                select(drafts)
                .where(
                    drafts.c.organisation_id == self.organisation_id,
                    drafts.c.procedure_id.in_(procedure_ids),
                    drafts.c.status == "open",
                )
                .order_by(drafts.c.id)
            )
        )


def amounts_of(row: Row[Any]) -> dict[str, int]:
    return {carc: int(cents) for carc, cents in json.loads(row.amounts).items()}
