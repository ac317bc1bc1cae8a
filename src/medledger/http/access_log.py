"""The server's access log: method, route template, status and time — never the request's values.

uvicorn's own access log prints every request's path with its query string, and those carry
health data: ``GET /api/patients?search=Smith`` names a patient, a held claim is looked for by
name or MRN. ``medledger serve`` turns that log off and writes this one instead, one line per
request, with the route as declared (``GET /api/patients/{patient_id} 200 3.1 ms``), so the logs
show what the server did and how fast without saying about whom.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("medledger.access")


def route_template(scope: Scope) -> str:
    """``METHOD /path/{param}`` of the route that answered (``unmatched`` for none).

    A route included under a prefix knows only its own part: the front's prefix is put back, so
    the API's ``POST /api/write-offs`` and a web page's ``POST /write-offs`` stay apart.
    """
    prefix = "/api" if scope["path"].startswith("/api/") else ""
    return f"{scope['method']} {prefix}{getattr(scope.get('route'), 'path', 'unmatched')}"


class AccessLog:
    """A plain ASGI middleware logging each HTTP request's template, status and duration."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not logger.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app fails before it answers

        async def send_logged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            logger.info("%s %d %.1f ms", route_template(scope), status, elapsed)


def log_to_stderr() -> None:
    """For ``medledger serve`` (each worker): medledger's logs — this access log, the error ids
    of failed requests (``http.errors``) — on stderr, as uvicorn's were."""
    root = logging.getLogger("medledger")
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        root.propagate = False
