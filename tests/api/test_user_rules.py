"""POST /api/users refuses a negative write-off limit, a look-alike of an existing username and a
weak password; a username is found however its case and width are typed."""

from __future__ import annotations

import pytest

from tests.api.conftest import PASSWORD, client_for


@pytest.fixture
def admin(app, engine, actor, practice):
    """An admin of the practice (its manager, biller and desk users exist already)."""
    return client_for(app, engine, actor, "boss", "admin")


def new_user(**changes):
    return {
        "username": "newcomer", "display_name": "New", "role": "biller",
        "password": "a long enough one", **changes,
    }  # fmt: skip


def test_a_negative_write_off_limit_is_refused(admin):
    answer = admin.post("/api/users", json=new_user(write_off_limit="-5.00"))
    assert answer.status_code == 422, answer.text
    assert "negative" in answer.json()["detail"]


@pytest.mark.parametrize("look_alike", ["Manager", "manager ", "ｍａｎａｇｅｒ", " MANAGER"])
def test_a_look_alike_of_an_existing_username_is_refused(admin, look_alike):
    answer = admin.post("/api/users", json=new_user(username=look_alike))
    assert answer.status_code == 409, answer.text


@pytest.mark.parametrize("password", [" " * 10, " " * 14, "qwerty123456", "eleven char"])
def test_a_weak_password_is_refused(admin, password):
    answer = admin.post("/api/users", json=new_user(password=password))
    assert answer.status_code == 422, answer.text


def test_a_new_username_is_stored_and_answered_normalised(admin, actor):
    answer = admin.post("/api/users", json=new_user(username=" ＮｅｗＣｏｍｅｒ "))
    assert answer.status_code == 201, answer.text
    assert answer.json()["username"] == "newcomer"
    login = {"organisation_id": actor.organisation_id, "password": "a long enough one"}
    for typed in ("NEWCOMER", "newcomer", " Newcomer"):
        token = admin.post("/api/tokens", json={**login, "username": typed})
        assert token.status_code == 201, token.text


def test_login_finds_the_user_whatever_the_case(practice, actor):
    body = {"organisation_id": actor.organisation_id, "username": "Biller", "password": PASSWORD}
    assert practice.clients["desk"].post("/api/tokens", json=body).status_code == 201
