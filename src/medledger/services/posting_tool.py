"""The posting tool's screen (seed 000) in one read, and its Post button.

The Payment Items Table shows each claim and procedure item with the amounts the payer sent (the
original amounts stay visible for auditing), then the write-offs posted on the procedure since,
each as its own line, then the open previews (drafts) with their before/after figures. Post
turns every open preview of the remittance into a write-off; one that no longer fits the ledger
stays open with its reason, the others post.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from medledger.domain.adjudication import Adjustment
from medledger.domain.balance import Balance, Entry
from medledger.domain.columns import GROUP_COLUMNS, PR_CATEGORIES, Column, pr_category
from medledger.domain.errors import LedgerError, NotFound
from medledger.domain.preview import figures
from medledger.domain.statuses import DraftStatus
from medledger.services.actor import Actor
from medledger.services.drafts import DraftView, post_draft, preview_drafts
from medledger.services.history import TransactionView, write_off_lines
from medledger.services.remittance_views import ItemView, RemittanceView, payment_items_table
from medledger.storage.unit_of_work import UnitOfWork, UnitOfWorkFactory


@dataclass(frozen=True)
class Claim:
    """Who and which visit a claim item is about."""

    encounter_id: int
    patient_id: int
    patient_name: str
    mrn: str
    patient_control_number: str
    date_of_service: date


@dataclass(frozen=True)
class PostingItem:
    """One row of the Payment Items Table and what shows under it.

    sent: the figures as the payer sent them (a claim's include its procedures' adjustments);
    code: the procedure's code (None on a claim item); lines: write-offs and their removals
    posted on the procedure, oldest first; claim: the claim the item belongs to.
    """

    view: ItemView
    sent: dict[str, int]
    code: str | None
    lines: tuple[TransactionView, ...]
    claim: Claim

    @property
    def id(self) -> int:
        return int(self.view.item.id)

    @property
    def pr_carcs(self) -> list[str]:
        """The PR CARCs the payer put on this item, in the table's column order."""
        carcs = {a.carc for a in self.view.adjustments if a.group_code == "PR"}
        return sorted(carcs, key=lambda c: (PR_CATEGORIES.index(pr_category(c)), c.zfill(5)))


@dataclass(frozen=True)
class PostingTool:
    remittance: RemittanceView
    items: tuple[PostingItem, ...]

    @property
    def open_previews(self) -> list[DraftView]:
        """The previews Post would post (not those waiting for a manager's approval)."""
        return [d for item in self.items for d in item.view.drafts if d.status == DraftStatus.OPEN]

    def item(self, item_id: int) -> PostingItem:
        """One of this remittance's items; another remittance's is "not found"."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise NotFound("payment item", item_id)

    def item_of_draft(self, draft_id: int) -> PostingItem:
        """The item of one of this remittance's previews; another's is "not found"."""
        for item in self.items:
            if any(draft.id == draft_id for draft in item.view.drafts):
                return item
        raise NotFound("draft", draft_id)


def posting_tool(database: UnitOfWorkFactory, actor: Actor, remittance_id: int) -> PostingTool:
    table = payment_items_table(database, actor, remittance_id)
    views = table.items
    procedure_ids = [int(v.item.procedure_id) for v in views if v.item.procedure_id is not None]
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        codes = uow.lookups.procedure_codes(procedure_ids)
        claims = _claims(uow, {int(v.item.encounter_id) for v in views})
    lines = write_off_lines(database, actor, procedure_ids)
    children: dict[int, list[ItemView]] = {}
    for view in views:
        if view.item.parent_id is not None:
            children.setdefault(view.item.parent_id, []).append(view)
    items = tuple(
        PostingItem(
            view,
            _as_sent(view, children.get(view.item.id, [])),
            codes.get(view.item.procedure_id),
            tuple(lines.get(view.item.procedure_id, ())),
            claims[view.item.encounter_id],
        )
        for view in views
    )
    return PostingTool(table, items)


def _as_sent(view: ItemView, children: Sequence[ItemView]) -> dict[str, int]:
    """The item's figures as the payer sent them: charge, paid and every CAS adjustment."""
    item = view.item
    adjustments: list[Adjustment] = [*view.adjustments]
    for child in children:
        adjustments += child.adjustments
    entries = [Entry(0, Column.CHARGE, "", item.charge_cents)] if item.charge_cents else []
    if item.paid_cents:
        entries.append(Entry(0, Column.PAYER_PAID, "", item.paid_cents))
    entries += [
        Entry(0, GROUP_COLUMNS[a.group_code], a.carc, a.amount_cents)
        for a in adjustments
        if a.amount_cents and a.group_code in GROUP_COLUMNS
    ]
    allowed = item.allowed_cents
    if allowed is None and children and all(c.item.allowed_cents is not None for c in children):
        allowed = sum(c.item.allowed_cents for c in children)  # a claim: its lines' allowed
    return {**figures(Balance.from_entries(entries)), "allowed": allowed}


def _claims(uow: UnitOfWork, encounter_ids: set[int]) -> dict[int, Claim]:
    rows = uow.lookups.claims(encounter_ids)
    return {
        row.id: Claim(
            row.id,
            row.patient_id,
            f"{row.last_name}, {row.first_name}",
            row.mrn,
            row.patient_control_number,
            row.date_of_service,
        )
        for row in rows
    }


@dataclass(frozen=True)
class PostOutcome:
    """posted: draft id -> the write-off transaction; waiting: draft id -> the approval request
    it waits in (above the poster's limit); refused: draft id -> why it stays open."""

    posted: dict[int, int] = field(default_factory=dict)
    waiting: dict[int, int] = field(default_factory=dict)
    refused: dict[int, LedgerError] = field(default_factory=dict)


def post_previews(database: UnitOfWorkFactory, actor: Actor, remittance_id: int) -> PostOutcome:
    """Post every open preview of the remittance, each as its own write-off transaction.

    Each preview is a separate decision about a separate patient's PR, so one that no longer
    fits (the ledger moved since) is answered with its reason and stays open, one above the
    poster's limit goes to a billing manager for approval, and neither holds back the others.
    Posting twice posts each once.
    """
    outcome = PostOutcome()
    for draft in preview_drafts(database, actor, remittance_id):
        if draft.status != DraftStatus.OPEN:
            continue
        try:
            submitted = post_draft(database, actor, draft.id)
        except LedgerError as error:
            outcome.refused[draft.id] = error
            continue
        if submitted.approval is not None:
            outcome.waiting[draft.id] = submitted.approval.id
        else:
            (outcome.posted[draft.id],) = submitted.transaction_ids
    return outcome
