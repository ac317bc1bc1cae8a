"""A unit of work in memory, for running a use case without a database.

``FakeDatabase`` is a ``UnitOfWorkFactory`` like ``storage.unit_of_work.Database``: each unit of
work it opens sees the same stores, and undoes whatever it changed unless it was committed —
so a test can check that a refused request left everything as it was. The stores keep rows as
plain objects with the columns the services read, and only the methods the tested use cases
call; a store method a use case needs and this module lacks fails loudly (AttributeError).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

from medledger.domain.balance import Balance, Entry
from medledger.domain.errors import NotFound
from medledger.domain.write_off import Held


class FakeUnitOfWork:
    def __init__(self, database: FakeDatabase, organisation_id: int, write: bool) -> None:
        self.database = database
        self.organisation_id = organisation_id
        self.write = write
        self.committed = False
        self.locks: list[str] = []

    def __enter__(self) -> FakeUnitOfWork:
        self._before = copy.deepcopy(self.database.stores)
        for name, store in self.database.stores.items():
            setattr(self, name, store)
        return self

    def lock(self, name: str) -> None:
        self.locks.append(name)

    def commit(self) -> None:
        assert self.write, "a read-only unit of work committed"
        self.committed = True
        self.database.commits += 1

    def __exit__(self, *exc_info: object) -> None:
        if not self.committed:
            self.database.stores.clear()
            self.database.stores.update(self._before)
            self.database.rollbacks += 1


class FakeDatabase:
    """``stores``: the unit of work's attributes by name (``approvals``, ``drafts``, ...). A
    unit of work that ends uncommitted puts back copies of the stores as they were, so read
    them through ``stores`` after a use case ran."""

    def __init__(self, **stores: Any) -> None:
        self.stores: dict[str, Any] = stores
        self.commits = 0
        self.rollbacks = 0

    def unit_of_work(self, organisation_id: int, *, write: bool = True) -> FakeUnitOfWork:
        return FakeUnitOfWork(self, organisation_id, write)

    @contextmanager
    def directory(self) -> Any:
        yield self.stores["directory"]


def row(**columns: Any) -> SimpleNamespace:
    """A stored row: its columns as attributes, like the rows a store returns."""
    return SimpleNamespace(**columns)


class FakeRegistry:
    """Patients and procedures by id (a procedure: a row with ``id``, ``patient_id``,
    ``encounter_id`` and ``date_of_service``)."""

    def __init__(
        self, procedures: dict[int, SimpleNamespace], patients: dict[int, SimpleNamespace]
    ) -> None:
        self.procedures = procedures
        self.patients = patients

    def patient(self, patient_id: int) -> SimpleNamespace:
        if patient_id not in self.patients:
            raise NotFound("patient", patient_id)
        return self.patients[patient_id]

    def procedures_of_patient(self, patient_id: int) -> list[SimpleNamespace]:
        mine = [p for p in self.procedures.values() if p.patient_id == patient_id]
        return sorted(mine, key=lambda p: (p.date_of_service, p.id))

    def procedure(self, procedure_id: int) -> SimpleNamespace:
        if procedure_id not in self.procedures:
            raise NotFound("procedure", procedure_id)
        return self.procedures[procedure_id]

    def procedures_of_encounter(self, encounter_id: int) -> list[SimpleNamespace]:
        return [p for p in self.procedures.values() if p.encounter_id == encounter_id]


class FakeLedger:
    """Balances per procedure, and the transactions posted: (header, entries) by id."""

    def __init__(self, registry: FakeRegistry, balances: dict[int, Balance]) -> None:
        self.registry = registry
        self.balances_now = balances
        self.transactions: dict[int, tuple[Any, list[Entry]]] = {}

    def __deepcopy__(self, memo: dict[int, Any]) -> FakeLedger:
        """Balances and posted entries never change in place: a copy shares them."""
        copied = FakeLedger(copy.deepcopy(self.registry, memo), dict(self.balances_now))
        copied.transactions = dict(self.transactions)
        return copied

    def balances(self, procedure_ids: Iterable[int]) -> dict[int, Balance]:
        return {pid: self.balances_now.get(pid, Balance.of({})) for pid in procedure_ids}

    def balance(self, procedure_id: int) -> Balance:
        return self.balances([procedure_id])[procedure_id]

    def locked_procedures(self, procedure_ids: Iterable[int]) -> dict[int, SimpleNamespace]:
        return {pid: self.registry.procedure(pid) for pid in procedure_ids}

    def lock_procedures(self, procedure_ids: Iterable[int]) -> None:
        self.locked_procedures(procedure_ids)

    def find_by_key(self, key: str) -> SimpleNamespace | None:
        for transaction_id, (header, _) in self.transactions.items():
            if header.idempotency_key == key:
                return row(id=transaction_id, request_hash=header.request_hash)
        return None

    def post(self, header: Any, entries: Sequence[Entry], created_at: datetime) -> int:
        transaction_id = len(self.transactions) + 1
        self.transactions[transaction_id] = (header, list(entries))
        for pid in {e.procedure_id for e in entries}:
            mine = [e for e in entries if e.procedure_id == pid]
            self.balances_now[pid] = self.balance(pid).plus(mine)
        return transaction_id


class FakePayments:
    """Patient payments by id: rows with the columns of ``patient_payments``."""

    def __init__(self) -> None:
        self.payments: dict[int, SimpleNamespace] = {}

    def add(
        self,
        patient_id: int,
        encounter_id: int | None,
        amount_cents: int,
        method: str,
        reference: str | None,
        received_on: date,
    ) -> int:
        payment_id = len(self.payments) + 1
        self.payments[payment_id] = row(
            id=payment_id, patient_id=patient_id, encounter_id=encounter_id,
            amount_cents=amount_cents, method=method, reference=reference, received_on=received_on,
        )  # fmt: skip
        return payment_id


class FakeApprovals:
    """Approval requests by id (rows with the columns of ``approval_requests``) and what each
    pending one holds: {approval id: {(procedure id, CARC): cents}}."""

    def __init__(self) -> None:
        self.requests: dict[int, SimpleNamespace] = {}
        self.reserved: dict[int, dict[tuple[int, str], int]] = {}

    def add(
        self, kind: str, payload: str, total: int, requested_by: int, draft_id: int | None
    ) -> int:
        approval_id = len(self.requests) + 1
        self.requests[approval_id] = row(
            id=approval_id, kind=kind, payload=payload, total_cents=total,
            requested_by=requested_by, status="pending", created_at=datetime.now(UTC),
            decided_by=None, decided_at=None, decision_reason=None, transaction_ids=None,
            draft_id=draft_id,
        )  # fmt: skip
        return approval_id

    def reserve(self, approval_id: int, reserved: dict[tuple[int, str], int]) -> None:
        self.reserved[approval_id] = dict(reserved)

    def get(self, approval_id: int) -> SimpleNamespace:
        if approval_id not in self.requests:
            raise NotFound("approval request", approval_id)
        return self.requests[approval_id]

    def decide(
        self,
        approval_id: int,
        status: str,
        decided_by: int,
        reason: str | None,
        transaction_ids: Sequence[int],
    ) -> bool:
        request = self.get(approval_id)
        if request.status != "pending":
            return False
        request.status, request.decided_by, request.decision_reason = status, decided_by, reason
        request.decided_at = datetime.now(UTC)
        request.transaction_ids = json.dumps(list(transaction_ids))
        self.reserved.pop(approval_id, None)
        return True

    def held(
        self, procedure_ids: Sequence[int], *, besides: int | None = None
    ) -> dict[int, dict[str, Held]]:
        held: dict[int, dict[str, Held]] = {}
        for approval_id, keys in self.reserved.items():
            for (pid, carc), cents in keys.items():
                if pid in procedure_ids and approval_id != besides:
                    held.setdefault(pid, {})[carc] = Held(cents, approval_id)
        return held


class FakeDrafts:
    """Drafts by id, rows with the columns of ``drafts`` (``amounts`` as stored: JSON)."""

    def __init__(self) -> None:
        self.drafts: dict[int, SimpleNamespace] = {}

    def add(
        self,
        procedure_id: int,
        payment_item_id: int | None,
        amounts: dict[str, int],
        reason_code: str,
        reason_text: str,
        note: str | None,
        created_by: int,
        status: str = "open",
    ) -> int:
        draft_id = len(self.drafts) + 1
        self.drafts[draft_id] = row(
            id=draft_id, procedure_id=procedure_id, payment_item_id=payment_item_id,
            amounts=json.dumps(amounts, sort_keys=True), reason_code=reason_code,
            reason_text=reason_text, note=note, status=status, created_by=created_by,
            posted_transaction_id=None,
        )  # fmt: skip
        return draft_id

    def get(self, draft_id: int, *, for_update: bool = False) -> SimpleNamespace:
        if draft_id not in self.drafts:
            raise NotFound("draft", draft_id)
        return self.drafts[draft_id]

    def open_on_procedures(self, procedure_ids: list[int]) -> list[SimpleNamespace]:
        wanted = set(procedure_ids)
        return [
            draft
            for _, draft in sorted(self.drafts.items())
            if draft.procedure_id in wanted and draft.status == "open"
        ]

    def change(self, draft_id: int, **values: Any) -> None:
        if "amounts" in values:
            values["amounts"] = json.dumps(values["amounts"], sort_keys=True)
        for name, value in values.items():
            setattr(self.drafts[draft_id], name, value)

    def move(
        self, draft_id: int, status: str, to: str, posted_transaction_id: int | None = None
    ) -> bool:
        draft = self.get(draft_id)
        if draft.status != status:
            return False
        draft.status = to
        if posted_transaction_id is not None:
            draft.posted_transaction_id = posted_transaction_id
        return True
