"""Draft → preview → post: the posting tool's Write Off PR (seed 000).

A draft is not in the ledger. Creating or editing one checks it against the ledger as it is now
and answers with the preview (every figure of the procedure and its encounter, before and after).
Undo discards it. Post turns it into a write-off transaction once, however often it is pressed:
the draft's own id is the idempotency key. If the ledger moved since (a payment arrived), the
post is refused as stale, with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from medledger.domain.balance import Balance
from medledger.domain.errors import ClaimLevelItem, DraftClosed, LedgerError
from medledger.domain.preview import Preview, preview
from medledger.domain.reasons import WRITE_OFF_REASONS, choose_reason
from medledger.domain.statuses import DraftStatus
from medledger.domain.write_off import can_write_off, plan_write_off
from medledger.services.actor import Actor
from medledger.services.approval_requests import Outcome, approval_view
from medledger.services.authorization import authorize
from medledger.services.ledger_requests import WriteOffRequest, amounts_in_cents
from medledger.services.write_offs import procedure_of_item, submit_write_offs
from medledger.storage.draft_store import amounts_of
from medledger.storage.unit_of_work import Record, UnitOfWork, UnitOfWorkFactory


@dataclass(frozen=True)
class DraftView:
    """A draft as the preview row shows it.

    preview: the figures before/after if it were posted now (None when it no longer fits).
    problem: why it cannot be posted now (None when it can).
    status: open, waiting (above the poster's limit: ``approval_id`` is the request it waits
    in), posted or discarded.
    """

    id: int
    procedure_id: int
    payment_item_id: int | None
    amounts: dict[str, int]
    reason_code: str
    reason_text: str
    note: str | None
    status: str
    posted_transaction_id: int | None
    preview: Preview | None
    problem: LedgerError | None
    approval_id: int | None = None


def create_draft(
    database: UnitOfWorkFactory,
    actor: Actor,
    *,
    amounts: Mapping[str, object],
    reason: str,
    payment_item_id: int | None = None,
    procedure_id: int | None = None,
    custom_reason: str | None = None,
    note: str | None = None,
) -> DraftView:
    """Draft a write-off on a payment item (posting tool) or a procedure; checked now."""
    authorize(actor, "write_off")
    chosen = choose_reason(WRITE_OFF_REASONS, reason, custom_reason)
    per_carc = amounts_in_cents(amounts)
    with database.unit_of_work(actor.organisation_id) as uow:
        if payment_item_id is not None:
            procedure_id = procedure_of_item(uow, payment_item_id)
        if procedure_id is None:
            raise ClaimLevelItem("a draft needs a procedure-level payment item or a procedure")
        uow.registry.procedure(procedure_id)
        _check(uow, procedure_id, per_carc)
        draft_id = uow.drafts.add(
            procedure_id, payment_item_id, per_carc, chosen.code, chosen.text, note, actor.user_id
        )
        view = _view(uow, uow.drafts.get(draft_id))
        uow.commit()
    return view


def update_draft(
    database: UnitOfWorkFactory,
    actor: Actor,
    draft_id: int,
    *,
    amounts: Mapping[str, object] | None = None,
    note: str | None = None,
    reason: str | None = None,
    custom_reason: str | None = None,
) -> DraftView:
    """Edit a draft's amounts, note or reason in place (the preview row's editable cells)."""
    authorize(actor, "write_off")
    with database.unit_of_work(actor.organisation_id) as uow:
        row = _open_draft(uow, draft_id)
        values: dict[str, Any] = {}
        if amounts is not None:
            values["amounts"] = amounts_in_cents(amounts)
            _check(uow, row.procedure_id, values["amounts"], draft_id)
        if note is not None:
            values["note"] = note
        if reason is not None:
            chosen = choose_reason(WRITE_OFF_REASONS, reason, custom_reason)
            values.update(reason_code=chosen.code, reason_text=chosen.text)
        uow.drafts.change(draft_id, **values)
        view = _view(uow, uow.drafts.get(draft_id))
        uow.commit()
    return view


def discard_draft(database: UnitOfWorkFactory, actor: Actor, draft_id: int) -> None:
    """Undo: the preview row goes away; nothing reached the ledger."""
    authorize(actor, "write_off")
    with database.unit_of_work(actor.organisation_id) as uow:
        _open_draft(uow, draft_id)
        uow.drafts.change(draft_id, status=DraftStatus.DISCARDED)
        uow.commit()


def post_draft(database: UnitOfWorkFactory, actor: Actor, draft_id: int) -> Outcome:
    """Post the draft through ``submit_write_offs``, once however often Post is pressed (its own
    id is the idempotency key): the write-off, or above the poster's limit the approval request
    it then waits in (approving it posts the draft; rejecting it opens the draft again). Post
    on a posted or waiting draft answers with that write-off or that request."""
    authorize(actor, "write_off")
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        row = uow.drafts.get(draft_id)
        waiting = uow.drafts.waiting_in(draft_id) if row.status == DraftStatus.WAITING else None
        approval = None if waiting is None else approval_view(uow.approvals.get(waiting))
    if row.status == DraftStatus.POSTED:
        return Outcome((int(row.posted_transaction_id),))
    if approval is not None:
        return Outcome(approval=approval)
    _require(row, DraftStatus.OPEN)
    try:
        return submit_write_offs(
            database, actor, [draft_request(row)], f"draft:{draft_id}", draft_id=draft_id
        )
    except DraftClosed:
        # Post pressed twice at once: the other press posted it or filed it; answer with that.
        return post_draft(database, actor, draft_id)


def draft_request(row: Record) -> WriteOffRequest:
    """The write-off a draft stands for."""
    return WriteOffRequest(
        reason=row.reason_code,
        procedure_id=row.procedure_id,
        amounts=amounts_of(row),
        custom_reason=row.reason_text if row.reason_code == "custom" else None,
        note=row.note,
    )


def get_draft(database: UnitOfWorkFactory, actor: Actor, draft_id: int) -> DraftView:
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        return _view(uow, uow.drafts.get(draft_id))


def preview_drafts(
    database: UnitOfWorkFactory, actor: Actor, remittance_id: int
) -> list[DraftView]:
    """The preview rows of a remittance's Payment Items Table."""
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        item_ids = [item.id for item in uow.remittances.items(remittance_id)]
        return [_view(uow, row) for row in uow.drafts.previews_for_items(item_ids)]


