"""The one <dialog> of the layout: how its content is answered, and how an action closes it.

A dialog is shown fresh (with a new idempotency key, so pressing Confirm twice posts once), or
shown again after the service refused it: with everything typed, the errors beside their fields
and status 422 (which the page's htmx config swaps like a 200). A successful action answers with
``HX-Trigger-After-Swap: closeDialog`` and out-of-band swaps of every figure it changed.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from starlette.datastructures import FormData

from medledger.web.forms import text
from medledger.web.rendering import new_key, render


def show_dialog(
    request: Request,
    template: str,
    form: FormData | None = None,
    errors: dict[str, str] | None = None,
    **context: Any,
) -> Response:
    """Fresh when ``form`` is None; otherwise shown again after a refusal (status 422)."""
    return render(
        request, template, status_code=200 if form is None else 422, form=form or {},
        errors=errors or {}, key=text(form, "key") if form else new_key(),
        **context,
    )  # fmt: skip


def action_done(request: Request, template: str, message: str, **context: Any) -> Response:
    """Close the dialog; ``template`` swaps in what changed and says ``message`` in the flash."""
    return render(
        request,
        template,
        headers={"HX-Trigger-After-Swap": "closeDialog"},
        message=message,
        **context,
    )
