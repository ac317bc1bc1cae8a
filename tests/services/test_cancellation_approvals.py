"""Cancelling estimated PR above a biller's limit waits for approval, as a write-off does.

A biller with a 100.00 limit on a visit with 150.00 of estimated copay and 50.00 of estimated
coinsurance: what they wrote off and cancelled on the account within the window, plus the
cancellation at hand, is summed against the one limit; above it the whole cancellation is
filed as an approval request of kind ``cancellation`` that holds its amount; approving it posts
the cancellation and records the decision in one transaction; rejecting it leaves nothing.
"""

from __future__ import annotations

import pytest

from medledger.domain import errors
from medledger.services import accounts, approvals, history
from medledger.services.adjudication import post_estimate
from medledger.services.cancellations import cancel_pr
from medledger.services.ledger_requests import CancellationRequest, WriteOffRequest
from medledger.services.payments import record_payment
from medledger.services.verification import verify_organisation
from medledger.services.write_offs import submit_write_offs
from medledger.storage.unit_of_work import Database
from tests import builders


@pytest.fixture
def estimated(engine, database, actor):
    """(patient, procedure, biller, manager): 150.00 copay and 50.00 coinsurance estimated."""
    patient_id = builders.patient(engine, actor)
    _, (procedure_id,) = builders.visit(engine, actor, patient_id, ["400.00"])
    post_estimate(database, actor, procedure_id, {"3": "150.00", "2": "50.00"})
    return patient_id, procedure_id, *builders.biller_and_manager(engine, actor)


def cancel(engine, user, procedure_id, total=None, **fields):
    request = CancellationRequest(procedure_id, "estimate_wrong", total=total, **fields)
    return cancel_pr(Database(engine), user, request)


def cancelled(database, actor, procedure_id):
    return accounts.procedure_account(database, actor, procedure_id).balance.cancelled


def test_under_the_limit_a_cancellation_posts(engine, database, actor, estimated):
    _, procedure_id, biller, _ = estimated
    outcome = cancel(engine, biller, procedure_id, "100.00")
    assert outcome.approval is None
    (transaction_id,) = outcome.transaction_ids
    assert history.transaction(database, actor, transaction_id).kind == "cancellation"
    assert cancelled(database, actor, procedure_id) == 10000


def test_over_the_limit_the_whole_cancellation_waits_and_holds_its_amount(
    engine, database, actor, estimated
):
    _, procedure_id, biller, manager = estimated
    outcome = cancel(engine, biller, procedure_id, "150.01", note="no copay on preventive")
    waiting = outcome.approval
    assert outcome.transaction_ids == () and waiting is not None
    assert (waiting.kind, waiting.status, waiting.total_cents) == ("cancellation", "pending", 15001)
    assert waiting.requests == (
        CancellationRequest(
            procedure_id, "estimate_wrong", total=15001, note="no copay on preventive"
        ),
    )
    assert cancelled(database, actor, procedure_id) == 0
    account = accounts.procedure_account(database, actor, procedure_id)
    assert account.pending_approvals == [waiting.id]
    # What is left is what is offered: 150.00 copay held whole, 0.01 of the coinsurance.
    assert account.cancel.open_by_carc == {"2": 4999}
    assert account.write_off.open_by_carc == {"2": 4999}
    assert [a.id for a in approvals.list_approvals(database, manager)] == [waiting.id]
    assert [a.kind for a in approvals.list_approvals(database, biller)] == ["cancellation"]


def test_a_cancellation_split_in_pieces_over_the_window_waits_whole(
    engine, database, actor, estimated
):
    patient_id, procedure_id, biller, _ = estimated
    assert cancel(engine, biller, procedure_id, "60.00").approval is None
    second = cancel(engine, biller, procedure_id, "54.87")
    assert second.approval is not None and second.approval.total_cents == 5487
    assert cancelled(database, actor, procedure_id) == 6000
    # Write-offs and cancellations are one sum: 60.00 cancelled + 40.01 written off is above.
    _, (other,) = builders.visit(engine, actor, patient_id, ["90.00"])
    post_estimate(database, actor, other, {"3": "80.00"})
    write_off = WriteOffRequest("small_balance", procedure_id=other, total="40.01")
    assert submit_write_offs(database, biller, [write_off], None).approval is not None
    assert cancel(engine, biller, other, "39.99").approval is None  # 99.99 in all


