"""Reading what a person typed, and putting a service's refusal next to the field it concerns.

Every form route declares its fields (``fields(...)``): a form with a field it does not declare,
an upload where text belongs, text longer than any field holds or a control character is refused
before the route runs (a 422 page, or for htmx a message in the page's flash area), never carried
to a service or the database. Within the declared fields parsing stays thin on purpose: amounts
go to the services as typed ("12.5", "$12.50") and ``domain.money.to_cents`` decides, ids and
idempotency keys are read by the domain's own checks (``domain.bounds``, ``domain.idempotency``);
a blank field means "not given". A refused form is shown again with everything the person typed
and the sentence beside the field.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import Depends, Request
from starlette.datastructures import FormData, UploadFile

from medledger.domain.bounds import parse_id
from medledger.domain.errors import InvalidAmount, InvalidInput, LedgerError
from medledger.domain.idempotency import client_key

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


#: The longest text any field holds (a note: 2,000 characters, as in the API).
MAX_FIELD_LENGTH = 2000
#: Control characters but tab and line breaks: no person types one, and no database stores NUL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class UnexpectedField(InvalidInput):
    code = "unexpected-field"


class FormFields:
    """A route's form, as a dependency: the field names it takes (``carc-`` fields by prefix,
    ``file`` fields as uploads), checked before the route runs. The CSRF field every form
    carries is always allowed."""

    def __init__(self, *names: str, prefixes: tuple[str, ...] = (), files: tuple[str, ...] = ()):
        self.names = frozenset(names) | {"csrf"}
        self.prefixes = prefixes
        self.files = frozenset(files)

    async def __call__(self, request: Request) -> FormData:
        form = await request.form()
        for name, value in form.multi_items():
            self._check(name, value)
        return form

    def _check(self, name: str, value: str | UploadFile) -> None:
        if name in self.files:
            if not isinstance(value, UploadFile):
                raise InvalidInput(f"{name} must be a file", field=name)
            return
        if name not in self.names and not name.startswith(self.prefixes):
            raise UnexpectedField(f"this form has no field {name[:40]!r}", field=name[:40])
        if not isinstance(value, str):
            raise InvalidInput(f"{name} must be text, not a file", field=name)
        if len(value) > MAX_FIELD_LENGTH:
            raise InvalidInput(f"{name} is longer than {MAX_FIELD_LENGTH} characters", field=name)
        if _CONTROL.search(value):
            raise InvalidInput(f"{name} contains a control character", field=name)


def fields(*names: str, prefixes: tuple[str, ...] = (), files: tuple[str, ...] = ()) -> Any:
    """``form: Annotated[FormData, fields("amount", "note")]``: the form, its fields checked."""
    return Depends(FormFields(*names, prefixes=prefixes, files=files))


def text(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def optional(form: FormData, name: str) -> str | None:
    """A field's text, or None when left blank."""
    return text(form, name) or None


def optional_id(form: FormData, name: str, what: str) -> int | None:
    """An id chosen in a field (a select's value), or None when left blank."""
    chosen = text(form, name)
    return parse_id(chosen, what) if chosen else None


def key(form: FormData) -> str | None:
    """The form's idempotency key (a hidden field), as the services store a client's key."""
    return client_key(optional(form, "key"))


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


def error_field(
    error: LedgerError, amount_field: str = "amount", *, carc_fields: bool = False
) -> str:
    """The field an error belongs next to: the CARC's amount (in a form with one per CARC), the
    amount, the reason or the form."""
    carc = error.details.get("carc")
    if carc and carc_fields and error.code in _AMOUNT_CODES:
        return f"{CARC_FIELD}{carc}"
    if error.code in _AMOUNT_CODES:
        return amount_field
    if error.code == "invalid-reason":
        return "custom_reason" if error.details.get("code") == "custom" else "reason"
    return "form"


def errors_of(
    error: LedgerError, amount_field: str = "amount", *, carc_fields: bool = False
) -> dict[str, str]:
    """``{field: message}`` for the template's ``field_error`` macro (``carc_fields``: the form
    has an amount field per CARC)."""
    return {error_field(error, amount_field, carc_fields=carc_fields): error.message}
