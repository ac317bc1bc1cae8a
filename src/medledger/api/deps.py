"""Dependencies of the API's routes: the acting user, dry runs, idempotency keys (``Annotated``
aliases; ``medledger.http.dependencies`` holds what the web UI takes too).

Programs authenticate with ``Authorization: Bearer <token>``; the web UI's logged-in session
cookie works too, but then a mutating request must echo the session's CSRF token in
``X-CSRF-Token``.

``get_actor`` reads those two headers itself rather than as ``Header()`` parameters: FastAPI
validates each declared parameter of every request through pydantic, and the two cost 12% of
the instructions of the lightest authenticated request (``GET /api/reasons``, callgrind) and 9%
of a procedure's balance read. The OpenAPI document declares the bearer token once, as a
security scheme (``document_security``), which is where a client generator looks for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request, Response
from pydantic import AfterValidator, Field
from starlette.concurrency import run_in_threadpool

from medledger.domain.bounds import FIRST_DAY, LAST_DAY, MAX_ID
from medledger.domain.idempotency import KEY_PATTERN, MAX_KEY_LENGTH, client_key
from medledger.http.dependencies import DatabaseDep, day_in_range
from medledger.http.session import SAFE_METHODS, check_csrf_token, session_actor
from medledger.services import auth
from medledger.services.actor import Actor
from medledger.services.posting import DryRunEffect
from medledger.services.posting import dry_run as dry_run_of_services


async def get_actor(request: Request, database: DatabaseDep) -> Actor:
    """Async (FastAPI runs a plain ``def`` dependency in a thread, a hop per request): a token
    this process knows is answered here; a database lookup goes to a thread."""
    authorization = request.headers.get("authorization")
    if authorization is not None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise auth.Unauthenticated()
        token = token.strip()
        known = auth.cached_actor(database, token, "api")
        if known is None:
            known = await run_in_threadpool(auth.actor_from_token, database, token, "api")
        actor = known
    else:
        actor = await run_in_threadpool(session_actor, request, database, "ui")
        if request.method not in SAFE_METHODS:
            check_csrf_token(
                request,
                request.headers.get("x-csrf-token", ""),
                "a form or script using the session must send its CSRF token",
            )
    request.state.actor = actor
    return actor


ActorDep = Annotated[Actor, Depends(get_actor)]

#: ``openapi_extra`` of a route anyone may call (the login): no security requirement.
PUBLIC: dict[str, Any] = {"security": []}


def document_security(app: FastAPI) -> None:
    """The bearer token as the OpenAPI document's security scheme, required by every operation
    but those marked ``PUBLIC``."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        schema.setdefault("components", {})["securitySchemes"] = {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "A token from POST /api/tokens. The web UI's session cookie "
                "works too; a mutating request then sends the session's X-CSRF-Token.",
            }
        }
        schema["security"] = [{"bearer": []}]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


#: ``?dry_run=true`` on every mutating route.
DryRun = Annotated[
    bool,
    Query(
        alias="dry_run",
        description="Check and plan everything, answer with what would happen, keep nothing.",
    ),
]


async def idempotency_key(
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(
            max_length=MAX_KEY_LENGTH,
            pattern=KEY_PATTERN,
            description="Repeat a request with the same key to get the first result, never a "
            "second posting. 1 to 200 printable ASCII characters. The key names the whole "
            "request (route, body, acting user): the same key with anything else is a 409.",
        ),
    ] = None,
) -> str | None:
    """The key as stored (``client_key``); the key as sent stays on the request, so a 409 can
    name it."""
    if idempotency_key is not None:
        request.state.idempotency_key = idempotency_key
    return client_key(idempotency_key)


IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]

#: A row id in a request body, bounded as ``medledger.http.dependencies.PathId``.
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]
#: Free text in a query string (no NUL: no database stores one).
QueryText = Annotated[str | None, Query(max_length=100, pattern=r"^[^\x00]*$")]


DAYS = f"Between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}."
#: A moment in a query string, within the days a practice can mean.
QueryMoment = Annotated[datetime | None, Query(description=DAYS), AfterValidator(day_in_range)]


@contextmanager
def answering(dry_run: bool, response: Response) -> Iterator[DryRunEffect | None]:
    """Run a route's service for real, or as a dry run (answered 200, never 201/202: nothing
    was created). A ledger posting ends a dry run's block where it posts: read ``effect``."""
    if not dry_run:
        yield None
        return
    response.status_code = 200
    with dry_run_of_services() as effect:
        yield effect
