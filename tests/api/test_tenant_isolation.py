"""One organisation never sees another's data: every route, taken from the app's OpenAPI
document, so a route added later cannot escape this test."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from medledger.services.registration import create_organisation
from medledger.storage.unit_of_work import UnitOfWork
from medledger.x12 import writer as w
from medledger.x12.claim_writer import claims_text, submitted_claim, submitted_line
from tests.api.conftest import client_for
from tests.api.test_claim_files_api import upload_claims
from tests.api.test_held_claims_api import upload
from tests.services.test_csv_import import HEADER
from tests.services.test_era_import import LAB_PAID, era

VOIDED = submitted_line("85025", 4500, date(2024, 3, 1))

#: Routes that hold no organisation's data.
UNSCOPED = {("POST", "/api/tokens"), ("GET", "/api/reasons"), ("POST", "/api/users")}

#: Collection routes: the other organisation gets an empty list.
COLLECTIONS = {
    ("GET", "/api/patients"),
    ("GET", "/api/write-offs"),
    ("GET", "/api/remittances"),
    ("GET", "/api/approvals"),
    ("GET", "/api/held-claims"),
    ("GET", "/api/reports/adjustments"),
    ("GET", "/api/reports/collections"),
    ("GET", "/api/reports/payers"),
    ("GET", "/api/payers"),
}
#: The caller's own rows only: the intruder's list names the intruder alone.
OWN = {("GET", "/api/tokens")}
#: Routes for admins: the intruder's admin finds nothing of ours.
ADMIN_ONLY = {("POST", "/api/users/{username}/deactivate")}
#: Summaries: the other organisation's is empty.
SUMMARIES = {("GET", "/api/reports/aging")}
#: Uploads: the intruder's file imports into its own organisation, never matching ours.
UPLOADS = {("POST", "/api/era-imports"), ("POST", "/api/claim-files")}
#: Registrations: the intruder's patient is its own, even under our patient's MRN.
REGISTRATIONS = {("POST", "/api/patients"), ("POST", "/api/csv-files")}


def bodies(ids: dict[str, int]) -> dict[tuple[str, str], dict]:
    """A valid body per mutating route, naming the first organisation's rows."""
    return {
        ("POST", "/api/write-offs"): {
            "write_offs": [
                {"procedure_id": ids["procedure_id"], "amount": "1.00", "reason": "small_balance"}
            ]
        },
        ("POST", "/api/write-offs/{write_off_id}/remove"): {"reason": "posted_in_error"},
        ("POST", "/api/cancellations"): {
            "procedure_id": ids["procedure_id"],
            "reason": "entered_in_error",
        },
        ("POST", "/api/payments"): {"patient_id": ids["patient_id"], "amount": "1.00"},
        ("POST", "/api/payments/{payment_id}/refunds"): {},
        ("POST", "/api/transactions/{transaction_id}/reverse"): {"reason": "posted_in_error"},
        ("POST", "/api/drafts"): {
            "payment_item_id": ids["payment_item_id"],
            "amounts": {"1": "1.00"},
            "reason": "small_balance",
        },
        ("PATCH", "/api/drafts/{draft_id}"): {"note": "x"},
        ("POST", "/api/approvals/{approval_id}/reject"): {"reason": "x"},
        ("POST", "/api/held-claims/{item_id}/post"): {"encounter_id": ids["encounter_id"]},
        ("POST", "/api/held-claims/{item_id}/dismiss"): {"reason": "x"},
        ("PATCH", "/api/patients/{patient_id}"): {"city": "Elsewhere"},
        ("POST", "/api/patients/{patient_id}/encounters"): {
            "date_of_service": "2026-03-01",
            "procedures": [{"code": "99213", "charge": "1.00"}],
        },
        ("POST", "/api/procedures/{procedure_id}/void"): {},
    }


