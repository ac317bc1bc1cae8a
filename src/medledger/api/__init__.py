"""The HTTP JSON API: thin routes over the services, errors as RFC 9457 problem documents."""

from __future__ import annotations

from fastapi import FastAPI

from medledger.api import problems
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

ROUTERS = (
    accounts.router,
    ledger.router,
    posting_tool.router,
    registration.router,
    remittance_files.router,
    claim_files.router,
    reports.router,
    access.router,
)


def install(app: FastAPI) -> None:
    """Mount the API on the app under /api, with its problem documents and its OpenAPI
    security scheme."""
    problems.install(app)
    document_security(app)
    for router in ROUTERS:
        app.include_router(router, prefix="/api")
