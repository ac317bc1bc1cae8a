"""Write-offs and cancellations are reported apart, by reason, net of reversals."""

from __future__ import annotations

from medledger.services import cancellations, reports, write_offs
from medledger.services.adjudication import post_estimate
from tests import builders


def test_report_separates_write_offs_from_cancellations(engine, actor):
    patient_id = builders.patient(engine, actor)
    encounter_id, (adjudicated, estimated) = builders.visit(
        engine, actor, patient_id, ["100.00", "60.00"]
    )
    builders.adjudicate(engine, actor, encounter_id, {adjudicated: (10000, 7000, {"PR-2": 3000})})
    post_estimate(engine, actor, estimated, {"3": "20.00"})

    hardship = write_offs.write_off(
        engine, actor, adjudicated, total="10.00", reason="financial_hardship"
    )
    write_offs.write_off(engine, actor, adjudicated, total="5.00", reason="small_balance")
    write_offs.remove_write_off(engine, actor, hardship, amount="4.00", reason="posted_in_error")
    cancellations.cancel_pr(engine, actor, estimated, reason="estimate_wrong")

    lines = {
        (line.kind, line.reason_code): line for line in reports.adjustments_by_reason(engine, actor)
    }
    assert lines[("write_off", "financial_hardship")].net_cents == 600
    assert lines[("write_off", "financial_hardship")].posted_count == 1
    assert lines[("write_off", "small_balance")].net_cents == 500
    assert lines[("cancellation", "estimate_wrong")].net_cents == 2000
    assert len(lines) == 3
