"""Void a charge entered in error: a ``charge`` transaction taking it back (domain/charge_void.py).

The procedure is then recorded as taken back (``procedure_voids``, no claim), exactly as an 837
void or replacement records the lines it takes back, so a later corrected claim does not take
it back a second time and payers' answers are matched to the lines that stand.
"""

from __future__ import annotations

from medledger.domain.charge_void import can_void_charge, void_entries
from medledger.domain.permission import Permission
from medledger.domain.reasons import CANCEL_REASONS, choose_reason
from medledger.domain.transaction import TransactionKind
from medledger.services.actor import Actor
from medledger.services.authorization import authorize
from medledger.services.posting import Plan, post_once
from medledger.storage.unit_of_work import UnitOfWork, UnitOfWorkFactory


def can_void(database: UnitOfWorkFactory, actor: Actor, procedure_id: int) -> Permission:
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        uow.registry.procedure(procedure_id)
        return can_void_charge(uow.ledger.balance(procedure_id))


def void_charge(
    database: UnitOfWorkFactory,
    actor: Actor,
    procedure_id: int,
    *,
    reason: str = "entered_in_error",
    custom_reason: str | None = None,
    note: str | None = None,
    idempotency_key: str | None = None,
) -> int:
    """Take the procedure's whole charge back; refused once money has moved against it.
    Returns the transaction's id."""
    authorize(actor, "register")
    chosen = choose_reason(CANCEL_REASONS, reason, custom_reason)

    def plan(uow: UnitOfWork) -> Plan:
        procedure = uow.registry.procedure(procedure_id)
        uow.ledger.lock_procedures([procedure_id])
        entries = void_entries(procedure_id, uow.ledger.balance(procedure_id))

        def record(uow: UnitOfWork, transaction_id: int) -> None:
            uow.claims.add_voids([procedure_id], None, transaction_id)

        return Plan(
            kind=TransactionKind.CHARGE,
            entries=entries,
            reason_code=chosen.code,
            reason_text=chosen.text,
            note=note,
            patient_id=procedure.patient_id,
            after_post=record,
        )

    request = {"void": procedure_id, "reason": chosen.code, "text": chosen.text, "note": note}
    return post_once(database, actor, request, idempotency_key, plan)
