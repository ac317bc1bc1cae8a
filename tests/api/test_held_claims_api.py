"""835 files through the API, and the review queue: list, find the encounter, post or dismiss."""

from __future__ import annotations

import re

from medledger.x12 import writer as w
from tests.services.test_era_import import LAB, LAB_PAID, OFFICE, OFFICE_PAID, era, visit


def upload(client, data: bytes, **params):
    return client.post(
        "/api/era-imports", files={"file": ("june.835", data, "text/plain")}, params=params
    )


def test_an_imported_claim_held_for_a_typo_is_found_and_posted(practice, engine, actor):
    office, lab = visit(engine, actor, "PCN-7", OFFICE, LAB)
    manager = practice.clients["manager"]
    typo = era(w.claim("PCN-77", [OFFICE_PAID, LAB_PAID]))

    dry = upload(manager, typo, dry_run="true")
    assert dry.status_code == 201 and dry.json()["dry_run"] is True
    assert manager.get("/api/held-claims").json() == []

    summary = upload(manager, typo).json()
    assert (summary["claims_posted"], summary["held"]) == (0, {"unmatched_claim": 1})
    [item] = manager.get("/api/held-claims").json()
    assert (item["patient_control_number"], item["reason"], item["paid"]) == (
        "PCN-77",
        "unmatched_claim",
        "130.00",
    )
    assert [line["code"] for line in item["lines"]] == ["99213", "85025"]
    assert item["lines"][0]["adjustments"][1] == {
        "group_code": "PR",
        "carc": "2",
        "amount": "25.00",
    }

    assert manager.get(f"/api/held-claims/{item['id']}/encounters").json() == []  # no PCN-77
    procedure = manager.get(f"/api/procedures/{lab}").json()
    mrn = manager.get(f"/api/patients/{procedure['patient_id']}").json()["mrn"]
    choices = manager.get(
        f"/api/held-claims/{item['id']}/encounters", params={"search": mrn}
    ).json()
    [choice] = [c for c in choices if c["patient_control_number"] == "PCN-7"]
    assert choice["procedure_ids"] == [office, lab] and choice["named_by_claim"] is False

    posted = manager.post(
        f"/api/held-claims/{item['id']}/post", json={"encounter_id": choice["encounter_id"]}
    )
    assert posted.status_code == 201, posted.text
    assert posted.json()["kind"] == "adjudication"
    assert manager.get(f"/api/procedures/{lab}").json()["balance"]["payer_paid"] == "30.00"
    assert manager.get("/api/held-claims").json() == []
    done = manager.get(f"/api/held-claims/{item['id']}").json()
    assert (done["resolution"], done["transaction_id"]) == ("posted", posted.json()["id"])

    again = manager.post(
        f"/api/held-claims/{item['id']}/post", json={"encounter_id": choice["encounter_id"]}
    )
    assert again.status_code == 409 and again.json()["type"] == "/problems/review-item-resolved"


def test_dismissing_needs_a_reason_and_a_role_that_posts_remittances(practice, engine, actor):
    manager, desk = practice.clients["manager"], practice.clients["desk"]
    upload(manager, era(w.claim("NOBODY", [LAB_PAID])))
    [item] = manager.get("/api/held-claims").json()
    url = f"/api/held-claims/{item['id']}/dismiss"

    assert manager.post(url, json={"reason": ""}).status_code == 422
    assert desk.post(url, json={"reason": "not ours"}).status_code == 403
    assert desk.get("/api/held-claims").status_code == 200  # the front desk may look
    dismissed = manager.post(url, json={"reason": "not our patient"}).json()
    assert (dismissed["resolution"], dismissed["note"]) == ("dismissed", "not our patient")
    listed = manager.get("/api/held-claims", params={"include_resolved": "true"}).json()
    assert [i["id"] for i in listed] == [item["id"]]


def test_a_file_that_does_not_reconcile_is_refused_whole(practice):
    manager = practice.clients["manager"]
    broken = era(w.claim("PCN-9", [LAB_PAID])).replace(
        b"CLP*PCN-9*1*45.00*30.00", b"CLP*PCN-9*1*45.00*30.01"
    )
    response = upload(manager, broken)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/era-refused"
    assert "june.835" in response.json()["detail"]
    assert manager.get("/api/held-claims").json() == []
    assert all(r["trace_number"] != "EFT-1" for r in manager.get("/api/remittances").json())


def test_a_file_off_in_its_envelope_imports_with_its_warning_kept_and_shown(
    practice, engine, actor
):
    """IEA02 not repeating ISA13: the meaning is clear, so the file imports; the warning comes
    back in the summary, on the remittance and on the claim it held."""
    visit(engine, actor, "PCN-7", OFFICE, LAB)
    manager = practice.clients["manager"]
    data = re.sub(rb"IEA\*1\*[0-9]+", b"IEA*1*999999999", era(w.claim("PCN-77", [OFFICE_PAID])))
    summary = upload(manager, data).json()
    [warning] = summary["warnings"]
    assert "(IEA): IEA02 '999999999' does not match ISA13" in warning
    remittance, *earlier = manager.get("/api/remittances").json()  # the newest first
    assert remittance["warnings"] == [warning]
    assert all(r["warnings"] == [] for r in earlier)
    assert manager.get(f"/api/remittances/{remittance['id']}").json()["warnings"] == [warning]
    [item] = manager.get("/api/held-claims").json()
    assert item["warnings"] == [warning]
