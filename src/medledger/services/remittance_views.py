"""The posting tool's Payment Items Table: a remittance's items as the payer sent them, each with
its procedure's balance now, whether Write Off PR is offered on it, and its open drafts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from medledger.domain.adjudication import Adjustment
from medledger.domain.balance import Balance
from medledger.domain.permission import Permission
from medledger.domain.write_off import can_write_off
from medledger.services.actor import Actor
from medledger.services.drafts import DraftView, preview_drafts
from medledger.storage.remittance_store import warnings_of
from medledger.storage.unit_of_work import Record, UnitOfWorkFactory


@dataclass(frozen=True)
class RemittanceSummary:
    id: int
    payer: str
    trace_number: str
    payment_cents: int
    payment_date: Any
    source: str
    warnings: list[str]  # what its file had off, though its meaning was clear


@dataclass(frozen=True)
class ItemView:
    """balance: the procedure's (procedure level) or the encounter's (claim level) balance now."""

    item: Record
    adjustments: tuple[Adjustment, ...]
    balance: Balance
    write_off: Permission
    drafts: tuple[DraftView, ...]


@dataclass(frozen=True)
class RemittanceView:
    remittance: Record
    payer: str
    items: tuple[ItemView, ...]
    warnings: tuple[str, ...]  # what its file had off, though its meaning was clear


def list_remittances(
    database: UnitOfWorkFactory, actor: Actor, limit: int = 100
) -> list[RemittanceSummary]:
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        rows = uow.lookups.newest_remittances(limit)
        return [
            RemittanceSummary(
                r.id,
                r.payer,
                r.trace_number,
                r.payment_cents,
                r.payment_date,
                r.source,
                warnings_of(r),
            )
            for r in rows
        ]


def payment_items_table(
    database: UnitOfWorkFactory, actor: Actor, remittance_id: int
) -> RemittanceView:
    drafts_by_item: dict[int, list[DraftView]] = {}
    for draft in preview_drafts(database, actor, remittance_id):
        if draft.payment_item_id is not None:
            drafts_by_item.setdefault(draft.payment_item_id, []).append(draft)
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        remittance = uow.remittances.get(remittance_id)
        payer = uow.registry.payer(remittance.payer_id).name
        items = uow.remittances.items(remittance_id)
        adjustments = uow.remittances.adjustments([i.id for i in items])
        procedures = {
            p.id: p.encounter_id
            for i in items if i.level == "claim"
            for p in uow.registry.procedures_of_encounter(i.encounter_id)
        }  # fmt: skip
        item_procedures = [i.procedure_id for i in items if i.procedure_id is not None]
        balances = uow.ledger.balances({*procedures, *item_procedures})
        held = uow.approvals.held(item_procedures)
    views = []
    for item in items:
        if item.level == "procedure":
            balance = balances[item.procedure_id]
            permission = can_write_off(balance, held=held.get(item.procedure_id))
        else:
            balance = Balance.total(
                b for pid, b in balances.items() if procedures.get(pid) == item.encounter_id
            )
            permission = can_write_off(balance, claim_level=True)
        views.append(
            ItemView(
                item,
                tuple(adjustments[item.id]),
                balance,
                permission,
                tuple(drafts_by_item.get(item.id, [])),
            )
        )
    return RemittanceView(remittance, payer, tuple(views), tuple(warnings_of(remittance)))
