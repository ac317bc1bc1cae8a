"""The session cookie both fronts read: who is logged in, and the CSRF token a change must echo.

The cookie (Starlette's signed SessionMiddleware, ``install``) holds the user and a random CSRF
token. The web UI puts the token in every form (field ``csrf``) and in htmx's request headers
(``X-CSRF-Token``); the API accepts the cookie instead of a bearer token when the request sends
the same header. A change without it is refused before any service runs, so another site cannot
make a logged-in browser post a write-off.
"""

from __future__ import annotations

import os
import secrets

from fastapi import FastAPI, Request
from starlette.middleware.sessions import SessionMiddleware

from medledger.domain.errors import LedgerError
from medledger.services import auth
from medledger.services.actor import Actor
from medledger.services.registration import actor_for
from medledger.storage.unit_of_work import UnitOfWorkFactory

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class CsrfRejected(LedgerError):
    code = "csrf-token-missing"
    status = 403


def install(app: FastAPI, secret_key: str | None) -> None:
    """Sign the cookie with ``secret_key``, else MEDLEDGER_SECRET_KEY, else a key of this
    process (its sessions end with it)."""
    key = secret_key or os.environ.get("MEDLEDGER_SECRET_KEY") or secrets.token_urlsafe(32)
    app.add_middleware(SessionMiddleware, secret_key=key, same_site="strict", https_only=False)


def session_actor(request: Request, database: UnitOfWorkFactory, source: str) -> Actor:
    """The logged-in user of a session cookie, or Unauthenticated."""
    user = request.session.get("user") if "session" in request.scope else None
    if not user:
        raise auth.Unauthenticated()
    try:
        return actor_for(database, int(user["organisation_id"]), str(user["username"]), source)
    except LedgerError as error:
        raise auth.Unauthenticated() from error


def start_session(request: Request, organisation_id: int, username: str) -> None:
    """A fresh session for a user who just logged in: nothing of the anonymous one survives."""
    request.session.clear()
    request.session["user"] = {"organisation_id": organisation_id, "username": username}
    csrf_token(request)


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use (the login page makes it for a new visitor)."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def check_csrf_token(request: Request, sent: str, refusal: str) -> None:
    """Refuse a change (``refusal`` says why to its reader) whose token is not the session's."""
    expected = str(request.session.get("csrf", ""))
    if not secrets.compare_digest(sent.encode(), expected.encode()):
        raise CsrfRejected(refusal)
