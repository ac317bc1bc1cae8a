"""Reports over a period, read from the journal so every reversal is already netted in.

- Write-offs and cancellations, apart, by reason. A write-off removed later counts against its
  original reason in the period the removal was posted, so a period's figure is what really
  changed in it.
- Patient collections by payment method: money received, refunded, and the net.
- Payer activity: what each payer paid, its contractual adjustments, and the PR it assigned.
- Patient A/R aging: what each patient owes now, by the age of the visits it comes from.

A period is the days ``start`` through ``end`` of posting time (UTC); either end may be open.
The queries are storage/report_store.py's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from medledger.domain.transaction import TransactionKind
from medledger.services.actor import Actor
from medledger.services.authorization import authorize
from medledger.storage.unit_of_work import UnitOfWorkFactory


@dataclass(frozen=True)
class AdjustmentLine:
    """kind: a write-off or a cancellation; net_cents: posted minus reversed in the period."""

    kind: TransactionKind
    reason_code: str
    reason_text: str
    posted_count: int
    net_cents: int


def adjustments_by_reason(
    database: UnitOfWorkFactory, actor: Actor, start: date | None = None, end: date | None = None
) -> list[AdjustmentLine]:
    authorize(actor, "view")
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        rows = uow.reports.adjustments_by_reason(start, end)
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
    database: UnitOfWorkFactory, actor: Actor, start: date | None = None, end: date | None = None
) -> list[CollectionLine]:
    """Received = payments (less reversed ones), refunded = refunds (less reversed refunds)."""
    authorize(actor, "view")
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        rows = uow.reports.collections_by_method(start, end)
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
    database: UnitOfWorkFactory, actor: Actor, start: date | None = None, end: date | None = None
) -> list[PayerLine]:
    authorize(actor, "view")
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        rows = uow.reports.payer_activity(start, end)
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


def patient_aging(
    database: UnitOfWorkFactory, actor: Actor, as_of: date, limit: int = 500
) -> AgingReport:
    """Patients who owe something (net of credit), most owed first.

    The patient balance per procedure is ``Balance.patient_balance`` — PR − (paid − refunded),
    every CARC — summed by the database over the materialised balances, per patient and date of
    service, then bucketed by age here.
    """
    authorize(actor, "view")
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        owed_by_day = uow.reports.owed_by_visit_day()
    owed: dict[int, list[int]] = {}
    for row in owed_by_day:
        buckets = owed.setdefault(row.patient_id, [0] * len(AGING_BUCKETS))
        buckets[_bucket((as_of - row.date_of_service).days)] += int(row.cents)
    ranked = sorted((p for p, b in owed.items() if sum(b) > 0), key=lambda p: (-sum(owed[p]), p))
    chosen = ranked[:limit]
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
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
