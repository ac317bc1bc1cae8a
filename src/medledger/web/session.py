"""Who is using the web UI: the session's user, once the change's CSRF token has been checked.

The token comes as the form's ``csrf`` field or htmx's ``X-CSRF-Token`` header
(``medledger.http.session`` holds the cookie); nobody logged in leads to the login page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from medledger.http.dependencies import DatabaseDep
from medledger.http.session import SAFE_METHODS, check_csrf_token, session_actor
from medledger.services.actor import Actor
from medledger.services.auth import Unauthenticated


class LoginRequired(Exception):
    """Nobody is logged in: the page answers with the login page (see ``web.routing``)."""


async def check_csrf(request: Request) -> None:
    """Refuse a change whose form field or header does not carry the session's token."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        sent = str((await request.form()).get("csrf", ""))
    check_csrf_token(
        request, sent, "the page was out of date or came from elsewhere; reload and try again"
    )


def web_actor(
    request: Request, database: DatabaseDep, _: Annotated[None, Depends(check_csrf)]
) -> Actor:
    try:
        actor = session_actor(request, database, "ui")
    except Unauthenticated as error:
        raise LoginRequired from error
    request.state.actor = actor
    return actor


WebActor = Annotated[Actor, Depends(web_actor)]
CheckedCsrf = Annotated[None, Depends(check_csrf)]
