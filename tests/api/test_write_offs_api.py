"""The API's write-off resource, drafts, approvals and problem documents."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.exc import IntegrityError

from medledger.services import accounts
from medledger.services.adjudication import post_estimate
from medledger.storage.unit_of_work import Database
from tests import builders


def write_off(practice, client="manager", **fields):
    body = {
        "write_offs": [{"procedure_id": practice.procedure_id, "reason": "small_balance", **fields}]
    }
    return practice.clients[client].post("/api/write-offs", json=body)


def patient_balance(practice) -> str:
    response = practice.clients["manager"].get(f"/api/patients/{practice.patient_id}")
    return response.json()["outstanding_balance"]


def test_write_off_removal_and_list(practice):
    posted = write_off(practice, amounts={"2": "15.00"}, note="hardship plan")
    assert posted.status_code == 201, posted.text
    body = posted.json()
    assert body["status"] == "posted"
    [created] = body["write_offs"]
    assert created["written_off"] == "15.00" and created["remaining"] == "15.00"
    assert patient_balance(practice) == "35.00"

    manager = practice.clients["manager"]
    removed = manager.post(
        f"/api/write-offs/{created['id']}/remove",
        json={"amount": "5.00", "reason": "posted_in_error"},
    )
    assert removed.status_code == 201, removed.text
    assert removed.json()["reverts"] == created["id"]
    again = manager.get(f"/api/write-offs/{created['id']}").json()
    assert again["reverted_by"] == [removed.json()["id"]] and again["remaining"] == "10.00"
    assert patient_balance(practice) == "40.00"

    listed = manager.get(
        "/api/write-offs", params={"patient_id": practice.patient_id, "reason": "small_balance"}
    )
    assert [w["id"] for w in listed.json()] == [created["id"]]
    assert manager.get("/api/write-offs", params={"reason": "bad_debt"}).json() == []


def test_write_off_answer_shows_its_entries_in_decimal_strings(practice):
    """Cents in the entries ("0.01", not a 500; "15.00", not "0.15") — here and when listed."""
    posted = write_off(practice, amounts={"2": "0.01", "1": "15.00"})
    assert posted.status_code == 201, posted.text
    [created] = posted.json()["write_offs"]
    amounts = sorted((e["column"], e["carc"], e["amount"]) for e in created["entries"])
    assert amounts == [
        ("pr", "1", "-15.00"),
        ("pr", "2", "-0.01"),
        ("written_off", "1", "15.00"),
        ("written_off", "2", "0.01"),
    ]
    assert created["written_off"] == "15.01"
    listed = practice.clients["manager"].get("/api/write-offs")
    assert listed.status_code == 200 and listed.json()[0]["entries"] == created["entries"]


def test_dry_run_writes_nothing(practice):
    response = practice.clients["manager"].post(
        "/api/write-offs?dry_run=true",
        json={
            "write_offs": [
                {"procedure_id": practice.procedure_id, "amount": "20.00", "reason": "bad_debt"}
            ]
        },
    )
    assert response.status_code == 200, response.text
    effect = response.json()
    pid = str(practice.procedure_id)
    assert effect["before"][pid]["patient_balance"] == "50.00"
    assert effect["after"][pid]["patient_balance"] == "30.00"
    assert patient_balance(practice) == "50.00"


def test_problems_name_the_rule_and_the_numbers(practice):
    too_much = write_off(practice, amounts={"1": "30.01"})
    assert too_much.status_code == 422
    assert too_much.headers["content-type"] == "application/problem+json"
    problem = too_much.json()
    assert problem["type"] == "/problems/exceeds-open-pr"
    assert problem["open_cents"] == 3000 and problem["requested_cents"] == 3001

    floats = write_off(practice, amounts={"1": 12.5})
    assert floats.status_code == 422 and floats.json()["type"] == "/problems/float-amount"

    desk = practice.clients["desk"]
    desk.post("/api/payments", json={"patient_id": practice.patient_id, "amount": "50.00"})
    paid = write_off(practice, amount="1.00")
    assert paid.status_code == 422 and paid.json()["type"] == "/problems/already-paid-refund-first"

    forbidden = write_off(practice, client="desk", amount="1.00")
    assert forbidden.status_code == 403 and forbidden.json()["type"] == "/problems/forbidden"

    missing = practice.clients["manager"].get("/api/procedures/999999999")
    assert missing.status_code == 404 and missing.json()["type"] == "/problems/not-found"


def test_write_off_above_limit_waits_for_approval(practice):
    pending = write_off(practice, client="biller", amount="25.00")
    assert pending.status_code == 202, pending.text
    approval = pending.json()["approval"]
    assert approval["status"] == "pending" and approval["total"] == "25.00"
    assert patient_balance(practice) == "50.00"

    manager, biller = practice.clients["manager"], practice.clients["biller"]
    assert [a["id"] for a in manager.get("/api/approvals").json()] == [approval["id"]]
    assert biller.post(f"/api/approvals/{approval['id']}/approve").status_code == 403
    approved = manager.post(f"/api/approvals/{approval['id']}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert patient_balance(practice) == "25.00"
    mine = biller.get("/api/approvals", params={"status": "approved"}).json()
    assert mine[0]["transaction_ids"] == approved.json()["transaction_ids"]

    second = write_off(practice, client="biller", amount="21.00").json()["approval"]
    rejected = manager.post(f"/api/approvals/{second['id']}/reject", json={"reason": "collect it"})
    assert (
        rejected.json()["status"] == "rejected"
        and rejected.json()["decision_reason"] == "collect it"
    )


def test_posting_tool_draft_preview_edit_undo_post(practice, engine, actor):
    manager = practice.clients["manager"]
    [remittance] = manager.get("/api/remittances").json()
    table = manager.get(f"/api/remittances/{remittance['id']}").json()
    claim = next(i for i in table["items"] if i["level"] == "claim")
    line = next(i for i in table["items"] if i["level"] == "procedure")
    assert claim["write_off"]["allowed"] is False
    assert claim["write_off"]["reason"]["type"] == "/problems/claim-level-item"
    assert line["write_off"]["open_by_carc"] == {"3": "5.00", "2": "15.00", "1": "30.00"}

    draft = manager.post(
        "/api/drafts",
        json={
            "payment_item_id": line["id"],
            "amounts": {"1": "30.00"},
            "reason": "financial_hardship",
        },
    )
    assert draft.status_code == 201, draft.text
    preview = draft.json()["preview"]
    assert preview["procedure"]["deductible"] == {
        "before": "30.00",
        "after": "0.00",
        "changed": True,
    }
    assert preview["encounter"]["patient_balance"]["after"] == "20.00"

    edited = manager.patch(
        f"/api/drafts/{draft.json()['id']}", json={"amounts": {"1": "10.00"}, "note": "plan"}
    )
    assert edited.json()["preview"]["procedure"]["deductible"]["after"] == "20.00"
    line_again = manager.get(f"/api/remittances/{remittance['id']}").json()["items"][1]
    assert [d["id"] for d in line_again["drafts"]] == [draft.json()["id"]]

    with ThreadPoolExecutor(max_workers=2) as pool:
        posts = list(
            pool.map(lambda _: manager.post(f"/api/drafts/{draft.json()['id']}/post"), range(2))
        )
    assert {p.status_code for p in posts} == {201}
    assert len({p.json()["id"] for p in posts}) == 1
    assert patient_balance(practice) == "40.00"

    undo = manager.post(
        "/api/drafts",
        json={"payment_item_id": line["id"], "amounts": {"3": "5.00"}, "reason": "small_balance"},
    )
    assert manager.delete(f"/api/drafts/{undo.json()['id']}").status_code == 204
    assert (
        manager.post(f"/api/drafts/{undo.json()['id']}/post").json()["type"]
        == "/problems/draft-closed"
    )


def test_a_draft_above_the_billers_limit_waits_for_approval(practice):
    biller, manager = practice.clients["biller"], practice.clients["manager"]  # biller: 20.00
    [remittance] = manager.get("/api/remittances").json()
    items = manager.get(f"/api/remittances/{remittance['id']}").json()["items"]
    line = next(i for i in items if i["level"] == "procedure")
    draft = biller.post(
        "/api/drafts",
        json={"payment_item_id": line["id"], "amounts": {"1": "30.00"}, "reason": "bad_debt"},
    ).json()

    waiting = biller.post(f"/api/drafts/{draft['id']}/post")
    assert waiting.status_code == 202, waiting.text
    approval = waiting.json()
    assert (approval["status"], approval["draft_id"], approval["total"]) == (
        "pending", draft["id"], "30.00",
    )  # fmt: skip
    assert biller.get(f"/api/drafts/{draft['id']}").json()["approval_id"] == approval["id"]
    assert biller.post(f"/api/drafts/{draft['id']}/post").json()["id"] == approval["id"]
    refused = biller.patch(f"/api/drafts/{draft['id']}", json={"note": "x"})
    assert refused.status_code == 409 and "waiting" in refused.json()["detail"]
    assert patient_balance(practice) == "50.00"

    approved = manager.post(f"/api/approvals/{approval['id']}/approve").json()
    assert approved["status"] == "approved" and len(approved["transaction_ids"]) == 1
    assert biller.get(f"/api/drafts/{draft['id']}").json()["status"] == "posted"
    assert patient_balance(practice) == "20.00"


def test_idempotency_key_header_posts_once(practice):
    manager = practice.clients["manager"]
    body = {
        "write_offs": [
            {"procedure_id": practice.procedure_id, "amount": "5.00", "reason": "small_balance"}
        ]
    }
    first = manager.post("/api/write-offs", json=body, headers={"Idempotency-Key": "abc"})
    second = manager.post("/api/write-offs", json=body, headers={"Idempotency-Key": "abc"})
    assert first.json() == second.json()
    assert patient_balance(practice) == "45.00"


def test_concurrent_write_offs_of_the_same_pr_post_once(practice):
    manager = practice.clients["manager"]
    body = {
        "write_offs": [
            {"procedure_id": practice.procedure_id, "amounts": {"1": "30.00"}, "reason": "bad_debt"}
        ]
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda _: manager.post("/api/write-offs", json=body), range(2)))
    assert sorted(a.status_code for a in answers) == [201, 422]
    refused = next(a for a in answers if a.status_code == 422).json()
    assert refused["type"] in {"/problems/exceeds-open-pr", "/problems/not-patient-responsibility"}
    assert patient_balance(practice) == "20.00"


def test_unauthenticated_is_401(app):
    from fastapi.testclient import TestClient

    response = TestClient(app).get("/api/patients")
    assert response.status_code == 401 and response.json()["type"] == "/problems/unauthenticated"
    bad = TestClient(app).get("/api/patients", headers={"Authorization": "Bearer mlt_nope"})
    assert bad.status_code == 401


def test_a_database_conflict_is_a_409_problem_that_quotes_no_row_values(practice, monkeypatch):
    def raced(*_args, **_kwargs):
        raise IntegrityError("INSERT …", {}, Exception("Key (mrn)=(MRN-SECRET) already exists"))

    monkeypatch.setattr("medledger.api.routes.access.registration.add_user", raced)
    body = {
        "username": "new",
        "display_name": "New",
        "role": "biller",
        "password": "long enough pw",
    }
    answer = practice.clients["manager"].post("/api/users", json=body)
    assert answer.status_code == 409, answer.text
    assert answer.json()["type"] == "/problems/conflict"
    assert "MRN-SECRET" not in answer.text


def test_a_posting_answers_with_what_it_wrote_exactly_as_the_journal_reads_it_back(practice):
    """The answer to a post is built from the posting (no read back): it must say what a read
    says — same user, time (UTC), entries and amounts — and a repeat of the request after a
    removal is read, so it shows the reversal."""
    manager = practice.clients["manager"]
    body = {
        "write_offs": [
            {"procedure_id": practice.procedure_id, "reason": "small_balance",
             "amounts": {"2": "4.00", "3": "1.25"}, "note": "kind words"},
            {"procedure_id": practice.procedure_id, "reason": "custom",
             "custom_reason": "Goodwill", "amount": "2.10"},
        ]
    }  # fmt: skip
    posted = manager.post("/api/write-offs", json=body, headers={"Idempotency-Key": "same"})
    assert posted.status_code == 201, posted.text
    answered = posted.json()["write_offs"]
    read = [manager.get(f"/api/write-offs/{w['id']}").json() for w in answered]
    assert answered == read
    assert {w["user"] for w in answered} == {"Manager"}
    assert all(w["created_at"].endswith("Z") or w["created_at"].endswith("+00:00") for w in read)

    paid = manager.post("/api/payments", json={"patient_id": practice.patient_id, "amount": "3.00"})
    assert paid.status_code == 201, paid.text
    assert paid.json() == manager.get(f"/api/transactions/{paid.json()['id']}").json()

    removed = manager.post(
        f"/api/write-offs/{answered[0]['id']}/remove", json={"reason": "posted_in_error"}
    )
    assert removed.status_code == 201, removed.text
    repeat = manager.post("/api/write-offs", json=body, headers={"Idempotency-Key": "same"})
    assert repeat.status_code == 201
    first_again = repeat.json()["write_offs"][0]
    assert first_again["reverted_by"] == [removed.json()["id"]]
    assert first_again["remaining"] == "0.00"


def test_a_cancellation_above_the_limit_answers_202_with_the_request(practice, engine, actor):
    _, (estimated,) = builders.visit(engine, actor, practice.patient_id, ["90.00"])
    post_estimate(Database(engine), actor, estimated, {"3": "30.00"})
    manager, biller = practice.clients["manager"], practice.clients["biller"]

    def cancel(amount, dry_run=False):
        body = {"procedure_id": estimated, "amount": amount, "reason": "estimate_wrong"}
        return biller.post(f"/api/cancellations?dry_run={str(dry_run).lower()}", json=body)

    preview = cancel("25.00", dry_run=True)
    assert preview.status_code == 200 and preview.json()["approval"]["kind"] == "cancellation"
    assert manager.get("/api/approvals").json() == []
    waiting = cancel("25.00")
    assert waiting.status_code == 202, waiting.text
    approval = waiting.json()
    assert (approval["kind"], approval["status"], approval["total"]) == (
        "cancellation", "pending", "25.00"
    )  # fmt: skip
    assert approval["write_offs"] == [] and approval["cancellations"] == [
        {"procedure_id": estimated, "reason": "estimate_wrong", "amount": "25.00"}
    ]
    listed = manager.get("/api/approvals").json()
    assert [(a["id"], a["kind"]) for a in listed] == [(approval["id"], "cancellation")]
    second = cancel("6.00")  # 5.00 is free, the rest is held
    assert second.status_code == 409, second.text
    assert second.json()["type"] == "/problems/approval-pending"
    assert f"#{approval['id']}" in second.json()["detail"]
    approved = manager.post(f"/api/approvals/{approval['id']}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    (transaction_id,) = approved.json()["transaction_ids"]
    assert manager.get(f"/api/transactions/{transaction_id}").json()["kind"] == "cancellation"
    assert accounts.procedure_account(Database(engine), actor, estimated).balance.cancelled == 2500
    under = cancel("5.00")
    assert under.status_code == 201 and under.json()["kind"] == "cancellation"
