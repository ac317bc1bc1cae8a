"""837 files through the API: imported, dry-run, refused as problem+json, and who may."""

from __future__ import annotations

from datetime import date, datetime

from medledger.x12 import writer as w
from medledger.x12.claim_writer import claims_text, submitted_claim, submitted_line

DAY = date(2026, 3, 2)


def upload_claims(client, text: str, **params):
    return client.post(
        "/api/claim-files",
        files={"file": ("march.837", text.encode(), "text/plain")},
        params=params,
    )


def march(total: str = "135.50") -> str:
    claim = submitted_claim(
        "PCN-31",
        [submitted_line("99213", 12000, DAY, control_number="L1"),
         submitted_line("81002", 1550, DAY)],
    )  # fmt: skip
    text = claims_text([claim], w.Interchange(datetime(2026, 3, 3, 9, 0)))
    return text.replace("CLM*PCN-31*135.50", f"CLM*PCN-31*{total}")


def test_an_837_registers_its_patient_visit_and_charges(practice):
    manager = practice.clients["manager"]
    dry = upload_claims(manager, march(), dry_run="true")
    assert dry.status_code == 201, dry.text
    assert (dry.json()["dry_run"], dry.json()["imported"]) == (True, 1)

    answer = upload_claims(manager, march())
    assert answer.status_code == 201, answer.text
    summary = answer.json()
    assert (summary["file_name"], summary["claims"], summary["lines"]) == ("march.837", 1, 2)
    assert (summary["imported"], summary["patients_added"], summary["charges"]) == (1, 1, "135.50")
    assert summary["held"] == []

    again = upload_claims(manager, march()).json()
    assert (again["already_imported"], again["imported"]) == (True, 0)


def test_a_file_that_does_not_add_up_is_a_problem_naming_the_segment(practice):
    answer = upload_claims(practice.clients["manager"], march(total="135.00"))
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["type"] == "/problems/claim-file-refused"
    assert "march.837: segment " in problem["detail"]
    assert "CLM02 says 135.00 but its 2 service lines add up to 135.50" in problem["detail"]


def test_billers_import_claim_files_and_the_front_desk_may_not(practice):
    assert upload_claims(practice.clients["desk"], march()).status_code == 403
    assert upload_claims(practice.clients["biller"], march()).status_code == 201
