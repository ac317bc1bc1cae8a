"""Registering by hand over the API: patients, visits with charges, the void of a charge entered
in error — by a front-desk user, each with a dry run, and refusals as problem+json."""

from __future__ import annotations

from medledger.storage.unit_of_work import UnitOfWork

ANN = {
    "mrn": "API-1",
    "first_name": "Ann",
    "last_name": "Smith",
    "birth_date": "1970-05-01",
    "sex": "F",
    "member_id": "MEM-1",
    "city": "Springfield",
    "coverages": [{"payer_code": "BCBS", "payer_name": "Blue Cross"}],
}
VISIT = {
    "date_of_service": "2026-03-02",
    "patient_control_number": "API-PCN-1",
    "place_of_service": "11",
    "diagnosis_codes": ["J06.9"],
    "procedures": [
        {"code": "99213", "charge": "150.00", "modifiers": ["25"]},
        {"code": "85025", "charge": "45.00"},
    ],
}


def test_front_desk_registers_a_patient_and_a_visit_then_voids_a_charge(practice, engine, actor):
    desk = practice.clients["desk"]
    created = desk.post("/api/patients", json=ANN)
    assert created.status_code == 201, created.text
    patient = created.json()
    assert (patient["mrn"], patient["sex"], patient["dry_run"]) == ("API-1", "F", False)
    assert patient["coverages"] == [
        {"order": "primary", "payer_id": patient["coverages"][0]["payer_id"],
         "payer_code": "BCBS", "payer_name": "Blue Cross", "member_id": "MEM-1"}
    ]  # fmt: skip
    assert desk.get("/api/payers").json()[0]["payer_code"] == "BCBS"
    assert (patient["registered"]["user_name"], patient["changed"]) == ("Desk", None)
    changed = practice.clients["biller"].patch(
        f"/api/patients/{patient['id']}", json={"city": "Chicago"}
    )
    assert changed.json()["changed"]["user_name"] == "Biller"
    emptied = desk.patch(f"/api/patients/{patient['id']}", json={"clear": ["city", "sex"]})
    assert (emptied.json()["city"], emptied.json()["sex"]) == (None, None)
    refused = desk.patch(f"/api/patients/{patient['id']}", json={"clear": ["last_name"]})
    assert refused.status_code == 422
    changed = emptied
    record = desk.get(f"/api/patients/{patient['id']}/record").json()
    assert record["registered"] == patient["registered"]
    assert record["changed"] == changed.json()["changed"]

    visit = desk.post(f"/api/patients/{patient['id']}/encounters", json=VISIT)
    assert visit.status_code == 201, visit.text
    encounter = visit.json()
    assert encounter["balance"]["charge"] == "195.00"
    office, lab = encounter["procedures"]
    assert lab["void_charge"]["allowed"] is True

    voided = desk.post(f"/api/procedures/{lab['id']}/void", json={"note": "wrong code"})
    assert voided.status_code == 201, voided.text
    assert voided.json()["kind"] == "charge"
    account = desk.get(f"/api/patients/{patient['id']}").json()
    assert account["balance"]["charge"] == "150.00"

    again = desk.post(f"/api/procedures/{lab['id']}/void", json={})
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/nothing-to-void"


def test_a_charge_with_money_moved_is_refused_as_a_problem(practice):
    refused = practice.clients["desk"].post(
        f"/api/procedures/{practice.procedure_id}/void", json={}
    )
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["type"] == "/problems/money-moved-on-charge"
    assert "money has moved against this charge" in problem["detail"]


def test_every_registration_route_takes_a_dry_run_and_writes_nothing(practice, engine, actor):
    desk = practice.clients["desk"]
    dry = desk.post("/api/patients?dry_run=true", json=ANN)
    assert dry.status_code == 200 and dry.json()["dry_run"] is True
    assert desk.get("/api/patients", params={"search": "API-1"}).json() == []

    patient_id = practice.patient_id
    visit = desk.post(f"/api/patients/{patient_id}/encounters?dry_run=true", json=VISIT)
    assert visit.status_code == 200, visit.text
    assert [e["amount"] for e in visit.json()["entries"]] == ["150.00", "45.00"]
    patched = desk.patch(f"/api/patients/{patient_id}?dry_run=true", json={"city": "Dry"})
    assert patched.status_code == 200 and patched.json()["city"] == "Dry"
    assert desk.get(f"/api/patients/{patient_id}/record").json()["city"] is None
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        assert uow.registry.encounter_by_control_number("API-PCN-1") is None

    encounter = desk.post(f"/api/patients/{patient_id}/encounters", json=VISIT).json()
    lab = encounter["procedures"][1]["id"]
    void = desk.post(f"/api/procedures/{lab}/void?dry_run=true", json={})
    assert void.status_code == 200 and [e["amount"] for e in void.json()["entries"]] == ["-45.00"]
    assert desk.get(f"/api/procedures/{lab}").json()["balance"]["charge"] == "45.00"


