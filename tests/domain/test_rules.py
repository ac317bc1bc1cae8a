"""Pure rules on plain balances: the documented orders and the ladder of guards."""

from __future__ import annotations

import pytest

from medledger.domain import errors
from medledger.domain.balance import Balance, Entry, identity_violations
from medledger.domain.columns import Column
from medledger.domain.payments import allocate, plan_refund
from medledger.domain.reversal import Posted, plan_full_reversal
from medledger.domain.write_off import (
    can_write_off,
    plan_total,
    plan_write_off,
    split_total,
)


def balance(**columns: dict[str, int] | int) -> Balance:
    amounts = {}
    for name, value in columns.items():
        column = Column(name)
        for carc, cents in value.items() if isinstance(value, dict) else [("", value)]:
            amounts[(column, carc)] = cents
    return Balance.of(amounts)


ADJUDICATED = balance(
    charge=10000, payer_paid=6000, contractual={"45": 1000}, pr={"1": 2000, "2": 500, "3": 500}
)


def test_split_takes_copay_then_coinsurance_then_deductible():
    assert split_total(700, ADJUDICATED.open_pr_by_carc()) == {"3": 500, "2": 200}
    assert split_total(3000, ADJUDICATED.open_pr_by_carc()) == {"3": 500, "2": 500, "1": 2000}
    with pytest.raises(errors.ExceedsOpenPR):
        split_total(3001, ADJUDICATED.open_pr_by_carc())


def test_encounter_split_takes_oldest_procedure_first():
    younger = balance(charge=5000, pr={"2": 900})
    plan = plan_total(3100, [(1, ADJUDICATED), (2, younger)])
    assert plan == {1: {"3": 500, "2": 500, "1": 2000}, 2: {"2": 100}}


def test_write_off_is_a_move_of_exactly_the_amount():
    entries = plan_write_off(7, ADJUDICATED, {"1": 1500})
    assert entries == [Entry(7, Column.PR, "1", -1500), Entry(7, Column.WRITTEN_OFF, "1", 1500)]
    after = ADJUDICATED.plus(entries)
    assert after.patient_balance == ADJUDICATED.patient_balance - 1500
    assert after.insurance_balance == ADJUDICATED.insurance_balance
    assert not identity_violations(after)


def test_guard_ladder_names_the_reason():
    paid = ADJUDICATED.plus([Entry(7, Column.PATIENT_PAID, "1", 2000, 1)])
    with pytest.raises(errors.PaidPRMustBeRefundedFirst):
        plan_write_off(7, paid, {"1": 1})
    with pytest.raises(errors.ExceedsOpenPR):
        plan_write_off(7, ADJUDICATED, {"1": 2001})
    with pytest.raises(errors.NotPatientResponsibility):
        plan_write_off(7, ADJUDICATED, {"45": 100})
    assert isinstance(can_write_off(ADJUDICATED, claim_level=True).reason, errors.ClaimLevelItem)
    fully_paid = ADJUDICATED.plus(
        [
            Entry(7, Column.PATIENT_PAID, carc, cents, 1)
            for carc, cents in {"1": 2000, "2": 500, "3": 500}.items()
        ]
    )
    reason = can_write_off(fully_paid).reason
    assert isinstance(reason, errors.PaidPRMustBeRefundedFirst) and "30.00" in reason.message


def test_payment_allocation_and_refund_orders():
    assert allocate(800, [(1, ADJUDICATED)]) == {(1, "3"): 500, (1, "2"): 300}
    holdings = {(1, "3"): 500, (1, "2"): 300, (1, ""): 200}
    paid = ADJUDICATED.plus(
        [Entry(1, Column.PATIENT_PAID, carc, cents, 9) for (_, carc), cents in holdings.items()]
    )
    refund = plan_refund(9, 400, holdings, {1: paid})
    assert [(e.carc, e.amount_cents) for e in refund] == [("", 200), ("2", 200)]


def test_a_refund_that_would_break_the_balance_is_a_ledger_inconsistent_refusal():
    """Holdings that claim more than the procedure's column was paid (a journal that no longer
    adds up): the refund is refused with a code the fronts answer, not an AssertionError."""
    paid = ADJUDICATED.plus([Entry(1, Column.PATIENT_PAID, "2", 300, 9)])
    with pytest.raises(errors.LedgerInconsistent) as refused:
        plan_refund(9, 500, {(1, "2"): 500}, {1: paid})
    assert refused.value.code == "ledger-inconsistent" and refused.value.status == 409
    assert refused.value.message.startswith("this refund would leave procedure 1 inconsistent")
    assert refused.value.details["procedure_id"] == 1


def test_a_reversal_takes_from_a_payment_no_more_than_it_holds():
    """Payment 7 left 0.01 credit on procedure 2, applied since (transaction 11) to PR-2 on
    procedure 1; payment 8 left 0.01 credit on procedure 2. The procedure's credit column is
    sound either way, but reversing payment 7 alone would take payment 8's cent."""
    paid_7 = Posted("payment", (Entry(2, Column.PATIENT_PAID, "", 1, 7),))
    applied = (Entry(2, Column.PATIENT_PAID, "", -1, 7), Entry(1, Column.PATIENT_PAID, "2", 1, 7))
    credit_application = Posted("credit_application", applied)
    balances = {
        1: balance(charge=10000, payer_paid=9999, pr={"2": 1}, patient_paid={"2": 1}),
        2: balance(charge=8000, patient_paid=1),
    }
    holdings = {(7, 1, "2"): 1, (8, 2, ""): 1}
    with pytest.raises(errors.NotReversible) as refused:
        plan_full_reversal(paid_7, balances, holdings, {11: credit_application})
    assert "reverse credit application 11 first" in refused.value.message
    assert refused.value.details == {
        "payment_id": 7, "procedure_id": 2, "carc": "", "held_cents": 0, "requested_cents": 1,
    }  # fmt: skip

    undone = Posted("credit_application", applied, tuple(e.negated() for e in applied))
    balances[1] = balance(charge=10000, payer_paid=9999, pr={"2": 1})
    balances[2] = balance(charge=8000, patient_paid=2)
    back = {(7, 2, ""): 1, (8, 2, ""): 1}
    assert plan_full_reversal(paid_7, balances, back, {11: undone}) == [
        Entry(2, Column.PATIENT_PAID, "", -1, 7)
    ]
