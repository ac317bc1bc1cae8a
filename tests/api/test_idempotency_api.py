"""An Idempotency-Key names one whole request: route, body and acting user.

The same key and request answer with the first result; anything else is a 409 naming the key,
and posts nothing. A key is 1 to 200 printable ASCII characters, else a 422 — on PostgreSQL too,
where a longer one used to overflow the column (a 500).
"""

from __future__ import annotations

import pytest


def _write_off(practice, amount: str) -> dict:
    return {"procedure_id": practice.procedure_id, "reason": "small_balance", "amount": amount}


def _written_off(practice) -> str:
    answer = practice.clients["manager"].get(f"/api/procedures/{practice.procedure_id}")
    return answer.json()["balance"]["other_adjustments"]


def test_a_key_cannot_add_a_write_off_to_the_batch_it_named(practice):
    manager = practice.clients["manager"]
    first = {"write_offs": [_write_off(practice, "1.00")]}
    wider = {"write_offs": [_write_off(practice, "1.00"), _write_off(practice, "2.00")]}
    posted = manager.post("/api/write-offs", json=first, headers={"Idempotency-Key": "K"})
    assert posted.status_code == 201, posted.text

    refused = manager.post("/api/write-offs", json=wider, headers={"Idempotency-Key": "K"})
    assert refused.status_code == 409, refused.text
    assert refused.json()["type"] == "/problems/idempotency-key-reused"
    assert refused.json()["idempotency_key"] == "K"
    assert "Idempotency-Key 'K'" in refused.json()["detail"]
    assert _written_off(practice) == "1.00"

    again = manager.post("/api/write-offs", json=first, headers={"Idempotency-Key": "K"})
    assert again.status_code == 201
    assert again.json() == posted.json()


def test_a_key_is_bound_to_the_user_who_sent_it(practice):
    body = {"patient_id": practice.patient_id, "amount": "3.00", "method": "cash"}
    key = {"Idempotency-Key": "pay-1"}
    assert practice.clients["manager"].post("/api/payments", json=body, headers=key).is_success
    other = practice.clients["desk"].post("/api/payments", json=body, headers=key)
    assert other.status_code == 409, other.text


def test_a_key_is_bound_to_the_route(practice):
    manager = practice.clients["manager"]
    key = {"Idempotency-Key": "one-key"}
    paid = manager.post(
        "/api/payments", json={"patient_id": practice.patient_id, "amount": "3.00"}, headers=key
    )
    assert paid.status_code == 201, paid.text
    body = {"write_offs": [_write_off(practice, "1.00")]}
    written = manager.post("/api/write-offs", json=body, headers=key)
    assert written.status_code == 409, written.text
    assert _written_off(practice) == "0.00"


@pytest.mark.parametrize("key", ["k" * 201, "k" * 5000, "clé".encode(), "\t"])
def test_a_key_outside_1_to_200_printable_ascii_is_a_422(practice, key):
    answer = practice.clients["manager"].post(
        "/api/write-offs",
        json={"write_offs": [_write_off(practice, "1.00")]},
        headers={"Idempotency-Key": key},
    )
    assert answer.status_code == 422, answer.text
    assert _written_off(practice) == "0.00"


def test_a_key_of_200_characters_is_taken(practice):
    key = {"Idempotency-Key": "k" * 200}
    answer = practice.clients["manager"].post(
        "/api/write-offs", json={"write_offs": [_write_off(practice, "1.00")]}, headers=key
    )
    assert answer.status_code == 201, answer.text


def test_the_schema_publishes_the_key_bounds(app):
    operation = app.openapi()["paths"]["/api/payments"]["post"]
    (header,) = [p for p in operation["parameters"] if p["in"] == "header"]
    assert header["name"].lower() == "idempotency-key"
    assert header["schema"]["anyOf"][0]["maxLength"] == 200
