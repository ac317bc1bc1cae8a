"""Write off PR, and remove a write-off: the two workflows of the seeds.

A write-off targets one procedure (the posting tool's procedure-level payment item, or the
patient profile's charge), or an encounter or a patient as one transaction over their procedures
(split oldest procedure first, then copay → coinsurance → deductible → other).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Engine

from medledger.domain.balance import Balance, Entry
from medledger.domain.errors import InvalidInput
from medledger.domain.money import to_cents
from medledger.domain.permission import Permission
from medledger.domain.reasons import REVERSAL_REASONS, WRITE_OFF_REASONS, Reason, choose_reason
from medledger.domain.reversal import plan_write_off_removal, split_removal
from medledger.domain.write_off import (
    can_write_off as rule_can_write_off,
)
from medledger.domain.write_off import (
    plan_write_off,
    split_over_procedures,
    split_total,
    written_off_total,
)
from medledger.services.actor import Actor
from medledger.services.authorization import authorize, authorize_reversal, authorize_write_off
from medledger.services.posting import Plan, post_once
from medledger.storage.unit_of_work import UnitOfWork

AmountsByProcedure = dict[int, dict[str, int]]


def amounts_in_cents(amounts: Mapping[str, object]) -> dict[str, int]:
    """Amounts per CARC from the edge (decimal strings) to cents; zero amounts are dropped."""
    return {carc: cents for carc, value in amounts.items() if (cents := to_cents(value))}


def can_write_off(engine: Engine, actor: Actor, procedure_id: int) -> Permission:
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        uow.registry.procedure(procedure_id)
        return rule_can_write_off(uow.ledger.balance(procedure_id))


def write_off(
    engine: Engine,
    actor: Actor,
    procedure_id: int,
    *,
    reason: str,
    amounts: Mapping[str, object] | None = None,
    total: object | None = None,
    custom_reason: str | None = None,
    note: str | None = None,
    idempotency_key: str | None = None,
) -> int:
    """Write off PR on one procedure: ``amounts`` per CARC, or one ``total`` split by PR_ORDER."""
    chosen = choose_reason(WRITE_OFF_REASONS, reason, custom_reason)
    per_carc = amounts_in_cents(amounts) if amounts is not None else None
    total_cents = to_cents(total) if total is not None else None

    def decide(balances: dict[int, Balance]) -> AmountsByProcedure:
        balance = balances[procedure_id]
        rule_can_write_off(balance).raise_if_denied()
        if per_carc is not None:
            return {procedure_id: per_carc}
        assert total_cents is not None
        return {procedure_id: split_total(total_cents, balance.open_pr_by_carc())}

    request = {"procedure": procedure_id, "amounts": per_carc, "total": total_cents}
    return _post_write_off(
        engine, actor, chosen, note, idempotency_key, request,
        lambda uow: [procedure_id], decide,
    )  # fmt: skip


def write_off_spread(
    engine: Engine,
    actor: Actor,
    total: object,
    *,
    reason: str,
    encounter_id: int | None = None,
    patient_id: int | None = None,
    custom_reason: str | None = None,
    note: str | None = None,
    idempotency_key: str | None = None,
) -> int:
    """Write off ``total`` over an encounter's (or a patient's) procedures as one transaction."""
    if (encounter_id is None) == (patient_id is None):
        raise InvalidInput("write off over an encounter or over a patient: give exactly one")
    chosen = choose_reason(WRITE_OFF_REASONS, reason, custom_reason)
    cents = to_cents(total)

    def targets(uow: UnitOfWork) -> list[int]:
        if encounter_id is not None:
            rows = uow.registry.procedures_of_encounter(uow.registry.encounter(encounter_id).id)
        else:
            assert patient_id is not None
            rows = uow.registry.procedures_of_patient(uow.registry.patient(patient_id).id)
        return [row.id for row in rows]

    request = {"encounter": encounter_id, "patient": patient_id, "total": cents}
    return _post_write_off(
        engine, actor, chosen, note, idempotency_key, request, targets, _split_oldest_first(cents)
    )


def _split_oldest_first(cents: int) -> Callable[[dict[int, Balance]], AmountsByProcedure]:
    def decide(balances: dict[int, Balance]) -> AmountsByProcedure:
        return split_over_procedures(cents, list(balances.items()))

    return decide


def _post_write_off(
    engine: Engine,
    actor: Actor,
    reason: Reason,
    note: str | None,
    idempotency_key: str | None,
    request: dict[str, Any],
    targets: Callable[[UnitOfWork], list[int]],
    decide: Callable[[dict[int, Balance]], AmountsByProcedure],
) -> int:
    authorize(actor, "write_off")
    request = {
        **request,
        "kind": "write_off",
        "reason": reason.code,
        "text": reason.text,
        "note": note,
    }

    def plan(uow: UnitOfWork) -> Plan:
        procedure_ids = targets(uow)
        uow.ledger.lock_procedures(procedure_ids)
        balances = uow.ledger.balances(procedure_ids)
        ordered = {pid: balances[pid] for pid in procedure_ids}  # keeps oldest-first order
        entries: list[Entry] = []
        for procedure_id, per_carc in decide(ordered).items():
            entries += plan_write_off(procedure_id, ordered[procedure_id], per_carc)
        authorize_write_off(actor, written_off_total(entries))
        patient_id = uow.registry.procedure(procedure_ids[0]).patient_id
        return Plan(
            "write_off",
            entries,
            reason_code=reason.code,
            reason_text=reason.text,
            note=note,
            patient_id=patient_id,
        )

    return post_once(engine, actor, request, idempotency_key, plan)


def remove_write_off(
    engine: Engine,
    actor: Actor,
    write_off_id: int,
    *,
    reason: str,
    amount: object | None = None,
    custom_reason: str | None = None,
    note: str | None = None,
    idempotency_key: str | None = None,
) -> int:
    """Undo a write-off in whole (no ``amount``) or in part: a reversal linked to it."""
    chosen = choose_reason(REVERSAL_REASONS, reason, custom_reason)
    cents = to_cents(amount) if amount is not None else None
    request = {"remove_write_off": write_off_id, "amount": cents, "reason": chosen.code,
               "text": chosen.text, "note": note}  # fmt: skip

    def plan(uow: UnitOfWork) -> Plan:
        original = uow.ledger.transaction(write_off_id)
        authorize_reversal(actor, original.user_id)
        procedure_ids = uow.ledger.procedures_of_transaction(write_off_id)
        uow.ledger.lock_procedures(procedure_ids)
        posted = uow.ledger.posted(write_off_id)
        split = split_removal(posted, cents) if cents is not None else None
        entries = plan_write_off_removal(posted, uow.ledger.balances(procedure_ids), split)
        return Plan(
            "reversal",
            entries,
            reason_code=chosen.code,
            reason_text=chosen.text,
            note=note,
            reverts_id=write_off_id,
            patient_id=original.patient_id,
        )

    return post_once(engine, actor, request, idempotency_key, plan)
