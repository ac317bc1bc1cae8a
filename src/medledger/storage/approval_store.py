"""Approval requests and the PR they reserve: the SQL behind services/approvals.py.

A decision is a guarded transition (``UPDATE … WHERE status = 'pending'``): of two decisions on
one request exactly one changes a row, and the caller refuses the other. Reservations live while
their request is pending and go with its decision.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, delete, func, insert, or_, select, update

from medledger.domain.columns import Column
from medledger.domain.errors import NotFound
from medledger.domain.statuses import APPROVAL_KINDS, ApprovalStatus
from medledger.domain.write_off import Held, HeldByCarc
from medledger.storage.registry import now
from medledger.storage.tables import (
    approval_requests,
    approval_reservations,
    ledger_entries,
    ledger_transactions,
    organisation_settings,
)

#: (procedure id, CARC) -> cents.
Reserved = Mapping[tuple[int, str], int]


class ApprovalStore:
    def __init__(self, connection: Connection, organisation_id: int) -> None:
        self.connection = connection
        self.organisation_id = organisation_id

    def add(
        self, kind: str, payload: str, total_cents: int, requested_by: int, draft_id: int | None
    ) -> int:
        return int(
            self.connection.execute(
                insert(approval_requests)
                .values(
                    organisation_id=self.organisation_id,
                    kind=kind,
                    payload=payload,
                    total_cents=total_cents,
                    requested_by=requested_by,
                    status=ApprovalStatus.PENDING,
                    draft_id=draft_id,
                    created_at=now(),
                )
                .returning(approval_requests.c.id)
            ).scalar_one()
        )

    def reserve(self, approval_id: int, reserved: Reserved) -> None:
        """Hold ``reserved`` for the request; a second pending request on one procedure and
        CARC breaks the primary key (IntegrityError)."""
        self.connection.execute(
            insert(approval_reservations),
            [
                {"organisation_id": self.organisation_id, "approval_id": approval_id,
                 "procedure_id": procedure_id, "carc": carc, "amount_cents": cents}
                for (procedure_id, carc), cents in sorted(reserved.items())
            ],
        )  # fmt: skip

    def get(self, approval_id: int) -> Row[Any]:
        row = self.connection.execute(
            select(approval_requests).where(
                approval_requests.c.organisation_id == self.organisation_id,
                approval_requests.c.id == approval_id,
            )
        ).first()
        if row is None:
            raise NotFound("approval request", approval_id)
        return row

    def find(self, status: str | None, requested_by: int | None) -> list[Row[Any]]:
        query = select(approval_requests).where(
            approval_requests.c.organisation_id == self.organisation_id
        )
        if status is not None:
            query = query.where(approval_requests.c.status == status)
        if requested_by is not None:
            query = query.where(approval_requests.c.requested_by == requested_by)
        return list(self.connection.execute(query.order_by(approval_requests.c.id)))

    def decide(
        self,
        approval_id: int,
        status: str,
        decided_by: int,
        reason: str | None,
        transaction_ids: Sequence[int],
    ) -> bool:
        """Record the decision if the request is still pending (False if it is not), and
        release what it reserved."""
        changed = self.connection.execute(
            update(approval_requests)
            .where(
                approval_requests.c.organisation_id == self.organisation_id,
                approval_requests.c.id == approval_id,
                approval_requests.c.status == ApprovalStatus.PENDING,
            )
            .values(
                status=status,
                decided_by=decided_by,
                decided_at=now(),
                decision_reason=reason,
                transaction_ids=json.dumps(list(transaction_ids)),
            )
        ).rowcount
        if changed != 1:
            return False
        self.connection.execute(
            delete(approval_reservations).where(
                approval_reservations.c.organisation_id == self.organisation_id,
                approval_reservations.c.approval_id == approval_id,
            )
        )
        return True

    def held(
        self, procedure_ids: Sequence[int], *, besides: int | None = None
    ) -> dict[int, HeldByCarc]:
        """What pending requests other than ``besides`` (the one being approved) hold, per
        procedure and CARC."""
        if not procedure_ids:
            return {}
        query = select(approval_reservations).where(
            approval_reservations.c.organisation_id == self.organisation_id,
            approval_reservations.c.procedure_id.in_(list(procedure_ids)),
        )
        if besides is not None:
            query = query.where(approval_reservations.c.approval_id != besides)
        held: dict[int, dict[str, Held]] = {}
        for row in self.connection.execute(query):
            held.setdefault(row.procedure_id, {})[row.carc] = Held(
                row.amount_cents, row.approval_id
            )
        return dict(held)

    def pending_on(self, keys: Sequence[tuple[int, str]]) -> int | None:
        """The pending request already holding one of (procedure, CARC) ``keys``, if any."""
        if not keys:
            return None
        return self.connection.execute(
            select(func.min(approval_reservations.c.approval_id)).where(
                approval_reservations.c.organisation_id == self.organisation_id,
                or_(
                    *(
                        and_(
                            approval_reservations.c.procedure_id == procedure_id,
                            approval_reservations.c.carc == carc,
                        )
                        for procedure_id, carc in keys
                    )
                ),
            )
        ).scalar()

    def used_cents(self, user_id: int, patient_id: int, since: datetime) -> int:
        """Cents ``user_id`` wrote off or cancelled on ``patient_id``'s account since
        ``since`` (what they took off PR; removals of it do not give the room back)."""
        return int(
            self.connection.execute(
                select(func.coalesce(func.sum(ledger_entries.c.amount_cents), 0))
                .select_from(ledger_transactions)
                .join(ledger_entries, ledger_entries.c.transaction_id == ledger_transactions.c.id)
                .where(
                    ledger_transactions.c.organisation_id == self.organisation_id,
                    ledger_transactions.c.user_id == user_id,
                    ledger_transactions.c.patient_id == patient_id,
                    ledger_transactions.c.kind.in_(APPROVAL_KINDS),
                    ledger_transactions.c.created_at >= since,
                    ledger_entries.c.column.in_((Column.WRITTEN_OFF, Column.CANCELLED)),
                )
            ).scalar_one()
        )

    def window(self) -> tuple[str, int]:
        """The organisation's limit window: (time zone, days); today in UTC unless set."""
        row = self.connection.execute(
            select(
                organisation_settings.c.time_zone, organisation_settings.c.limit_window_days
            ).where(organisation_settings.c.organisation_id == self.organisation_id)
        ).first()
        return ("UTC", 1) if row is None else (str(row.time_zone), int(row.limit_window_days))

    def set_window(self, time_zone: str, days: int) -> None:
        """Set the organisation's limit window (one row per organisation, replaced)."""
        self.connection.execute(
            delete(organisation_settings).where(
                organisation_settings.c.organisation_id == self.organisation_id
            )
        )
        self.connection.execute(
            insert(organisation_settings).values(
                organisation_id=self.organisation_id, time_zone=time_zone, limit_window_days=days
            )
        )
