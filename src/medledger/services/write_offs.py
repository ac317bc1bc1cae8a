"""Write off PR, and remove a write-off: the two workflows of the seeds.

A write-off targets one procedure (the posting tool's procedure-level payment item, or the
patient profile's charge), or an encounter or a patient as one transaction over their procedures
(split oldest procedure first, then copay → coinsurance → deductible → other).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from medledger.domain.balance import Entry
from medledger.domain.errors import ClaimLevelItem, InvalidInput, NothingAssigned
from medledger.domain.money import to_cents
from medledger.domain.permission import Permission
from medledger.domain.reasons import REVERSAL_REASONS, WRITE_OFF_REASONS, choose_reason
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
from medledger.services.posting import Plan, Posting, post_all, post_once
from medledger.storage.unit_of_work import UnitOfWork


def amounts_in_cents(amounts: Mapping[str, object]) -> dict[str, int]:
    """Amounts per CARC from the edge (decimal strings) to cents; zero amounts are dropped."""
    return {carc: cents for carc, value in amounts.items() if (cents := to_cents(value))}


def can_write_off(engine: Engine, actor: Actor, procedure_id: int) -> Permission:
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        uow.registry.procedure(procedure_id)
        return rule_can_write_off(uow.ledger.balance(procedure_id))


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
    request = WriteOffRequest(
        reason, procedure_id=procedure_id, amounts=amounts, total=total,
        custom_reason=custom_reason, note=note,
    )  # fmt: skip
    return write_off_many(engine, actor, [request], idempotency_key)[0]


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
    request = WriteOffRequest(
        reason, encounter_id=encounter_id, patient_id=patient_id, total=total,
        custom_reason=custom_reason, note=note,
    )  # fmt: skip
    return write_off_many(engine, actor, [request], idempotency_key)[0]


def write_off_many(
    engine: Engine,
    actor: Actor,
    requests: Sequence[WriteOffRequest],
    idempotency_key: str | None = None,
) -> list[int]:
    """Post several write-offs, all or none: one transaction each, one database transaction.

    The acting user's limit applies to their sum; above it nothing posts (ApprovalRequired).
    """
    authorize(actor, "write_off")
    if not requests:
        raise InvalidInput("no write-offs given")
    batch_total = [0]

    def check_limit(entries: list[Entry]) -> None:
        batch_total[0] += written_off_total(entries)
        authorize_write_off(actor, batch_total[0])

    postings = [
        _posting(
            request, None if idempotency_key is None else f"{idempotency_key}:{n}", check_limit
        )
        for n, request in enumerate(requests)
    ]
    return post_all(engine, actor, postings)


def procedure_of_item(uow: UnitOfWork, payment_item_id: int) -> int:
    """The procedure of a procedure-level payment item; claim-level items are refused."""
    item = uow.remittances.item(payment_item_id)
    if item.level != "procedure":
        raise ClaimLevelItem(
            "write-offs apply to procedure-level payment items only; "
            "open the claim and pick one of its procedures",
            payment_item_id=payment_item_id,
        )
    return int(item.procedure_id)


def _posting(
    request: WriteOffRequest, key: str | None, check_limit: Callable[[list[Entry]], None]
) -> Posting:
    chosen = choose_reason(WRITE_OFF_REASONS, request.reason, request.custom_reason)
    per_carc = amounts_in_cents(request.amounts) if request.amounts is not None else None
    total = to_cents(request.total) if request.total is not None else None
    targets = [
        request.procedure_id,
        request.payment_item_id,
        request.encounter_id,
        request.patient_id,
    ]
    if sum(target is not None for target in targets) != 1:
        raise InvalidInput(
            "a write-off targets exactly one procedure, payment item, encounter or patient"
        )
    if (per_carc is None) == (total is None):
        raise InvalidInput("give amounts per CARC or one total, not both")
    if per_carc is not None and request.procedure_id is None and request.payment_item_id is None:
        raise InvalidInput("amounts per CARC need a procedure or a procedure-level payment item")

    def plan(uow: UnitOfWork) -> Plan:
        procedure_ids = _target_procedures(uow, request)
        locked = uow.ledger.locked_procedures(procedure_ids)
        targets = [locked[pid] for pid in procedure_ids]
        balances = uow.ledger.balances(procedure_ids)
        ordered = [(pid, balances[pid]) for pid in procedure_ids]  # oldest first
        if per_carc is not None:
            rule_can_write_off(ordered[0][1]).raise_if_denied()
            split = {procedure_ids[0]: per_carc}
        elif len(ordered) == 1:
            rule_can_write_off(ordered[0][1]).raise_if_denied()
            split = {procedure_ids[0]: split_total(total or 0, ordered[0][1].open_pr_by_carc())}
        else:
            split = split_over_procedures(total or 0, ordered)
        entries: list[Entry] = []
        for procedure_id, amounts in split.items():
            entries += plan_write_off(procedure_id, balances[procedure_id], amounts)
        check_limit(entries)
        return Plan(
            "write_off",
            entries,
            reason_code=chosen.code,
            reason_text=chosen.text,
            note=request.note,
            patient_id=targets[0].patient_id,
        )

    fingerprint = {
        "kind": "write_off", "targets": targets, "amounts": per_carc, "total": total,
        "reason": chosen.code, "text": chosen.text, "note": request.note,
    }  # fmt: skip
    return Posting(fingerprint, key, plan)


def _target_procedures(uow: UnitOfWork, request: WriteOffRequest) -> list[int]:
    """The procedures a write-off may take PR from, oldest first (a procedure target costs no
    query here: locking it reads it, or says it is not found)."""
    if request.procedure_id is not None:
        return [request.procedure_id]
    if request.payment_item_id is not None:
        return [procedure_of_item(uow, request.payment_item_id)]
    if request.encounter_id is not None:
        rows = uow.registry.procedures_of_encounter(uow.registry.encounter(request.encounter_id).id)
    else:
        assert request.patient_id is not None
        rows = uow.registry.procedures_of_patient(uow.registry.patient(request.patient_id).id)
    if not rows:
        raise NothingAssigned("there are no charges to write off")
    return [row.id for row in rows]


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