def test_a_coverage_is_edited_or_removed_over_the_api(practice):
    desk = practice.clients["desk"]
    body = {**ANN, "mrn": "API-COV", "coverages": [*ANN["coverages"], {"payer_code": "MCR", "order": "secondary"}]}  # fmt: skip
    patient = desk.post("/api/patients", json=body).json()
    url = f"/api/patients/{patient['id']}"
    edit = {"coverages": [{"payer_code": "MCR", "order": "secondary", "member_id": "1EG4"}],
            "remove_coverages": [{"payer_code": "BCBS", "order": "primary"}]}  # fmt: skip
    dry = desk.patch(f"{url}?dry_run=true", json=edit)
    assert dry.status_code == 200 and len(dry.json()["coverages"]) == 1
    assert len(desk.get(f"{url}/record").json()["coverages"]) == 2
    changed = practice.clients["biller"].patch(url, json=edit)
    assert changed.status_code == 200, changed.text
    record = changed.json()
    assert [(c["order"], c["payer_code"], c["member_id"]) for c in record["coverages"]] == [
        ("secondary", "MCR", "1EG4")
    ]
    assert record["changed"]["user_name"] == "Biller"
    again = desk.patch(url, json={"remove_coverages": [{"payer_code": "BCBS"}], "city": "X"})
    assert again.status_code == 422 and again.json()["type"] == "/problems/invalid-input"
    assert "no primary coverage by payer 'BCBS'" in again.json()["detail"]
    assert desk.get(f"{url}/record").json()["city"] == "Springfield"


def test_a_repeated_visit_with_one_idempotency_key_is_charged_once(practice):
    desk = practice.clients["desk"]
    body = {**VISIT, "patient_control_number": None}
    headers = {"Idempotency-Key": "visit-42"}
    url = f"/api/patients/{practice.patient_id}/encounters"
    first = desk.post(url, json=body, headers=headers)
    second = desk.post(url, json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    other = desk.post(url, json={**body, "date_of_service": "2026-03-03"}, headers=headers)
    assert other.status_code == 409


def test_refusals_name_the_field(practice):
    desk = practice.clients["desk"]
    twin = desk.post("/api/patients", json=ANN)
    assert twin.status_code == 201
    again = desk.post("/api/patients", json={**ANN, "mrn": "API-2"})
    assert again.status_code == 409 and "registered already (MRN API-1)" in again.json()["detail"]
    bad = desk.post("/api/patients", json={**ANN, "mrn": "API-3", "birth_date": "2999-01-01"})
    assert bad.status_code == 422
    float_charge = {**VISIT, "procedures": [{"code": "99213", "charge": 150.0}]}
    refused = desk.post(f"/api/patients/{practice.patient_id}/encounters", json=float_charge)
    assert refused.status_code == 422 and "decimal string" in refused.text
    ndc = {**VISIT, "procedures": [{"code": "00093505601", "charge": "20.00"}]}
    too_long = desk.post(f"/api/patients/{practice.patient_id}/encounters", json=ndc)
    assert too_long.status_code == 422, too_long.text  # the same on SQLite and PostgreSQL
    assert "code: String should have at most 10 characters" in too_long.json()["detail"]
    unknown = desk.patch("/api/patients/999999", json={"city": "X"})
    assert unknown.status_code == 404


def test_a_csv_file_is_imported_whole_or_refused_with_every_problem(practice):
    from tests.services.test_csv_import import GOOD

    desk = practice.clients["desk"]
    bad = GOOD.replace("97110,,3,285.00", "97110,,3,abc")
    refused = desk.post("/api/csv-files", files={"file": ("bad.csv", bad.encode(), "text/csv")})
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["type"] == "/problems/csv-refused"
    assert [(e["row"], e["column"]) for e in problem["errors"]] == [(3, "charge")]
    assert desk.get("/api/patients", params={"search": "C-1"}).json() == []

    dry = desk.post("/api/csv-files?dry_run=true", files={"file": ("ok.csv", GOOD.encode())})
    assert dry.status_code == 200 and dry.json()["dry_run"] is True
    assert desk.get("/api/patients", params={"search": "C-1"}).json() == []
    done = desk.post("/api/csv-files", files={"file": ("ok.csv", GOOD.encode())}).json()
    assert (done["visits"], done["lines"], done["charges"]) == (2, 3, "515.00")
