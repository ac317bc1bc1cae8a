"""Roles are enforced in the service layer: every front obeys the same rules."""

from __future__ import annotations

import pytest

from medledger.services import ledger_requests, write_offs
from medledger.services.authorization import Forbidden
from medledger.services.payments import record_payment, refund_payment
from medledger.services.registration import actor_for, add_user
from medledger.services.reversals import reverse_transaction
from tests import builders


@pytest.fixture
def staff(database, actor):
    users = {
        "desk": ("front_desk", None),
        "bill": ("biller", "50.00"),
        "boss": ("billing_manager", None),
    }
    for name, (role, limit) in users.items():
        add_user(database, actor, name, name.title(), role, limit)
    return {name: actor_for(database, actor.organisation_id, name, "test") for name in users}


@pytest.fixture
def procedure(engine, actor):
    patient_id = builders.patient(engine, actor)
    encounter_id, (procedure_id,) = builders.visit(engine, actor, patient_id, ["300.00"])
    builders.adjudicate(
        engine, actor, encounter_id, {procedure_id: (30000, 10000, {"PR-1": 20000})}
    )
    return patient_id, procedure_id


def test_front_desk_takes_payments_but_never_writes_off(engine, database, staff, procedure):
    patient_id, procedure_id = procedure
    record_payment(database, staff["desk"], patient_id, "10.00")
    with pytest.raises(Forbidden):
        builders.write_off(
            engine, staff["desk"], procedure_id, total="1.00", reason="small_balance"
        )


def test_biller_limit_and_own_reversals(engine, database, staff, procedure):
    _, procedure_id = procedure
    mine = builders.write_off(
        engine, staff["bill"], procedure_id, total="50.00", reason="small_balance"
    )
    split = ledger_requests.WriteOffRequest("small_balance", procedure_id, total="0.01")
    over = write_offs.submit_write_offs(database, staff["bill"], [split], None)
    assert over.transaction_ids == () and over.approval.total_cents == 1  # 50.00 + 0.01 > 50.00
    boss = builders.write_off(
        engine, staff["boss"], procedure_id, total="120.00", reason="bad_debt"
    )
    with pytest.raises(Forbidden):
        write_offs.remove_write_off(database, staff["bill"], boss, reason="posted_in_error")
    write_offs.remove_write_off(database, staff["bill"], mine, reason="posted_in_error")
    write_offs.remove_write_off(database, staff["boss"], boss, reason="posted_in_error")


def test_only_managers_refund(database, staff, procedure):
    patient_id, _ = procedure
    txn = record_payment(database, staff["desk"], patient_id, "10.00")
    from medledger.services.history import transaction

    payment_id = transaction(database, staff["desk"], txn).payment_id
    with pytest.raises(Forbidden):
        refund_payment(database, staff["bill"], payment_id)
    refund_payment(database, staff["boss"], payment_id)
    with pytest.raises(Forbidden):
        add_user(database, staff["boss"], "eve", "Eve", "admin")


def test_reversing_a_patient_payment_needs_the_role_of_a_refund(database, staff, procedure):
    patient_id, _ = procedure
    own = record_payment(database, staff["bill"], patient_id, "10.00")
    with pytest.raises(Forbidden, match="may not refund"):
        reverse_transaction(database, staff["bill"], own, reason="posted_in_error")
    reverse_transaction(database, staff["boss"], own, reason="posted_in_error")
