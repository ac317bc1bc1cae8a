"""Write-offs and cancellations are reported apart, by reason, net of reversals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from medledger.services import accounts, history, reports, write_offs
from medledger.services.adjudication import post_estimate
from medledger.services.payments import record_payment, refund_payment
from medledger.services.reversals import reverse_transaction
from tests import builders


def test_report_separates_write_offs_from_cancellations(engine, database, actor):
    patient_id = builders.patient(engine, actor)
    encounter_id, (adjudicated, estimated) = builders.visit(
        engine, actor, patient_id, ["100.00", "60.00"]
    )
    builders.adjudicate(engine, actor, encounter_id, {adjudicated: (10000, 7000, {"PR-2": 3000})})
    post_estimate(database, actor, estimated, {"3": "20.00"})

    hardship = builders.write_off(
        engine, actor, adjudicated, total="10.00", reason="financial_hardship"
    )
    builders.write_off(engine, actor, adjudicated, total="5.00", reason="small_balance")
    write_offs.remove_write_off(database, actor, hardship, amount="4.00", reason="posted_in_error")
    builders.cancel(engine, actor, estimated, reason="estimate_wrong")

    lines = {
        (line.kind, line.reason_code): line
        for line in reports.adjustments_by_reason(database, actor)
    }
    assert lines[("write_off", "financial_hardship")].net_cents == 600
    assert lines[("write_off", "financial_hardship")].posted_count == 1
    assert lines[("write_off", "small_balance")].net_cents == 500
    assert lines[("cancellation", "estimate_wrong")].net_cents == 2000
    assert len(lines) == 3


def test_collections_by_method_net_of_refunds_and_reversed_payments(engine, database, actor):
    patient_id = builders.patient(engine, actor)
    encounter_id, (procedure,) = builders.visit(engine, actor, patient_id, ["100.00"])
    builders.adjudicate(engine, actor, encounter_id, {procedure: (10000, 6000, {"PR-2": 4000})})
    card = record_payment(database, actor, patient_id, "30.00", method="card")
    record_payment(database, actor, patient_id, "15.00", method="cash")  # 5.00 of it is credit
    mistaken = record_payment(database, actor, patient_id, "2.00", method="check")
    reverse_transaction(database, actor, mistaken, reason="posted_in_error")
    payment_id = history.transaction(database, actor, card).entries[0].payment_id
    refund_payment(database, actor, payment_id, "10.00")

    lines = {line.method: line for line in reports.collections_by_method(database, actor)}
    assert set(lines) == {"card", "cash"}  # the reversed check brought nothing in
    assert (lines["card"].payments, lines["card"].received_cents) == (1, 3000)
    assert (lines["card"].refunded_cents, lines["card"].net_cents) == (1000, 2000)
    assert (lines["cash"].received_cents, lines["cash"].net_cents) == (1500, 1500)


def test_payer_activity_and_an_empty_period(engine, database, actor):
    patient_id = builders.patient(engine, actor)
    encounter_id, (first, second) = builders.visit(engine, actor, patient_id, ["100.00", "50.00"])
    builders.adjudicate(
        engine, actor, encounter_id,
        {first: (10000, 6000, {"CO-45": 2000, "PR-1": 2000}), second: (5000, 0, {"OA-23": 5000})},
    )  # fmt: skip
    (line,) = reports.payer_activity(database, actor)
    assert (line.payer, line.remittances, line.paid_cents) == ("United Healthcare", 1, 6000)
    assert (line.contractual_cents, line.other_adjustments_cents, line.pr_cents) == (
        2000,
        5000,
        2000,
    )
    today = datetime.now(UTC).date()
    assert reports.payer_activity(database, actor, start=today, end=today) == [line]
    assert reports.payer_activity(database, actor, start=today + timedelta(days=1)) == []
    assert reports.payer_activity(database, actor, end=today - timedelta(days=1)) == []


def test_aging_splits_what_each_patient_owes_by_the_age_of_the_visit(engine, database, actor):
    as_of = date(2026, 6, 30)
    owes = builders.patient(engine, actor, "Owes")
    recent, (a,) = builders.visit(engine, actor, owes, ["100.00"], on=as_of - timedelta(days=10))
    older, (b,) = builders.visit(engine, actor, owes, ["80.00"], on=as_of - timedelta(days=45))
    ancient, (c,) = builders.visit(engine, actor, owes, ["50.00"], on=as_of - timedelta(days=400))
    builders.adjudicate(engine, actor, recent, {a: (10000, 6000, {"PR-2": 4000})})
    builders.adjudicate(engine, actor, older, {b: (8000, 5000, {"PR-1": 3000})})
    builders.adjudicate(engine, actor, ancient, {c: (5000, 4000, {"PR-3": 1000})})
    record_payment(database, actor, owes, "10.00", encounter_id=older)
    paid_up = builders.patient(engine, actor, "Paid")
    visit, (d,) = builders.visit(engine, actor, paid_up, ["60.00"], on=as_of - timedelta(days=5))
    builders.adjudicate(engine, actor, visit, {d: (6000, 4000, {"PR-2": 2000})})
    record_payment(database, actor, paid_up, "25.00")  # 5.00 credit: owes nothing

    aging = reports.patient_aging(database, actor, as_of)
    (line,) = aging.lines
    assert (line.patient_id, line.name) == (owes, "Owes, Jane")
    assert line.buckets == aging.totals == (4000, 2000, 0, 0, 1000)
    assert (
        line.total_cents == accounts.patient_account(database, actor, owes).balance.patient_balance
    )
    top = reports.patient_aging(database, actor, as_of, limit=0)
    assert (top.lines, top.totals, top.patients) == ([], aging.totals, 1)
