"""API tokens end: they expire, can be listed and revoked, and a password change or
deactivating their user revokes them all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from medledger.services import auth
from medledger.services.registration import actor_for
from medledger.storage.registry import now
from medledger.storage.tables import api_tokens
from tests.api.conftest import PASSWORD


def reads(client) -> int:
    return client.get("/api/patients").status_code


def token_of(client) -> str:
    return client.headers["Authorization"].removeprefix("Bearer ")


def test_a_token_expires_after_the_lifetime_its_answer_states(
    app, raw_engine, actor, practice, monkeypatch
):
    client = practice.clients["biller"]
    answer = client.post(
        "/api/tokens",
        json={"organisation_id": actor.organisation_id, "username": "biller", "password": PASSWORD},
    )
    expires = datetime.fromisoformat(answer.json()["expires_at"])
    assert abs(expires - (datetime.now(UTC) + auth.LIFETIMES.token)) < timedelta(minutes=1)
    client.headers["Authorization"] = f"Bearer {answer.json()['token']}"
    assert reads(client) == 200
    with raw_engine.begin() as connection:
        connection.execute(
            update(api_tokens)
            .where(api_tokens.c.organisation_id == actor.organisation_id)
            .values(expires_at=now() - timedelta(seconds=1))
        )
    monkeypatch.setattr(auth, "token_cache", auth.TokenCache(auth.TOKEN_CACHE_SECONDS))
    assert reads(client) == 401
    assert reads(practice.clients["manager"]) == 401


def test_tokens_are_listed_their_own_to_users_and_all_to_admins(app, actor, practice):
    """(The practice's admin is the test's actor, so an admin lists through the service.)"""
    biller, manager = practice.clients["biller"], practice.clients["manager"]
    own = biller.get("/api/tokens").json()
    assert [t["username"] for t in own] == ["biller"]
    assert "token" not in own[0] and own[0]["name"] == "api"
    everyone = auth.list_tokens(app.state.database, actor)
    assert {t.username for t in everyone} == {"biller", "manager", "desk"}
    assert [t["username"] for t in manager.get("/api/tokens").json()] == ["manager"]


def test_a_revoked_token_stops_at_once_and_only_its_holder_or_an_admin_revokes(
    app, actor, practice
):
    biller, desk = practice.clients["biller"], practice.clients["desk"]
    (mine,) = biller.get("/api/tokens").json()
    assert desk.delete(f"/api/tokens/{mine['id']}").status_code == 404  # not hers: not found
    assert reads(biller) == 200
    assert biller.delete(f"/api/tokens/{mine['id']}", params={"dry_run": "true"}).status_code == 204
    assert reads(biller) == 200
    assert biller.delete(f"/api/tokens/{mine['id']}").status_code == 204
    assert reads(biller) == 401
    (desks,) = desk.get("/api/tokens").json()
    auth.revoke_token_by_id(app.state.database, actor, desks["id"])  # the admin
    assert reads(desk) == 401


def test_a_password_change_revokes_every_token_of_the_user(app, actor, practice):
    biller = practice.clients["biller"]
    assert reads(biller) == 200
    bill = actor_for(app.state.database, actor.organisation_id, "biller", "test")
    auth.set_password(app.state.database, bill, "biller", "another long passphrase")
    assert reads(biller) == 401
    assert reads(practice.clients["manager"]) == 200


def test_an_admin_deactivates_a_user_over_the_api(app, actor, practice):
    admin_token = auth.issue_token(app.state.database, actor, "admin").token
    admin = {"Authorization": f"Bearer {admin_token}"}
    manager, desk = practice.clients["manager"], practice.clients["desk"]
    assert manager.post("/api/users/desk/deactivate").status_code == 403
    client = practice.clients["biller"]
    answer = client.post("/api/users/desk/deactivate", headers=admin, params={"dry_run": "true"})
    assert answer.status_code == 204 and reads(desk) == 200
    assert client.post("/api/users/desk/deactivate", headers=admin).status_code == 204
    assert reads(desk) == 401
    login = {"organisation_id": actor.organisation_id, "username": "desk", "password": PASSWORD}
    assert client.post("/api/tokens", json=login).status_code == 401
    assert client.post("/api/users/nobody/deactivate", headers=admin).status_code == 404
