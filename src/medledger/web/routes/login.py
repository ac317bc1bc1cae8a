"""Logging in and out of the web UI (a session cookie; see ``web.session``)."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from medledger.api.deps import EngineDep
from medledger.domain.errors import LedgerError
from medledger.services import auth
from medledger.services.registration import organisations
from medledger.web.forms import Form, errors_of, text
from medledger.web.rendering import render
from medledger.web.routing import safe_next, web_router
from medledger.web.session import CheckedCsrf, start_session

router = web_router()


@router.get("/login")
def login_page(request: Request, engine: EngineDep, next: str = "/") -> Response:
    return render(
        request, "login.html", organisations=organisations(engine), next=safe_next(next),
        form={}, errors={},
    )  # fmt: skip


@router.post("/login")
def log_in(request: Request, engine: EngineDep, _: CheckedCsrf, form: Form) -> Response:
    try:
        organisation_id = int(text(form, "organisation") or 0)
        password = str(form.get("password", ""))
        actor = auth.login(engine, organisation_id, text(form, "username"), password, "ui")
    except (LedgerError, ValueError):
        return render(
            request, "login.html", status_code=401, organisations=organisations(engine),
            next=safe_next(text(form, "next")), form=form,
            errors=errors_of(auth.Unauthenticated()),
        )  # fmt: skip
    start_session(request, actor.organisation_id, text(form, "username"))
    return RedirectResponse(safe_next(text(form, "next")), status_code=303)


@router.post("/logout")
def log_out(request: Request, _: CheckedCsrf) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
