"""The approval decision and a draft's life, run against a unit of work in memory
(tests/services/fake_storage.py), with no database.

One account throughout: procedure 1 (patient 7, visit 3), 500.00 charged, 200.00 paid by the
payer and 300.00 of coinsurance (PR CARC 2) left to the patient.
"""

from __future__ import annotations

import copy
import json
from datetime import date

import pytest

from medledger.domain.balance import Balance, Entry
from medledger.domain.columns import Column
from medledger.domain.errors import (
    ApprovalDecided,
    ApprovalPending,
    DraftClosed,
    InvalidReason,
    PaidPRMustBeRefundedFirst,
)
from medledger.services import approvals, drafts
from medledger.services.actor import Actor
from medledger.services.authorization import Forbidden
from medledger.services.ledger_requests import WriteOffRequest, encode
from tests.services.fake_storage import (
    FakeApprovals,
    FakeDatabase,
    FakeDrafts,
    FakeLedger,
    FakeRegistry,
    row,
)

BILLER = Actor(1, 21, "test", "biller", 10000, "Morgan Lee")
MANAGER = Actor(1, 22, "test", "billing_manager", None, "Priya Shah")


@pytest.fixture
def database() -> FakeDatabase:
    registry = FakeRegistry(
        {1: row(id=1, patient_id=7, encounter_id=3, date_of_service=date(2026, 3, 2))},
        {7: row(id=7, mrn="MRN-7")},
    )
    opened = Balance.from_entries(
        [Entry(1, Column.CHARGE, "", 50000), Entry(1, Column.PAYER_PAID, "", 20000),
         Entry(1, Column.PR, "2", 30000)]
    )  # fmt: skip
    return FakeDatabase(
        registry=registry,
        ledger=FakeLedger(registry, {1: opened}),
        approvals=FakeApprovals(),
        drafts=FakeDrafts(),
    )


def pending_request(database: FakeDatabase, cents: int, draft_id: int | None = None) -> int:
    """A biller's write-off of ``cents`` of coinsurance on procedure 1, waiting for approval
    and holding its amount (what ``file_request`` leaves)."""
    store = database.stores["approvals"]
    asked = WriteOffRequest("small_balance", procedure_id=1, amounts={"2": f"{cents / 100:.2f}"})
    approval_id = store.add("write_off", encode([asked]), cents, BILLER.user_id, draft_id)
    store.reserve(approval_id, {(1, "2"): cents})
    return approval_id


def test_approving_posts_the_write_off_and_records_the_decision_together(database):
    approval_id = pending_request(database, 15000)

    view = approvals.approve(database, MANAGER, approval_id)

    ledger, store = database.stores["ledger"], database.stores["approvals"]
    ((transaction_id, (header, entries)),) = ledger.transactions.items()
    assert (header.kind, header.user_id, header.idempotency_key) == (
        "write_off", MANAGER.user_id, f"approval:{approval_id}"
    )  # fmt: skip
    assert ledger.balance(1).amount(Column.WRITTEN_OFF, "2") == 15000
    assert ledger.balance(1).open_pr("2") == 15000
    assert (view.status, view.decided_by, view.transaction_ids) == (
        "approved", MANAGER.user_id, (transaction_id,)
    )  # fmt: skip
    assert store.reserved == {}  # the hold went with the decision
    assert database.commits == 1  # the posting and the decision: one unit of work


def test_a_decided_request_is_refused_and_nothing_is_posted(database):
    approval_id = pending_request(database, 15000)
    approvals.reject(database, MANAGER, approval_id, "not this patient")
    before = copy.deepcopy(database.stores)

    with pytest.raises(ApprovalDecided):
        approvals.approve(database, MANAGER, approval_id)

    assert database.stores["ledger"].transactions == {}
    assert database.stores["approvals"].get(approval_id).status == "rejected"
    assert vars(database.stores["approvals"]) == vars(before["approvals"])


def test_approving_rechecks_the_ledger_as_it_is_then(database):
    """The patient paid 200.00 of the coinsurance meanwhile: writing off 150.00 would now take
    paid PR, so the approval is refused with the ladder's reason, the request stays pending,
    holding its amount, and nothing is posted."""
    approval_id = pending_request(database, 15000)
    ledger = database.stores["ledger"]
    ledger.balances_now[1] = ledger.balance(1).plus([Entry(1, Column.PATIENT_PAID, "2", 20000)])

    with pytest.raises(PaidPRMustBeRefundedFirst):
        approvals.approve(database, MANAGER, approval_id)

    assert database.stores["ledger"].transactions == {}
    assert database.stores["approvals"].get(approval_id).status == "pending"
    assert database.stores["approvals"].reserved == {approval_id: {(1, "2"): 15000}}


def test_rejecting_releases_the_hold_and_opens_the_waiting_draft_again(database):
    draft_id = database.stores["drafts"].add(
        1, None, {"2": 15000}, "small_balance", "Small balance", None, BILLER.user_id, "waiting"
    )
    approval_id = pending_request(database, 15000, draft_id)

    view = approvals.reject(database, MANAGER, approval_id, "  not this patient ")

    assert (view.status, view.decision_reason) == ("rejected", "not this patient")
    assert database.stores["approvals"].reserved == {}
    assert database.stores["drafts"].get(draft_id).status == "open"
    assert database.stores["ledger"].transactions == {}


def test_a_reject_without_a_reason_or_by_a_biller_changes_nothing(database):
    approval_id = pending_request(database, 15000)
    before = copy.deepcopy(database.stores)

    with pytest.raises(InvalidReason):
        approvals.reject(database, MANAGER, approval_id, "   ")
    with pytest.raises(Forbidden):
        approvals.reject(database, BILLER, approval_id, "mine")

    assert vars(database.stores["approvals"]) == vars(before["approvals"])
    assert database.commits == 0


def test_a_draft_is_checked_against_the_ledger_and_what_requests_hold(database):
    pending_request(database, 25000)  # holds 250.00 of the 300.00

    with pytest.raises(ApprovalPending):
        drafts.create_draft(database, BILLER, procedure_id=1, amounts={"2": "60.00"},
                            reason="small_balance")  # fmt: skip
    assert database.stores["drafts"].drafts == {}

    view = drafts.create_draft(
        database, BILLER, procedure_id=1, amounts={"2": "50.00"}, reason="small_balance"
    )
    assert (view.status, view.amounts, view.problem) == ("open", {"2": 5000}, None)
    stored = database.stores["drafts"].get(view.id)
    assert json.loads(stored.amounts) == {"2": 5000} and stored.created_by == BILLER.user_id


def test_undo_discards_an_open_draft_and_refuses_a_posted_one(database):
    store = database.stores["drafts"]
    open_id = store.add(1, None, {"2": 500}, "small_balance", "Small balance", None, 21)
    posted_id = store.add(1, None, {"2": 500}, "small_balance", "Small balance", None, 21,
                          "posted")  # fmt: skip

    drafts.discard_draft(database, BILLER, open_id)
    with pytest.raises(DraftClosed):
        drafts.discard_draft(database, BILLER, posted_id)

    assert database.stores["drafts"].get(open_id).status == "discarded"
    assert database.stores["drafts"].get(posted_id).status == "posted"
    assert database.stores["ledger"].transactions == {}
