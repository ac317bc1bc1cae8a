"""The server-rendered web UI: Jinja2 templates and htmx (shipped in ``static/``, no CDN, no
build step) over the same services as the JSON API. Routes live one module per screen in
``web/routes``; each parses the form, calls one service and renders."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from medledger.web.routes import (
    access,
    approvals,
    charges,
    held_claims,
    history,
    home,
    imports,
    login,
    patients,
    payments,
    posting_tool,
    registration,
    reports,
)

ROUTERS = (
    login.router,
    home.router,
    registration.router,  # before patients: /patients/new is not a patient id
    patients.router,
    charges.router,
    history.router,
    payments.router,
    posting_tool.router,
    approvals.router,
    imports.router,
    held_claims.router,
    reports.router,
    access.router,
)


def install(app: FastAPI) -> None:
    """Mount the web UI on the app: its pages at /, its static files at /static."""
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
