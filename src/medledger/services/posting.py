"""Posting a ledger transaction exactly once.

Every mutating service goes through ``post_once`` (or ``post_all`` for several transactions that
stand or fall together): a repeated idempotency key with the same
request answers with the first transaction; the same key with a different request is refused.
"The request" is the whole of it: every transaction of a batch stores the hash of all the batch's
requests (so a key used for write-offs [911] cannot later also post 1107 with [911, 1107]), and a
client's key (``domain.idempotency``) also binds the acting user. Two concurrent requests with one
key race to the UNIQUE constraint; the loser reads the winner's transaction and answers with it.

``committed()`` hands a front the transactions a block posted, as they were written, so it can
show them without reading them back (a repeat answered with an earlier transaction is not among
them: that one is read).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from medledger.domain.balance import Balance, Entry
from medledger.domain.errors import ConcurrentChange, IdempotencyConflict
from medledger.domain.idempotency import is_client_key
from medledger.domain.transaction import TransactionDetails, TransactionHeader, TransactionKind
from medledger.services.actor import Actor
from medledger.storage.registry import now
from medledger.storage.unit_of_work import UnitOfWork, UnitOfWorkFactory, rolling_back


@dataclass(frozen=True, kw_only=True)
class Plan(TransactionDetails):
    """What a use case decided to post: the transaction's details and its entries.

    after_post runs inside the same database transaction with the new transaction id (to write
    rows that point at it: a refund, a remittance link, a draft's status).
    """

    entries: Sequence[Entry]
    after_post: Callable[[UnitOfWork, int], None] | None = None


def fingerprint(request: Mapping[str, Any]) -> str:
    """A stable hash of a request, to tell a repeat from a different request with the same key."""
    canonical = json.dumps(request, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Posting:
    """One transaction to post: the request (for the repeat check) and its plan."""

    request: Mapping[str, Any]
    plan: Callable[[UnitOfWork], Plan]


def post_once(
    database: UnitOfWorkFactory,
    actor: Actor,
    request: Mapping[str, Any],
    idempotency_key: str | None,
    plan: Callable[[UnitOfWork], Plan],
) -> int:
    """Plan and post one transaction in one unit of work; return its id (the first one's on a
    repeat)."""
    return post_all(database, actor, [Posting(request, plan)], idempotency_key)[0]


@dataclass(frozen=True)
class Committed:
    """A transaction as this process wrote it, once its database transaction committed."""

    transaction_id: int
    header: TransactionHeader
    created_at: datetime
    entries: tuple[Entry, ...]


_COMMITTED: ContextVar[list[Committed] | None] = ContextVar("medledger_committed", default=None)


@contextmanager
def committed() -> Iterator[list[Committed]]:
    """``with committed() as posted: service(...)``: ``posted`` then holds every transaction the
    block posted and committed, in order."""
    posted: list[Committed] = []
    token = _COMMITTED.set(posted)
    try:
        yield posted
    finally:
        _COMMITTED.reset(token)


def post_all(
    database: UnitOfWorkFactory,
    actor: Actor,
    postings: Sequence[Posting],
    idempotency_key: str | None = None,
    *,
    finish: Callable[[UnitOfWork, list[int]], None] | None = None,
) -> list[int]:
    """Post several transactions in one database transaction: all of them or none.

    Each is planned after the ones before it are written, so limits see their effect.
    ``idempotency_key`` names the whole request: its first transaction stores the key itself
    (so the key, whatever route used it first, is found by any other), the others ``key:n``.
    ``finish`` runs last in the same database transaction with the transaction ids (a limit
    over everything written, a draft or approval decision that must stand or fall with the
    posting); whatever it raises undoes all of it.
    """
    keys = _keys(idempotency_key, len(postings))
    digest = _request_hash(actor, postings, idempotency_key)
    look_up = idempotency_key is not None
    written: list[Committed] = []
    try:
        with database.unit_of_work(actor.organisation_id) as uow:
            ids = [
                _post_in(uow, actor, posting.plan, key, digest, written, look_up=look_up)
                for posting, key in zip(postings, keys, strict=True)
            ]
            if finish is not None:
                finish(uow, ids)
            if _DRY_RUN.get() is not None:
                raise _RolledBack  # leaves the unit of work uncommitted: it rolls back
            uow.commit()
        if (posted := _COMMITTED.get()) is not None:
            posted.extend(written)
        return ids
    except ConcurrentChange:
        with database.unit_of_work(actor.organisation_id, write=False) as uow:
            existing = [uow.ledger.find_by_key(key) for key in keys]
        if existing[0] is not None:
            _answer_repeat(existing[0], digest, keys[0])  # another request with the key: 409
        if any(row is None for row in existing):
            raise
        return [_answer_repeat(row, digest, key) for row, key in zip(existing, keys, strict=True)]


def _keys(idempotency_key: str | None, count: int) -> list[str]:
    """The stored key of each transaction of a request: the request's key, then ``key:1``,
    ``key:2``...; without a key, fresh ones (a request without a key is never a repeat)."""
    if idempotency_key is None:
        return [f"auto:{uuid.uuid4()}" for _ in range(count)]
    return [idempotency_key, *(f"{idempotency_key}:{n}" for n in range(1, count))]


def _request_hash(actor: Actor, postings: Sequence[Posting], idempotency_key: str | None) -> str:
    """The hash every transaction of one request stores: of all its postings' requests, and of
    the acting user when a client named the request (one posting alone hashes as itself, so
    the hashes of keys the services make stay what they were)."""
    whole: Any = [p.request for p in postings] if len(postings) > 1 else postings[0].request
    if idempotency_key is not None and is_client_key(idempotency_key):
        whole = {"user": actor.user_id, "request": whole}
    return fingerprint(whole)


def _post_in(
    uow: UnitOfWork,
    actor: Actor,
    plan: Callable[[UnitOfWork], Plan],
    key: str,
    request_hash: str,
    written: list[Committed],
    *,
    look_up: bool,
) -> int:
    """Plan and write one transaction; a key the client gave is looked up first (a freshly
    generated one cannot exist, and the UNIQUE constraint would catch it if it did)."""
    existing = uow.ledger.find_by_key(key) if look_up else None
    if existing is not None:
        return _answer_repeat(existing, request_hash, key)
    decided = plan(uow)
    header = TransactionHeader.posted(
        decided,
        user_id=actor.user_id,
        source=actor.source,
        idempotency_key=key,
        request_hash=request_hash,
    )
    effect = _DRY_RUN.get()
    affected = sorted({e.procedure_id for e in decided.entries})
    before = uow.ledger.balances(affected) if effect is not None else {}  # only a dry run shows it
    created_at = now()
    transaction_id = uow.ledger.post(header, decided.entries, created_at)
    written.append(Committed(transaction_id, header, created_at, tuple(decided.entries)))
    if decided.after_post is not None:
        decided.after_post(uow, transaction_id)
    if effect is not None:
        effect.record(decided.kind, decided.entries, before, uow.ledger.balances(affected))
    return transaction_id


@dataclass
class DryRunEffect:
    """What a posting would have done: its kind and entries, and each affected procedure's
    balance before and after. Filled by ``post_once`` inside ``dry_run()``."""

    kinds: list[TransactionKind] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    before: dict[int, Balance] = field(default_factory=dict)
    after: dict[int, Balance] = field(default_factory=dict)

    def record(
        self,
        kind: TransactionKind,
        entries: Sequence[Entry],
        before: dict[int, Balance],
        after: dict[int, Balance],
    ) -> None:
        """Add one planned transaction; a procedure keeps its first "before" and last "after"."""
        self.kinds.append(kind)
        self.entries += entries
        for procedure_id, balance in before.items():
            self.before.setdefault(procedure_id, balance)
        self.after.update(after)


def dry_run_effect() -> DryRunEffect | None:
    """The effect being collected when the caller runs inside ``dry_run()`` (a service that
    writes ledger rows outside ``post_all`` records them here)."""
    return _DRY_RUN.get()


class _RolledBack(Exception):
    """Raised by a dry run after planning and writing, so nothing it wrote is committed."""


_DRY_RUN: ContextVar[DryRunEffect | None] = ContextVar("medledger_dry_run", default=None)


@contextmanager
def dry_run() -> Iterator[DryRunEffect]:
    """Run any service for its effect only: every check, every write, then rollback.

    ``with dry_run() as effect: submit_write_offs(...)`` leaves the database as it was and
    ``effect`` holding the entries and the balances before and after. A ledger posting ends the
    block there (the statements after it in the block do not run); any other unit of work's
    ``commit`` does nothing, so its service returns as usual with what it would have done.
    """
    effect = DryRunEffect()
    token = _DRY_RUN.set(effect)
    rolling = rolling_back.set(True)
    try:
        yield effect
    except _RolledBack:
        pass
    finally:
        rolling_back.reset(rolling)
        _DRY_RUN.reset(token)


def _answer_repeat(existing: Any, request_hash: str, key: str) -> int:
    if existing.request_hash != request_hash:
        shown = "the idempotency key" if is_client_key(key) else f"the key {key!r}"
        raise IdempotencyConflict(
            f"{shown} was already used for a different request (transaction {existing.id})",
            transaction_id=existing.id,
        )
    return int(existing.id)
