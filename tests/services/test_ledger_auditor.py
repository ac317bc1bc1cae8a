"""The auditor: random billing days, each step checked against an independent model.

A Hypothesis state machine acts on one patient (three procedures over two visits) as an admin,
a biller with a 30.00 write-off limit and a billing manager: estimates, an 835 per visit,
write-offs per CARC and by total at procedure, encounter and patient level, removals whole and
in part, cancellations (the biller's count towards the same limit), payments, refunds, credit,
reversals, drafts and approval requests.
``ledger_model.LedgerModel`` (no product code) predicts each step: the entries it posts, the
approval request it files, or the error code it is refused with. Every refusal must be the one
predicted (none is swallowed), every acceptance must leave every money column of every
procedure, every payment's holdings, every hold, every draft and request status and every PR
source as the model says, and ``verify`` must find the journal and balances in agreement.

In ``make test`` it runs seeded and bounded on SQLite and PostgreSQL; ``make soak`` runs it long
(SOAK_EXAMPLES, SOAK_SEED, SOAK_ENGINE) and prints the examples and steps it ran.
"""

from __future__ import annotations

import io
import os
import sys
import time
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Engine, select

from medledger.domain.errors import LedgerError
from medledger.services import (
    approvals,
    cancellations,
    drafts,
    ledger_requests,
    payments,
    reversals,
    write_offs,
)
from medledger.services.actor import Actor
from medledger.services.adjudication import post_estimate
from medledger.services.era_import import import_era
from medledger.services.registration import create_organisation
from medledger.services.settings import set_limit_window
from medledger.services.verification import verify_organisation
from medledger.storage.tables import ledger_transactions
from medledger.storage.unit_of_work import Database, UnitOfWork
from medledger.x12 import writer as w
from tests import builders
from tests.era_builders import era_bytes
from tests.services.ledger_model import (
    Approval,
    Cancel,
    Draft,
    Entry,
    Filed,
    LedgerModel,
    Refused,
    WriteOff,
)

T = TypeVar("T")
#: AUDITOR_NO_SHRINK=1 reports the first failing day as found (shrinking a long day is slow).
PHASES = [p for p in Phase if p != Phase.shrink or not os.environ.get("AUDITOR_NO_SHRINK")]
CARCS = st.sampled_from(["1", "2", "3", "96"])
#: Who writes off or cancels: the biller twice as often as the admin, so that the biller's
#: limit is reached and requests are filed, approved and rejected in every run.
WRITERS = st.sampled_from(["biller", "admin", "biller"])
VISITS = ((date(2026, 3, 1), ["200.00", "80.00"]), (date(2026, 3, 5), ["120.00"]))
#: Steps and examples run, for ``make soak``'s report.
COUNTS = {"examples": 0, "steps": 0, "refused": 0, "filed": 0, "approved": 0, "rejected": 0}
#: The biller's write-off limit in cents: low enough that most days reach it.
BILLER_LIMIT = 3000
#: ``make soak`` prints the counts so far every this many examples.
PROGRESS_EVERY = 250
STARTED = [0.0]


def entries_of(uow: UnitOfWork, transaction_id: int) -> list[Entry]:
    return [
        (e.procedure_id, str(e.column), e.carc, e.payment_id, e.amount_cents)
        for e in uow.ledger.posted(transaction_id).entries
    ]


