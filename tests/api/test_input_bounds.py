"""Every amount, id and day the API reads is bounded: outside the bounds a 422 problem, never a
5xx and never a posting (on SQLite and PostgreSQL alike)."""

from __future__ import annotations

import pytest

from medledger.domain.money import AMOUNT_PATTERN, MAX_AMOUNT_LENGTH

HUGE_AMOUNTS = [
    "100000000000000000000",  # 10^20: overflowed a 64-bit column (a 500)
    "92000000000000000.00",  # 92 quadrillion: was accepted, and broke the collections report
    "10000000000.00",  # one past ten digits
    "00000000001.00",  # eleven digits, even if most are zeros
]
FOREIGN_DIGITS = ["１２.５０", "²", "٣.٠٠", "1２.00"]


def _pay(practice, amount):
    return practice.clients["manager"].post(
        "/api/payments",
        json={"patient_id": practice.patient_id, "amount": amount, "method": "cash"},
    )


def _payments(practice):
    listed = practice.clients["manager"].get(f"/api/patients/{practice.patient_id}/history")
    assert listed.status_code == 200, listed.text
    return [line for line in listed.json() if line["kind"] == "payment"]


@pytest.mark.parametrize("amount", HUGE_AMOUNTS + FOREIGN_DIGITS)
def test_amount_out_of_bounds_or_in_foreign_digits_is_a_422(practice, amount):
    response = _pay(practice, amount)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["location"] == ["body", "amount"]
    assert _payments(practice) == []


def test_the_largest_amount_is_accepted_and_one_cent_more_is_not(practice):
    assert _pay(practice, "10000000000.00").status_code == 422
    accepted = _pay(practice, "9999999999.99")
    assert accepted.status_code == 201, accepted.text


def test_refusals_say_what_is_wrong(practice):
    assert "at most 9999999999.99" in _pay(practice, "92000000000000000.00").json()["detail"]
    assert "digits 0-9" in _pay(practice, "１２.５０").json()["detail"]


def test_write_off_amounts_per_carc_are_bounded_too(practice):
    response = practice.clients["manager"].post(
        "/api/write-offs",
        json={"procedure_id": practice.procedure_id, "reason": "small_balance",
              "amounts": {"2": "100000000000000000000"}},
    )  # fmt: skip
    assert response.status_code == 422, response.text


def test_the_schema_publishes_the_amount_pattern_and_length(app):
    schema = app.openapi()["components"]["schemas"]["PaymentIn"]["properties"]["amount"]
    assert schema["pattern"] == AMOUNT_PATTERN
    assert schema["maxLength"] == MAX_AMOUNT_LENGTH
    assert "(?P<" not in AMOUNT_PATTERN  # plain ECMA syntax, readable by any client


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/reports/adjustments", {"start": "0001-01-01"}),
        ("/api/reports/adjustments", {"end": "9999-12-31"}),
        ("/api/reports/collections", {"start": "1899-12-31"}),
        ("/api/reports/payers", {"end": "2101-01-01"}),
        ("/api/reports/aging", {"as_of": "9999-12-31"}),
        ("/api/write-offs", {"start": "0001-01-01T00:00:00"}),
        ("/api/write-offs", {"end": "9999-12-31T23:59:59"}),
    ],
)
def test_days_outside_1900_to_2100_are_a_422(practice, path, params):
    response = practice.clients["manager"].get(path, params=params)
    assert response.status_code == 422, response.text
    assert "between 1900-01-01 and 2100-12-31" in response.json()["detail"]


def test_days_inside_the_bounds_are_read(practice):
    response = practice.clients["manager"].get(
        "/api/reports/adjustments", params={"start": "1900-01-01", "end": "2100-12-31"}
    )
    assert response.status_code == 200, response.text
