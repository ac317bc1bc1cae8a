"""Reading what a person typed, and putting a service's refusal next to the field it concerns.

Parsing stays this thin on purpose: amounts go to the services as typed ("12.5", "$12.50") and
``domain.money.to_cents`` decides; a blank field means "not given". A refused form is shown again
with everything the person typed and the service's sentence beside the field.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from medledger.domain.errors import InvalidAmount, LedgerError

#: Errors about an amount the person typed.
_AMOUNT_CODES = frozenset(
    {
        "invalid-amount",
        "float-amount",
        "exceeds-open-pr",
        "approval-pending",
        "already-paid-refund-first",
        "not-patient-responsibility",
        "refund-exceeds-payment",
        "credit-exceeded",
    }
)
CARC_FIELD = "carc-"


async def form_fields(request: Request) -> FormData:
    return await request.form()


Form = Annotated[FormData, Depends(form_fields)]


def text(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def optional(form: FormData, name: str) -> str | None:
    """A field's text, or None when left blank."""
    return text(form, name) or None


def required(form: FormData, name: str) -> str:
    """An amount field that must be filled in."""
    value = text(form, name)
    if not value:
        raise InvalidAmount("enter an amount, such as 12.50")
    return value


def carc_amounts(form: FormData) -> dict[str, str]:
    """Amounts per PR CARC from fields named ``carc-<CARC>``; blank fields are left out."""
    return {
        name.removeprefix(CARC_FIELD): value.strip()
        for name, value in form.multi_items()
        if name.startswith(CARC_FIELD) and isinstance(value, str) and value.strip()
    }


def error_field(error: LedgerError, amount_field: str = "amount") -> str:
    """The field an error belongs next to: the CARC's amount, the amount, the reason or the form."""
    carc = error.details.get("carc")
    if carc and error.code in _AMOUNT_CODES:
        return f"{CARC_FIELD}{carc}"
    if error.code in _AMOUNT_CODES:
        return amount_field
    if error.code == "invalid-reason":
        return "custom_reason" if error.details.get("code") == "custom" else "reason"
    return "form"


def errors_of(error: LedgerError, amount_field: str = "amount") -> dict[str, str]:
    """``{field: message}`` for the template's ``field_error`` macro."""
    return {error_field(error, amount_field): error.message}
