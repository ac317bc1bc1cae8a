"""A ledger transaction's header: everything the journal keeps about it but its entries.

The journal table (``storage.tables.ledger_transactions``), the plan a use case hands to posting
(``services.posting.Plan``), the history's rows (``services.history.TransactionView``) and the
API's ``TransactionOut`` all take their fields, kinds and meanings from here.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any


class TransactionKind(StrEnum):
    """What a transaction does; the journal's CHECK allows exactly these."""

    #: A procedure's charge, from a claim or entered by hand (a negative one takes it back).
    CHARGE = "charge"
    #: PR estimated before the payer decides.
    ESTIMATE = "estimate"
    #: A payer's decision from a remittance (835): paid, contractual, PR by CARC.
    ADJUDICATION = "adjudication"
    #: Money a patient paid, allocated to PR (what is left is credit).
    PAYMENT = "payment"
    #: Patient money given back.
    REFUND = "refund"
    #: A patient's credit moved onto a visit's PR.
    CREDIT_APPLICATION = "credit_application"
    #: PR the practice decided not to collect.
    WRITE_OFF = "write_off"
    #: Estimated PR taken back before the payer decides.
    CANCELLATION = "cancellation"
    #: The undoing of an earlier transaction, whole or (a write-off) in part.
    REVERSAL = "reversal"


@dataclass(frozen=True, slots=True, kw_only=True)
class TransactionDetails:
    """What a transaction says: the part the use case posting it decides.

    Attributes:
        kind: what the transaction does (``TransactionKind``).
        reason_code: the code of the reason a user gave (``domain.reasons``, or ``custom``);
            empty for a transaction that needs none (a payment, a remittance).
        reason_text: the reason in words as it read when posted (for ``custom``, the user's
            own words); empty when ``reason_code`` is.
        note: what the user wrote beside it, or what an import says of its source (file,
            trace number, row); may be empty.
        reverts_id: the transaction this one undoes; set exactly on a reversal.
        patient_id: the patient whose account it is about; empty for a remittance, which may
            cover many patients.
        remittance_id: the remittance (835) an adjudication posts; empty otherwise.
        payment_id: the patient payment a payment, refund or credit application (or the
            reversal of one) moves money of; empty otherwise.
    """

    kind: TransactionKind
    reason_code: str | None = None
    reason_text: str | None = None
    note: str | None = None
    reverts_id: int | None = None
    patient_id: int | None = None
    remittance_id: int | None = None
    payment_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TransactionHeader(TransactionDetails):
    """A transaction as the journal keeps it, but for its entries, id, organisation and time:
    its details (``TransactionDetails``), who posted it, and the request that did.

    Attributes:
        user_id: the user who posted it (an import: the user who ran it).
        source: where the request came from (``storage.tables.SOURCES``: ``ui``, ``api``,
            ``cli``...).
        idempotency_key: the request's key as stored: a client's own key hashed
            (``domain.idempotency``), one the services make (``draft:12``), or a fresh one
            when the request named none; unique in the organisation.
        request_hash: the hash of the whole request (``services.posting.fingerprint``), to tell
            a repeat from another request with the same key.
    """

    user_id: int
    source: str
    idempotency_key: str
    request_hash: str

    @classmethod
    def posted(
        cls,
        details: TransactionDetails,
        *,
        user_id: int,
        source: str,
        idempotency_key: str,
        request_hash: str,
    ) -> TransactionHeader:
        """The header of ``details`` posted by ``user_id`` through ``source`` for a request."""
        return cls(
            **values(details, TransactionDetails),
            user_id=user_id,
            source=source,
            idempotency_key=idempotency_key,
            request_hash=request_hash,
        )


def values(record: TransactionDetails, shape: type[TransactionDetails]) -> dict[str, Any]:
    """The fields ``shape`` declares, with ``record``'s values (a record of ``shape`` or of a
    record built on it)."""
    return {name: getattr(record, name) for name in field_names(shape)}


def field_names(shape: type[TransactionDetails]) -> tuple[str, ...]:
    """The fields ``shape`` declares (looked up once: a history read builds many records)."""
    names = _FIELD_NAMES.get(shape)
    if names is None:
        names = _FIELD_NAMES[shape] = tuple(field.name for field in fields(shape))
    return names


_FIELD_NAMES: dict[type[TransactionDetails], tuple[str, ...]] = {}


def field_descriptions(shape: type[TransactionDetails]) -> dict[str, str]:
    """Each field's meaning, from the Attributes blocks of ``shape`` and of the records it is
    built on, as one line (for an API schema's descriptions)."""
    descriptions: dict[str, str] = {}
    for record in reversed(shape.__mro__):
        name = None
        block = inspect.cleandoc(record.__doc__ or "").partition("Attributes:")[2]
        for line in block.splitlines():
            head, colon, text = line.strip().partition(": ")
            if colon and line.startswith("    ") and not line.startswith("     "):
                name = head
                descriptions[name] = text
            elif name is not None and line.strip():
                descriptions[name] += " " + line.strip()
    return descriptions
