"""The HTTP application: the JSON API under /api and the web UI at /, one engine for both, with
the session cookie, the audit trail, the access log and the 500 handler (``http.errors``) around
every request of either front."""

from __future__ import annotations

import gc

from fastapi import FastAPI
from sqlalchemy import Engine

from medledger import api, web
from medledger.http import session
from medledger.http.access_log import AccessLog, log_to_stderr
from medledger.http.audit import AuditMiddleware
from medledger.http.errors import ServerErrors
from medledger.storage.database import open_database
from medledger.storage.unit_of_work import Database


def create_app(engine: Engine | None = None, *, secret_key: str | None = None) -> FastAPI:
    """The application on ``engine`` (else MEDLEDGER_DATABASE_URL's); ``secret_key`` signs the
    session cookie instead of the key stored with the database (see ``http.session.install``)."""
    app = FastAPI(
        title="medledger",
        version="0.1.0",
        summary="Patient-accounts ledger: PR, write-offs, cancellations, payments, refunds.",
        description='Amounts are decimal strings ("12.50"); errors are RFC 9457 problem documents.',
    )
    app.state.engine = engine or open_database()
    app.state.database = Database(app.state.engine)
    api.install(app)
    web.install(app)
    app.add_middleware(ServerErrors)  # inside the audit trail and the access log: both see a 500
    session.install(app, secret_key, app.state.database)
    app.add_middleware(AuditMiddleware)
    app.add_middleware(AccessLog)
    app.add_middleware(ServerErrors)  # and around them, should one of them fail
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
