"""Reports over a period, read from the journal so every reversal is already netted in.

- Write-offs and cancellations, apart, by reason. A write-off removed later counts against its
  original reason in the period the removal was posted, so a period's figure is what really
  changed in it.
- Patient collections by payment method: money received, refunded, and the net.
- Payer activity: what each payer paid, its contractual adjustments, and the PR it assigned.
- Patient A/R aging: what each patient owes now, by the age of the visits it comes from.

A period is the days ``start`` through ``end`` of posting time (UTC); either end may be open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, Select, case, func, select

from medledger.domain.columns import GROUP_COLUMNS, Column
from medledger.domain.transaction import TransactionKind
from medledger.services.actor import Actor
from medledger.services.authorization import authorize
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
from medledger.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class AdjustmentLine:
    """kind: a write-off or a cancellation; net_cents: posted minus reversed in the period."""

    kind: TransactionKind
    reason_code: str
    reason_text: str
    posted_count: int
    net_cents: int


def adjustments_by_reason(
    engine: Engine, actor: Actor, start: date | None = None, end: date | None = None
) -> list[AdjustmentLine]:
    authorize(actor, "view")
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
            posted.c.organisation_id == actor.organisation_id,
            kind.in_(["write_off", "cancellation"]),
            ledger_entries.c.column.in_([Column.WRITTEN_OFF.value, Column.CANCELLED.value]),
        )
        .group_by(kind, code, text)
        .order_by(kind, code, text)
    )
    rows = _run(engine, actor, _in_period(query, posted.c.created_at, start, end))
    return [
        AdjustmentLine(TransactionKind(r.kind), r.code, r.text, int(r.n), int(r.cents))
        for r in rows
    ]


@dataclass(frozen=True)
class CollectionLine:
    """One payment method: payments posted in the period, money they brought in, refunds."""

    method: str
    payments: int
    received_cents: int
    refunded_cents: int

    @property
    def net_cents(self) -> int:
        return self.received_cents - self.refunded_cents


def collections_by_method(
    engine: Engine, actor: Actor, start: date | None = None, end: date | None = None
) -> list[CollectionLine]:
    """Received = patient_paid entries (payments, less reversed ones; moves of credit net to
    zero); refunded = refunded entries (less reversed refunds)."""
    authorize(actor, "view")
    column = ledger_entries.c.column
    query = (
        select(
            patient_payments.c.method,
            func.count(
                func.distinct(
                    case((ledger_transactions.c.kind == "payment", ledger_entries.c.payment_id))
                )
            ).label("n"),
            _sum_where(column == Column.PATIENT_PAID.value).label("received"),
            _sum_where(column == Column.REFUNDED.value).label("refunded"),
        )
        .select_from(ledger_entries)
        .join(ledger_transactions, ledger_transactions.c.id == ledger_entries.c.transaction_id)
        .join(patient_payments, patient_payments.c.id == ledger_entries.c.payment_id)
        .where(
            ledger_transactions.c.organisation_id == actor.organisation_id,
            column.in_([Column.PATIENT_PAID.value, Column.REFUNDED.value]),
        )
        .group_by(patient_payments.c.method)
        .order_by(patient_payments.c.method)
    )
    rows = _run(engine, actor, _in_period(query, ledger_transactions.c.created_at, start, end))
    return [
        CollectionLine(r.method, int(r.n), int(r.received), int(r.refunded))
        for r in rows
        if r.received or r.refunded
    ]


@dataclass(frozen=True)
class PayerLine:
    """One payer in the period: remittances posted, paid, contractual (CO), other payer
    adjustments (OA/PI/CR) and the PR it assigned — net of claim reversals."""

    payer: str
    remittances: int
    paid_cents: int
    contractual_cents: int
    other_adjustments_cents: int
    pr_cents: int


def payer_activity(
    engine: Engine, actor: Actor, start: date | None = None, end: date | None = None
) -> list[PayerLine]:
    authorize(actor, "view")
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
            ledger_transactions.c.organisation_id == actor.organisation_id,
            ledger_transactions.c.kind == "adjudication",
        )
        .group_by(payers.c.name)
        .order_by(payers.c.name)
    )
    rows = _run(engine, actor, _in_period(query, ledger_transactions.c.created_at, start, end))
    return [
        PayerLine(r.payer, int(r.n), int(r.paid), int(r.contractual), int(r.other), int(r.pr))
        for r in rows
    ]


#: Aging buckets: days since the date of service, inclusive bounds; the last is open-ended.
AGING_BUCKETS: tuple[tuple[int, int | None], ...] = (
    (0, 30),
    (31, 60),
    (61, 90),
    (91, 120),
    (121, None),
)


@dataclass(frozen=True)
class AgingLine:
    """One patient's balance now, split by the age of the procedures it is on (``AGING_BUCKETS``;
    a credit sits in the bucket of the procedure that holds it)."""

    patient_id: int
    mrn: str
    name: str
    buckets: tuple[int, ...]

    @property
    def total_cents(self) -> int:
        return sum(self.buckets)


@dataclass(frozen=True)
class AgingReport:
    """``lines``: the ``limit`` patients owed most; ``totals`` per bucket and ``patients`` count
    every patient who owes something."""

    as_of: date
    lines: list[AgingLine]
    totals: tuple[int, ...]
    patients: int


def patient_aging(engine: Engine, actor: Actor, as_of: date, limit: int = 500) -> AgingReport:
    """Patients who owe something (net of credit), most owed first.

    The patient balance per procedure is ``Balance.patient_balance`` — PR − (paid − refunded),
    every CARC — summed by the database over the materialised balances, per patient and date of
    service, then bucketed by age here.
    """
    authorize(actor, "view")
    stored, listed = procedure_balances.c, procedures.c
    query = (
        select(
            listed.patient_id, listed.date_of_service, func.sum(owed_by_patient()).label("cents")
        )
        .join(procedure_balances, stored.procedure_id == listed.id)
        .where(
            stored.organisation_id == actor.organisation_id,
            stored.column.in_([c.value for c in (Column.PR, Column.PATIENT_PAID, Column.REFUNDED)]),
        )
        .group_by(listed.patient_id, listed.date_of_service)
    )
    owed: dict[int, list[int]] = {}
    for row in _run(engine, actor, query):
        buckets = owed.setdefault(row.patient_id, [0] * len(AGING_BUCKETS))
        buckets[_bucket((as_of - row.date_of_service).days)] += int(row.cents)
    ranked = sorted((p for p, b in owed.items() if sum(b) > 0), key=lambda p: (-sum(owed[p]), p))
    chosen = ranked[:limit]
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        people = {p.id: p for p in uow.registry.patients_by_id(chosen)}
    lines = [
        AgingLine(
            p, people[p].mrn, f"{people[p].last_name}, {people[p].first_name}", tuple(owed[p])
        )
        for p in chosen
    ]
    totals = tuple(sum(owed[p][i] for p in ranked) for i in range(len(AGING_BUCKETS)))
    return AgingReport(as_of, lines, totals, len(ranked))


def _bucket(days: int) -> int:
    """A visit dated after ``as_of`` counts as current."""
    for index, (_, last) in enumerate(AGING_BUCKETS):
        if last is None or days <= last:
            return index
    raise AssertionError("the last bucket is open-ended")


def _sum_where(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, ledger_entries.c.amount_cents), else_=0)), 0)


Query = Select[*tuple[Any, ...]]


def _in_period(query: Query, posted_at: Any, start: date | None, end: date | None) -> Query:
    """Posted on the days ``start`` through ``end`` (UTC), either end open."""
    if start is not None:
        query = query.where(posted_at >= datetime.combine(start, time(), UTC))
    if end is not None:
        query = query.where(posted_at < datetime.combine(end + timedelta(days=1), time(), UTC))
    return query


def _run(engine: Engine, actor: Actor, query: Query) -> list[Any]:
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        return list(uow.connection.execute(query))
