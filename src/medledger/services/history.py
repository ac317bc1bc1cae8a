"""The ledger's history: every transaction with who, when, source, reason, note and its entries.

The original amounts stay visible because nothing is ever changed: a write-off is its own line,
and its removal is another line that ``reverts`` it (the original shows it as ``reverted_by``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from medledger.domain.balance import Entry
from medledger.domain.errors import NotFound
from medledger.domain.transaction import TransactionHeader, TransactionKind, values
from medledger.domain.write_off import written_off_total
from medledger.services.actor import Actor
from medledger.services.posting import Committed
from medledger.storage.history_store import Sort as Sort
from medledger.storage.history_store import TransactionFilter as TransactionFilter
from medledger.storage.ledger_store import header_of
from medledger.storage.unit_of_work import UnitOfWork, UnitOfWorkFactory


@dataclass(frozen=True, kw_only=True)
class TransactionView(TransactionHeader):
    """One posted transaction as a person reads it: its header (``TransactionHeader``) and

    Attributes:
        id: the transaction's id.
        created_at: when it was posted.
        user: the display name of the user who posted it.
        reverted_by: the reversals posted against it, oldest first.
        entries: its entries (of one patient's procedures, in a patient's history).
        written_off_cents: what it wrote off (negative for a write-off's removal).
        standing_written_off_cents: of a write-off, what its removals have left standing.
    """

    id: int
    created_at: datetime
    user: str
    reverted_by: tuple[int, ...]
    entries: tuple[Entry, ...]
    written_off_cents: int = 0
    standing_written_off_cents: int = 0

    @property
    def net_cents(self) -> int:
        return sum(e.amount_cents for e in self.entries)

    @property
    def undone(self) -> bool:
        """Reversed in full: a write-off once its removals leave nothing of it standing, any
        other line once it has a reversal."""
        if self.kind == TransactionKind.WRITE_OFF:
            return bool(self.reverted_by) and self.standing_written_off_cents <= 0
        return bool(self.reverted_by)


def transaction(database: UnitOfWorkFactory, actor: Actor, transaction_id: int) -> TransactionView:
    return transactions(database, actor, [transaction_id])[0]


def transactions(
    database: UnitOfWorkFactory, actor: Actor, transaction_ids: Sequence[int]
) -> list[TransactionView]:
    """Several transactions in one read (e.g. the answer to a batch of write-offs), in the
    order given; another organisation's is "not found" like one that does not exist."""
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        views = {view.id: view for view in _views(uow, list(transaction_ids))}
    for transaction_id in transaction_ids:
        if transaction_id not in views:
            raise NotFound("transaction", transaction_id)
    return [views[transaction_id] for transaction_id in transaction_ids]


def answer(
    database: UnitOfWorkFactory,
    actor: Actor,
    transaction_ids: Sequence[int],
    posted: Sequence[Committed],
) -> list[TransactionView]:
    """The transactions a posting service returned, for its answer: those it posted in this
    request as they were written (``posting.committed``), without reading them back; any other
    (a repeated request's earlier transaction, perhaps reversed since) read from the journal."""
    fresh = {c.transaction_id: _view_of_posted(c, actor) for c in posted}
    earlier = [tid for tid in transaction_ids if tid not in fresh]
    read = {view.id: view for view in transactions(database, actor, earlier)} if earlier else {}
    return [fresh[tid] if tid in fresh else read[tid] for tid in transaction_ids]


def _view_of_posted(posted: Committed, actor: Actor) -> TransactionView:
    """What ``_views`` reads for a transaction just posted by ``actor``: nothing reverses it yet,
    so all it wrote off still stands."""
    written_off = written_off_total(posted.entries)
    return _view(
        posted.header, posted.transaction_id, posted.created_at, actor.display_name,
        posted.entries, written_off=written_off, standing=written_off,
    )  # fmt: skip


def _view(
    header: TransactionHeader,
    transaction_id: int,
    created_at: datetime,
    user: str,
    entries: tuple[Entry, ...],
    *,
    reverted_by: tuple[int, ...] = (),
    written_off: int,
    standing: int,
) -> TransactionView:
    """A transaction's view: a journal row's header (``header_of``), or the one a posting
    wrote."""
    return TransactionView(
        **values(header, TransactionHeader),
        id=transaction_id,
        created_at=created_at,
        user=user,
        reverted_by=reverted_by,
        entries=entries,
        written_off_cents=written_off,
        standing_written_off_cents=standing,
    )


def patient_history(
    database: UnitOfWorkFactory, actor: Actor, patient_id: int
) -> list[TransactionView]:
    """Every transaction touching the patient's procedures, oldest first.

    Only this patient's entries are shown: a remittance is one transaction over many patients,
    and one patient's history must never show another's charges.
    """
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        uow.registry.patient(patient_id)
        own = {row.id for row in uow.registry.procedures_of_patient(patient_id)}
        ids = uow.history.transactions_of_patient(patient_id)
        return _views(uow, ids, own)


def write_off_lines(
    database: UnitOfWorkFactory, actor: Actor, procedure_ids: list[int]
) -> dict[int, list[TransactionView]]:
    """Per procedure, oldest first, every line that moved its Other Adjustments: its write-offs
    and their removals, each with only that procedure's entries (the posting tool shows them as
    separate lines under the payer's original amounts)."""
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        pairs = uow.history.write_offs_of(procedure_ids)
        views = {v.id: v for v in _views(uow, sorted({t for t, _ in pairs}), set(procedure_ids))}
    lines: dict[int, list[TransactionView]] = {pid: [] for pid in procedure_ids}
    for transaction_id, procedure_id in pairs:
        view = views[transaction_id]
        own = tuple(e for e in view.entries if e.procedure_id == procedure_id)
        lines[procedure_id].append(replace(view, entries=own))
    return lines


def find_transactions(
    database: UnitOfWorkFactory, actor: Actor, wanted: TransactionFilter
) -> list[TransactionView]:
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        ids = uow.history.find(wanted)
        views = {view.id: view for view in _views(uow, ids)}
    return [views[i] for i in ids]


def _views(
    uow: UnitOfWork, transaction_ids: list[int], procedure_ids: set[int] | None = None
) -> list[TransactionView]:
    if not transaction_ids:
        return []
    rows = uow.history.headers(transaction_ids)
    reversals = uow.history.reversals_of(transaction_ids)
    reversal_ids = [rid for ids in reversals.values() for rid in ids]
    entries = uow.ledger.entries([*transaction_ids, *reversal_ids])

    def standing_written_off(transaction_id: int) -> int:
        own = [transaction_id, *reversals.get(transaction_id, [])]
        return written_off_total(e for tid in own for e in entries[tid])

    return [
        _view(
            header_of(row),
            row.id,
            row.created_at,
            row.display_name,
            tuple(
                e
                for e in entries[row.id]
                if procedure_ids is None or e.procedure_id in procedure_ids
            ),
            reverted_by=tuple(sorted(reversals.get(row.id, []))),
            written_off=written_off_total(entries[row.id]),
            standing=standing_written_off(row.id),
        )
        for row in rows
    ]
