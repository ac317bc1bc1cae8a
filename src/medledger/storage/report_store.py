"""The queries behind services/reports.py: sums over the journal (so every reversal is already
netted in) and over the materialised balances, for one organisation.

A period is the days ``start`` through ``end`` of posting time (UTC); either end may be open.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, Row, Select, case, func, select

from medledger.domain.columns import GROUP_COLUMNS, Column
from medledger.domain.transaction import TransactionKind
from medledger.storage.ledger_store import owed_by_patient
from medledger.storage.tables import (
    ledger_entries,
    ledger_transactions,
    patient_payments,
    payers,
    procedure_balances,
    procedures,
    remittances,
)

Query = Select[*tuple[Any, ...]]


class ReportStore:
    def __init__(self, connection: Connection, organisation_id: int) -> None:
        self.connection = connection
        self.organisation_id = organisation_id

    def adjustments_by_reason(self, start: date | None, end: date | None) -> list[Row[Any]]:
        """Rows (kind, code, text, n, cents) of write-offs and cancellations; a removal counts
        against its original's reason in the period it was posted."""
        posted = ledger_transactions.alias("posted")
        original = ledger_transactions.alias("original")
        kind = func.coalesce(original.c.kind, posted.c.kind)
        code = func.coalesce(original.c.reason_code, posted.c.reason_code)
        text = func.coalesce(original.c.reason_text, posted.c.reason_text)
        query = (
            select(
                kind.label("kind"),
                code.label("code"),
                text.label("text"),
                func.count(func.distinct(case((original.c.id.is_(None), posted.c.id)))).label("n"),
                func.sum(ledger_entries.c.amount_cents).label("cents"),
            )
            .select_from(posted)
            .join(ledger_entries, ledger_entries.c.transaction_id == posted.c.id)
            .outerjoin(original, original.c.id == posted.c.reverts_id)
            .where(
                posted.c.organisation_id == self.organisation_id,
                kind.in_([TransactionKind.WRITE_OFF, TransactionKind.CANCELLATION]),
                ledger_entries.c.column.in_([Column.WRITTEN_OFF.value, Column.CANCELLED.value]),
            )
            .group_by(kind, code, text)
            .order_by(kind, code, text)
        )
        return self._run(_in_period(query, posted.c.created_at, start, end))

    def collections_by_method(self, start: date | None, end: date | None) -> list[Row[Any]]:
        """Rows (method, n, received, refunded): received = patient_paid entries (payments, less
        reversed ones; moves of credit net to zero); refunded = refunded entries."""
        column = ledger_entries.c.column
        query = (
            select(
                patient_payments.c.method,
                func.count(
                    func.distinct(
                        case(
                            (
                                ledger_transactions.c.kind == TransactionKind.PAYMENT,
                                ledger_entries.c.payment_id,
                            )
                        )
                    )
                ).label("n"),
                _sum_where(column == Column.PATIENT_PAID.value).label("received"),
                _sum_where(column == Column.REFUNDED.value).label("refunded"),
            )
            .select_from(ledger_entries)
            .join(ledger_transactions, ledger_transactions.c.id == ledger_entries.c.transaction_id)
            .join(patient_payments, patient_payments.c.id == ledger_entries.c.payment_id)
            .where(
                ledger_transactions.c.organisation_id == self.organisation_id,
                column.in_([Column.PATIENT_PAID.value, Column.REFUNDED.value]),
            )
            .group_by(patient_payments.c.method)
            .order_by(patient_payments.c.method)
        )
        return self._run(_in_period(query, ledger_transactions.c.created_at, start, end))

    def payer_activity(self, start: date | None, end: date | None) -> list[Row[Any]]:
        """Rows (payer, n, paid, contractual, other, pr) of adjudications, by payer name."""
        column = ledger_entries.c.column
        others = [GROUP_COLUMNS[group].value for group in ("OA", "PI", "CR")]
        query = (
            select(
                payers.c.name.label("payer"),
                func.count(func.distinct(remittances.c.id)).label("n"),
                _sum_where(column == Column.PAYER_PAID.value).label("paid"),
                _sum_where(column == Column.CONTRACTUAL.value).label("contractual"),
                _sum_where(column.in_(others)).label("other"),
                _sum_where(column == Column.PR.value).label("pr"),
            )
            .select_from(ledger_entries)
            .join(ledger_transactions, ledger_transactions.c.id == ledger_entries.c.transaction_id)
            .join(remittances, remittances.c.id == ledger_transactions.c.remittance_id)
            .join(payers, payers.c.id == remittances.c.payer_id)
            .where(
                ledger_transactions.c.organisation_id == self.organisation_id,
                ledger_transactions.c.kind == TransactionKind.ADJUDICATION,
            )
            .group_by(payers.c.name)
            .order_by(payers.c.name)
        )
        return self._run(_in_period(query, ledger_transactions.c.created_at, start, end))

    def owed_by_visit_day(self) -> list[Row[Any]]:
        """Rows (patient_id, date_of_service, cents): the patient balance
        (``Balance.patient_balance`` — PR − (paid − refunded), every CARC) per patient and date
        of service, summed over the materialised balances."""
        stored, listed = procedure_balances.c, procedures.c
        query = (
            select(
                listed.patient_id,
                listed.date_of_service,
                func.sum(owed_by_patient()).label("cents"),
            )
            .join(procedure_balances, stored.procedure_id == listed.id)
            .where(
                stored.organisation_id == self.organisation_id,
                stored.column.in_(
                    [c.value for c in (Column.PR, Column.PATIENT_PAID, Column.REFUNDED)]
                ),
            )
            .group_by(listed.patient_id, listed.date_of_service)
        )
        return self._run(query)

    def _run(self, query: Query) -> list[Row[Any]]:
        return list(self.connection.execute(query))


def _sum_where(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, ledger_entries.c.amount_cents), else_=0)), 0)


def _in_period(query: Query, posted_at: Any, start: date | None, end: date | None) -> Query:
    """Posted on the days ``start`` through ``end`` (UTC), either end open."""
    if start is not None:
        query = query.where(posted_at >= datetime.combine(start, time(), UTC))
    if end is not None:
        query = query.where(posted_at < datetime.combine(end + timedelta(days=1), time(), UTC))
    return query
