"""Write off PR, and remove a write-off: the two workflows of the seeds.

Every front (the CLI, the API's write-offs, the web dialog, the posting tool's drafts, approvals)
writes off through ``submit_write_offs``: one plan, one guard ladder, one limit. A write-off
targets one procedure (the posting tool's procedure-level payment item, or the patient profile's
charge), or an encounter or a patient as one transaction over their procedures (split oldest
procedure first, then copay → coinsurance → deductible → other).

Above the acting user's limit — what they wrote off and cancelled on the patient's account
within the organisation's window, plus this request — the whole request waits for a billing
manager as an approval request, which holds its amounts back until it is decided.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from medledger.domain.balance import Entry
from medledger.domain.errors import (
    ClaimLevelItem,
    DraftClosed,
    InvalidInput,
    LedgerError,
    NothingAssigned,
    StaleDraft,
)
from medledger.domain.money import to_cents
from medledger.domain.permission import Permission
from medledger.domain.reasons import REVERSAL_REASONS, WRITE_OFF_REASONS, choose_reason
from medledger.domain.reversal import plan_write_off_removal, split_removal
from medledger.domain.statuses import DraftStatus
from medledger.domain.transaction import TransactionKind
from medledger.domain.write_off import HeldByCarc, plan_total, plan_write_off
from medledger.domain.write_off import can_write_off as rule_can_write_off
from medledger.services.actor import Actor
from medledger.services.approval_requests import Outcome, OverLimit, Tally, file_request, settle
from medledger.services.authorization import authorize, authorize_reversal
from medledger.services.ledger_requests import WriteOffRequest, amounts_in_cents
from medledger.services.posting import Plan, Posting, post_all, post_once
from medledger.storage.unit_of_work import UnitOfWork, UnitOfWorkFactory


def can_write_off(database: UnitOfWorkFactory, actor: Actor, procedure_id: int) -> Permission:
    """What of the procedure's PR a write-off may take now (pending approvals' holds left
    out), or why none."""
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        uow.registry.procedure(procedure_id)
        held = uow.approvals.held([procedure_id])
        return rule_can_write_off(uow.ledger.balance(procedure_id), held=held.get(procedure_id))


def submit_write_offs(
    database: UnitOfWorkFactory,
    actor: Actor,
    requests: Sequence[WriteOffRequest],
    key: str | None,
    *,
    draft_id: int | None = None,
    approving: int | None = None,
) -> Outcome:
    """Post the write-offs, all or none, in one database transaction — or, above the acting
    user's limit, file them whole as one approval request and answer with it.

    draft_id: the posting-tool draft the request posts (it moves to posted, or to waiting, in
    the same transaction). approving: the approval request a billing manager approves (its
    decision is recorded in the same transaction, refused if it was decided meanwhile).
    """
    authorize(actor, "write_off" if approving is None else "approve")
    if not requests:
        raise InvalidInput("no write-offs given")
    tally = Tally()
    postings = [_posting(request, tally, approving, draft_id) for request in requests]

    def finish(uow: UnitOfWork, transaction_ids: list[int]) -> None:
        if draft_id is not None and not uow.drafts.move(
            draft_id,
            DraftStatus.OPEN if approving is None else DraftStatus.WAITING,
            DraftStatus.POSTED,
            transaction_ids[0],
        ):
            raise DraftClosed(f"draft {draft_id} was {uow.drafts.get(draft_id).status}")
        settle(uow, actor, tally, approving, transaction_ids)

    try:
        return Outcome(tuple(post_all(database, actor, postings, key, finish=finish)))
    except OverLimit:
        return Outcome(approval=file_request(database, actor, requests, tally, draft_id))


def _posting(
    request: WriteOffRequest, tally: Tally, approving: int | None, draft_id: int | None
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
        balances = uow.ledger.balances(procedure_ids)
        held = uow.approvals.held(procedure_ids, besides=approving)
        try:
            entries = _entries(procedure_ids, balances, held, per_carc, total)
        except LedgerError as error:
            if draft_id is None:
                raise
            raise StaleDraft(
                f"the ledger changed since this draft was made: {error.message}",
                cause=error.code,
                **error.details,
            ) from error
        patient_id = locked[procedure_ids[0]].patient_id
        tally.add(patient_id, entries)
        return Plan(
            kind=TransactionKind.WRITE_OFF,
            entries=entries,
            reason_code=chosen.code,
            reason_text=chosen.text,
            note=request.note,
            patient_id=patient_id,
        )

    fingerprint = {
        "kind": TransactionKind.WRITE_OFF, "targets": targets, "amounts": per_carc, "total": total,
        "reason": chosen.code, "text": chosen.text, "note": request.note,
    }  # fmt: skip
    return Posting(fingerprint, plan)


def _entries(
    procedure_ids: list[int],
    balances: Mapping[int, Any],
    held: Mapping[int, HeldByCarc],
    per_carc: dict[str, int] | None,
    total: int | None,
) -> list[Entry]:
    """The write-off's entries: amounts per CARC on one procedure, or a total split oldest
    procedure first — through the same guard ladder either way."""
    first = procedure_ids[0]
    if per_carc is not None:
        rule_can_write_off(balances[first], held=held.get(first)).raise_if_denied()
        split = {first: per_carc}
    else:
        assert total is not None
        split = plan_total(total, [(pid, balances[pid]) for pid in procedure_ids], held)
    entries: list[Entry] = []
    for procedure_id, amounts in split.items():
        entries += plan_write_off(
            procedure_id, balances[procedure_id], amounts, held.get(procedure_id)
        )
    return entries


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


# -- removing a write-off ---------------------------------------------------------------------------
def remove_write_off(
    database: UnitOfWorkFactory,
    actor: Actor,
    write_off_id: int,
    *,
    reason: str,
    amount: object | None = None,
    custom_reason: str | None = None,
    note: str | None = None,
    idempotency_key: str | None = None,
) -> int:
    """Remove a write-off in whole (no ``amount``) or in part: a reversal linked to it."""
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
            kind=TransactionKind.REVERSAL,
            entries=entries,
            reason_code=chosen.code,
            reason_text=chosen.text,
            note=note,
            reverts_id=write_off_id,
            patient_id=original.patient_id,
        )

    return post_once(database, actor, request, idempotency_key, plan)
