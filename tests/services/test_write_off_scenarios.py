"""Worked examples from the seeds: a visit, the payer's PR, and what billing staff do with it."""

from __future__ import annotations

import pytest

from medledger.domain import errors
from medledger.domain.columns import Column
from medledger.services import accounts, history, write_offs
from medledger.services.payments import record_payment, refund_payment
from tests import builders


@pytest.fixture
def visit_with_pr(engine, actor):
    """Office visit $150: payer paid 60, CO-45 40, deductible 30, coinsurance 15, copay 5."""
    patient_id = builders.patient(engine, actor)
    encounter_id, (procedure_id,) = builders.visit(engine, actor, patient_id, ["150.00"])
    builders.adjudicate(
        engine,
        actor,
        encounter_id,
        {procedure_id: (15000, 6000, {"CO-45": 4000, "PR-1": 3000, "PR-2": 1500, "PR-3": 500})},
    )
    return patient_id, encounter_id, procedure_id


def test_write_off_moves_pr_to_other_adjustments(engine, database, actor, visit_with_pr):
    patient_id, _, procedure_id = visit_with_pr
    before = accounts.procedure_account(database, actor, procedure_id).balance
    assert before.patient_balance == 5000
    assert before.insurance_balance == 0

    builders.write_off(
        engine, actor, procedure_id, amounts={"2": "15.00"}, reason="financial_hardship"
    )

    after = accounts.procedure_account(database, actor, procedure_id).balance
    assert after.charge == before.charge
    assert after.by_category(Column.PR)["coinsurance"] == 0
    assert after.by_category(Column.WRITTEN_OFF)["coinsurance"] == 1500
    assert after.other_adjustments == 1500
    assert after.patient_balance == 3500
    assert accounts.patient_account(database, actor, patient_id).balance.patient_balance == 3500


def test_paid_pr_must_be_refunded_before_write_off(engine, database, actor, visit_with_pr):
    patient_id, encounter_id, procedure_id = visit_with_pr
    transaction_id = record_payment(database, actor, patient_id, "50.00", encounter_id=encounter_id)

    permission = write_offs.can_write_off(database, actor, procedure_id)
    assert not permission.allowed
    assert isinstance(permission.reason, errors.PaidPRMustBeRefundedFirst)
    assert "refund the payment first" in permission.reason.message
    with pytest.raises(errors.PaidPRMustBeRefundedFirst):
        builders.write_off(engine, actor, procedure_id, total="5.00", reason="small_balance")

    payment_id = history.transaction(database, actor, transaction_id).entries[0].payment_id
    refund_payment(database, actor, payment_id, "20.00")
    builders.write_off(engine, actor, procedure_id, total="20.00", reason="small_balance")
    balance = accounts.procedure_account(database, actor, procedure_id).balance
    assert balance.patient_balance == 0
    assert balance.other_adjustments == 2000


def test_remove_write_off_restores_every_column(engine, database, actor, visit_with_pr):
    _, _, procedure_id = visit_with_pr
    before = accounts.procedure_account(database, actor, procedure_id).balance
    write_off_id = builders.write_off(
        engine, actor, procedure_id, total="50.00", reason="bad_debt", note="collections gave up"
    )
    partial = write_offs.remove_write_off(
        database, actor, write_off_id, amount="10.00", reason="posted_in_error"
    )
    assert accounts.procedure_account(database, actor, procedure_id).balance.patient_balance == 1000
    write_offs.remove_write_off(database, actor, write_off_id, reason="posted_in_error")
    assert accounts.procedure_account(database, actor, procedure_id).balance == before

    original = history.transaction(database, actor, write_off_id)
    assert original.reason_code == "bad_debt" and original.note == "collections gave up"
    assert partial in original.reverted_by and len(original.reverted_by) == 2
    with pytest.raises(errors.NotReversible):
        write_offs.remove_write_off(database, actor, write_off_id, reason="posted_in_error")


def test_dry_run_shows_the_effect_and_writes_nothing(engine, database, actor, visit_with_pr):
    from medledger.services.posting import dry_run

    _, _, procedure_id = visit_with_pr
    before = accounts.procedure_account(database, actor, procedure_id).balance
    with dry_run() as effect:
        builders.write_off(engine, actor, procedure_id, amounts={"1": "30.00"}, reason="bad_debt")
    assert effect.kinds == ["write_off"]
    assert effect.before[procedure_id] == before
    assert effect.after[procedure_id].patient_balance == before.patient_balance - 3000
    assert accounts.procedure_account(database, actor, procedure_id).balance == before
    with pytest.raises(errors.ExceedsOpenPR), dry_run():
        builders.write_off(engine, actor, procedure_id, amounts={"1": "99.00"}, reason="bad_debt")
