"""One unit of work per command: a database transaction that rolls back unless committed.

Services receive a ``UnitOfWorkFactory`` (here a ``Database``) and open one unit of work per use
case, so a use case runs as well against a fake unit of work with stores in memory as against
SQLite or PostgreSQL.

A write the database refuses by a constraint (``IntegrityError``) leaves the unit of work as
``domain.errors.ConcurrentChange``, so services catch a domain error, never a driver's.

Stores are scoped to one organisation when the unit of work is opened, so no query a service
makes can reach another organisation's rows. On PostgreSQL the unit of work also names its
organisation to the database (``medledger.organisation_id``), whose row-level security
(migration 0020) then shows and takes that organisation's rows only, whatever a query asks.

A read-only unit of work on PostgreSQL runs in autocommit: no BEGIN and ROLLBACK round trips
around its queries. It reads what it would have read in a transaction — at READ COMMITTED (the
default) every statement takes its own snapshot either way — and it writes nothing.

``before_commit`` lets a front add its own rows to whatever a unit of work commits: the API
writes a request's audit event there, so the change and its record stand or fall together.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from types import TracebackType
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, Row, text
from sqlalchemy.exc import IntegrityError

from medledger.domain.errors import ConcurrentChange
from medledger.storage.access_store import AccessStore
from medledger.storage.approval_store import ApprovalStore
from medledger.storage.claim_store import ClaimStore
from medledger.storage.directory import Directory
from medledger.storage.draft_store import DraftStore
from medledger.storage.history_store import HistoryStore
from medledger.storage.ledger_store import LedgerStore
from medledger.storage.lookup_store import LookupStore
from medledger.storage.payment_store import PaymentStore
from medledger.storage.registry import Registry
from medledger.storage.remittance_store import RemittanceStore
from medledger.storage.report_store import ReportStore
from medledger.storage.review_store import ReviewStore
from medledger.storage.tenancy import organisation_scope

#: True during a dry run (``services.posting.dry_run``): ``commit`` then does nothing and the unit
#: of work rolls back as it closes, so any use case run as a dry run plans, checks and writes as
#: usual and keeps nothing.
rolling_back: ContextVar[bool] = ContextVar("medledger_rolling_back", default=False)

#: Called with the connection just before a unit of work commits (see above).
before_commit: ContextVar[Callable[[Connection], None] | None] = ContextVar(
    "medledger_before_commit", default=None
)


def read_only_options(engine: Engine) -> dict[str, Any]:
    """Execution options of a connection that only reads (see above); SQLite keeps its BEGIN,
    which gives a reader one snapshot of the WAL for all its statements."""
    return {"isolation_level": "AUTOCOMMIT"} if engine.dialect.name == "postgresql" else {}


#: A row as a store returns it.
Record = Row[Any]


class UnitOfWorkFactory(Protocol):
    """What a service receives: ``with factory.unit_of_work(org) as uow: ...; uow.commit()``."""

    def unit_of_work(self, organisation_id: int, *, write: bool = True) -> UnitOfWork: ...

    def directory(self, *, write: bool = False) -> AbstractContextManager[Directory]:
        """The rows above any one organisation (storage/directory.py); one that writes commits
        as its block ends without an error."""
        ...


class Database:
    """The ``UnitOfWorkFactory`` of one engine: what the fronts hand to every service."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def unit_of_work(self, organisation_id: int, *, write: bool = True) -> UnitOfWork:
        return UnitOfWork(self.engine, organisation_id, write=write)

    @contextmanager
    def directory(self, *, write: bool = False) -> Iterator[Directory]:
        options = {} if write else read_only_options(self.engine)
        with self.engine.connect().execution_options(medledger_write=write, **options) as c:
            c.begin()
            yield Directory(c)
            if write:
                c.commit()
            else:
                c.rollback()


class UnitOfWork:
    """``with UnitOfWork(engine, org) as uow: ...; uow.commit()``."""

    def __init__(self, engine: Engine, organisation_id: int, *, write: bool = True) -> None:
        self._engine = engine
        self.organisation_id = organisation_id
        self._write = write
        self._committed = False

    def __enter__(self) -> UnitOfWork:
        options = {} if self._write else read_only_options(self._engine)
        self.connection: Connection = self._engine.connect().execution_options(
            medledger_write=self._write, **options
        )
        self.connection.begin()
        self._scope = organisation_scope(self.connection, self.organisation_id)
        try:
            self._scope.__enter__()
        except BaseException:
            self.connection.close()
            raise
        self.registry = Registry(self.connection, self.organisation_id)
        self.ledger = LedgerStore(self.connection, self.organisation_id)
        self.remittances = RemittanceStore(self.connection, self.organisation_id)
        self.payments = PaymentStore(self.connection, self.organisation_id)
        self.drafts = DraftStore(self.connection, self.organisation_id)
        self.approvals = ApprovalStore(self.connection, self.organisation_id)
        self.reviews = ReviewStore(self.connection, self.organisation_id)
        self.claims = ClaimStore(self.connection, self.organisation_id)
        self.reports = ReportStore(self.connection, self.organisation_id)
        self.access = AccessStore(self.connection, self.organisation_id)
        self.history = HistoryStore(self.connection, self.organisation_id)
        self.lookups = LookupStore(self.connection, self.organisation_id)
        return self

    def lock(self, name: str) -> None:
        """Wait for, then hold until this unit of work ends, the lock called ``name`` in this
        organisation: a PostgreSQL transaction-scoped advisory lock. SQLite needs none: a writing
        transaction holds the database's only write lock from its start (BEGIN IMMEDIATE)."""
        if self.connection.dialect.name != "postgresql":
            return
        digest = hashlib.sha256(f"{self.organisation_id}:{name}".encode()).digest()
        self.connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"),
            {"key": int.from_bytes(digest[:8], "big", signed=True)},
        )

    def commit(self) -> None:
        if rolling_back.get():
            return  # a dry run: __exit__ rolls back
        hook = before_commit.get()
        if hook is not None:
            hook(self.connection)
        self.connection.commit()
        self._committed = True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not self._committed:
            self.connection.rollback()
        try:
            self._scope.__exit__(None, None, None)
        finally:
            self.connection.close()
        if isinstance(exc, IntegrityError):
            raise ConcurrentChange() from exc
