"""Whatever a form sends, the web UI answers with a page or a message — never a server error.

A fuzzer walks every form route of the web app (every POST route, found on the app itself, so a
new one cannot be missed) with hostile values in the fields the route declares, foreign and
unknown field names, and path ids of other rows, and counts the 5xx answers: there must be none.
Beside it, the findings that were 500s, each as a worked example that also shows nothing changed.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medledger.app import create_app
from medledger.domain.reasons import WriteOffReason
from medledger.domain.statuses import ApprovalStatus
from medledger.services import accounts, drafts, history, ledger_requests, posting_tool, write_offs
from medledger.services.payments import PaymentMethod, record_payment
from medledger.services.registration import actor_for, organisations
from medledger.services.review_queue import held_claims
from medledger.services.work_list import remittances_to_post
from medledger.storage.unit_of_work import Database
from medledger.web import ROUTERS
from medledger.web.forms import FormFields
from medledger.web.routing import WebRoute
from medledger.x12 import writer as w
from tests.era_builders import import_text
from tests.services.test_era_import import LAB_PAID, era
from tests.web.conftest import PASSWORD
from tests.web.scenarios import garcia

HTMX = {"HX-Request": "true"}
EXAMPLES_PER_ROUTE = 25
HOSTILE = [
    "", " ", "abc", "1.5", "²", "１２.５０", "٣", "-1", "0", "12.345", "1e3", "NaN", "$",
    "100000000000000000000", "92000000000000000.00", "9" * 40, str(2**63), "\x00", "a\x07b",
    "x" * 2100, "<script>alert(1)</script>", "' OR 1=1 --", "custom", "small_balance", "cash",
    "note", "2", "1",
]  # fmt: skip
UNKNOWN_FIELDS = ["evil", "amount2", "carc-", "carc-²", "procedure-1-x", "procedure-²-1", "file"]


@dataclass
class Rows:
    """Real ids of every kind a form route's path names, and rows of a second patient."""

    ids: dict[str, list[int]]


def _csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


@pytest.fixture
def manager(engine, database, actor, staff):
    """A logged-in billing manager's client (server errors answered, not raised) and its CSRF."""
    login = staff("billing_manager")
    client = TestClient(create_app(engine, secret_key="form-inputs"), raise_server_exceptions=False)
    client.post(
        "/login",
        data={"csrf": _csrf(client.get("/login").text), "username": login.username,
              "practice": organisations(database)[actor.organisation_id], "password": PASSWORD},
    )  # fmt: skip
    client.headers["X-CSRF-Token"] = _csrf(client.get("/").text)
    return client


@pytest.fixture
def rows(engine, database, actor, staff) -> Rows:
    """Two patients with remittances, a payment, a write-off, a preview, a pending approval and
    a held claim: one row of every kind a form route acts on."""
    patients = [garcia(engine, actor), garcia(engine, actor)]
    procedures = [
        p.procedure.id
        for patient_id in patients
        for e in accounts.patient_account(database, actor, patient_id).encounters
        for p in e.procedures
    ]
    payment = record_payment(database, actor, patients[0], "5.00", method="cash")
    write_off = write_offs.submit_write_offs(database, actor,
        [ledger_requests.WriteOffRequest("small_balance", procedure_id=procedures[0], total="1.00")],
        None,
    ).transaction_ids[0]  # fmt: skip
    remittances = [r.remittance.id for r in remittances_to_post(database, actor)]
    items = [i.id for r in remittances for i in posting_tool.posting_tool(database, actor, r).items]
    draft = drafts.create_draft(
        database, actor, amounts={"2": "1.00"}, reason="small_balance", procedure_id=procedures[1]
    )
    biller = actor_for(database, actor.organisation_id, staff("biller", "1.00").username, "test")
    waiting = write_offs.submit_write_offs(database, biller,
        [ledger_requests.WriteOffRequest("small_balance", procedure_id=procedures[2], total="5.00")],
        None,
    ).approval  # fmt: skip
    import_text(engine, actor, era(w.claim("NOBODY-1", [LAB_PAID]), trace="EFT-FUZZ"))
    held = [item.id for item in held_claims(database, actor)]
    assert held and waiting is not None
    return Rows(
        {
            "patient_id": patients,
            "procedure_id": procedures,
            "charge": procedures,
            "payment_id": [int(history.transaction(database, actor, payment).payment_id)],
            "transaction_id": [payment, write_off],
            "write_off_id": [write_off],
            "remittance_id": remittances,
            "item_id": items + held,  # held claims' items are items too
            "draft_id": [draft.id],
            "approval_id": [waiting.id],
        }
    )


