"""The web UI's guards, over HTTP without a browser: login, CSRF, safe redirects, and a refused
form that comes back with what was typed."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from medledger.app import create_app
from medledger.services import accounts, auth, history, write_offs
from medledger.services.history import TransactionFilter
from medledger.services.registration import add_user, create_organisation, organisations
from medledger.services.remittance_views import list_remittances
from medledger.services.review_queue import held_claims
from medledger.x12 import writer as w
from tests import builders
from tests.era_builders import import_text
from tests.services.test_era_import import OFFICE_PAID, era
from tests.web.conftest import PASSWORD
from tests.web.scenarios import garcia

HTMX = {"HX-Request": "true"}


@pytest.fixture
def browser_less(engine, database, actor, staff):
    """A logged-in billing manager's client, its CSRF token, and Garcia's first charge."""
    login = staff("billing_manager")
    patient_id = garcia(engine, actor)
    charge = accounts.patient_account(database, actor, patient_id).encounters[0].procedures[0]
    client = TestClient(create_app(engine, secret_key="web-http-tests"))
    client.post(
        "/login",
        data={
            "csrf": _csrf(client.get("/login").text),
            "practice": organisations(database)[actor.organisation_id],
            "username": login.username,
            "password": PASSWORD,
        },
    )
    return client, _csrf(client.get("/").text), charge.procedure.id


def _csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def test_pages_need_a_login_and_come_back_to_where_they_were(engine):
    client = TestClient(create_app(engine, secret_key="web-http-tests"))
    answer = client.get("/patients/1/history", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Fpatients%2F1%2Fhistory"
    assert client.get("/", headers=HTMX).headers["HX-Redirect"].startswith("/login?next=")
    login = client.get("/login", params={"next": "https://elsewhere.example/steal"}).text
    assert 'name="next" value="/steal"' in login


def test_a_change_without_the_csrf_token_is_refused(browser_less, database, actor):
    client, _, charge = browser_less
    answer = client.post(
        f"/charges/{charge}/write-off", data={"amount": "5", "reason": "small_balance"}
    )
    assert answer.status_code == 403
    assert "reload and try again" in answer.text
    assert accounts.procedure_account(database, actor, charge).balance.other_adjustments == 0


def test_wrong_password_says_so_without_saying_which_part(engine, database, actor, staff):
    client = TestClient(create_app(engine, secret_key="web-http-tests"))
    answer = client.post(
        "/login",
        data={
            "csrf": _csrf(client.get("/login").text),
            "practice": organisations(database)[actor.organisation_id],
            "username": staff("biller").username,
            "password": "not the password",
        },
    )
    assert answer.status_code == 401
    assert "unknown user, wrong password" in answer.text


def test_the_practice_is_typed_never_listed_and_a_twin_name_is_told_apart_by_login(
    engine, database, actor
):
    ours = organisations(database)[actor.organisation_id]
    twin = create_organisation(database, ours.upper())  # another practice, the same name
    add_user(database, actor, "ana", "Ana", "biller", None, auth.hash_password(PASSWORD))
    add_user(
        database, twin, "ana", "Ana", "biller", None, auth.hash_password("the twin's password")
    )
    builders.patient(engine, actor, "Ours")
    builders.patient(engine, twin, "Twins")
    client = TestClient(create_app(engine, secret_key="web-http-tests"))
    page = client.get("/login").text
    assert ours not in page and ours.upper() not in page and 'name="practice"' in page

    def log_in(practice: str, password: str) -> int:
        form = {"csrf": _csrf(client.get("/login").text), "practice": practice,
                "username": "ana", "password": password}  # fmt: skip
        return client.post("/login", data=form, follow_redirects=False).status_code

    def seen() -> set[str]:
        return {p["last_name"] for p in client.get("/api/patients").json()}

    assert log_in("No such practice", PASSWORD) == 401
    assert log_in(f"  {ours.lower()} ", PASSWORD) == 303
    assert seen() == {"Ours"}
    client.post("/logout", data={"csrf": _csrf(client.get("/").text)})
    assert log_in(ours, "the twin's password") == 303
    assert seen() == {"Twins"}


def test_a_refused_remove_write_off_keeps_what_was_typed(browser_less, database, actor):
    client, csrf, charge = browser_less
    headers = {**HTMX, "X-CSRF-Token": csrf}
    posted = client.post(
        f"/charges/{charge}/write-off",
        data={"amount": "12.50", "reason": "small_balance", "key": "k1"},
        headers=headers,
    )
    assert posted.status_code == 200 and posted.headers["HX-Trigger-After-Swap"] == "closeDialog"
    again = client.post(  # the same key: Confirm pressed twice posts once
        f"/charges/{charge}/write-off",
        data={"amount": "12.50", "reason": "small_balance", "key": "k1"},
        headers=headers,
    )
    assert again.status_code == 200
    [write_off] = history.find_transactions(
        database, actor, TransactionFilter(kind="write_off", procedure_id=charge)
    )
    refused = client.post(
        f"/write-offs/{write_off.id}/remove?charge={charge}",
        data={"amount": "99.00", "reason": "wrong_amount", "remove": str(write_off.id)},
        headers=headers,
    )
    assert refused.status_code == 422
    assert re.search(r'id="remove-\d+-amount"[^>]*value="99.00"', refused.text)  # kept there ...
    assert re.search(r'id="write-off-amount"[^>]*value="37.50"', refused.text)  # ... not here
    assert 'value="wrong_amount" selected' in refused.text
    assert write_offs.can_write_off(database, actor, charge).total_cents == 3750


def test_the_api_answers_the_logged_in_session_and_a_change_through_it_needs_the_csrf_header(
    browser_less, database, actor
):
    client, csrf, charge = browser_less
    assert client.get(f"/api/procedures/{charge}").status_code == 200
    body = {"write_offs": [{"procedure_id": charge, "amount": "1.00", "reason": "small_balance"}]}

    refused = client.post("/api/write-offs", json=body)
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("/csrf-token-missing")
    assert (
        client.post("/api/write-offs", json=body, headers={"X-CSRF-Token": "forged"}).status_code
        == 403
    )
    assert accounts.procedure_account(database, actor, charge).balance.other_adjustments == 0

    assert (
        client.post("/api/write-offs", json=body, headers={"X-CSRF-Token": csrf}).status_code == 201
    )
    assert accounts.procedure_account(database, actor, charge).balance.other_adjustments == 100


def test_a_file_warning_is_shown_on_the_remittance_and_on_the_claim_it_held(
    browser_less, engine, database, actor
):
    """An 835 whose IEA02 does not repeat ISA13 imports; the posting tool's remittance and the
    held claim both say so."""
    client, _, _ = browser_less
    data = re.sub(rb"IEA\*1\*[0-9]+", b"IEA*1*999999999", era(w.claim("PCN-404", [OFFICE_PAID])))
    summary = import_text(engine, actor, data)
    [warning] = summary.warnings
    remittance = list_remittances(database, actor)[0]
    [held] = held_claims(database, actor)
    for page in (f"/remittances/{remittance.id}", f"/held-claims/{held.id}"):
        answer = client.get(page)
        assert answer.status_code == 200
        assert "IEA02 &#39;999999999&#39; does not match ISA13" in answer.text, page
    assert "does not match ISA13" in warning
