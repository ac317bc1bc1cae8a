"""Web routes answer in HTML, whatever goes wrong.

The JSON API turns a ``LedgerError`` into a problem document (``api/problems.py``); a person in a
browser needs a page instead. ``WebRoute`` wraps every web handler: no login leads to the login
page (htmx requests get an ``HX-Redirect``), any other ``LedgerError`` the handler did not show
inline becomes an error page, or for htmx a message in the page's flash area (``static/app.js``).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from medledger.domain.errors import LedgerError
from medledger.web.rendering import render
from medledger.web.session import LoginRequired


class WebRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                return to_login(request)
            except LedgerError as error:
                return render(request, "error.html", status_code=error.status, error=error)

        return answer


def web_router() -> APIRouter:
    """A router whose routes answer in HTML and stay out of the API's OpenAPI document."""
    return APIRouter(route_class=WebRoute, include_in_schema=False)


def to_login(request: Request) -> Response:
    back = request.headers.get("hx-current-url") or str(request.url)
    target = "/login?next=" + quote(_local(back), safe="")
    if request.headers.get("hx-request") == "true":
        return Response(headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _local(url: str) -> str:
    """Only a path of this site is a place to come back to (never another host)."""
    path = "/" + url.split("://", 1)[-1].split("/", 1)[-1] if "://" in url else url
    return path if path.startswith("/") and not path.startswith("//") else "/"


def safe_next(url: str | None) -> str:
    return _local(url or "/")
