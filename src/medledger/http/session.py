"""The session cookie both fronts read: who is logged in, and the CSRF token a change must echo.

The cookie (Starlette's SessionMiddleware, ``install``; signed with one key per database, see
there) holds the organisation, a random
session id whose record (``user_sessions``, services/auth.py) says who is logged in and until
when, and a random CSRF token. Logging out deletes the record, so a copy of the cookie is worth
nothing afterwards. The cookie is ``HttpOnly`` and ``SameSite=Strict`` always, and ``Secure``
whenever the request came over HTTPS: directly, or through a proxy listed in
MEDLEDGER_TRUSTED_PROXIES (default ``127.0.0.1``; its ``X-Forwarded-Proto`` and
``X-Forwarded-For`` are believed, nobody else's).

The web UI puts the CSRF token in every form (field ``csrf``) and in htmx's request headers
(``X-CSRF-Token``); the API accepts the cookie instead of a bearer token when the request sends
the same header. A change without it is refused before any service runs, so another site cannot
make a logged-in browser post a write-off.
"""

from __future__ import annotations

import os
import secrets

from fastapi import FastAPI, Request
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from medledger.domain.errors import LedgerError
from medledger.services import auth
from medledger.services.actor import Actor
from medledger.storage.unit_of_work import UnitOfWorkFactory

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class CsrfRejected(LedgerError):
    code = "csrf-token-missing"
    status = 403


def install(app: FastAPI, secret_key: str | None, database: UnitOfWorkFactory) -> None:
    """Sign the cookie with ``secret_key``, else MEDLEDGER_SECRET_KEY, else the key stored with
    the database (``auth.session_key``: the same in every worker, and after a restart); believe
    the trusted proxies' headers (outermost)."""
    key = secret_key or os.environ.get("MEDLEDGER_SECRET_KEY") or auth.session_key(database)
    app.add_middleware(
        SessionCookie,
        secret_key=key,
        same_site="strict",
        max_age=int(auth.LIFETIMES.session_absolute.total_seconds()),
    )
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=trusted_proxies())


def trusted_proxies() -> list[str]:
    """MEDLEDGER_TRUSTED_PROXIES: addresses or networks, comma-separated (empty: none)."""
    value = os.environ.get("MEDLEDGER_TRUSTED_PROXIES", "127.0.0.1")
    return [part.strip() for part in value.split(",") if part.strip()]


class SessionCookie(SessionMiddleware):
    """Starlette's signed cookie, ``Secure`` on a request that came over HTTPS."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("scheme") not in ("https", "wss"):
            await super().__call__(scope, receive, send)
            return
        prefix = f"{self.session_cookie}=".encode()

        async def secure(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (name, value + b"; secure")
                    if name.lower() == b"set-cookie" and value.startswith(prefix)
                    else (name, value)
                    for name, value in message.get("headers", [])
                ]
            await send(message)

        await super().__call__(scope, receive, secure)


def session_actor(request: Request, database: UnitOfWorkFactory, source: str) -> Actor:
    """The logged-in user of a session cookie, or Unauthenticated."""
    held = _held_session(request)
    if held is None:
        raise auth.Unauthenticated()
    return auth.actor_from_session(database, *held, source)


def _held_session(request: Request) -> tuple[int, str] | None:
    """The organisation and session id the (signed) cookie holds, if it holds one."""
    user = request.session.get("user") if "session" in request.scope else None
    if not isinstance(user, dict) or "session" not in user:
        return None  # nobody logged in, or a cookie from before sessions had records
    return int(user["organisation_id"]), str(user["session"])


def start_session(request: Request, database: UnitOfWorkFactory, actor: Actor) -> None:
    """A fresh session for a user who just logged in: nothing of the anonymous one survives."""
    request.session.clear()
    session_id = auth.start_session(database, actor)
    request.session["user"] = {"organisation_id": actor.organisation_id, "session": session_id}
    csrf_token(request)


def end_session(request: Request, database: UnitOfWorkFactory) -> None:
    """Log out: the session's record goes (a copied cookie stops working), the cookie empties."""
    held = _held_session(request)
    if held is not None:
        auth.end_session(database, *held)
    request.session.clear()


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
