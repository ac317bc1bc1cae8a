"""Every mutating route of the OpenAPI document declares ``dry_run`` and, asked with
``dry_run=true``, changes nothing: the walk prepares a request each route would accept, sends it
as a dry run, and compares every table's row count and a checksum of the money tables before
and after (the request's own audit event aside: a dry run is still a request someone made).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from medledger.services import drafts
from medledger.services.adjudication import post_estimate
from medledger.services.ledger_requests import WriteOffRequest
from medledger.services.payments import record_payment
from medledger.services.registration import actor_for
from medledger.services.write_offs import submit_write_offs
from medledger.storage.tables import metadata
from medledger.x12 import writer as w
from tests import builders
from tests.api.conftest import PASSWORD, client_for
from tests.api.test_claim_files_api import march
from tests.services.test_csv_import import HEADER
from tests.services.test_era_import import LAB, LAB_PAID, OFFICE, OFFICE_PAID, era, visit

MUTATING = {"post", "put", "patch", "delete"}
MONEY_TABLES = (
    "ledger_transactions", "ledger_entries", "procedure_balances", "patient_open_pr",
    "patient_payments", "refunds", "approval_requests", "approval_reservations", "drafts",
    "review_items", "users", "api_tokens", "user_sessions",
)  # fmt: skip


def snapshot(engine: Engine) -> tuple[dict[str, int], str]:
    """Row counts of every table but the audit trail, and one checksum over the money tables."""
    digest = hashlib.sha256()
    with engine.connect() as connection:
        counts = {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in metadata.sorted_tables
            if table.name != "audit_events"
        }
        for name in MONEY_TABLES:
            table = metadata.tables[name]
            rows = connection.execute(select(table).order_by(*table.primary_key.columns))
            for row in rows:
                digest.update(repr(tuple(row)).encode())
        connection.rollback()
    return counts, digest.hexdigest()


@dataclass(frozen=True)
class World:
    """Rows every mutating route can act on."""

    organisation_id: int
    patient_id: int
    procedure_id: int
    estimated_procedure_id: int
    write_off_id: int
    payment_id: int
    draft_id: int
    approval_id: int
    held_item_id: int
    held_encounter_id: int
    void_procedure_id: int
    token_id: int


@pytest.fixture
def world(practice, engine, database, actor) -> World:
    manager = practice.clients["manager"]
    write_off_id = builders.write_off(
        engine, actor, practice.procedure_id, amounts={"1": "5.00"}, reason="small_balance"
    )
    payment = record_payment(database, actor, practice.patient_id, "10.00")
    payment_id = manager.get(f"/api/transactions/{payment}").json()["payment_id"]
    _, (estimated,) = builders.visit(engine, actor, practice.patient_id, ["80.00"])
    _, (voidable,) = builders.visit(engine, actor, practice.patient_id, ["40.00"])
    post_estimate(database, actor, estimated, {"3": "20.00"})
    draft = drafts.create_draft(
        database,
        actor,
        procedure_id=practice.procedure_id,
        amounts={"2": "1.00"},
        reason="bad_debt",
    )
    _, (other,) = builders.adjudicated_patient(engine, actor, ["100.00"], {"PR-2": 5000})
    biller = actor_for(database, actor.organisation_id, "biller", "test")
    over = [WriteOffRequest("small_balance", other, total="25.00")]
    approval = submit_write_offs(database, biller, over, None).approval
    assert approval is not None
    (held_encounter,) = [visit(engine, actor, "PCN-7", OFFICE, LAB)]
    upload = {"file": ("june.835", era(w.claim("PCN-77", [OFFICE_PAID, LAB_PAID])), "text/plain")}
    assert manager.post("/api/era-imports", files=upload).status_code == 201
    [held] = manager.get("/api/held-claims").json()
    encounter_id = manager.get(f"/api/procedures/{held_encounter[0]}").json()["encounter_id"]
    [token] = manager.get("/api/tokens").json()
    return World(
        actor.organisation_id, practice.patient_id, practice.procedure_id, estimated,
        write_off_id, payment_id, draft.id, approval.id, held["id"], encounter_id, voidable,
        token["id"],
    )  # fmt: skip


def _era_file(_: World) -> dict[str, Any]:
    data = era(w.claim("PCN-7", [OFFICE_PAID, LAB_PAID]), trace="EFT-2")
    return {"files": {"file": ("july.835", data, "text/plain")}}


#: (method, path template) -> (path, request arguments) of a request the route accepts.
REQUESTS: dict[tuple[str, str], Callable[[World], tuple[str, dict[str, Any]]]] = {
    ("post", "/api/write-offs"): lambda x: ("/api/write-offs", {"json": {"write_offs": [
        {"procedure_id": x.procedure_id, "amount": "2.00", "reason": "small_balance"}]}}),
    ("post", "/api/write-offs/{write_off_id}/remove"): lambda x: (
        f"/api/write-offs/{x.write_off_id}/remove", {"json": {"reason": "posted_in_error"}}),
    ("post", "/api/cancellations"): lambda x: ("/api/cancellations", {"json": {
        "procedure_id": x.estimated_procedure_id, "reason": "estimate_wrong"}}),
    ("post", "/api/payments"): lambda x: ("/api/payments", {"json": {
        "patient_id": x.patient_id, "amount": "7.00"}}),
    ("post", "/api/payments/{payment_id}/refunds"): lambda x: (
        f"/api/payments/{x.payment_id}/refunds", {"json": {"amount": "1.00"}}),
    ("post", "/api/transactions/{transaction_id}/reverse"): lambda x: (
        f"/api/transactions/{x.write_off_id}/reverse", {"json": {"reason": "posted_in_error"}}),
    ("post", "/api/drafts"): lambda x: ("/api/drafts", {"json": {
        "procedure_id": x.procedure_id, "amounts": {"2": "1.00"}, "reason": "bad_debt"}}),
    ("patch", "/api/drafts/{draft_id}"): lambda x: (
        f"/api/drafts/{x.draft_id}", {"json": {"note": "changed"}}),
    ("delete", "/api/drafts/{draft_id}"): lambda x: (f"/api/drafts/{x.draft_id}", {}),
    ("post", "/api/drafts/{draft_id}/post"): lambda x: (f"/api/drafts/{x.draft_id}/post", {}),
    ("post", "/api/era-imports"): lambda x: ("/api/era-imports", _era_file(x)),
    ("post", "/api/held-claims/{item_id}/post"): lambda x: (
        f"/api/held-claims/{x.held_item_id}/post", {"json": {"encounter_id": x.held_encounter_id}}),
    ("post", "/api/held-claims/{item_id}/dismiss"): lambda x: (
        f"/api/held-claims/{x.held_item_id}/dismiss", {"json": {"reason": "sent twice"}}),
    ("post", "/api/claim-files"): lambda x: ("/api/claim-files", {"files": {
        "file": ("march.837", march().encode(), "text/plain")}}),
    ("post", "/api/tokens"): lambda x: ("/api/tokens", {"json": {
        "organisation_id": x.organisation_id, "username": "manager", "password": PASSWORD}}),
    ("delete", "/api/tokens/{token_id}"): lambda x: (f"/api/tokens/{x.token_id}", {}),
    ("post", "/api/users/{username}/deactivate"): lambda x: ("/api/users/desk/deactivate", {}),
    ("post", "/api/users"): lambda x: ("/api/users", {"json": {
        "username": "newcomer", "display_name": "New", "role": "biller",
        "password": "a long enough one"}}),
    ("post", "/api/approvals/{approval_id}/approve"): lambda x: (
        f"/api/approvals/{x.approval_id}/approve", {}),
    ("post", "/api/approvals/{approval_id}/reject"): lambda x: (
        f"/api/approvals/{x.approval_id}/reject", {"json": {"reason": "not now"}}),
    ("post", "/api/patients"): lambda x: ("/api/patients", {"json": {
        "mrn": "WALK-1", "last_name": "Walker", "coverages": [{"payer_code": "NEWPAYER"}]}}),
    ("patch", "/api/patients/{patient_id}"): lambda x: (
        f"/api/patients/{x.patient_id}", {"json": {"city": "Elsewhere",
                                                    "coverages": [{"payer_code": "NEWPAYER"}]}}),
    ("post", "/api/patients/{patient_id}/encounters"): lambda x: (
        f"/api/patients/{x.patient_id}/encounters", {"json": {"date_of_service": "2026-03-01",
            "procedures": [{"code": "99213", "charge": "10.00"}]}}),
    ("post", "/api/procedures/{procedure_id}/void"): lambda x: (
        f"/api/procedures/{x.void_procedure_id}/void", {"json": {}}),
    ("post", "/api/csv-files"): lambda x: ("/api/csv-files", {"files": {"file": (
        "walk.csv", (HEADER + "W-2,Walker,,,,,,,,WV-1,2026-03-01,,,99213,,,1.00\n").encode())}}),
}  # fmt: skip


def mutating_routes(app) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, operations in app.openapi()["paths"].items()
        for method, operation in operations.items()
        if method in MUTATING and path.startswith("/api/")
    ]


def test_every_mutating_route_declares_dry_run_and_is_walked(app):
    routes = mutating_routes(app)
    undeclared = [
        f"{method.upper()} {path}"
        for method, path, operation in routes
        if "dry_run" not in {p["name"] for p in operation.get("parameters", [])}
    ]
    assert undeclared == []
    assert {(method, path) for method, path, _ in routes} == set(REQUESTS)


def test_a_dry_run_of_every_mutating_route_changes_nothing(app, engine, raw_engine, actor, world):
    admin = client_for(app, engine, actor, "walker", "admin")  # may do everything
    for method, template, _ in mutating_routes(app):
        path, arguments = REQUESTS[(method, template)](world)
        before = snapshot(raw_engine)
        answer = admin.request(method.upper(), path, params={"dry_run": "true"}, **arguments)
        assert answer.status_code < 300, (method, template, answer.text)
        assert snapshot(raw_engine) == before, (method, template)
    before = snapshot(raw_engine)
    path, arguments = REQUESTS[("post", "/api/payments")](world)
    assert admin.post(path, **arguments).status_code == 201
    assert snapshot(raw_engine) != before  # the snapshot does see a change


def test_a_dry_run_above_the_limit_answers_what_would_wait(practice, raw_engine):
    biller = practice.clients["biller"]
    body = {"write_offs": [{"procedure_id": practice.procedure_id, "amount": "25.00",
                            "reason": "small_balance"}]}  # fmt: skip
    before = snapshot(raw_engine)
    answer = biller.post("/api/write-offs", json=body, params={"dry_run": "true"})
    assert answer.status_code == 200, answer.text
    effect = answer.json()
    assert effect["dry_run"] is True and effect["approval"]["total"] == "25.00"
    assert effect["entries"]  # the write-off it planned, as the manager would post it
    assert snapshot(raw_engine) == before
    assert biller.post("/api/write-offs", json=body).status_code == 202  # for real: it waits