def form_routes() -> list[tuple[APIRoute, FormFields | None]]:
    """Every POST route of the web UI (the routers ``web.install`` mounts), with the form it
    declares (None: it reads no form)."""
    found = []
    for route in (route for router in ROUTERS for route in router.routes):
        if isinstance(route, WebRoute) and "POST" in route.methods:
            declared = [
                d.call for d in route.dependant.dependencies if isinstance(d.call, FormFields)
            ]
            found.append((route, declared[0] if declared else None))
    return found


def hostile_form(declared: FormFields | None) -> st.SearchStrategy[dict[str, str]]:
    value = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=30))
    names = sorted(declared.names - {"csrf"}) if declared else []
    names += [
        f"{prefix}{carc}" for prefix in (declared.prefixes if declared else ()) for carc in "12"
    ]
    known = st.fixed_dictionaries({}, optional={name: value for name in names})
    unknown = st.dictionaries(
        st.sampled_from(UNKNOWN_FIELDS) | st.text(max_size=12), value, max_size=2
    )
    return st.one_of(known, st.builds(lambda a, b: a | b, known, unknown))


@pytest.fixture
def app_routes():
    return form_routes()


def test_every_route_that_reads_a_form_declares_its_fields(app_routes):
    """The walk below covers every POST route; a route reading a form without declaring its
    fields would escape the unknown-field check."""
    paths = {route.path for route, _ in app_routes}
    assert {"/patients/{patient_id}/payments", "/held-claims/{item_id}/post",
            "/remittances/{remittance_id}/items/{item_id}/write-off"} <= paths  # fmt: skip
    assert len(app_routes) >= 18
    undeclared = [
        route.path
        for route, declared in app_routes
        if declared is None and "form" in route.endpoint.__code__.co_varnames
    ]
    assert undeclared == []


def test_no_form_input_makes_a_server_error(manager, rows, app_routes):
    server_errors: list[str] = []
    for route, declared in app_routes:
        if route.path != "/logout":  # it would end the session every later example needs
            server_errors += _walk(manager, rows, route, declared)
    assert server_errors == []


def _walk(manager, rows: Rows, route: APIRoute, declared: FormFields | None) -> list[str]:
    """EXAMPLES_PER_ROUTE requests to ``route``; the ones answered with a 5xx."""
    ids = st.fixed_dictionaries(
        {
            name: st.sampled_from([*rows.ids.get(name, []), 1, 2**63 - 1])
            for name in re.findall(r"{(\w+)}", route.path)
        }
    )
    query = st.fixed_dictionaries(
        {},
        optional={
            p.name: st.sampled_from([*map(str, rows.ids.get(p.name, [])), "abc", "0", "9" * 30])
            for p in route.dependant.query_params
        },
    )
    failed: list[str] = []

    @given(path_ids=ids, params=query, form=hostile_form(declared))
    @settings(max_examples=EXAMPLES_PER_ROUTE, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def answer(path_ids, params, form):
        url = route.path.format(**path_ids)
        response = manager.post(url, params=params, data=form, headers=HTMX)
        if response.status_code >= 500:
            failed.append(f"{url} {params} {form!r} -> {response.status_code}")

    answer()
    return failed


@pytest.fixture
def garcia_rows(database, actor, rows):
    """The first patient, a procedure, a payment, and each remittance's items."""
    remittances = {
        r: [i.id for i in posting_tool.posting_tool(database, actor, r).items]
        for r in rows.ids["remittance_id"]
    }
    return rows.ids["patient_id"][0], rows.ids["payment_id"][0], remittances


def _ledger(engine, actor, patient_id) -> list[int]:
    return [line.id for line in history.patient_history(Database(engine), actor, patient_id)]


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("amount", "abc", "not a decimal amount like 12.50"),
        ("amount", "²", "use the digits 0-9"),
        ("amount", "１２.５０", "use the digits 0-9"),
        ("amount", "92000000000000000.00", "at most 9999999999.99"),
        ("amount", "100000000000000000000", "at most 9999999999.99"),
        ("encounter", "abc", "visit must be a whole number"),
        ("encounter", "1.5", "visit must be a whole number"),
        ("encounter", "²", "visit must be a whole number"),
        ("encounter", "9" * 25, "visit must be a whole number"),
        ("key", "k" * 201, "1 to 200 printable ASCII characters"),
        ("evil", "1", "this form has no field &#39;evil&#39;"),
    ],
)
def test_a_payment_form_with_a_bad_value_says_so_and_records_nothing(
    manager, engine, actor, garcia_rows, field, value, says
):
    patient_id, _, _ = garcia_rows
    before = _ledger(engine, actor, patient_id)
    form = {"amount": "5.00", "method": "cash", field: value}
    answer = manager.post(f"/patients/{patient_id}/payments", data=form, headers=HTMX)
    assert answer.status_code == 422, answer.text
    assert says in answer.text
    assert _ledger(engine, actor, patient_id) == before


