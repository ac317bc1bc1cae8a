"""Reports over the API: decimal strings, a period of days, and the practice's own data only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def test_reports_for_a_period(practice):
    manager = practice.clients["manager"]
    manager.post(
        "/api/write-offs",
        json={
            "write_offs": [
                {"procedure_id": practice.procedure_id, "amount": "5.00", "reason": "small_balance"}
            ]
        },
    )
    manager.post(
        "/api/payments",
        json={"patient_id": practice.patient_id, "amount": "12.50", "method": "cash"},
    )
    today = datetime.now(UTC).date().isoformat()

    [adjustment] = manager.get("/api/reports/adjustments", params={"start": today}).json()
    assert (adjustment["kind"], adjustment["reason_code"], adjustment["net"]) == (
        "write_off",
        "small_balance",
        "5.00",
    )
    [cash] = manager.get("/api/reports/collections", params={"end": today}).json()
    assert (cash["method"], cash["received"], cash["net"]) == ("cash", "12.50", "12.50")
    [payer] = manager.get("/api/reports/payers").json()
    assert (payer["paid"], payer["contractual"], payer["pr"]) == ("60.00", "40.00", "50.00")

    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    for report in ("adjustments", "collections", "payers"):
        assert manager.get(f"/api/reports/{report}", params={"start": tomorrow}).json() == []
    assert manager.get("/api/reports/payers", params={"start": "2026-13-01"}).status_code == 422


def test_aging_as_of_a_day(practice):
    manager = practice.clients["manager"]
    aging = manager.get("/api/reports/aging", params={"as_of": "2026-03-20"}).json()
    assert aging["buckets"] == ["0-30", "31-60", "61-90", "91-120", "121+"]
    [line] = aging["lines"]
    assert (line["patient_id"], line["total"]) == (practice.patient_id, "50.00")
    assert line["buckets"] == ["50.00", "0.00", "0.00", "0.00", "0.00"] == aging["totals"]
    later = manager.get("/api/reports/aging", params={"as_of": "2026-07-01", "limit": 0}).json()
    assert (later["lines"], later["patients"], later["totals"][4]) == ([], 1, "50.00")  # 122 days
