"""Who is using the web UI: the session cookie's user, and the CSRF token every change must echo.

The cookie (Starlette's signed SessionMiddleware, set up in ``api/app.py``) holds the user and a
random CSRF token. Pages put the token in every form (field ``csrf``) and in htmx's request
headers (``X-CSRF-Token``); a POST without it is refused before any service runs, so another site
cannot make a logged-in browser post a write-off.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request

from medledger.api.deps import SAFE_METHODS, CsrfRejected, EngineDep, session_actor
from medledger.services.actor import Actor
from medledger.services.auth import Unauthenticated


class LoginRequired(Exception):
    """Nobody is logged in: the page answers with the login page (see ``web.routing``)."""


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use (the login page makes it for a new visitor)."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def start_session(request: Request, organisation_id: int, username: str) -> None:
    """A fresh session for a user who just logged in: nothing of the anonymous one survives."""
    request.session.clear()
    request.session["user"] = {"organisation_id": organisation_id, "username": username}
    csrf_token(request)


async def check_csrf(request: Request) -> None:
    """Refuse a change whose form field or header does not carry the session's token."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        sent = str((await request.form()).get("csrf", ""))
    if not secrets.compare_digest(sent, request.session.get("csrf", "")):
        raise CsrfRejected("the page was out of date or came from elsewhere; reload and try again")


def web_actor(
    request: Request, engine: EngineDep, _: Annotated[None, Depends(check_csrf)]
) -> Actor:
    try:
        actor = session_actor(request, engine, "ui")
    except Unauthenticated as error:
        raise LoginRequired from error
    request.state.actor = actor
    return actor


WebActor = Annotated[Actor, Depends(web_actor)]
CheckedCsrf = Annotated[None, Depends(check_csrf)]