@pytest.mark.parametrize("value", ["abc", "-1", "²", "9" * 30, "0.001"])
def test_a_refund_form_with_a_bad_amount_says_so(manager, engine, actor, garcia_rows, value):
    patient_id, payment_id, _ = garcia_rows
    before = _ledger(engine, actor, patient_id)
    answer = manager.post(
        f"/patients/{patient_id}/payments/{payment_id}/refund", data={"amount": value},
        headers=HTMX,
    )  # fmt: skip
    assert answer.status_code == 422, answer.text
    assert 'class="field-error"' in answer.text
    assert _ledger(engine, actor, patient_id) == before


def test_the_posting_tool_does_not_take_an_item_of_another_remittance(
    manager, database, actor, garcia_rows
):
    _, _, remittances = garcia_rows
    (one, its_items), (other, other_items) = list(remittances.items())[:2]
    previews = len(posting_tool.posting_tool(database, actor, other).open_previews)
    answer = manager.post(
        f"/remittances/{one}/items/{other_items[0]}/write-off",
        data={"reason": "small_balance", "carc-2": "1.00"}, headers=HTMX,
    )  # fmt: skip
    assert answer.status_code == 404, answer.text
    assert f"payment item {other_items[0]} not found" in answer.text
    assert len(posting_tool.posting_tool(database, actor, other).open_previews) == previews


@pytest.mark.parametrize(
    "form",
    [
        {"encounter_id": "²"},
        {"encounter_id": "99999999999999999999"},
        {"encounter_id": "1", "procedure-1-x": "2"},
        {"encounter_id": "1", "procedure-1-1": "²"},
        {"encounter_id": "1", "other": "2"},
    ],
)
def test_a_held_claim_form_with_a_bad_choice_says_so(manager, database, actor, rows, form):
    (item,) = held_claims(database, actor)
    answer = manager.post(f"/held-claims/{item.id}/post", data=form, headers=HTMX)
    assert answer.status_code in (404, 422), answer.text
    assert held_claims(database, actor) == [item]


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "2101-01-01"])
def test_a_report_period_outside_1900_to_2100_is_refused(manager, day):
    answer = manager.get("/reports", params={"start": "2024-01-01", "end": day})
    assert answer.status_code == 422, answer.text
    assert "between 1900-01-01 and 2100-12-31" in answer.text


def test_a_payment_form_with_a_method_not_offered_names_the_ones_that_are(
    manager, engine, actor, garcia_rows
):
    patient_id, _, _ = garcia_rows
    before = _ledger(engine, actor, patient_id)
    answer = manager.post(
        f"/patients/{patient_id}/payments", data={"amount": "5.00", "method": "bitcoin"},
        headers=HTMX,
    )  # fmt: skip
    assert answer.status_code == 422, answer.text
    assert f"one of {', '.join(PaymentMethod)}" in answer.text
    assert _ledger(engine, actor, patient_id) == before


@pytest.mark.parametrize("reason", ["bogus", "", "SMALL_BALANCE"])
def test_a_write_off_with_a_reason_not_offered_says_so_beside_the_reason(
    manager, engine, actor, garcia_rows, database, reason
):
    patient_id, _, _ = garcia_rows
    (encounter, *_) = accounts.patient_account(database, actor, patient_id).encounters
    procedure_id = encounter.procedures[-1].procedure.id
    before = _ledger(engine, actor, patient_id)
    answer = manager.post(
        f"/charges/{procedure_id}/write-off", data={"reason": reason, "amount": "1.00"},
        headers=HTMX,
    )  # fmt: skip
    assert answer.status_code == 422, answer.text
    assert f"choose one of: {', '.join(WriteOffReason)}" in answer.text
    assert 'class="field-error"' in answer.text
    assert _ledger(engine, actor, patient_id) == before


@pytest.mark.parametrize("status", ["bogus", "PENDING", ""])
def test_the_approval_queue_refuses_a_status_it_does_not_have(manager, status):
    answer = manager.get("/approvals", params={"status": status})
    assert answer.status_code == 422, answer.text
    assert all(f"'{value}'" in html.unescape(answer.text) for value in ApprovalStatus)


def test_the_approval_queue_shows_each_status(manager):
    for status in ApprovalStatus:
        assert manager.get("/approvals", params={"status": status}).status_code == 200
