"""Reports for a period (days of posting, UTC, both included; either end may be left open)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from medledger.api.deps import ActorDep, EngineDep
from medledger.api.schemas import AdjustmentReportOut, CollectionReportOut, PayerReportOut
from medledger.services import reports

router = APIRouter(prefix="/reports", tags=["reports"])
Start = Annotated[date | None, Query(description="First day (UTC) of the period.")]
End = Annotated[date | None, Query(description="Last day (UTC) of the period, included.")]


@router.get("/adjustments", response_model=list[AdjustmentReportOut])
def adjustments(
    engine: EngineDep, actor: ActorDep, start: Start = None, end: End = None
) -> list[AdjustmentReportOut]:
    """Write-offs and cancellations by reason, net of their reversals."""
    lines = reports.adjustments_by_reason(engine, actor, start, end)
    return [AdjustmentReportOut.of(line) for line in lines]


@router.get("/collections", response_model=list[CollectionReportOut])
def collections(
    engine: EngineDep, actor: ActorDep, start: Start = None, end: End = None
) -> list[CollectionReportOut]:
    """Patient money by payment method: received, refunded, net."""
    lines = reports.collections_by_method(engine, actor, start, end)
    return [CollectionReportOut.of(line) for line in lines]


@router.get("/payers", response_model=list[PayerReportOut])
def payers(
    engine: EngineDep, actor: ActorDep, start: Start = None, end: End = None
) -> list[PayerReportOut]:
    """Each payer's payments, contractual and other adjustments, and the PR it assigned."""
    return [PayerReportOut.of(line) for line in reports.payer_activity(engine, actor, start, end)]