@pytest.fixture
def owned(practice):
    """Ids of one of each kind of row in the first organisation."""
    manager, biller = practice.clients["manager"], practice.clients["biller"]
    [remittance] = manager.get("/api/remittances").json()
    items = manager.get(f"/api/remittances/{remittance['id']}").json()["items"]
    line = next(i for i in items if i["level"] == "procedure")
    write_off = manager.post(
        "/api/write-offs",
        json={
            "write_offs": [
                {"procedure_id": practice.procedure_id, "amount": "1.00", "reason": "small_balance"}
            ]
        },
    ).json()
    payment = manager.post(
        "/api/payments", json={"patient_id": practice.patient_id, "amount": "1.00"}
    ).json()
    draft = manager.post(
        "/api/drafts",
        json={"payment_item_id": line["id"], "amounts": {"1": "1.00"}, "reason": "small_balance"},
    ).json()
    approval = biller.post(
        "/api/write-offs",
        json={
            "write_offs": [
                {"procedure_id": practice.procedure_id, "amount": "25.00", "reason": "bad_debt"}
            ]
        },
    ).json()
    upload(manager, era(w.claim("NOT-OURS", [LAB_PAID])))
    [held] = manager.get("/api/held-claims").json()
    return {
        "item_id": held["id"],
        "patient_id": practice.patient_id,
        "encounter_id": practice.encounter_id,
        "procedure_id": practice.procedure_id,
        "transaction_id": practice.remittance_transaction_id,
        "write_off_id": write_off["write_offs"][0]["id"],
        "payment_id": payment["payment_id"],
        "draft_id": draft["id"],
        "approval_id": approval["approval"]["id"],
        "remittance_id": remittance["id"],
        "payment_item_id": line["id"],
        "token_id": manager.get("/api/tokens").json()[0]["id"],
        "username": "manager",
    }


def test_every_route_hides_other_organisations_data(app, engine, database, actor, owned):
    other = create_organisation(database, "Another practice")
    intruder = client_for(app, engine, other, "intruder", "billing_manager")
    intruding_admin = client_for(app, engine, other, "intruding-admin", "admin")
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        ours = uow.registry.encounter(owned["encounter_id"])
    checked = 0
    for path, operations in app.openapi()["paths"].items():
        for method in (m.upper() for m in operations):
            key = (method, path)
            if key in UNSCOPED | UPLOADS | REGISTRATIONS:  # last: they add the intruder's own rows
                continue
            url = path.format(**owned)
            client = intruding_admin if key in ADMIN_ONLY else intruder
            response = client.request(method, url, json=bodies(owned).get(key))
            if key in OWN:
                assert {row["username"] for row in response.json()} == {"intruder"}, key
            elif key in COLLECTIONS:
                assert response.status_code == 200 and response.json() == [], key
            elif key in SUMMARIES:
                assert response.status_code == 200, key
                assert (response.json()["patients"], response.json()["lines"]) == (0, []), key
            else:
                assert response.status_code == 404, (key, response.status_code, response.text)
                assert response.json()["type"] == "/problems/not-found", key
            checked += 1
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        mrn = uow.registry.patient(owned["patient_id"]).mrn
    created = intruder.post("/api/patients", json={"mrn": mrn, "last_name": "Intruder"})
    assert created.status_code == 201, created.text
    assert created.json()["id"] != owned["patient_id"]
    row = f"{mrn},Intruder,,,,,,,,INTRUDER-1,2026-03-01,,,99213,,,1.00"
    imported = intruder.post("/api/csv-files", files={"file": ("x.csv", (HEADER + row).encode())})
    assert imported.status_code == 201, imported.text
    assert [p["last_name"] for p in intruder.get("/api/patients").json()] == ["Intruder"]
    checked += len(REGISTRATIONS)
    claim = w.claim(ours.patient_control_number, [LAB_PAID])
    summary = upload(intruder, era(claim, trace="INTRUDER")).json()
    assert summary["held"] == {"unmatched_claim": 1}, summary
    void = submitted_claim(ours.patient_control_number, [VOIDED], frequency_code="8")
    summary = upload_claims(intruder, claims_text([void], w.Interchange(datetime(2026, 3, 3))))
    number = ours.patient_control_number
    assert summary.json()["held"] == [
        {"patient_control_number": number,
         "reason": f"void of claim {number}: no claim {number} is in the ledger"}
    ], summary.text  # fmt: skip
    checked += len(UPLOADS)
    assert checked >= 20
