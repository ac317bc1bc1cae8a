"""Approval limits that cannot be split or raced.

A biller with a 100.00 limit on a patient with 300.00 of open coinsurance: what they write off
on the account within the window is summed, a request above the limit waits whole, a pending
request holds its amount and is the only one on its PR, and a decision lands exactly once.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from medledger.domain import errors
from medledger.domain.limits import LimitWindow
from medledger.services import accounts, approvals, drafts, settings
from medledger.services.adjudication import post_estimate
from medledger.services.cancellations import cancel_pr
from medledger.services.ledger_requests import CancellationRequest, WriteOffRequest
from medledger.services.verification import verify_organisation
from medledger.services.write_offs import submit_write_offs
from medledger.storage.unit_of_work import Database
from tests import builders


@pytest.fixture
def account(engine, actor):
    """(patient, procedure): 300.00 of coinsurance open, and the staff."""
    patient_id = builders.patient(engine, actor)
    encounter_id, (procedure_id,) = builders.visit(engine, actor, patient_id, ["500.00"])
    builders.adjudicate(
        engine, actor, encounter_id, {procedure_id: (50000, 20000, {"PR-2": 30000})}
    )
    return patient_id, procedure_id


def ask(procedure_id, amount, **target):
    target = target or {"procedure_id": procedure_id}
    return [WriteOffRequest("small_balance", total=amount, **target)]


def written_off(engine, actor, procedure_id):
    return accounts.procedure_account(
        Database(engine), actor, procedure_id
    ).balance.other_adjustments


def test_a_write_off_split_in_pieces_waits_whole_for_approval(engine, database, actor, account):
    patient_id, procedure_id = account
    biller, _ = builders.biller_and_manager(engine, actor)
    first = submit_write_offs(database, biller, ask(procedure_id, "99.00"), None)
    assert first.approval is None and len(first.transaction_ids) == 1
    second = submit_write_offs(database, biller, ask(None, "51.00", patient_id=patient_id), None)
    assert second.transaction_ids == () and second.approval.total_cents == 5100  # all of it
    assert written_off(engine, actor, procedure_id) == 9900
    assert second.approval.status == "pending"


def test_each_user_has_their_own_sum_and_managers_have_none(engine, database, actor, account):
    _, procedure_id = account
    biller, manager = builders.biller_and_manager(engine, actor)
    assert submit_write_offs(database, manager, ask(procedure_id, "150.00"), None).approval is None
    assert submit_write_offs(database, biller, ask(procedure_id, "100.00"), None).approval is None
    assert written_off(engine, actor, procedure_id) == 25000


def test_the_window_is_calendar_days_in_the_practice_time_zone(engine, database, actor):
    window = LimitWindow("America/Chicago", 1)
    # 03:00 UTC on 5 Dec is 21:00 on 4 Dec in Chicago: the window began at 4 Dec 06:00 UTC.
    assert window.start(datetime(2026, 12, 5, 3, tzinfo=UTC)) == datetime(
        2026, 12, 4, 6, tzinfo=UTC
    )
    assert LimitWindow("UTC", 7).start(datetime(2026, 12, 5, 3, tzinfo=UTC)) == datetime(
        2026, 11, 29, tzinfo=UTC
    )
    assert settings.limit_window(database, actor) == LimitWindow("UTC", 1)
    changed = settings.set_limit_window(database, actor, time_zone="America/Chicago", days=30)
    assert settings.limit_window(database, actor) == changed == LimitWindow("America/Chicago", 30)
    with pytest.raises(errors.InvalidInput, match="unknown time zone"):
        settings.set_limit_window(database, actor, time_zone="Mars/Olympus")
    with pytest.raises(errors.InvalidInput, match="1 to 366"):
        settings.set_limit_window(database, actor, days=0)
    biller, _ = builders.biller_and_manager(engine, actor)
    with pytest.raises(errors.LedgerError, match="may not manage settings"):
        settings.set_limit_window(database, biller, days=2)


def test_a_pending_request_holds_its_amount_and_is_the_only_one_on_its_pr(
    engine, database, actor, account
):
    _, procedure_id = account
    biller, manager = builders.biller_and_manager(engine, actor)
    pending = submit_write_offs(database, biller, ask(procedure_id, "120.00"), None).approval
    procedure = accounts.procedure_account(database, actor, procedure_id)
    assert procedure.write_off.total_cents == 18000 and procedure.pending_approvals == [pending.id]
    with pytest.raises(errors.ApprovalPending, match=f"#{pending.id}") as second:
        submit_write_offs(database, biller, ask(procedure_id, "110.00"), None)
    assert second.value.details["approval_id"] == pending.id
    with pytest.raises(errors.ApprovalPending, match=f"#{pending.id}"):
        submit_write_offs(database, manager, ask(procedure_id, "180.01"), None)  # only 180 free
    submit_write_offs(database, manager, ask(procedure_id, "180.00"), None)
    approved = approvals.approve(database, manager, pending.id)
    assert approved.status == "approved" and len(approved.transaction_ids) == 1
    assert written_off(engine, actor, procedure_id) == 30000
    assert accounts.procedure_account(database, actor, procedure_id).pending_approvals == []
    assert verify_organisation(database, actor.organisation_id).ok


def test_a_decided_request_cannot_be_decided_again(engine, database, actor, account):
    _, procedure_id = account
    biller, manager = builders.biller_and_manager(engine, actor)
    pending = submit_write_offs(database, biller, ask(procedure_id, "120.00"), None).approval
    approvals.approve(database, manager, pending.id)
    with pytest.raises(errors.ApprovalDecided):
        approvals.reject(database, manager, pending.id, "too late")
    with pytest.raises(errors.ApprovalDecided):
        approvals.approve(database, manager, pending.id)
    assert approvals.get_approval(database, manager, pending.id).status == "approved"
    assert written_off(engine, actor, procedure_id) == 12000  # posted once


def test_a_rejected_request_answers_decided_though_its_pr_is_gone(engine, database, actor, account):
    """Approving a decided request is refused as decided, not with how the ledger moved since
    (the PR it asked for was written off meanwhile)."""
    _, procedure_id = account
    biller, manager = builders.biller_and_manager(engine, actor)
    pending = submit_write_offs(database, biller, ask(procedure_id, "120.00"), None).approval
    approvals.reject(database, manager, pending.id, "not this one")
    builders.write_off(engine, actor, procedure_id, total="250.00", reason="small_balance")
    with pytest.raises(errors.ApprovalDecided) as refused:
        approvals.approve(database, manager, pending.id)
    assert "already rejected" in refused.value.message
    assert approvals.get_approval(database, manager, pending.id).status == "rejected"
    assert written_off(engine, actor, procedure_id) == 25000


@pytest.mark.parametrize("kind", ["write_off", "cancellation"])
def test_approve_and_reject_at_once_exactly_one_wins(engine, database, actor, kind):
    """Threads on both engines (PostgreSQL: row locks; SQLite: one writer). Each round files
    a request (a write-off, or a cancellation of estimated PR) and lets a manager approve it
    while another rejects it."""
    rounds = 6
    patient_id = builders.patient(engine, actor)
    encounter_id, (procedure_id,) = builders.visit(engine, actor, patient_id, ["900.00"])
    if kind == "write_off":
        builders.adjudicate(
            engine, actor, encounter_id, {procedure_id: (90000, 0, {"PR-2": 90000})}
        )
    else:
        post_estimate(database, actor, procedure_id, {"2": "900.00"})
    biller, manager = builders.biller_and_manager(engine, actor)
    for _ in range(rounds):
        if kind == "write_off":
            pending = submit_write_offs(
                database, biller, ask(procedure_id, "100.01"), None
            ).approval
        else:
            asked = CancellationRequest(procedure_id, "estimate_wrong", total="100.01")
            pending = cancel_pr(database, biller, asked).approval
        assert pending.kind == kind
        start = threading.Barrier(2)
        results: dict[str, object] = {}

        def decide(name, action, pending=pending, start=start, results=results):
            start.wait()
            try:
                results[name] = action(database, manager, pending.id)
            except errors.LedgerError as error:
                results[name] = error

        threads = [
            threading.Thread(target=decide, args=("approve", approvals.approve)),
            threading.Thread(
                target=decide, args=("reject", lambda e, m, i: approvals.reject(e, m, i, "no"))
            ),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        lost = [r for r in results.values() if isinstance(r, errors.ApprovalDecided)]
        assert len(lost) == 1, results
        final = approvals.get_approval(database, manager, pending.id)
        assert final.status in ("approved", "rejected")
        assert (final.status == "approved") == bool(final.transaction_ids)
    approved = approvals.list_approvals(database, manager, "approved")
    balance = accounts.procedure_account(database, actor, procedure_id).balance
    taken = balance.other_adjustments if kind == "write_off" else balance.cancelled
    assert taken == 10001 * len(approved)
    assert approvals.list_approvals(database, manager, "pending") == []
    assert verify_organisation(database, actor.organisation_id).ok


def test_a_reject_cannot_reopen_a_posted_draft(engine, database, actor, account):
    _, procedure_id = account
    biller, manager = builders.biller_and_manager(engine, actor)
    draft = drafts.create_draft(
        database, biller, procedure_id=procedure_id, amounts={"2": "150.00"}, reason="bad_debt"
    )
    waiting = drafts.post_draft(database, biller, draft.id).approval
    assert drafts.get_draft(database, biller, draft.id).status == "waiting"
    approvals.approve(database, manager, waiting.id)
    with pytest.raises(errors.ApprovalDecided):
        approvals.reject(database, manager, waiting.id, "changed my mind")
    assert drafts.get_draft(database, biller, draft.id).status == "posted"
    assert written_off(engine, actor, procedure_id) == 15000


def test_cancellations_count_against_the_same_limit_as_write_offs(engine, database, actor):
    patient_id = builders.patient(engine, actor)
    _, (estimated,) = builders.visit(engine, actor, patient_id, ["400.00"])
    post_estimate(database, actor, estimated, {"3": "150.00"})
    biller, _ = builders.biller_and_manager(engine, actor)
    builders.cancel(engine, biller, estimated, reason="estimate_wrong", total="60.00")
    waits = submit_write_offs(database, biller, ask(estimated, "40.01"), None)
    assert waits.approval is not None  # 60.00 cancelled + 40.01 written off > 100.00
    assert submit_write_offs(database, biller, ask(estimated, "40.00"), None).approval is None
