"""The FastAPI application: JSON API under /api, the web UI at /, one engine for both.

Every mutating request leaves an audit event (user, organisation, time, route, outcome) — the
route template, never the request's values, so no PHI reaches the audit trail or the logs.
A request that commits writes its event inside its (first) committed transaction: no second
transaction, and no change without its record.
"""

from __future__ import annotations

import gc
import os
import secrets
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Connection, Engine, insert, update
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from medledger import web
from medledger.api import problems
from medledger.api.access_log import AccessLog, log_to_stderr, route_template
from medledger.api.deps import document_security
from medledger.api.routes import (
    access,
    accounts,
    claim_files,
    ledger,
    posting_tool,
    registration,
    remittance_files,
    reports,
)
from medledger.storage.database import open_database
from medledger.storage.registry import now
from medledger.storage.tables import audit_events
from medledger.storage.unit_of_work import before_commit

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


def create_app(engine: Engine | None = None, *, secret_key: str | None = None) -> FastAPI:
    app = FastAPI(
        title="medledger",
        version="0.1.0",
        summary="Patient-accounts ledger: PR, write-offs, cancellations, payments, refunds.",
        description='Amounts are decimal strings ("12.50"); errors are RFC 9457 problem documents.',
    )
    app.state.engine = engine or open_database()
    problems.install(app)
    document_security(app)
    for router in (
        accounts.router,
        ledger.router,
        posting_tool.router,
        registration.router,
        remittance_files.router,
        claim_files.router,
        reports.router,
        access.router,
    ):
        app.include_router(router, prefix="/api")
    web.install(app)
    key = secret_key or os.environ.get("MEDLEDGER_SECRET_KEY") or secrets.token_urlsafe(32)
    app.add_middleware(SessionMiddleware, secret_key=key, same_site="strict", https_only=False)
    app.add_middleware(AuditMiddleware)
    app.add_middleware(AccessLog)
    return app


def serving_app(engine: Engine | None = None) -> FastAPI:
    """The app ``medledger serve`` runs: created, then everything start-up made (modules,
    routes, schemas, the engine) frozen out of the garbage collector's full sweeps, which
    otherwise walk those objects again and again, tens of ms each, inside some request."""
    app = create_app(engine)
    log_to_stderr()
    gc.freeze()
    return app


def app_from_environment() -> FastAPI:
    """For ``uvicorn --factory`` with several workers: each opens MEDLEDGER_DATABASE_URL."""
    return serving_app()


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
        self.written: tuple[int, int] | None = None  # (event id, status recorded)

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
        self.written = (int(event_id), status)

    async def finish(self, status: int) -> None:
        engine = self.scope["app"].state.engine
        if self.written is None:
            await run_in_threadpool(_record, engine, _event(self.scope, status))
        elif self.written[1] != status:
            await run_in_threadpool(_correct, engine, self.written[0], status)


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


def _record(engine: Engine, event: dict[str, object]) -> None:
    with engine.begin() as connection:
        connection.execute(insert(audit_events).values(**event))


def _correct(engine: Engine, event_id: int, status_code: int) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(audit_events)
            .where(audit_events.c.id == event_id)
            .values(outcome=_outcome(status_code), status_code=status_code)
        )
