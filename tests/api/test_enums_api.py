"""Every field that takes one of a fixed set of words is an enum in the OpenAPI document, with
exactly the values of its one source (``domain/`` or ``services/``), and a value outside it is a
422 problem naming the field and every value allowed — before any service runs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pytest

from medledger.domain.reasons import CancelReason, ReversalReason, WriteOffReason
from medledger.domain.registration import CoverageOrder, Sex
from medledger.domain.statuses import ApprovalStatus, Role
from medledger.services.payments import PaymentMethod
from tests.api.conftest import client_for

BAD_VALUES = ["bogus", "", "CUSTOM"]


@dataclass(frozen=True)
class Field:
    """An enum field: the operation, where the value goes (a JSON body built around it, or a
    query parameter), and the values it must allow."""

    method: str
    path: str
    location: tuple[str, ...]  # as the problem's ``errors[].location`` names it
    allowed: list[str]
    body: Any = None  # a function of the value, for a body field

    def send(self, client, value: str):
        if self.body is None:
            return client.request(self.method, self.path, params={self.location[-1]: value})
        return client.request(self.method, self.path, json=self.body(value))

    def __str__(self) -> str:
        return f"{self.method} {self.path} {'.'.join(self.location[1:])}"


def values(enum: type[StrEnum]) -> list[str]:
    return [member.value for member in enum]


def _write_off(value):
    return {"write_offs": [{"procedure_id": 1, "amount": "1.00", "reason": value}]}


FIELDS = [
    Field("POST", "/api/payments", ("body", "method"), values(PaymentMethod),
          lambda v: {"patient_id": 1, "amount": "1.00", "method": v}),
    Field("POST", "/api/write-offs", ("body", "write_offs", "0", "reason"),
          values(WriteOffReason), _write_off),
    Field("POST", "/api/write-offs/1/remove", ("body", "reason"), values(ReversalReason),
          lambda v: {"reason": v}),
    Field("POST", "/api/cancellations", ("body", "reason"), values(CancelReason),
          lambda v: {"procedure_id": 1, "amount": "1.00", "reason": v}),
    Field("POST", "/api/transactions/1/reverse", ("body", "reason"), values(ReversalReason),
          lambda v: {"reason": v}),
    Field("POST", "/api/procedures/1/void", ("body", "reason"), values(CancelReason),
          lambda v: {"reason": v}),
    Field("POST", "/api/drafts", ("body", "reason"), values(WriteOffReason),
          lambda v: {"procedure_id": 1, "amounts": {"2": "1.00"}, "reason": v}),
    Field("PATCH", "/api/drafts/1", ("body", "reason"), values(WriteOffReason),
          lambda v: {"reason": v}),
    Field("POST", "/api/users", ("body", "role"), values(Role),
          lambda v: {"username": "u", "display_name": "U", "role": v,
                     "password": "long enough password"}),
    Field("POST", "/api/patients", ("body", "sex"), values(Sex),
          lambda v: {"mrn": "M-1", "last_name": "Doe", "sex": v}),
    Field("POST", "/api/patients", ("body", "coverages", "0", "order"), values(CoverageOrder),
          lambda v: {"mrn": "M-1", "last_name": "Doe",
                     "coverages": [{"payer_code": "BCBS", "order": v}]}),
    Field("GET", "/api/approvals", ("query", "status"), values(ApprovalStatus)),
    Field("GET", "/api/write-offs", ("query", "reason"), values(WriteOffReason)),
    Field("GET", "/api/write-offs", ("query", "sort"), ["created_at", "-created_at"]),
]  # fmt: skip


@pytest.fixture
def admin(app, engine, actor):
    return client_for(app, engine, actor, "enums", "admin")


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """A schema with its ``$ref`` followed and an optional (``anyOf`` with null) unwrapped."""
    if "$ref" in schema:
        return _resolve(document, document["components"]["schemas"][schema["$ref"].split("/")[-1]])
    options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    if len(options) == 1:
        return _resolve(document, options[0])
    return schema


def _operation(document: dict[str, Any], field: Field) -> dict[str, Any]:
    wanted = field.path.split("/")
    for path, operations in document["paths"].items():
        parts = path.split("/")
        same = len(parts) == len(wanted) and all(
            p == w or (p.startswith("{") and w.isdigit())
            for p, w in zip(parts, wanted, strict=True)
        )
        if same and field.method.lower() in operations:
            return operations[field.method.lower()]
    raise AssertionError(f"no operation {field}")


def _field_schema(document: dict[str, Any], field: Field) -> dict[str, Any]:
    operation = _operation(document, field)
    if field.location[0] == "query":
        (parameter,) = [p for p in operation["parameters"] if p["name"] == field.location[-1]]
        return _resolve(document, parameter["schema"])
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    for name in field.location[1:]:
        schema = _resolve(document, schema)
        schema = schema["items"] if name.isdigit() else schema["properties"][name]
    return _resolve(document, schema)


@pytest.mark.parametrize("field", FIELDS, ids=str)
def test_the_schema_declares_the_field_as_an_enum_of_its_source(app, field):
    schema = _field_schema(app.openapi(), field)
    assert schema.get("enum") == field.allowed, schema


@pytest.mark.parametrize("value", BAD_VALUES)
@pytest.mark.parametrize("field", FIELDS, ids=str)
def test_a_value_outside_the_enum_is_a_422_naming_the_field_and_the_choices(admin, field, value):
    response = field.send(admin, value)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/invalid-input"
    (error,) = [e for e in problem["errors"] if tuple(e["location"]) == field.location]
    assert all(f"'{allowed}'" in error["message"] for allowed in field.allowed), error
    assert ".".join(field.location[1:]) in problem["detail"]


@pytest.mark.parametrize("field", [f for f in FIELDS if f.location[0] == "query"], ids=str)
def test_every_value_of_a_query_enum_is_read(admin, field):
    for allowed in field.allowed:
        response = field.send(admin, allowed)
        assert response.status_code == 200, response.text