def auditor(engine: Engine) -> type[RuleBasedStateMachine]:
    class Auditor(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            COUNTS["examples"] += 1
            if COUNTS["examples"] % PROGRESS_EVERY == 0:
                print(f"auditor: {progress()} so far", file=sys.stderr, flush=True)
            admin = create_organisation(Database(engine), f"audit-{uuid.uuid4().hex[:10]}")
            self.users = {"admin": Actor(admin.organisation_id, admin.user_id, "test", "admin")}
            self.users["biller"], self.users["manager"] = builders.biller_and_manager(
                engine, self.users["admin"], f"{BILLER_LIMIT / 100:.2f}"
            )
            # The longest window: an example never straddles the day the window starts.
            set_limit_window(Database(engine), self.users["admin"], days=366)
            self.patient_id = builders.patient(engine, self.users["admin"])
            self.encounters: list[tuple[int, list[int]]] = []
            days: dict[int, int] = {}
            for on, charges in VISITS:
                encounter_id, ids = builders.visit(
                    engine, self.users["admin"], self.patient_id, charges, on=on
                )
                self.encounters.append((encounter_id, ids))
                days.update(dict.fromkeys(ids, on.toordinal()))
            self.procedure_ids = sorted(days)
            self.model = LedgerModel(days, {"admin": None, "biller": BILLER_LIMIT, "manager": None})
            with UnitOfWork(engine, self.organisation_id, write=False) as uow:
                for pid in self.procedure_ids:
                    charge = uow.ledger.balance(pid).charge
                    self.model.procedures[pid].cols[("charge", "")] = charge
            self.remitted: set[int] = set()
            self.payments: dict[int, int] = {}  # payment id -> its transaction

        @property
        def organisation_id(self) -> int:
            return self.users["admin"].organisation_id

        # -- checking one step -----------------------------------------------------------------
        def expect(self, predict: Callable[[], T], act: Callable[[], Any]) -> tuple[T, Any] | None:
            """Run the product's action and hold it to the model's prediction: the same refusal
            code, or an acceptance where the model predicts one. None when refused."""
            COUNTS["steps"] += 1
            try:
                prediction: T | Refused = predict()
            except Refused as refused:
                prediction = refused
            try:
                result = act()
            except LedgerError as error:
                assert isinstance(prediction, Refused), (
                    f"product refused with {error.code} ({error.message}); model: {prediction}"
                )
                assert error.code == prediction.code, (
                    f"product refused with {error.code} ({error.message}); "
                    f"model predicted {prediction.code}"
                )
                COUNTS["refused"] += 1
                return None
            assert not isinstance(prediction, Refused), (
                f"product accepted ({result}); model predicted {prediction.code}"
            )
            return prediction, result

        def posted(self, transaction_id: int, kind: str, user: str, predicted: list[Entry]) -> None:
            """The product posted ``transaction_id``: its entries must net per key to the
            prediction; the model then takes it."""
            with UnitOfWork(engine, self.organisation_id, write=False) as uow:
                actual = entries_of(uow, transaction_id)
            assert net(actual) == net(predicted), f"{kind}: posted {actual}, model {predicted}"
            self.model.post(transaction_id, kind, user, predicted)

        def pick(self, data: st.DataObject, values: list[T], label: str) -> T:
            return data.draw(st.sampled_from(values), label=label)

        def procedure(self, data: st.DataObject, likely: Callable[[int], bool] = bool) -> int:
            """Any procedure; two times in three one that is ``likely`` to take the step (when
            there is one), so that fewer steps are refusals of the same few kinds."""
            fits = [pid for pid in self.procedure_ids if likely(pid)]
            choices = st.sampled_from(self.procedure_ids)
            if fits:
                choices = st.one_of(st.sampled_from(fits), st.sampled_from(fits), choices)
            return data.draw(choices, label="procedure")

        def owes(self, pid: int) -> bool:
            """The procedure has PR not yet written off, cancelled or paid."""
            p = self.model.procedures[pid]
            return any(p.open(carc) > 0 for carc in p.carcs())

        def cancellable(self, pid: int) -> bool:
            """The procedure owes estimated PR."""
            return self.owes(pid) and self.model.pr_source(pid) == "estimate"

        def carc_of(self, p) -> st.SearchStrategy[str]:
            """A CARC the procedure has PR in, most of the time; any CARC otherwise."""
            own = p.carcs()
            return st.one_of(st.sampled_from(own), st.sampled_from(own), CARCS) if own else CARCS

        def cents_near(self, data: st.DataObject, around: int) -> int:
            """An amount at, just around, or anywhere below a figure of the account."""
            return data.draw(
                st.one_of(
                    st.integers(max(1, around - 2), around + 2),
                    st.integers(1, max(1, around + 500)),
                ),
                label="cents",
            )

        # -- payer and estimates ----------------------------------------------------------------
        @initialize(data=st.data())
        def estimates_to_start_with(self, data):
            """Most days start with estimated PR on some procedures, so that write-offs, drafts
            and the biller's limit are reached within a short day."""
            for pid in self.procedure_ids:
                amounts = data.draw(
                    st.dictionaries(CARCS, st.integers(1, 6000), max_size=2), label="estimate"
                )
                if amounts:
                    self.post_estimate(pid, amounts)

        @rule(data=st.data(), carc=CARCS, cents=st.integers(1, 9000))
        def estimate(self, data, carc, cents):
            pid = self.procedure(data, lambda pid: self.model.pr_source(pid) != "remittance")
            self.post_estimate(pid, {carc: cents})

        def post_estimate(self, pid: int, amounts: dict[str, int]) -> None:
            admin = self.users["admin"]
            text = {carc: f"{cents / 100:.2f}" for carc, cents in amounts.items()}
            outcome = self.expect(
                lambda: self.model.estimate(pid, amounts),
                lambda: post_estimate(Database(engine), admin, pid, text),
            )
            if outcome:
                self.posted(outcome[1], "estimate", "admin", outcome[0])

        @rule(data=st.data())
        def remit_835(self, data):
            """The payer's 835 for a visit not yet remitted: each line balances (paid + CO-45 +
            PR = charge), PR per CARC of up to 60.00."""
            open_visits = [i for i in range(len(self.encounters)) if i not in self.remitted]
            if not open_visits:
                return
            index = self.pick(data, open_visits, "visit")
            encounter_id, ids = self.encounters[index]
            lines: dict[int, tuple[int, int, dict[str, int]]] = {}
            for pid in ids:
                charge = self.model.procedures[pid].get("charge")
                pr = data.draw(st.dictionaries(CARCS, st.integers(0, 6000), max_size=3), label="pr")
                while sum(pr.values()) > charge:
                    pr.popitem()
                co = data.draw(st.integers(0, charge - sum(pr.values())), label="co")
                lines[pid] = (charge - co - sum(pr.values()), co, pr)
            outcome = self.expect(
                lambda: self.model.adjudicate(lines),
                lambda: self.import_835(index, lines),
            )
            self.remitted.add(index)
            if outcome:
                self.posted(outcome[1], "adjudication", "admin", outcome[0])

        def import_835(self, index: int, lines: dict[int, tuple[int, int, dict[str, int]]]) -> int:
            encounter_id, ids = self.encounters[index]
            on = VISITS[index][0]
            with UnitOfWork(engine, self.organisation_id, write=False) as uow:
                pcn = uow.registry.encounter(encounter_id).patient_control_number
                codes = {pid: uow.registry.procedure(pid).code for pid in ids}
            service_lines = [
                w.service_line(
                    codes[pid],
                    self.model.procedures[pid].get("charge"),
                    paid,
                    [w.adjustment("CO", "45", co)] * bool(co)
                    + [w.adjustment("PR", carc, cents) for carc, cents in pr.items() if cents],
                    service_date=on,
                )
                for pid, (paid, co, pr) in lines.items()
            ]
            era = w.remittance(
                [w.claim(pcn, service_lines)],
                trace_number=f"AUDIT{uuid.uuid4().hex[:10]}",
                payment_date=on,
            )
            summary = import_era(
                Database(engine), self.users["admin"], io.BytesIO(era_bytes([era]))
            )
            assert summary.claims_posted == 1, f"the 835 was not posted: {summary}"
            with UnitOfWork(engine, self.organisation_id, write=False) as uow:
                return int(
                    uow.connection.execute(
                        select(ledger_transactions.c.id)
                        .where(
                            ledger_transactions.c.organisation_id == self.organisation_id,
                            ledger_transactions.c.kind == "adjudication",
                        )
                        .order_by(ledger_transactions.c.id.desc())
                        .limit(1)
                    ).scalar_one()
                )

        # -- write-offs ---------------------------------------------------------------------------
        @rule(data=st.data(), user=WRITERS)
        def write_off_per_carc(self, data, user):
            pid = self.procedure(data, self.owes)
            p = self.model.procedures[pid]
            carcs = data.draw(
                st.lists(self.carc_of(p), min_size=1, max_size=2, unique=True), label="carcs"
            )
            amounts = {c: self.cents_near(data, p.open(c)) for c in carcs}
            self.submit(user, WriteOff((pid,), amounts=amounts))

        @rule(
            data=st.data(),
            user=WRITERS,
            level=st.sampled_from(["procedure", "encounter", "patient"]),
        )
        def write_off_total(self, data, user, level):
            if level == "procedure":
                scope = (self.procedure(data, self.owes),)
                target = {"procedure_id": scope[0]}
            elif level == "encounter":
                encounter_id, ids = self.pick(data, self.encounters, "encounter")
                scope, target = tuple(ids), {"encounter_id": encounter_id}
            else:
                scope, target = tuple(self.procedure_ids), {"patient_id": self.patient_id}
            open_now = sum(
                self.model.procedures[pid].open(c)
                for pid in scope
                for c in self.model.procedures[pid].carcs()
            )
            total = self.cents_near(data, open_now)
            self.submit(user, WriteOff(scope, total=total), target)

        def submit(self, user: str, request: WriteOff, target: dict[str, int] | None = None):
            target = target or {"procedure_id": request.scope[0]}
            product_request = ledger_requests.WriteOffRequest(
                "small_balance",
                amounts=None if request.amounts is None else dict(request.amounts),
                total=request.total,
                **target,
            )
            outcome = self.expect(
                lambda: self.model.submit(user, request),
                lambda: write_offs.submit_write_offs(
                    Database(engine), self.users[user], [product_request], None
                ),
            )
            if outcome:
                self.took(user, request, outcome[0], outcome[1], None)

        def took(self, user, request, prediction, result, draft_id):
            """A write-off or cancellation the product posted or filed: the model must have said
            the same."""
            if isinstance(prediction, Filed):
                COUNTS["filed"] += 1
                assert result.approval is not None, f"posted {result}; the model files a request"
                assert (result.approval.status, result.approval.kind) == (
                    "pending",
                    kind_of(request),
                )
                assert result.approval.total_cents == sum(prediction.held.values())
                self.model.approvals[result.approval.id] = Approval(
                    user, request, dict(prediction.held), draft_id
                )
                if draft_id is not None:
                    self.model.drafts[draft_id].status = "waiting"
                return
            assert result.approval is None, f"filed request {result.approval.id}; model posts"
            (transaction_id,) = result.transaction_ids
            self.posted(transaction_id, kind_of(request), user, prediction)
            if draft_id is not None:
                self.model.drafts[draft_id].status = "posted"
                self.model.drafts[draft_id].transaction = transaction_id

        @rule(data=st.data(), whole=st.booleans())
        def remove_write_off(self, data, whole):
            candidates = self.kinds("write_off")
            if not candidates:
                return
            number = self.pick(data, candidates, "write-off")
            left = sum(self.model.transactions[number].written_off_left().values())
            cents = None if whole else self.cents_near(data, left)
            outcome = self.expect(
                lambda: self.model.remove_write_off(number, cents),
                lambda: write_offs.remove_write_off(Database(engine), self.users["admin"], number, reason="posted_in_error",
                    amount=None if cents is None else f"{cents / 100:.2f}",
                ),
            )  # fmt: skip
            if outcome:
                self.reversed(number, outcome[1], outcome[0])

        # -- cancel, patient money ------------------------------------------------------------------
        @rule(data=st.data(), whole=st.booleans(), user=WRITERS)
        def cancel_pr(self, data, whole, user):
            pid = self.procedure(data, self.cancellable)
            total = None if whole else self.cents_near(data, self.model.procedures[pid].total("pr"))
            request = Cancel(pid, total)
            product_request = ledger_requests.CancellationRequest(
                pid, "entered_in_error", total=None if total is None else f"{total / 100:.2f}"
            )
            outcome = self.expect(
                lambda: self.model.request_cancel(user, request),
                lambda: cancellations.cancel_pr(
                    Database(engine), self.users[user], product_request
                ),
            )
            if outcome:
                self.took(user, request, outcome[0], outcome[1], None)

        @rule(cents=st.integers(1, 12000))
        def pay(self, cents):
            COUNTS["steps"] += 1
            transaction_id = payments.record_payment(
                Database(engine), self.users["admin"], self.patient_id, f"{cents / 100:.2f}"
            )
            with UnitOfWork(engine, self.organisation_id, write=False) as uow:
                payment_id = uow.ledger.transaction(transaction_id).payment_id
            self.payments[payment_id] = transaction_id
            self.posted(transaction_id, "payment", "admin", self.model.pay(payment_id, cents))

        @rule(data=st.data(), whole=st.booleans())
        def refund(self, data, whole):
            if not self.payments:
                return
            payment_id = self.pick(data, sorted(self.payments), "payment")
            held = sum(v for v in self.model.holdings(payment_id).values() if v > 0)
            cents = None if whole else self.cents_near(data, held)
            outcome = self.expect(
                lambda: self.model.refund(payment_id, cents),
                lambda: payments.refund_payment(Database(engine), self.users["manager"], payment_id,
                    None if cents is None else f"{cents / 100:.2f}",
                ),
            )  # fmt: skip
            if outcome:
                self.posted(outcome[1], "refund", "manager", outcome[0])

        @rule(data=st.data())
        def apply_credit(self, data):
            if not self.payments:
                return
            payment_id = self.pick(data, sorted(self.payments), "payment")
            outcome = self.expect(
                lambda: self.model.apply_credit(payment_id),
                lambda: payments.apply_credit(Database(engine), self.users["admin"], payment_id),
            )
            if outcome:
                self.posted(outcome[1], "credit", "admin", outcome[0])

        # -- reversals -----------------------------------------------------------------------------
        def kinds(self, *kinds: str) -> list[int]:
            return sorted(n for n, tx in self.model.transactions.items() if tx.kind in kinds)

        @rule(data=st.data())
        def reverse(self, data):
            candidates = sorted(self.model.transactions)
            if not candidates:
                return
            number = self.pick(data, candidates, "transaction")
            outcome = self.expect(
                lambda: self.model.reverse(number),
                lambda: reversals.reverse_transaction(
                    Database(engine), self.users["manager"], number, reason="posted_in_error"
                ),
            )
            if outcome:
                self.reversed(number, outcome[1], outcome[0], user="manager")

        def reversed(self, number: int, transaction_id: int, entries: list[Entry], user="admin"):
            with UnitOfWork(engine, self.organisation_id, write=False) as uow:
                actual = entries_of(uow, transaction_id)
            assert net(actual) == net(entries), f"reversal posted {actual}, model {entries}"
            self.model.post_reversal(transaction_id, number, user, entries)

        # -- drafts and approvals -------------------------------------------------------------------
        @rule(data=st.data(), user=WRITERS)
        def create_draft(self, data, user):
            pid = self.procedure(data, self.owes)
            p = self.model.procedures[pid]
            carc = data.draw(self.carc_of(p), label="carc")
            cents = self.cents_near(data, p.open(carc))
            outcome = self.expect(
                lambda: self.model.plan_draft(pid, {carc: cents}),
                lambda: drafts.create_draft(Database(engine), self.users[user], procedure_id=pid,
                    amounts={carc: f"{cents / 100:.2f}"}, reason="small_balance",
                ),
            )  # fmt: skip
            if outcome:
                self.model.drafts[outcome[1].id] = Draft(user, pid, {carc: cents})

        @precondition(lambda self: self.model.drafts)
        @rule(data=st.data(), discard=st.booleans())
        def act_on_draft(self, data, discard):
            draft_id = self.pick(data, sorted(self.model.drafts), "draft")
            draft = self.model.drafts[draft_id]
            user = self.users[draft.user]
            if discard:
                outcome = self.expect(
                    lambda: refuse_unless(draft.status == "open", "draft-closed"),
                    lambda: drafts.discard_draft(Database(engine), user, draft_id),
                )
                if outcome:
                    draft.status = "discarded"
                return
            request = WriteOff((draft.procedure,), amounts=draft.amounts)
            if draft.status in ("posted", "waiting"):  # Post pressed again: the same answer
                self.expect(
                    lambda: None, lambda: drafts.post_draft(Database(engine), user, draft_id)
                )
                return
            outcome = self.expect(
                lambda: (
                    refuse_unless(draft.status == "open", "draft-closed")
                    or self.model.submit(draft.user, request, draft=draft_id)
                ),
                lambda: drafts.post_draft(Database(engine), user, draft_id),
            )
            if outcome:
                self.took(draft.user, request, outcome[0], outcome[1], draft_id)

        @precondition(lambda self: self.model.approvals)
        @rule(data=st.data(), approve=st.booleans())
        def decide(self, data, approve):
            self.decide_on(self.pick(data, sorted(self.model.approvals), "approval"), approve)

        @precondition(lambda self: self.pending())
        @rule(data=st.data(), approve=st.booleans())
        def decide_pending(self, data, approve):
            """A pending request decided (besides ``decide``): a request filed late in a short
            day is decided too."""
            self.decide_on(self.pick(data, self.pending(), "approval"), approve)

        def pending(self) -> list[int]:
            return sorted(n for n, a in self.model.approvals.items() if a.status == "pending")

        def decide_on(self, number: int, approve: bool) -> None:
            approval = self.model.approvals[number]
            manager = self.users["manager"]
            if not approve:
                outcome = self.expect(
                    lambda: refuse_unless(approval.status == "pending", "approval-decided"),
                    lambda: approvals.reject(Database(engine), manager, number, "not this one"),
                )
                if outcome:
                    COUNTS["rejected"] += 1
                    approval.status = "rejected"
                    if approval.draft is not None:
                        self.model.drafts[approval.draft].status = "open"
                return
            outcome = self.expect(
                lambda: self.model.approve(number),
                lambda: approvals.approve(Database(engine), manager, number),
            )
            if outcome:
                (transaction_id,) = outcome[1].transaction_ids
                COUNTS["approved"] += 1
                approval.status = "approved"
                self.posted(transaction_id, kind_of(approval.request), "manager", outcome[0])
                if approval.draft is not None:
                    self.model.drafts[approval.draft].status = "posted"

        # -- the audit ----------------------------------------------------------------------------
        @invariant()
        def product_agrees_with_the_model(self):
            with UnitOfWork(engine, self.organisation_id, write=False) as uow:
                balances = uow.ledger.balances(self.procedure_ids)
                for pid in self.procedure_ids:
                    actual = {(str(c), carc): v for (c, carc), v in balances[pid].amounts.items()}
                    assert actual == self.model.procedures[pid].cols, f"procedure {pid}"
                    source = uow.registry.procedure(pid).pr_source
                    assert source == self.model.pr_source(pid), f"PR source of {pid}"
                for payment_id in self.payments:
                    assert uow.ledger.payment_holdings(payment_id) == self.model.holdings(
                        payment_id
                    ), f"payment {payment_id}"
                held = {
                    (pid, carc): h.cents
                    for pid, by_carc in uow.approvals.held(self.procedure_ids).items()
                    for carc, h in by_carc.items()
                }
                assert held == self.model.held(), "approval holds"
                for number, approval in self.model.approvals.items():
                    assert uow.approvals.get(number).status == approval.status, f"request {number}"
                for draft_id, draft in self.model.drafts.items():
                    assert uow.drafts.get(draft_id).status == draft.status, f"draft {draft_id}"
            report = verify_organisation(Database(engine), self.organisation_id)
            assert report.ok, report.differences

    return Auditor


def net(entries: list[Entry]) -> dict[tuple[int, str, str, int | None], int]:
    sums: dict[tuple[int, str, str, int | None], int] = {}
    for pid, column, carc, payment, cents in entries:
        key = (pid, column, carc, payment)
        sums[key] = sums.get(key, 0) + cents
    return {k: v for k, v in sums.items() if v}


def kind_of(request: WriteOff | Cancel) -> str:
    return "cancellation" if isinstance(request, Cancel) else "write_off"


def refuse_unless(condition: bool, code: str) -> None:
    if not condition:
        raise Refused(code)


def progress() -> str:
    elapsed = time.monotonic() - STARTED[0]
    return (
        f"{COUNTS['examples']} examples, {COUNTS['steps']} steps "
        f"({COUNTS['refused']} refused as predicted) in {elapsed:.0f} s"
    )


def run_auditor(engine: Engine, examples: int, steps: int, seed_value: int) -> dict[str, int]:
    """Run the auditor: ``examples`` random days of up to ``steps`` steps, from ``seed_value``."""
    COUNTS.update(dict.fromkeys(COUNTS, 0))
    STARTED[0] = time.monotonic()
    machine = seed(seed_value)(auditor(engine))
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=steps,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=False,
            phases=PHASES,
        ),
    )
    return dict(COUNTS)


def test_the_product_agrees_with_an_independent_model(engine):
    """Seeded and bounded for CI (about 15 s per engine); ``make soak`` runs it long."""
    examples = int(os.environ.get("AUDITOR_EXAMPLES", "40"))
    steps = int(os.environ.get("AUDITOR_STEPS", "25"))
    seed_value = int(os.environ.get("AUDITOR_SEED", "20261205"))
    counts = run_auditor(engine, examples, steps, seed_value)
    print(
        f"auditor: seed {seed_value}, {progress()}, 0 disagreements; approval requests: "
        f"{counts['filed']} filed, {counts['approved']} approved, {counts['rejected']} rejected"
    )
    assert counts["steps"] >= examples * 5
    assert counts["filed"], "no approval request was filed: the limit is out of reach"