def _open_draft(uow: UnitOfWork, draft_id: int) -> Record:
    row = uow.drafts.get(draft_id, for_update=True)
    _require(row, DraftStatus.OPEN)
    return row


def _require(row: Record, status: str) -> None:
    if row.status == status:
        return
    if row.status == DraftStatus.WAITING:
        raise DraftClosed(
            f"draft {row.id} is waiting for a billing manager's approval", draft_id=row.id
        )
    raise DraftClosed(f"draft {row.id} was {row.status}", draft_id=row.id)


def _check(
    uow: UnitOfWork, procedure_id: int, amounts: dict[str, int], draft_id: int | None = None
) -> None:
    """The draft's amounts against the ledger now (what pending approvals hold left out) after
    the procedure's other open drafts: posted together, they must all fit."""
    others = [d for d in uow.drafts.open_on_procedures([procedure_id]) if d.id != draft_id]
    balances = {procedure_id: uow.ledger.balance(procedure_id)}
    _apply(others, balances)
    held = uow.approvals.held([procedure_id]).get(procedure_id)
    try:
        can_write_off(balances[procedure_id], held=held).raise_if_denied()
        plan_write_off(procedure_id, balances[procedure_id], amounts, held)
    except LedgerError as error:
        if others:
            shown = ", #".join(str(d.id) for d in others)
            error.message += f", after the other preview{'s' * (len(others) > 1)} of this "
            error.message += f"procedure (#{shown}), which post first"
            error.args = (error.message,)
        raise


def _apply(rows: list[Record], balances: dict[int, Balance]) -> None:
    """``balances`` (per procedure) as if the open drafts ``rows`` were posted in turn; one that
    does not fit is left out (its own row says why)."""
    for row in rows:
        try:
            entries = plan_write_off(row.procedure_id, balances[row.procedure_id], amounts_of(row))
        except LedgerError:
            continue
        balances[row.procedure_id] = balances[row.procedure_id].plus(entries)


def _view(uow: UnitOfWork, row: Record) -> DraftView:
    """A draft's preview starts where the open drafts before it on the same visit leave the
    figures: several previews on one procedure or visit add up as Post will post them."""
    amounts = amounts_of(row)
    shown: Preview | None = None
    problem: LedgerError | None = None
    if row.status in (DraftStatus.OPEN, DraftStatus.WAITING):
        procedure = uow.registry.procedure(row.procedure_id)
        siblings = [p.id for p in uow.registry.procedures_of_encounter(procedure.encounter_id)]
        balances = uow.ledger.balances(siblings)
        _apply([d for d in uow.drafts.open_on_procedures(siblings) if d.id < row.id], balances)
        try:
            entries = plan_write_off(row.procedure_id, balances[row.procedure_id], amounts)
            encounter = Balance.total(balances[pid] for pid in siblings)
            shown = preview(row.procedure_id, balances[row.procedure_id], encounter, entries)
        except LedgerError as error:
            problem = error
    return DraftView(
        row.id, row.procedure_id, row.payment_item_id, amounts, row.reason_code,
        row.reason_text, row.note, row.status, row.posted_transaction_id, shown, problem,
        uow.drafts.waiting_in(row.id) if row.status == DraftStatus.WAITING else None,
    )  # fmt: skip
