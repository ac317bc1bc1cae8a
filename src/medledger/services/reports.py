"""Reports: write-offs and cancellations, apart, by reason — net of their reversals.

A write-off removed later counts against its original reason in the period the removal was
posted, so a period's figure is what really changed in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, case, func, select

from medledger.domain.columns import Column
from medledger.services.actor import Actor
from medledger.storage.tables import ledger_entries, ledger_transactions
from medledger.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class AdjustmentLine:
    """kind: "write_off" or "cancellation"; net_cents: posted minus reversed in the period."""

    kind: str
    reason_code: str
    reason_text: str
    posted_count: int
    net_cents: int


def adjustments_by_reason(
    engine: Engine, actor: Actor, start: datetime | None = None, end: datetime | None = None
) -> list[AdjustmentLine]:
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
    if start is not None:
        query = query.where(posted.c.created_at >= start)
    if end is not None:
        query = query.where(posted.c.created_at < end)
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        return [
            AdjustmentLine(row.kind, row.code, row.text, int(row.n), int(row.cents))
            for row in uow.connection.execute(query)
        ]
