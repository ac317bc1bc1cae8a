"""The admin's Access screen, over HTTP: every user with their open sessions, the tokens that
still work; revoking a token and deactivating a user take effect at once, and nobody else gets
the screen."""

from __future__ import annotations

from fastapi.testclient import TestClient

from medledger.app import create_app
from medledger.services import auth
from medledger.services.registration import actor_for
from tests.http.test_session_lifecycle import PASSWORD, csrf_of, log_in

HTMX = {"HX-Request": "true"}


def test_an_admin_revokes_a_token_and_deactivates_a_user(engine, database, actor, staff):
    auth.set_password(database, actor, "admin", PASSWORD)
    biller = staff("biller")
    bill = actor_for(database, actor.organisation_id, biller.username, "test")
    token = auth.issue_token(database, bill, "nightly export").token
    app = create_app(engine, secret_key="access-screen")
    admin, theirs = TestClient(app), TestClient(app)
    log_in(admin, database, actor, "admin")
    log_in(theirs, database, actor, biller.username)
    page = admin.get("/access").text
    assert "nightly export" in page and biller.username in page
    assert 'href="/access"' in page
    csrf = csrf_of(page)
    (listed,) = [t for t in auth.list_tokens(database, actor) if t.name == "nightly export"]

    answer = admin.post(f"/access/tokens/{listed.id}/revoke", data={"csrf": csrf}, headers=HTMX)
    assert answer.status_code == 200 and f"Token #{listed.id} revoked." in answer.text
    assert "nightly export" not in answer.text
    bearer = {"Authorization": f"Bearer {token}"}
    assert TestClient(app).get("/api/patients", headers=bearer).status_code == 401

    assert theirs.get("/", follow_redirects=False).status_code == 200
    answer = admin.post(
        "/access/deactivate", data={"csrf": csrf, "username": biller.username}, headers=HTMX
    )
    assert answer.status_code == 200 and "deactivated" in answer.text
    assert theirs.get("/", follow_redirects=False).status_code == 303

    refused = admin.post("/access/deactivate", data={"csrf": csrf, "username": "admin"})
    assert refused.status_code == 422 and "cannot deactivate yourself" in refused.text


def test_only_an_admin_sees_the_access_screen(engine, database, actor, staff):
    manager = staff("billing_manager")
    client = TestClient(create_app(engine, secret_key="access-screen"))
    log_in(client, database, actor, manager.username)
    assert 'href="/access"' not in client.get("/").text
    assert client.get("/access").status_code == 403
