"""Who is calling: a bearer token, read from the request's own headers, and declared once in
the OpenAPI document as its security scheme (not a header parameter of every operation)."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_only_a_bearer_token_of_this_server_authenticates_a_program(app, practice):
    manager = practice.clients["manager"]
    path = f"/api/procedures/{practice.procedure_id}"
    assert manager.get(path).status_code == 200
    token = manager.headers["Authorization"].split(" ", 1)[1]
    anonymous = TestClient(app)
    for header in (f"Basic {token}", "Bearer", "Bearer ", "bearer mlt_nope", token):
        answer = anonymous.get(path, headers={"Authorization": header})
        assert answer.status_code == 401, header
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert anonymous.get(path, headers={"Authorization": f"bearer  {token} "}).status_code == 200


def test_the_openapi_document_declares_the_bearer_scheme_once_and_the_login_needs_none(app):
    document = app.openapi()
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert document["security"] == [{"bearer": []}]
    assert document["paths"]["/api/tokens"]["post"]["security"] == []
    headers = {
        parameter["name"].lower()
        for path in document["paths"].values()
        for operation in path.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "header"
    }
    assert headers == {"idempotency-key"}
