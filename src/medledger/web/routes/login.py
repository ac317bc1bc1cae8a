"""Logging in and out of the web UI (a session cookie; see ``web.session``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from medledger.domain.errors import LedgerError
from medledger.http.dependencies import DatabaseDep
from medledger.http.session import end_session, start_session
from medledger.services import auth
from medledger.services.actor import Actor
from medledger.services.registration import only_organisation, organisations_named
from medledger.storage.unit_of_work import Database
from medledger.web.forms import errors_of, fields, text
from medledger.web.rendering import render
from medledger.web.routing import safe_next, web_router
from medledger.web.session import CheckedCsrf

router = web_router()
LoginForm = Annotated[FormData, fields("practice", "username", "password", "next")]


@router.get("/login")
def login_page(request: Request, database: DatabaseDep, next: str = "/") -> Response:
    return render(
        request, "login.html", ask_practice=only_organisation(database) is None,
        next=safe_next(next), form={}, errors={},
    )  # fmt: skip


@router.post("/login")
def log_in(request: Request, database: DatabaseDep, _: CheckedCsrf, form: LoginForm) -> Response:
    try:
        actor = _log_in(database, form)
    except LedgerError:
        return render(
            request, "login.html", status_code=401,
            ask_practice=only_organisation(database) is None,
            next=safe_next(text(form, "next")), form=form,
            errors=errors_of(auth.Unauthenticated()),
        )  # fmt: skip
    start_session(request, database, actor)
    return RedirectResponse(safe_next(text(form, "next")), status_code=303)


def _log_in(database: Database, form: FormData) -> Actor:
    """The practice is typed, never listed (a login page must not say who else is here); when
    several share the name, the credentials tell which. Every failure is the same failure."""
    single = only_organisation(database)
    candidates = (
        [single] if single is not None else organisations_named(database, text(form, "practice"))
    )
    username, password = text(form, "username"), str(form.get("password", ""))
    for organisation_id in candidates:
        try:
            return auth.login(database, organisation_id, username, password, "ui")
        except auth.Unauthenticated:
            continue
    raise auth.Unauthenticated()


@router.post("/logout")
def log_out(request: Request, database: DatabaseDep, _: CheckedCsrf) -> Response:
    end_session(request, database)
    return RedirectResponse("/login", status_code=303)
