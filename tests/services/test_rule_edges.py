"""Each rule's edge: a specific error, and nothing written."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from medledger.domain import errors
from medledger.services import (
    accounts,
    history,
    ledger_requests,
    reversals,
    write_offs,
)
from medledger.services.adjudication import DuplicateRemittance, post_estimate, post_remittance
from medledger.services.payments import apply_credit, record_payment, refund_payment
from medledger.services.registration import create_organisation
from medledger.services.verification import verify_organisation
from medledger.storage.unit_of_work import UnitOfWork
from tests import builders


@pytest.fixture
def adjudicated(engine, actor):
    """$100 visit: paid 50, CO-45 20, deductible 20, copay 10 (PR 30)."""
    patient_id = builders.patient(engine, actor)
    encounter_id, (procedure_id,) = builders.visit(engine, actor, patient_id, ["100.00"])
    builders.adjudicate(
        engine,
        actor,
        encounter_id,
        {procedure_id: (10000, 5000, {"CO-45": 2000, "PR-1": 2000, "PR-3": 1000})},
    )
    return patient_id, encounter_id, procedure_id


def journal(engine, actor):
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        return uow.ledger.recompute()


@pytest.mark.parametrize(
    ("amounts", "error"),
    [
        ({"1": "20.01"}, errors.ExceedsOpenPR),
        ({"1": "0"}, errors.InvalidAmount),
        ({"1": "-5.00"}, errors.InvalidAmount),
        ({"45": "5.00"}, errors.NotPatientResponsibility),
        ({"2": "5.00"}, errors.NotPatientResponsibility),
        ({"1": 12.5}, errors.FloatAmount),
        ({"1": "12.345"}, errors.InvalidAmount),
        ({"1": "twelve"}, errors.InvalidAmount),
        ({}, errors.InvalidAmount),
    ],
)
def test_bad_write_off_is_refused_and_writes_nothing(engine, actor, adjudicated, amounts, error):
    _, _, procedure_id = adjudicated
    before = journal(engine, actor)
    with pytest.raises(error):
        builders.write_off(engine, actor, procedure_id, amounts=amounts, reason="small_balance")
    assert journal(engine, actor) == before


def test_write_off_accepts_decimal_strings_and_decimals(engine, database, actor, adjudicated):
    _, _, procedure_id = adjudicated
    builders.write_off(engine, actor, procedure_id, amounts={"1": "$12.5"}, reason="small_balance")
    builders.write_off(
        engine, actor, procedure_id, amounts={"1": Decimal("7.50")}, reason="small_balance"
    )
    assert (
        accounts.procedure_account(database, actor, procedure_id).balance.other_adjustments == 2000
    )


def test_reasons_are_checked(engine, database, actor, adjudicated):
    _, _, procedure_id = adjudicated
    with pytest.raises(errors.InvalidReason):
        builders.write_off(engine, actor, procedure_id, total="1.00", reason="because")
    with pytest.raises(errors.InvalidReason):
        builders.write_off(
            engine, actor, procedure_id, total="1.00", reason="custom", custom_reason=" "
        )
    txn = builders.write_off(
        engine, actor, procedure_id, total="1.00", reason="custom", custom_reason="Sliding scale"
    )
    assert history.transaction(database, actor, txn).reason_text == "Sliding scale"


def test_unknown_and_foreign_procedures_are_not_found(engine, database, actor, adjudicated):
    _, _, procedure_id = adjudicated
    other = create_organisation(database, "Other practice")
    with pytest.raises(errors.NotFound):
        builders.write_off(engine, actor, 999_999_999, total="1.00", reason="small_balance")
    with pytest.raises(errors.NotFound):
        builders.write_off(engine, other, procedure_id, total="1.00", reason="small_balance")
    with pytest.raises(errors.NotFound):
        accounts.procedure_account(database, other, procedure_id)
    with pytest.raises(errors.NotFound):
        write_offs.can_write_off(database, other, procedure_id)


def test_nothing_assigned_and_fully_written_off_explain_themselves(engine, database, actor):
    patient_id = builders.patient(engine, actor)
    encounter_id, (procedure_id,) = builders.visit(engine, actor, patient_id, ["100.00"])
    reason = write_offs.can_write_off(database, actor, procedure_id).reason
    assert isinstance(reason, errors.NothingAssigned)
    builders.adjudicate(engine, actor, encounter_id, {procedure_id: (10000, 9000, {"PR-3": 1000})})
    builders.write_off(engine, actor, procedure_id, total="10.00", reason="small_balance")
    reason = write_offs.can_write_off(database, actor, procedure_id).reason
    assert isinstance(reason, errors.AlreadyFullyWrittenOff)


def test_idempotency_key_posts_once(engine, database, actor, adjudicated):
    _, _, procedure_id = adjudicated
    first = builders.write_off(
        engine, actor, procedure_id, total="5.00", reason="small_balance", idempotency_key="k-1"
    )
    again = builders.write_off(
        engine, actor, procedure_id, total="5.00", reason="small_balance", idempotency_key="k-1"
    )
    assert first == again
    assert (
        accounts.procedure_account(database, actor, procedure_id).balance.other_adjustments == 500
    )
    with pytest.raises(errors.IdempotencyConflict):
        builders.write_off(
            engine, actor, procedure_id, total="6.00", reason="small_balance", idempotency_key="k-1"
        )


def test_encounter_write_off_splits_oldest_first_in_one_transaction(engine, database, actor):
    patient_id = builders.patient(engine, actor)
    encounter_id, (first, second) = builders.visit(engine, actor, patient_id, ["100.00", "50.00"])
    builders.adjudicate(
        engine,
        actor,
        encounter_id,
        {first: (10000, 8000, {"PR-1": 1500, "PR-3": 500}), second: (5000, 4000, {"PR-2": 1000})},
    )
    txn = builders.write_off(
        engine, actor, total="25.00", encounter_id=encounter_id, reason="charity_care"
    )
    view = history.transaction(database, actor, txn)
    moved = {(e.procedure_id, e.carc): e.amount_cents for e in view.entries if e.amount_cents > 0}
    assert moved == {(first, "3"): 500, (first, "1"): 1500, (second, "2"): 500}
    assert accounts.encounter_account(database, actor, encounter_id).balance.patient_balance == 500


def test_cancel_pr_restrictions(engine, database, actor, adjudicated):
    patient_id, _, procedure_id = adjudicated
    with pytest.raises(errors.RemittancePRCannotBeCancelled):
        builders.cancel(engine, actor, procedure_id, reason="entered_in_error")

    _, (estimated,) = builders.visit(engine, actor, patient_id, ["120.00"])
    post_estimate(database, actor, estimated, {"3": "25.00"})
    write_off_id = builders.write_off(
        engine, actor, estimated, total="5.00", reason="small_balance"
    )
    with pytest.raises(errors.WriteOffMustBeRemovedFirst):
        builders.cancel(engine, actor, estimated, reason="entered_in_error")
    write_offs.remove_write_off(database, actor, write_off_id, reason="posted_in_error")

    payment = record_payment(
        database, actor, patient_id, "5.00", allocation={(estimated, "3"): "5.00"}
    )
    with pytest.raises(errors.PaidPRMustBeRefundedFirst):
        builders.cancel(engine, actor, estimated, reason="entered_in_error")
    refund_payment(
        database, actor, history.transaction(database, actor, payment).entries[0].payment_id
    )

    builders.cancel(engine, actor, estimated, reason="estimate_wrong")
    balance = accounts.procedure_account(database, actor, estimated).balance
    assert balance.pr_net == 0 and balance.cancelled == 2500 and balance.other_adjustments == 0
    assert balance.insurance_balance == 12000  # cancelled PR goes back to insurance


def test_remittance_replaces_estimate_and_reapplies_copay(engine, database, actor):
    patient_id = builders.patient(engine, actor)
    encounter_id, (procedure_id,) = builders.visit(engine, actor, patient_id, ["150.00"])
    post_estimate(database, actor, procedure_id, {"3": "30.00"})
    record_payment(database, actor, patient_id, "30.00")  # copay at check-in
    builders.adjudicate(
        engine, actor, encounter_id, {procedure_id: (15000, 9000, {"CO-45": 3500, "PR-3": 2500})}
    )
    balance = accounts.procedure_account(database, actor, procedure_id).balance
    assert balance.pr_net == 2500
    assert balance.paid_applied("3") == 2500
    assert balance.credit == 500 and balance.patient_balance == -500
    assert verify_organisation(database, actor.organisation_id).ok
    with pytest.raises(errors.InvalidInput):
        post_estimate(database, actor, procedure_id, {"3": "10.00"})


def test_spread_write_off_needs_exactly_one_target(engine, actor):
    with pytest.raises(errors.InvalidInput):
        builders.write_off(engine, actor, total="1.00", reason="small_balance")


def test_overpayment_leaves_credit_that_can_be_applied_and_refunded(
    engine, database, actor, adjudicated
):
    patient_id, encounter_id, _ = adjudicated
    txn = record_payment(database, actor, patient_id, "50.00", encounter_id=encounter_id)
    payment_id = history.transaction(database, actor, txn).entries[0].payment_id
    account = accounts.patient_account(database, actor, patient_id)
    assert account.balance.credit == 2000 and account.balance.patient_balance == -2000

    _, (later,) = builders.visit(engine, actor, patient_id, ["80.00"], on=date(2026, 4, 1))
    post_estimate(database, actor, later, {"3": "15.00"})
    apply_credit(database, actor, payment_id)
    assert accounts.patient_account(database, actor, patient_id).balance.credit == 500
    refund_payment(database, actor, payment_id, "5.00")
    final = accounts.patient_account(database, actor, patient_id).balance
    assert final.credit == 0 and final.patient_balance == 0
    with pytest.raises(errors.RefundExceedsPayment):
        refund_payment(database, actor, payment_id, "45.01")


def test_duplicate_remittance_posts_nothing(engine, database, actor, adjudicated):
    _, encounter_id, procedure_id = adjudicated
    from medledger.services.adjudication import ClaimResult, LineResult, RemittanceInput

    payer_id = builders.payer(engine, actor)
    claim = ClaimResult(encounter_id, "1", 10000, 0, (LineResult(procedure_id, 10000, 0),))
    remittance = RemittanceInput(payer_id, "DUP-1", 0, (claim,))
    first = post_remittance(database, actor, remittance)
    assert post_remittance(database, actor, remittance) == first
    changed = RemittanceInput(payer_id, "DUP-1", 100, (claim,))
    with pytest.raises(DuplicateRemittance):
        post_remittance(database, actor, changed)


def test_reversing_a_remittance_is_refused_while_its_pr_is_written_off(engine, database, actor):
    patient_id = builders.patient(engine, actor)
    encounter_id, (procedure_id,) = builders.visit(engine, actor, patient_id, ["100.00"])
    remittance_txn = builders.adjudicate(
        engine, actor, encounter_id, {procedure_id: (10000, 7000, {"CO-45": 2000, "PR-2": 1000})}
    )
    write_off_id = builders.write_off(engine, actor, procedure_id, total="10.00", reason="bad_debt")
    with pytest.raises(errors.NotReversible):
        reversals.reverse_transaction(database, actor, remittance_txn, reason="payer_correction")
    write_offs.remove_write_off(database, actor, write_off_id, reason="posted_in_error")
    reversals.reverse_transaction(database, actor, remittance_txn, reason="payer_correction")
    balance = accounts.procedure_account(database, actor, procedure_id).balance
    assert balance.insurance_balance == 10000 and balance.pr_net == 0
    assert verify_organisation(database, actor.organisation_id).ok
    with pytest.raises(errors.NotReversible):
        reversals.reverse_transaction(database, actor, remittance_txn, reason="payer_correction")
    with pytest.raises(errors.NotAWriteOff):
        write_offs.remove_write_off(database, actor, remittance_txn, reason="posted_in_error")


def test_patient_history_never_shows_another_patients_entries(engine, database, actor):
    first, second = builders.patient(engine, actor), builders.patient(engine, actor)
    encounter_one, (procedure_one,) = builders.visit(engine, actor, first, ["100.00"])
    encounter_two, (procedure_two,) = builders.visit(engine, actor, second, ["90.00"])
    from medledger.services.adjudication import ClaimResult, LineResult, RemittanceInput

    claims = (
        ClaimResult(encounter_one, "1", 10000, 9000, (LineResult(procedure_one, 10000, 9000),)),
        ClaimResult(encounter_two, "1", 9000, 8000, (LineResult(procedure_two, 9000, 8000),)),
    )
    post_remittance(
        database, actor, RemittanceInput(builders.payer(engine, actor), "ONE-CHECK", 17000, claims)
    )
    seen = {
        e.procedure_id
        for view in history.patient_history(database, actor, first)
        for e in view.entries
    }
    assert seen == {procedure_one}


def test_duplicate_users_and_patients_are_named_errors(database, actor):
    from medledger.services.registration import add_patient, add_user

    add_user(database, actor, "alice", "Alice", "biller")
    with pytest.raises(errors.AlreadyExists):
        add_user(database, actor, "alice", "Alice again", "biller")
    add_patient(database, actor, "DUP-MRN", "Ann", "Smith")
    with pytest.raises(errors.AlreadyExists):
        add_patient(database, actor, "DUP-MRN", "Ann", "Smith")


def test_write_off_many_posts_all_or_none(engine, database, actor, adjudicated):
    _, encounter_id, procedure_id = adjudicated
    good = ledger_requests.WriteOffRequest("small_balance", procedure_id=procedure_id, total="5.00")
    bad = ledger_requests.WriteOffRequest(
        "small_balance", procedure_id=procedure_id, amounts={"1": "99.00"}
    )
    before = journal(engine, actor)
    with pytest.raises(errors.ExceedsOpenPR):
        write_offs.submit_write_offs(database, actor, [good, bad], None)
    assert journal(engine, actor) == before
    both = write_offs.submit_write_offs(database, actor, [good, good], "batch").transaction_ids
    assert len(set(both)) == 2
    again = write_offs.submit_write_offs(database, actor, [good, good], "batch")
    assert again.transaction_ids == both
    assert (
        accounts.procedure_account(database, actor, procedure_id).balance.other_adjustments == 1000
    )


def test_a_payment_whose_credit_was_applied_elsewhere_is_reversed_after_the_application(
    engine, database, actor
):
    """Credit is pooled per procedure: reversing the payment alone would take back the credit
    another payment holds there now (the applied cent sits on the other procedure), and that
    payment's refund would then find nothing to refund. Refused, naming what to undo first."""
    patient_id = builders.patient(engine, actor)
    older, (paid_later,) = builders.visit(engine, actor, patient_id, ["100.00"])
    _, (credit_at,) = builders.visit(engine, actor, patient_id, ["80.00"], on=date(2026, 3, 5))
    first_txn = record_payment(database, actor, patient_id, "0.01")
    first = history.transaction(database, actor, first_txn).entries[0].payment_id
    builders.adjudicate(engine, actor, older, {paid_later: (10000, 9999, {"PR-2": 1})})
    applied = apply_credit(database, actor, first)
    second_txn = record_payment(database, actor, patient_id, "0.01")
    second = history.transaction(database, actor, second_txn).entries[0].payment_id
    before = journal(engine, actor)

    with pytest.raises(errors.NotReversible) as refused:
        reversals.reverse_transaction(database, actor, first_txn, reason="posted_in_error")
    assert f"reverse credit application {applied} first" in refused.value.message
    assert refused.value.details["payment_id"] == first
    assert refused.value.details["procedure_id"] == credit_at
    assert journal(engine, actor) == before

    refund_payment(database, actor, second)  # the second payment's credit is all there
    reversals.reverse_transaction(database, actor, applied, reason="posted_in_error")
    reversals.reverse_transaction(database, actor, first_txn, reason="posted_in_error")
    balance = accounts.patient_account(database, actor, patient_id).balance
    assert balance.credit == 0 and balance.patient_balance == 1
    assert verify_organisation(database, actor.organisation_id).ok
