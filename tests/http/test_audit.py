"""The audit trail: every mutating request, with user, organisation, route template and outcome."""

from __future__ import annotations

from sqlalchemy import select

from medledger.storage.tables import audit_events, users
from tests import builders


def events(engine, organisation_id):
    with builders.reading(engine, organisation_id) as connection:
        rows = connection.execute(
            select(audit_events, users.c.username)
            .outerjoin(users, users.c.id == audit_events.c.user_id)
            .where(audit_events.c.organisation_id == organisation_id)
            .order_by(audit_events.c.id)
        ).all()
        connection.rollback()
    # the route template as FastAPI names it (an included router's path, without the prefix)
    return [(r.username, r.action.replace("/api/", "/"), r.outcome, r.status_code) for r in rows]


def test_mutating_requests_are_recorded_reads_are_not(practice, engine, actor):
    manager = practice.clients["manager"]
    before = events(engine, actor.organisation_id)
    body = {"procedure_id": practice.procedure_id, "amounts": {"2": "0.01"}, "reason": "bad_debt"}
    assert manager.post("/api/write-offs", json={"write_offs": [body]}).status_code == 201
    too_much = {**body, "amounts": {"2": "999.00"}}
    assert manager.post("/api/write-offs", json={"write_offs": [too_much]}).status_code == 422
    assert manager.get(f"/api/procedures/{practice.procedure_id}").status_code == 200

    assert events(engine, actor.organisation_id)[len(before) :] == [
        ("manager", "POST /write-offs", "ok", 201),
        ("manager", "POST /write-offs", "refused", 422),
    ]


def test_a_request_that_commits_is_recorded_once_with_its_final_status(practice, engine, actor):
    """The event is written inside the request's first commit; a write-off filed for approval
    (202) and an approval that posts and then closes the request are each one event."""
    biller, manager = practice.clients["biller"], practice.clients["manager"]
    before = events(engine, actor.organisation_id)
    body = {"procedure_id": practice.procedure_id, "amounts": {"1": "25.00"}, "reason": "bad_debt"}
    filed = biller.post("/api/write-offs", json={"write_offs": [body]})
    assert filed.status_code == 202
    approval_id = filed.json()["approval"]["id"]
    assert manager.post(f"/api/approvals/{approval_id}/approve").status_code == 200
    repeat = manager.post(f"/api/approvals/{approval_id}/approve")
    assert repeat.status_code >= 400

    assert events(engine, actor.organisation_id)[len(before) :] == [
        ("biller", "POST /write-offs", "ok", 202),
        ("manager", "POST /approvals/{approval_id}/approve", "ok", 200),
        ("manager", "POST /approvals/{approval_id}/approve", "refused", repeat.status_code),
    ]


def test_an_idempotent_repeat_commits_nothing_and_is_still_recorded(practice, engine, actor):
    manager = practice.clients["manager"]
    before = events(engine, actor.organisation_id)
    body = {"procedure_id": practice.procedure_id, "amounts": {"2": "0.01"}, "reason": "bad_debt"}
    for _ in range(2):
        response = manager.post(
            "/api/write-offs", json={"write_offs": [body]}, headers={"Idempotency-Key": "k-1"}
        )
        assert response.status_code == 201
    assert (
        events(engine, actor.organisation_id)[len(before) :]
        == [("manager", "POST /write-offs", "ok", 201)] * 2
    )
