"""What an unexpected failure leaves behind: an error id, the exception's type and where it was
raised — never its message, the request's values or a local variable.

An exception's message may quote what it was working on (a driver's ``Key (name)=(...)``, a
service's f-string with a patient's name), and so may a full traceback's last line; the logs of a
practice's server must hold no PHI. ``ServerErrors`` answers any exception no front handled with
a 500 that shows the error id (a problem document under /api, a page for the web UI), logs one
line on ``medledger.errors`` with that id, the exception's type (and its driver error's) and the
frames it went through (file, line, function) — ``failures.log_failure``, which the CLI uses
too — and does not re-raise: Starlette's outermost middleware would send the exception on to the
server, which prints it whole.
"""

from __future__ import annotations

from fastapi.responses import HTMLResponse, JSONResponse
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from medledger.failures import log_failure
from medledger.http.access_log import route_template


class ServerErrors:
    """A plain ASGI middleware turning an unhandled exception into a 500 that names its error id
    (see above). ``create_app`` puts it inside the audit trail and the access log, so both record
    the 500, and once more around everything, for a failure of the middlewares themselves."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracked)
        except Exception as error:
            error_id = log_failure(error, route_template(scope))
            if not started:  # else the client already has a status; the connection just ends
                await _answer(scope, error_id)(scope, receive, send)


def _answer(scope: Scope, error_id: str) -> Response:
    detail = (
        f"an unexpected error stopped this request; quote error id {error_id} when reporting it"
    )
    if scope["path"].startswith("/api/"):  # the API's problem document (api/problems.py)
        body = {"type": "/problems/internal-error", "title": "Internal error", "status": 500,
                "detail": detail, "error_id": error_id}  # fmt: skip
        return JSONResponse(body, 500, media_type="application/problem+json")
    headers = {"Cache-Control": "no-store"}
    if any(name == b"hx-request" and value == b"true" for name, value in scope["headers"]):
        return HTMLResponse(f'<p class="error-text">Error {error_id}: {detail}.</p>', 500, headers)
    return HTMLResponse(_PAGE.format(error_id=error_id, detail=detail), 500, headers)


# Standalone: the templates' layout needs the session, which a failure may have come before.
_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Error {error_id} · medledger</title>
<link rel="stylesheet" href="/static/app.css"></head>
<body><main id="main"><section class="card narrow">
<h1>That did not work</h1>
<p class="error-text">Error {error_id}: {detail}.</p>
<p><a href="/">Back to the work list</a></p>
</section></main></body>
</html>
"""
