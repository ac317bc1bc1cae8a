"""Which transactions a history shows: the SQL behind services/history.py.

The transactions' entries are ``LedgerStore.entries``; this store finds the transaction ids (of
a patient, of the write-offs on some procedures, of a filter) and reads their headers with the
name of the user who posted each and the reversals that revert them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, Row, select

from medledger.domain.columns import Column
from medledger.domain.transaction import TransactionKind
from medledger.storage.tables import (
    in_organisation,
    ledger_entries,
    ledger_transactions,
    procedures,
    users,
)

#: The orders a list of transactions comes in: oldest first, or newest first.
Sort = Literal["created_at", "-created_at"]


@dataclass(frozen=True)
class TransactionFilter:
    """GET /write-offs and friends: every field optional; ``sort`` newest first by default."""

    kind: TransactionKind | None = None
    patient_id: int | None = None
    encounter_id: int | None = None
    procedure_id: int | None = None
    reason_code: str | None = None
    user_id: int | None = None
    start: datetime | None = None
    end: datetime | None = None
    sort: Sort = "-created_at"
    limit: int = 50
    offset: int = 0


class HistoryStore:
    def __init__(self, connection: Connection, organisation_id: int) -> None:
        self.connection = connection
        self.organisation_id = organisation_id

    def transactions_of_patient(self, patient_id: int) -> list[int]:
        """Every transaction with an entry on one of the patient's procedures, in id order."""
        ids = self.connection.execute(
            select(ledger_entries.c.transaction_id)
            .join(procedures, procedures.c.id == ledger_entries.c.procedure_id)
            .where(
                procedures.c.organisation_id == self.organisation_id,
                procedures.c.patient_id == patient_id,
            )
            .distinct()
        ).scalars()
        return sorted(ids)

    def write_offs_of(self, procedure_ids: Sequence[int]) -> list[tuple[int, int]]:
        """(transaction id, procedure id) of every transaction that moved one of the procedures'
        Other Adjustments (write-offs and their removals), in order."""
        rows = self.connection.execute(
            select(ledger_entries.c.transaction_id, ledger_entries.c.procedure_id)
            .where(
                ledger_entries.c.organisation_id == self.organisation_id,
                ledger_entries.c.procedure_id.in_(procedure_ids),
                ledger_entries.c.column == Column.WRITTEN_OFF.value,
            )
            .distinct()
        )
        return sorted((row.transaction_id, row.procedure_id) for row in rows)

    def find(self, wanted: TransactionFilter) -> list[int]:
        """The ids of the transactions ``wanted`` picks, in its order, one page of them."""
        t = ledger_transactions.c
        query = select(t.id).where(t.organisation_id == self.organisation_id)
        for column, value in (
            (t.kind, wanted.kind),
            (t.reason_code, wanted.reason_code),
            (t.user_id, wanted.user_id),
        ):
            if value is not None:
                query = query.where(column == value)
        if wanted.start is not None:
            query = query.where(t.created_at >= wanted.start)
        if wanted.end is not None:
            query = query.where(t.created_at < wanted.end)
        touching = [
            (procedures.c.id, wanted.procedure_id),
            (procedures.c.encounter_id, wanted.encounter_id),
            (procedures.c.patient_id, wanted.patient_id),
        ]
        for column, value in touching:
            if value is not None:
                query = query.where(
                    t.id.in_(
                        select(ledger_entries.c.transaction_id)
                        .join(procedures, procedures.c.id == ledger_entries.c.procedure_id)
                        .where(
                            procedures.c.organisation_id == self.organisation_id, column == value
                        )
                    )
                )
        order = t.id.desc() if wanted.sort.startswith("-") else t.id.asc()
        query = query.order_by(order).limit(min(wanted.limit, 500)).offset(wanted.offset)
        return list(self.connection.execute(query).scalars())

    def headers(self, transaction_ids: Sequence[int]) -> list[Row[Any]]:
        """The transactions' rows, each with its poster's ``display_name``, in id order."""
        return list(
            self.connection.execute(
                select(ledger_transactions, users.c.display_name)
                .join(users, users.c.id == ledger_transactions.c.user_id)
                .where(
                    in_organisation(ledger_transactions, self.organisation_id),
                    ledger_transactions.c.id.in_(transaction_ids),
                )
                .order_by(ledger_transactions.c.id)
            )
        )

    def reversals_of(self, transaction_ids: Sequence[int]) -> dict[int, list[int]]:
        """Per transaction, the ids of the transactions that revert it (only those with any)."""
        reversals: dict[int, list[int]] = {}
        for row in self.connection.execute(
            select(ledger_transactions.c.id, ledger_transactions.c.reverts_id).where(
                in_organisation(ledger_transactions, self.organisation_id),
                ledger_transactions.c.reverts_id.in_(transaction_ids),
            )
        ):
            reversals.setdefault(row.reverts_id, []).append(row.id)
        return reversals
