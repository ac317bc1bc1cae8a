"""An API client per test: the app on the test engine, and logged-in users of each role."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from medledger.app import create_app
from medledger.services import auth
from medledger.services.registration import add_user
from medledger.storage.unit_of_work import Database
from tests import builders

PASSWORD = "correct horse battery"


@dataclass
class Practice:
    """One organisation: clients per role, and a visit with PR on one procedure."""

    clients: dict[str, TestClient]
    patient_id: int
    encounter_id: int
    procedure_id: int
    remittance_transaction_id: int


@pytest.fixture
def app(engine):
    return create_app(engine, secret_key="test-secret")


def client_for(
    app, engine, actor, username: str, role: str, limit: str | None = None
) -> TestClient:
    add_user(
        Database(engine),
        actor,
        username,
        username.title(),
        role,
        limit,
        auth.hash_password(PASSWORD),
    )
    client = TestClient(app)
    response = client.post(
        "/api/tokens",
        json={"organisation_id": actor.organisation_id, "username": username, "password": PASSWORD},
    )
    assert response.status_code == 201, response.text
    client.headers["Authorization"] = f"Bearer {response.json()['token']}"
    return client


@pytest.fixture
def practice(app, engine, actor) -> Practice:
    """Office visit $150: paid 60, CO-45 40, deductible 30, coinsurance 15, copay 5 (PR 50)."""
    clients = {
        "manager": client_for(app, engine, actor, "manager", "billing_manager"),
        "biller": client_for(app, engine, actor, "biller", "biller", "20.00"),
        "desk": client_for(app, engine, actor, "desk", "front_desk"),
    }
    patient_id = builders.patient(engine, actor)
    encounter_id, (procedure_id,) = builders.visit(engine, actor, patient_id, ["150.00"])
    remittance = builders.adjudicate(
        engine, actor, encounter_id,
        {procedure_id: (15000, 6000, {"CO-45": 4000, "PR-1": 3000, "PR-2": 1500, "PR-3": 500})},
    )  # fmt: skip
    return Practice(clients, patient_id, encounter_id, procedure_id, remittance)
