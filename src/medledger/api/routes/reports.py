"""Reports for a period (days of posting, UTC, both included; either end may be left open), and
what patients owe now by the age of their visits."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query

from medledger.api.deps import DAYS, ActorDep
from medledger.api.routing import api_router
from medledger.api.schemas import (
    AdjustmentReportOut,
    AgingOut,
    CollectionReportOut,
    PayerReportOut,
)
from medledger.http.dependencies import DatabaseDep, QueryDay
from medledger.services import reports

router = api_router(prefix="/reports", tags=["reports"])
Start = Annotated[QueryDay, Query(description=f"First day (UTC) of the period. {DAYS}")]
End = Annotated[QueryDay, Query(description=f"Last day (UTC) of the period, included. {DAYS}")]


@router.get("/adjustments", response_model=list[AdjustmentReportOut])
def adjustments(
    database: DatabaseDep, actor: ActorDep, start: Start = None, end: End = None
) -> list[AdjustmentReportOut]:
    """Write-offs and cancellations by reason, net of their reversals."""
    lines = reports.adjustments_by_reason(database, actor, start, end)
    return [AdjustmentReportOut.of(line) for line in lines]


@router.get("/collections", response_model=list[CollectionReportOut])
def collections(
    database: DatabaseDep, actor: ActorDep, start: Start = None, end: End = None
) -> list[CollectionReportOut]:
    """Patient money by payment method: received, refunded, net."""
    lines = reports.collections_by_method(database, actor, start, end)
    return [CollectionReportOut.of(line) for line in lines]


@router.get("/payers", response_model=list[PayerReportOut])
def payers(
    database: DatabaseDep, actor: ActorDep, start: Start = None, end: End = None
) -> list[PayerReportOut]:
    """Each payer's payments, contractual and other adjustments, and the PR it assigned."""
    return [PayerReportOut.of(line) for line in reports.payer_activity(database, actor, start, end)]


@router.get("/aging", response_model=AgingOut)
def aging(
    database: DatabaseDep,
    actor: ActorDep,
    as_of: Annotated[
        QueryDay, Query(description=f"Age visits as of this day; today if not given. {DAYS}")
    ] = None,
    limit: Annotated[int, Query(ge=0, le=5000)] = 500,
) -> AgingOut:
    """What each patient owes now, by days since the visit; the totals cover every patient."""
    day = as_of or datetime.now(UTC).date()
    return AgingOut.of(reports.patient_aging(database, actor, day, limit))
