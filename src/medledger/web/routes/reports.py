"""Reports for a period: write-offs and cancellations by reason, collections by payment method,
and what each payer paid — all read from the journal, so reversals are already netted in — and
what patients owe now, aged as of the period's last day."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query, Request, Response

from medledger.http.dependencies import DatabaseDep, QueryDay
from medledger.services import reports
from medledger.web.rendering import render
from medledger.web.routing import web_router
from medledger.web.session import WebActor

router = web_router()
Day = Annotated[QueryDay, Query()]


@router.get("/reports")
def reports_page(
    request: Request, database: DatabaseDep, actor: WebActor, start: Day = None, end: Day = None
) -> Response:
    """Without dates: this month so far."""
    if start is None and end is None:
        today = datetime.now(UTC).date()
        start, end = today.replace(day=1), today
    return render(
        request, "reports.html", start=start, end=end,
        adjustments=reports.adjustments_by_reason(database, actor, start, end),
        collections=reports.collections_by_method(database, actor, start, end),
        payers=reports.payer_activity(database, actor, start, end),
        aging=reports.patient_aging(database, actor, end or datetime.now(UTC).date(), limit=100),
        buckets=reports.AGING_BUCKETS,
    )  # fmt: skip
