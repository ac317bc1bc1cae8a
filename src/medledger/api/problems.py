"""RFC 9457 problem documents: every refusal has a stable ``type`` per rule and its numbers.

The type is ``/problems/{code}`` where code is the domain error's ``code`` — the same key the web
UI uses for its tooltips — so a client can branch on it without parsing sentences.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException

from medledger.domain.errors import IdempotencyConflict, LedgerError

MEDIA_TYPE = "application/problem+json"


RESERVED = ("type", "title", "status", "detail")


def problem(
    status: int, code: str, detail: str, extra: dict[str, Any] | None = None
) -> JSONResponse:
    """A problem document; ``extra`` members never override the four standard ones."""
    body: dict[str, Any] = {
        key: value for key, value in (extra or {}).items() if key not in RESERVED
    }
    body.update(type=f"/problems/{code}", title=_title(code), status=status, detail=detail)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


def _title(code: str) -> str:
    return code.replace("-", " ").capitalize()


async def _ledger_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, LedgerError)
    key = getattr(request.state, "idempotency_key", None)
    if isinstance(error, IdempotencyConflict) and key is not None:
        # The services know only the stored form of a client's key; the client knows its own.
        detail = f"Idempotency-Key {key!r}: {error.message}"
        return problem(error.status, error.code, detail, {**error.details, "idempotency_key": key})
    return problem(error.status, error.code, error.message, error.details)


async def _validation_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [
        {"location": list(map(str, e["loc"])), "message": e["msg"], "kind": e["type"]}
        for e in error.errors()
    ]
    code = "float-amount" if any(e["kind"] == "float_amount" for e in errors) else "invalid-input"
    detail = "; ".join(f"{'.'.join(e['location'][1:]) or 'body'}: {e['message']}" for e in errors)
    return problem(422, code, detail, {"errors": errors})


async def _http_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    code = {404: "not-found", 405: "method-not-allowed", 401: "unauthenticated"}.get(
        error.status_code, "http-error"
    )
    return problem(error.status_code, code, str(error.detail))


async def _integrity_error(_: Request, error: Exception) -> JSONResponse:
    """A change that raced another to a unique key or a reference: the database kept its rules
    and nothing was written. Its own message may quote row values (PHI), so it is not repeated."""
    assert isinstance(error, IntegrityError)
    return problem(
        409, "conflict", "the change conflicts with one made at the same time; reload and retry"
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(LedgerError, _ledger_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
