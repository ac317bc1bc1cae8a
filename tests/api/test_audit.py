"""The audit trail: every mutating request, with user, organisation, route template and outcome."""

from __future__ import annotations

from sqlalchemy import select

from medledger.storage.tables import audit_events, users


def events(engine, organisation_id):
    with engine.connect() as connection:
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
