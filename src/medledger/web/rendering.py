"""Templates and how every page is answered: HTML that is never cached, amounts with two
decimals, and the session's user and CSRF token available to every template."""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from medledger.domain.balance import Balance
from medledger.domain.columns import Column
from medledger.domain.errors import LedgerError
from medledger.domain.money import format_cents
from medledger.domain.preview import figures
from medledger.domain.reasons import CANCEL_REASONS, REVERSAL_REASONS, WRITE_OFF_REASONS
from medledger.domain.review import HOLD_REASONS
from medledger.http.session import csrf_token
from medledger.services.actor import Actor
from medledger.services.authorization import authorize
from medledger.services.history import TransactionView
from medledger.services.payments import PAYMENT_METHODS
from medledger.web import labels

TEMPLATES = Path(__file__).parent / "templates"


def money(cents: int | None) -> str:
    """Cents as the screens show them: "1,234.50", "-15.00"; nothing for an unknown amount."""
    if cents is None:
        return ""
    units, rest = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}{units:,}.{rest:02d}"


def plain_amount(cents: int | None) -> str:
    """Cents as an input field's value: "1234.50" (what ``to_cents`` reads back exactly)."""
    return "" if cents is None else format_cents(cents)


def line_figures(view: TransactionView, procedure_id: int | None = None) -> dict[str, int]:
    """What one ledger line changed, as figures (of one charge, or of all it touched)."""
    own = [e for e in view.entries if procedure_id is None or e.procedure_id == procedure_id]
    return figures(Balance.from_entries(own))


def when(moment: datetime) -> str:
    """A ledger line's time to the minute (stored in UTC)."""
    return f"{moment:%Y-%m-%d %H:%M}"


def new_key() -> str:
    """An idempotency key for a form: submitting it twice posts once."""
    return secrets.token_urlsafe(16)


def role_denial(actor: Actor | None, action: str) -> LedgerError | None:
    """Why the user's role may not take ``action`` (the service's own Forbidden), or None."""
    if actor is None:
        return None
    try:
        authorize(actor, action)
    except LedgerError as error:
        return error
    return None


def _page_context(request: Request) -> dict[str, Any]:
    return {
        "csrf": csrf_token(request),
        "actor": getattr(request.state, "actor", None),
        "htmx": request.headers.get("hx-request") == "true",
    }


templates = Jinja2Templates(directory=TEMPLATES, context_processors=[_page_context])
templates.env.filters["money"] = money
templates.env.filters["plain_amount"] = plain_amount
templates.env.filters["when"] = when
templates.env.globals.update(
    labels=labels,
    Column=Column,
    figures=figures,
    line_figures=line_figures,
    role_denial=role_denial,
    WRITE_OFF_REASONS=WRITE_OFF_REASONS,
    CANCEL_REASONS=CANCEL_REASONS,
    REVERSAL_REASONS=REVERSAL_REASONS,
    PAYMENT_METHODS=PAYMENT_METHODS,
    HOLD_REASONS=HOLD_REASONS,
    new_key=new_key,
)


def render(
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page or fragment; ``no-store`` so Back never shows a balance from before an action."""
    response = templates.TemplateResponse(
        request, template, context, status_code=status_code, headers=headers
    )
    response.headers["Cache-Control"] = "no-store"
    return response
