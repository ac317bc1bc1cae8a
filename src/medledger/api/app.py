"""The FastAPI application: JSON API under /api, the web UI at /, one engine for both.

Every mutating request leaves an audit event (user, organisation, time, route, outcome) — the
route template, never the request's values, so no PHI reaches the audit trail or the logs.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from sqlalchemy import Engine, insert
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware

from medledger.api import problems
from medledger.api.routes import access, accounts, ledger, posting_tool
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
    for router in (accounts.router, ledger.router, posting_tool.router, access.router):
        app.include_router(router, prefix="/api")
    key = secret_key or os.environ.get("MEDLEDGER_SECRET_KEY") or secrets.token_urlsafe(32)
    app.add_middleware(SessionMiddleware, secret_key=key, same_site="strict", https_only=False)
    app.middleware("http")(_audit)
    return app


def app_from_environment() -> FastAPI:
    """For ``uvicorn --factory`` with several workers: each opens MEDLEDGER_DATABASE_URL."""
    return create_app()


async def _audit(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    response = await call_next(request)
    if request.method in MUTATING:
        actor = getattr(request.state, "actor", None)
        route = request.scope.get("route")
        action = f"{request.method} {getattr(route, 'path', 'unmatched')}"
        outcome = "ok" if response.status_code < 400 else "refused"
        event = {
            "organisation_id": getattr(actor, "organisation_id", None),
            "user_id": getattr(actor, "user_id", None),
            "action": action[:120],
            "outcome": outcome,
            "status_code": response.status_code,
            "created_at": now(),
        }
        await run_in_threadpool(_record, request.app.state.engine, event)
    return response


def _record(engine: Engine, event: dict[str, object]) -> None:
    with engine.begin() as connection:
        connection.execute(insert(audit_events).values(**event))
