"""Small builders that read like a billing scenario: a patient, a visit, a remittance."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine

from medledger.domain.adjudication import Adjustment
from medledger.domain.transaction import TransactionHeader, TransactionKind
from medledger.services.actor import Actor
from medledger.services.adjudication import (
    ClaimResult,
    LineResult,
    RemittanceInput,
    post_remittance,
)
from medledger.services.cancellations import cancel_pr
from medledger.services.ledger_requests import CancellationRequest, WriteOffRequest
from medledger.services.registration import (
    ProcedureInput,
    actor_for,
    add_encounter,
    add_patient,
    add_payer,
    add_user,
)
from medledger.services.write_offs import submit_write_offs
from medledger.storage.tenancy import organisation_transaction
from medledger.storage.unit_of_work import Database, UnitOfWork

_numbers = itertools.count(1)


@contextmanager
def reading(engine: Engine, organisation_id: int) -> Iterator[Connection]:
    """A connection that reads one organisation's rows as its unit of work does (on
    PostgreSQL, under row-level security: a query may ask for more, it gets no more)."""
    with UnitOfWork(engine, organisation_id, write=False) as uow:
        yield uow.connection


#: A transaction that writes one organisation's rows, committed as its block ends.
writing = organisation_transaction


def adjudication_header(actor: Actor, idempotency_key: str) -> TransactionHeader:
    """The header of an adjudication a storage test writes straight into the journal."""
    return TransactionHeader(
        kind=TransactionKind.ADJUDICATION,
        user_id=actor.user_id,
        source="test",
        idempotency_key=idempotency_key,
        request_hash="h",
    )


def patient(engine: Engine, actor: Actor, last_name: str = "Doe") -> int:
    n = next(_numbers)
    return add_patient(Database(engine), actor, f"MRN{n:06d}", "Jane", last_name, date(1980, 1, 1))


def visit(
    engine: Engine,
    actor: Actor,
    patient_id: int,
    charges: list[str],
    on: date = date(2026, 3, 1),
    codes: list[str] | None = None,
) -> tuple[int, list[int]]:
    """An encounter with one procedure per charge; returns (encounter id, procedure ids)."""
    n = next(_numbers)
    codes = codes or ["99213", "85025", "36415", "80053"][: len(charges)]
    lines = [ProcedureInput(code, charge) for code, charge in zip(codes, charges, strict=False)]
    encounter_id = add_encounter(Database(engine), actor, patient_id, f"PCN{n:08d}", on, lines)
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        ids = [row.id for row in uow.registry.procedures_of_encounter(encounter_id)]
    return encounter_id, ids


def payer(engine: Engine, actor: Actor) -> int:
    return add_payer(Database(engine), actor, "87726", "United Healthcare")


def adjudicate(
    engine: Engine,
    actor: Actor,
    encounter_id: int,
    lines: dict[int, tuple[int, int, dict[str, int]]],
) -> int:
    """Post a remittance: per procedure (charge, paid, {"CO-45": cents, "PR-1": cents, ...})."""
    results = []
    for procedure_id, (charge, paid, adjustments) in lines.items():
        cas = tuple(
            Adjustment(key.split("-")[0], key.split("-")[1], cents)
            for key, cents in adjustments.items()
        )
        results.append(LineResult(procedure_id, charge, paid, cas))
    claim = ClaimResult(
        encounter_id,
        "1",
        sum(line.charge_cents for line in results),
        sum(line.paid_cents for line in results),
        tuple(results),
    )
    return post_remittance(
        Database(engine),
        actor,
        RemittanceInput(payer(engine, actor), f"TRN{next(_numbers)}", claim.paid_cents, (claim,)),
    )


def adjudicated_patient(
    engine: Engine, actor: Actor, charges: list[str], pr: dict[str, int]
) -> tuple[int, list[int]]:
    """A patient with a visit whose every procedure is adjudicated with ``pr`` ({"PR-2": cents})
    of a 100.00 charge; (patient id, procedure ids)."""
    patient_id = patient(engine, actor)
    encounter_id, ids = visit(engine, actor, patient_id, charges)
    adjudicate(
        engine,
        actor,
        encounter_id,
        {pid: (10000, 10000 - sum(pr.values()), dict(pr)) for pid in ids},
    )
    return patient_id, ids


def write_off(
    engine: Engine,
    actor: Actor,
    procedure_id: int | None = None,
    *,
    reason: str,
    idempotency_key: str | None = None,
    **fields: Any,
) -> int:
    """Write off through the one path (``submit_write_offs``) and return the transaction; for a
    test whose write-off must post (one waiting for approval fails it)."""
    request = WriteOffRequest(reason, procedure_id=procedure_id, **fields)
    outcome = submit_write_offs(Database(engine), actor, [request], idempotency_key)
    assert outcome.approval is None, f"waits in approval request {outcome.approval.id}"
    (transaction_id,) = outcome.transaction_ids
    return transaction_id


def cancel(engine: Engine, actor: Actor, procedure_id: int, *, reason: str, **fields: Any) -> int:
    """Cancel PR through ``cancel_pr`` and return the transaction; for a test whose
    cancellation must post (one waiting for approval fails it)."""
    outcome = cancel_pr(
        Database(engine), actor, CancellationRequest(procedure_id, reason, **fields)
    )
    assert outcome.approval is None, f"waits in approval request {outcome.approval.id}"
    (transaction_id,) = outcome.transaction_ids
    return transaction_id


def biller_and_manager(engine: Engine, actor: Actor, limit: str = "100.00") -> tuple[Actor, Actor]:
    """A biller with a write-off limit (100.00 unless told) and a billing manager, in
    ``actor``'s organisation."""
    add_user(Database(engine), actor, "biller", "Bill", "biller", limit)
    add_user(Database(engine), actor, "manager", "Maria", "billing_manager", None)
    return (
        actor_for(Database(engine), actor.organisation_id, "biller", "test"),
        actor_for(Database(engine), actor.organisation_id, "manager", "test"),
    )
