"""What a user asks to take off a patient's PR — a write-off or a cancellation — as they asked it.

Kept whole in an approval request while it waits (``approval_requests.kind`` says which), as
JSON with its amounts checked and turned to exact cents strings when it is filed, so that
approving it later asks for exactly what was asked.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from medledger.domain.errors import InvalidAmount
from medledger.domain.money import to_cents
from medledger.domain.transaction import TransactionKind


def amounts_in_cents(amounts: Mapping[str, object]) -> dict[str, int]:
    """Amounts per CARC from the edge (decimal strings) to cents; zero amounts are dropped. An
    amount that is not one is refused naming its CARC (``carc``), so a form shows the sentence
    beside that CARC's field."""
    per_carc: dict[str, int] = {}
    for carc, value in amounts.items():
        try:
            cents = to_cents(value)
        except InvalidAmount as error:
            error.details.setdefault("carc", carc)
            raise
        if cents:
            per_carc[carc] = cents
    return per_carc


@dataclass(frozen=True)
class WriteOffRequest:
    """One write-off as a user asked for it.

    Target: exactly one of procedure_id, payment_item_id (a procedure-level payment item of a
    remittance), encounter_id or patient_id. Amount: ``amounts`` per PR CARC (procedure targets
    only) or one ``total``, split by the documented order.
    """

    reason: str
    procedure_id: int | None = None
    payment_item_id: int | None = None
    encounter_id: int | None = None
    patient_id: int | None = None
    amounts: Mapping[str, object] | None = None
    total: object | None = None
    custom_reason: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class CancellationRequest:
    """One cancellation of a procedure's estimated PR as a user asked for it: ``amounts`` per
    PR CARC, one ``total`` split copay → coinsurance → deductible → other, or (neither) all of
    the PR no pending approval request holds."""

    procedure_id: int
    reason: str
    amounts: Mapping[str, object] | None = None
    total: object | None = None
    custom_reason: str | None = None
    note: str | None = None


#: A request an approval request can hold, by its ``kind``.
LedgerRequest = WriteOffRequest | CancellationRequest
KINDS: dict[str, type[WriteOffRequest] | type[CancellationRequest]] = {
    TransactionKind.WRITE_OFF: WriteOffRequest,
    TransactionKind.CANCELLATION: CancellationRequest,
}


def kind_of(request: LedgerRequest) -> TransactionKind:
    if isinstance(request, WriteOffRequest):
        return TransactionKind.WRITE_OFF
    return TransactionKind.CANCELLATION


def encode(requests: Sequence[LedgerRequest]) -> str:
    """The requests as stored, amounts as exact cents strings (checked now, not at approval)."""
    return json.dumps([_jsonable(request) for request in requests], sort_keys=True)


def decode(kind: str, payload: str) -> tuple[LedgerRequest, ...]:
    """The requests an approval request of ``kind`` holds, amounts in cents."""
    requests = []
    for data in json.loads(payload):
        if data["amounts"] is not None:
            data["amounts"] = {carc: int(cents) for carc, cents in data["amounts"].items()}
        if data["total"] is not None:
            data["total"] = int(data["total"])
        requests.append(KINDS[kind](**data))
    return tuple(requests)


def _jsonable(request: LedgerRequest) -> dict[str, Any]:
    data = asdict(request)
    if request.amounts is not None:
        data["amounts"] = {carc: str(to_cents(v)) for carc, v in request.amounts.items()}
    if request.total is not None:
        data["total"] = str(to_cents(request.total))
    return data
