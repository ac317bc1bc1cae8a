"""The FastAPI application: JSON API under /api, the web UI at /, one engine for both.

Every mutating request leaves an audit event (user, organisation, time, route, outcome) — the
route template, never the request's values, so no PHI reaches the audit trail or the logs.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine, insert
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from medledger import web
from medledger.api import problems
from medledger.api.routes import (
    access,
    accounts,
    ledger,
    posting_tool,
    remittance_files,
    reports,
)
from medledger.storage.database import open_database
from medledger.storage.registry import now
from medledger.storage.tables import audit_events

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
    for router in (
        accounts.router,
        ledger.router,
        posting_tool.router,
        remittance_files.router,
        reports.router,
        access.router,
    ):
        app.include_router(router, prefix="/api")
    web.install(app)
    key = secret_key or os.environ.get("MEDLEDGER_SECRET_KEY") or secrets.token_urlsafe(32)
    app.add_middleware(SessionMiddleware, secret_key=key, same_site="strict", https_only=False)
    app.add_middleware(AuditMiddleware)
    return app


def app_from_environment() -> FastAPI:
    """For ``uvicorn --factory`` with several workers: each opens MEDLEDGER_DATABASE_URL."""
    return create_app()


class AuditMiddleware:
    """Record every mutating request as its response starts, before the client sees it.

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

        async def send_recorded(message: Message) -> None:
            if message["type"] == "http.response.start":
                event = _event(scope, int(message["status"]))
                await run_in_threadpool(_record, scope["app"].state.engine, event)
            await send(message)

        await self.app(scope, receive, send_recorded)


def _event(scope: Scope, status_code: int) -> dict[str, Any]:
    """The audit row: who, which organisation, the route template (never its values), outcome."""
    actor = scope.get("state", {}).get("actor")
    route = scope.get("route")
    # A route included under a prefix knows only its own part: put the front's prefix back, so
    # the API's POST /api/write-offs and a web page's POST /write-offs stay apart.
    prefix = "/api" if scope["path"].startswith("/api/") else ""
    action = f"{scope['method']} {prefix}{getattr(route, 'path', 'unmatched')}"
    return {
        "organisation_id": getattr(actor, "organisation_id", None),
        "user_id": getattr(actor, "user_id", None),
        "action": action[:120],
        "outcome": "ok" if status_code < 400 else "refused",
        "status_code": status_code,
        "created_at": now(),
    }


def _record(engine: Engine, event: dict[str, object]) -> None:
    with engine.begin() as connection:
        connection.execute(insert(audit_events).values(**event))