def test_a_second_request_on_the_same_pr_is_refused_with_the_first_ones_number(
    engine, database, actor, estimated
):
    _, procedure_id, biller, manager = estimated
    first = cancel(engine, biller, procedure_id, "120.00").approval
    with pytest.raises(errors.ApprovalPending, match=f"#{first.id}") as second:
        cancel(engine, biller, procedure_id, "110.00")
    assert second.value.details["approval_id"] == first.id
    with pytest.raises(errors.ApprovalPending, match=f"#{first.id}"):
        submit_write_offs(database, biller, [WriteOffRequest("small_balance", procedure_id,
                                                           amounts={"3": "101.00"})], None)  # fmt: skip
    with pytest.raises(errors.ApprovalPending, match=f"#{first.id}"):
        cancel(engine, manager, procedure_id, "80.01")  # 30.00 copay + 50.00 coinsurance free
    # "All of it" is all that no request holds.
    assert cancel(engine, manager, procedure_id).approval is None
    assert cancelled(database, actor, procedure_id) == 8000
    assert approvals.get_approval(database, manager, first.id).status == "pending"


def test_approving_posts_the_cancellation_with_the_decision(engine, database, actor, estimated):
    _, procedure_id, biller, manager = estimated
    waiting = cancel(engine, biller, procedure_id, "150.01").approval
    approved = approvals.approve(database, manager, waiting.id)
    assert approved.status == "approved" and approved.decided_by == manager.user_id
    (transaction_id,) = approved.transaction_ids
    posted = history.transaction(database, actor, transaction_id)
    assert (posted.kind, posted.user) == ("cancellation", manager.display_name)
    assert cancelled(database, actor, procedure_id) == 15001
    assert accounts.procedure_account(database, actor, procedure_id).pending_approvals == []
    with pytest.raises(errors.ApprovalDecided):
        approvals.reject(database, manager, waiting.id, "too late")
    with pytest.raises(errors.ApprovalDecided):
        approvals.approve(database, manager, waiting.id)
    assert cancelled(database, actor, procedure_id) == 15001  # posted once
    assert verify_organisation(database, actor.organisation_id).ok


def test_an_approval_the_ledger_no_longer_allows_posts_nothing_and_stays_pending(
    engine, database, actor, estimated
):
    patient_id, procedure_id, biller, manager = estimated
    waiting = cancel(engine, biller, procedure_id, "150.01").approval
    record_payment(database, actor, patient_id, "10.00", allocation={(procedure_id, "3"): "10.00"})
    with pytest.raises(errors.PaidPRMustBeRefundedFirst):
        approvals.approve(database, manager, waiting.id)
    assert approvals.get_approval(database, manager, waiting.id).status == "pending"
    assert cancelled(database, actor, procedure_id) == 0


def test_rejecting_leaves_nothing_and_offers_the_pr_again(engine, database, actor, estimated):
    _, procedure_id, biller, manager = estimated
    waiting = cancel(engine, biller, procedure_id, "150.01").approval
    rejected = approvals.reject(database, manager, waiting.id, "the estimate was right")
    assert (rejected.status, rejected.transaction_ids) == ("rejected", ())
    with pytest.raises(errors.ApprovalDecided):
        approvals.approve(database, manager, waiting.id)
    account = accounts.procedure_account(database, actor, procedure_id)
    assert account.balance.cancelled == 0 and account.pending_approvals == []
    assert account.cancel.open_by_carc == {"3": 15000, "2": 5000}
    assert verify_organisation(database, actor.organisation_id).ok
