"""The audit trail of both fronts: every mutating request leaves an event (user, organisation,
time, route, outcome) — the route template, never the request's values, so no PHI reaches the
audit trail or the logs. A request that commits writes its event inside its (first) committed
transaction: no second transaction, and no change without its record.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, insert, update
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from medledger.http.access_log import route_template
from medledger.storage.registry import now
from medledger.storage.tables import audit_events
from medledger.storage.tenancy import organisation_transaction
from medledger.storage.unit_of_work import before_commit

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


class AuditMiddleware:
    """Record every mutating request: inside the first transaction it commits, or — when it
    commits nothing (refused, a repeat, a dry run) — as its response starts, before the client
    sees it.

    The event written with a commit says "ok" with the route's success status; should the
    response then carry another status (202 for a write-off filed for approval, or an error
    after the commit), the event is corrected to it as the response starts.

    A plain ASGI middleware: reads and other requests pass straight through (Starlette's
    ``BaseHTTPMiddleware`` would run every request, reads included, through a task and a
    memory stream of its own).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in MUTATING:
            await self.app(scope, receive, send)
            return
        audit = _RequestAudit(scope)

        async def send_recorded(message: Message) -> None:
            if message["type"] == "http.response.start":
                await audit.finish(int(message["status"]))
            await send(message)

        hook = before_commit.set(audit.write)
        try:
            await self.app(scope, receive, send_recorded)
        finally:
            before_commit.reset(hook)


class _RequestAudit:
    """One request's audit event: written by the first commit, or when the response starts."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        #: (event id, status recorded, its organisation)
        self.written: tuple[int, int, int | None] | None = None

    def write(self, connection: Connection) -> None:
        """In the request's transaction, just before its first COMMIT (in the endpoint's
        thread)."""
        if self.written is not None:
            return
        status = getattr(self.scope.get("route"), "status_code", None) or 200
        event = _event(self.scope, status)
        event_id = connection.execute(
            insert(audit_events).values(**event).returning(audit_events.c.id)
        ).scalar_one()
        self.written = (int(event_id), status, event["organisation_id"])

    async def finish(self, status: int) -> None:
        engine = self.scope["app"].state.engine
        if self.written is None:
            await run_in_threadpool(_record, engine, _event(self.scope, status))
        elif self.written[1] != status:
            event_id, _, organisation_id = self.written
            await run_in_threadpool(_correct, engine, organisation_id, event_id, status)


def _event(scope: Scope, status_code: int) -> dict[str, Any]:
    """The audit row: who, which organisation, the route template (never its values), outcome."""
    actor = scope.get("state", {}).get("actor")
    action = route_template(scope)
    return {
        "organisation_id": getattr(actor, "organisation_id", None),
        "user_id": getattr(actor, "user_id", None),
        "action": action[:120],
        "outcome": _outcome(status_code),
        "status_code": status_code,
        "created_at": now(),
    }


def _outcome(status_code: int) -> str:
    return "ok" if status_code < 400 else "refused"


def _record(engine: Engine, event: dict[str, Any]) -> None:
    with organisation_transaction(engine, event["organisation_id"]) as connection:
        connection.execute(insert(audit_events).values(**event))


def _correct(engine: Engine, organisation_id: int | None, event_id: int, status_code: int) -> None:
    with organisation_transaction(engine, organisation_id) as connection:
        connection.execute(
            update(audit_events)
            .where(audit_events.c.id == event_id)
            .values(outcome=_outcome(status_code), status_code=status_code)
        )
