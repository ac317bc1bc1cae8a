"""Logged-in sessions end: logging out, a password change, deactivation and the idle and
absolute timeouts each make the cookie worthless, even a copy of it; the cookie is Secure over
HTTPS (directly or via a trusted proxy), HttpOnly and SameSite=Strict."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from medledger.app import create_app
from medledger.services import auth
from medledger.services.registration import actor_for, add_user, organisations
from medledger.storage.registry import now
from medledger.storage.tables import user_sessions

PASSWORD = "correct horse battery"


@pytest.fixture
def app(engine):
    return create_app(engine, secret_key="session-tests")


@pytest.fixture
def biller(database, actor):
    add_user(database, actor, "bill", "Bill", "biller", "50.00", auth.hash_password(PASSWORD))
    return actor_for(database, actor.organisation_id, "bill", "test")


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def log_in(client: TestClient, database, actor, username: str = "bill") -> None:
    answer = client.post(
        "/login",
        data={
            "csrf": csrf_of(client.get("/login").text),
            "practice": organisations(database)[actor.organisation_id],
            "username": username,
            "password": PASSWORD,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


def copy_of(client: TestClient, app) -> TestClient:
    """Another browser holding the same cookie (stolen, or kept from before a logout)."""
    thief = TestClient(app)
    thief.cookies.set("session", client.cookies["session"])
    return thief


def reads_patients(client: TestClient) -> bool:
    """Whether the cookie still works, on the API and on a page."""
    api = client.get("/api/patients").status_code
    page = client.get("/", follow_redirects=False).status_code
    assert (api == 200) == (page == 200), (api, page)
    return api == 200


def test_after_logout_a_copied_cookie_reads_nothing(app, database, actor, biller):
    client = TestClient(app)
    log_in(client, database, actor)
    thief = copy_of(client, app)
    assert reads_patients(thief)
    client.post("/logout", data={"csrf": csrf_of(client.get("/").text)})
    assert not reads_patients(client)
    assert not reads_patients(thief)


def test_a_password_change_ends_every_session_of_the_user(app, database, actor, biller):
    first, second = TestClient(app), TestClient(app)
    log_in(first, database, actor)
    log_in(second, database, actor)
    auth.set_password(database, biller, "bill", "a brand new passphrase")
    assert not reads_patients(first)
    assert not reads_patients(second)


def test_deactivating_a_user_ends_their_sessions_and_logins(app, database, actor, biller):
    client = TestClient(app)
    log_in(client, database, actor)
    auth.deactivate_user(database, actor, "bill")
    assert not reads_patients(client)
    with pytest.raises(auth.Unauthenticated):
        auth.login(database, actor.organisation_id, "bill", PASSWORD, "ui")


def _age(engine, user_id: int, column: str, by: timedelta) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(user_sessions)
            .where(user_sessions.c.user_id == user_id)
            .values({column: now() - by})
        )


@pytest.mark.parametrize(
    ("column", "lifetime"), [("last_seen_at", "session_idle"), ("created_at", "session_absolute")]
)
def test_a_session_ends_after_its_idle_and_absolute_timeouts(
    app, raw_engine, database, actor, biller, column, lifetime
):
    client = TestClient(app)
    log_in(client, database, actor)
    limit = getattr(auth.LIFETIMES, lifetime)
    _age(raw_engine, biller.user_id, column, limit - timedelta(minutes=2))
    assert reads_patients(client)
    _age(raw_engine, biller.user_id, column, limit + timedelta(seconds=1))
    assert not reads_patients(client)
    with raw_engine.connect() as connection:  # the ended session's row went with it
        rows = connection.execute(
            select(user_sessions).where(user_sessions.c.user_id == biller.user_id)
        )
        assert rows.first() is None


def test_a_request_moves_the_idle_timeout_on(app, raw_engine, database, actor, biller):
    client = TestClient(app)
    log_in(client, database, actor)
    _age(
        raw_engine,
        biller.user_id,
        "last_seen_at",
        auth.LIFETIMES.session_idle - timedelta(minutes=2),
    )
    assert reads_patients(client)
    with raw_engine.connect() as connection:
        seen = connection.execute(
            select(user_sessions.c.last_seen_at).where(user_sessions.c.user_id == biller.user_id)
        ).scalar_one()
    assert now() - seen < timedelta(minutes=1)


def _session_cookie(answer) -> str:
    (cookie,) = [c for c in answer.headers.get_list("set-cookie") if c.startswith("session=")]
    return cookie.lower()


def test_the_cookie_is_secure_over_https_and_always_httponly_and_strict(engine):
    plain = _session_cookie(TestClient(create_app(engine)).get("/login"))
    https = TestClient(create_app(engine), base_url="https://testserver")
    secure = _session_cookie(https.get("/login"))
    assert "; secure" in secure and "; secure" not in plain
    for cookie in (plain, secure):
        assert "httponly" in cookie and "samesite=strict" in cookie


def test_https_through_a_trusted_proxy_makes_the_cookie_secure(engine, monkeypatch):
    forwarded = {"X-Forwarded-Proto": "https"}
    untrusted = _session_cookie(TestClient(create_app(engine)).get("/login", headers=forwarded))
    monkeypatch.setenv("MEDLEDGER_TRUSTED_PROXIES", "testclient")
    trusted = _session_cookie(TestClient(create_app(engine)).get("/login", headers=forwarded))
    assert "; secure" in trusted and "; secure" not in untrusted


def test_every_app_on_a_database_signs_with_the_key_stored_with_it(engine, monkeypatch):
    """Without MEDLEDGER_SECRET_KEY, a cookie made by one process works in another."""
    monkeypatch.delenv("MEDLEDGER_SECRET_KEY", raising=False)
    first, second = TestClient(create_app(engine)), TestClient(create_app(engine))
    first.get("/login")
    second.cookies.set("session", first.cookies["session"])
    assert 'name="csrf" value="' + csrf_of(first.get("/login").text) in second.get("/login").text
    monkeypatch.setenv("MEDLEDGER_SECRET_KEY", "set by the operator")
    third = TestClient(create_app(engine))
    third.cookies.set("session", first.cookies["session"])
    assert csrf_of(first.get("/login").text) != csrf_of(third.get("/login").text)
