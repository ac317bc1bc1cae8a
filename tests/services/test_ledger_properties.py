"""Hypothesis: random sequences of billing actions never break the identities of DESIGN.md.

An auditor runs after every step: the materialised balances equal a recomputation from the
journal, every procedure keeps the identities, a write-off changes exactly PR[c] and Other
Adjustments[c], a refused action changes nothing, and a reversal takes out exactly what the
reversed transaction still contributed.
"""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)

from medledger.domain import errors
from medledger.domain.balance import Balance
from medledger.domain.columns import Column
from medledger.domain.reversal import standing
from medledger.services import accounts, cancellations, payments, reversals, write_offs
from medledger.services.actor import Actor
from medledger.services.adjudication import post_estimate
from medledger.services.registration import create_organisation
from medledger.services.verification import verify_organisation
from medledger.storage.unit_of_work import UnitOfWork
from tests import builders

PR_CARCS = st.sampled_from(["1", "2", "3", "96"])


def ledger_machine(engine):
    class LedgerMachine(RuleBasedStateMachine):
        write_off_ids = Bundle("write_offs")
        payment_ids = Bundle("payments")
        transaction_ids = Bundle("transactions")

        def __init__(self) -> None:
            super().__init__()
            admin = create_organisation(engine, f"prop-{uuid.uuid4().hex[:10]}")
            self.actor = Actor(admin.organisation_id, admin.user_id, "test", "admin")
            self.patient_id = builders.patient(engine, self.actor)
            self.encounter_id, self.procedure_ids = builders.visit(
                engine, self.actor, self.patient_id, ["200.00", "80.00"]
            )
            builders.adjudicate(
                engine, self.actor, self.encounter_id,
                {self.procedure_ids[0]: (20000, 10000, {"CO-45": 4000, "PR-1": 3000, "PR-2": 2000, "PR-3": 1000})},
            )  # fmt: skip

        # -- helpers --------------------------------------------------------------------------
        def balances(self) -> dict[int, Balance]:
            with UnitOfWork(engine, self.actor.organisation_id, write=False) as uow:
                return uow.ledger.balances(self.procedure_ids)

        def attempt(self, action):
            """Run an action; a refused one must leave every balance as it was."""
            before = self.balances()
            try:
                return action()
            except errors.LedgerError:
                assert self.balances() == before, "a refused action changed a balance"
                return None

        # -- rules ----------------------------------------------------------------------------
        @rule(target=transaction_ids, index=st.integers(0, 1), paid=st.integers(0, 60),
              co=st.integers(-2, 40), pr=st.dictionaries(PR_CARCS, st.integers(1, 15), max_size=3))  # fmt: skip
        def adjudicate(self, index, paid, co, pr):
            """Percentages of the charge: paid, CO-45 and PR per CARC (sometimes too much)."""
            procedure_id = self.procedure_ids[index]
            charge = self.balances()[procedure_id].charge
            paid, co = charge * paid // 100, charge * co // 100
            pr = {carc: charge * share // 100 for carc, share in pr.items()}
            adjustments = {"CO-45": co, **{f"PR-{c}": v for c, v in pr.items()}}
            result = self.attempt(
                lambda: builders.adjudicate(
                    engine, self.actor, self.encounter_id,
                    {procedure_id: (charge, paid, {k: v for k, v in adjustments.items() if v})},
                )
            )  # fmt: skip
            return result or 0

        @rule(
            target=transaction_ids,
            index=st.integers(0, 1),
            carc=PR_CARCS,
            cents=st.integers(-5, 6000),
        )
        def estimate(self, index, carc, cents):
            procedure_id = self.procedure_ids[index]
            result = self.attempt(
                lambda: post_estimate(engine, self.actor, procedure_id, {carc: cents})
            )
            return result or 0

        @rule(target=payment_ids, cents=st.integers(-50, 8000))
        def pay(self, cents):
            transaction_id = self.attempt(
                lambda: payments.record_payment(engine, self.actor, self.patient_id, cents)
            )
            if transaction_id is None:
                return 0
            with UnitOfWork(engine, self.actor.organisation_id, write=False) as uow:
                return uow.ledger.transaction(transaction_id).payment_id

        @rule(payment_id=payment_ids, cents=st.one_of(st.none(), st.integers(-5, 5000)))
        def refund(self, payment_id, cents):
            if payment_id:
                self.attempt(lambda: payments.refund_payment(engine, self.actor, payment_id, cents))

        @rule(payment_id=payment_ids)
        def apply_credit(self, payment_id):
            if payment_id:
                self.attempt(lambda: payments.apply_credit(engine, self.actor, payment_id))

        @rule(target=write_off_ids, index=st.integers(0, 1), carc=PR_CARCS, data=st.data())
        def write_off(self, index, carc, data):
            procedure_id = self.procedure_ids[index]
            before = self.balances()[procedure_id]
            cents = data.draw(st.integers(-5, before.amount(Column.PR, carc) + 5), label="cents")
            expected_ok = 0 < cents <= before.open_pr(carc)
            try:
                transaction_id = builders.write_off(
                    engine, self.actor, procedure_id, amounts={carc: cents}, reason="small_balance"
                )
            except errors.LedgerError as error:
                assert not expected_ok, f"refused a valid write-off: {error.message}"
                assert self.balances()[procedure_id] == before
                if cents > 0 and before.assigned(carc) and cents <= before.amount(Column.PR, carc):
                    assert isinstance(error, errors.PaidPRMustBeRefundedFirst)
                return 0
            assert expected_ok, "accepted a write-off above the open PR"
            after = self.balances()[procedure_id]
            expected = Balance.of(
                {
                    **before.amounts,
                    (Column.PR, carc): before.amount(Column.PR, carc) - cents,
                    (Column.WRITTEN_OFF, carc): before.amount(Column.WRITTEN_OFF, carc) + cents,
                }
            )
            assert after == expected, "a write-off changed more than PR and Other Adjustments"
            return transaction_id

        @rule(
            write_off_id=consumes(write_off_ids), cents=st.one_of(st.none(), st.integers(-5, 3000))
        )
        def remove_write_off(self, write_off_id, cents):
            if write_off_id:
                self.reverse_checked(
                    write_off_id,
                    lambda: write_offs.remove_write_off(
                        engine, self.actor, write_off_id, amount=cents, reason="posted_in_error"
                    ),
                    whole=cents is None,
                )

        @rule(index=st.integers(0, 1))
        def cancel(self, index):
            procedure_id = self.procedure_ids[index]
            self.attempt(
                lambda: cancellations.cancel_pr(
                    engine, self.actor, procedure_id, reason="entered_in_error"
                )
            )

        @rule(transaction_id=consumes(transaction_ids))
        def reverse(self, transaction_id):
            if transaction_id:
                self.reverse_checked(
                    transaction_id,
                    lambda: reversals.reverse_transaction(
                        engine, self.actor, transaction_id, reason="posted_in_error"
                    ),
                    whole=True,
                )

        def reverse_checked(self, transaction_id, action, whole):
            with UnitOfWork(engine, self.actor.organisation_id, write=False) as uow:
                still = standing(uow.ledger.posted(transaction_id))
            before = self.balances()
            if self.attempt(action) is None or not whole:
                return
            after = self.balances()
            for procedure_id in self.procedure_ids:
                expected = dict(before[procedure_id].amounts)
                for (pid, column, carc, _), cents in still.items():
                    if pid == procedure_id:
                        expected[(column, carc)] = expected.get((column, carc), 0) - cents
                assert after[procedure_id] == Balance.of(expected), "reversal did not restore"

        # -- the auditor ------------------------------------------------------------------------
        @invariant()
        def journal_and_balances_agree(self):
            report = verify_organisation(engine, self.actor.organisation_id)
            assert report.ok, report.differences
            total = accounts.patient_account(engine, self.actor, self.patient_id).balance
            assert total == Balance.total(self.balances().values())

    return LedgerMachine


@pytest.mark.parametrize("steps", [30])
def test_random_billing_never_breaks_the_ledger(engine, steps):
    run_state_machine_as_test(
        ledger_machine(engine),
        settings=settings(
            max_examples=40,
            stateful_step_count=steps,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
