"""The CLI, the API and the web dialog reach the same outcome for the same write-off.

A biller with a 100.00 limit, a charge with 300.00 of coinsurance open and one whose PR is paid;
each scenario is a few write-offs asked through one front. Every front must say the same thing
(posted, waiting for approval, or refused with the same reason) and leave the same ledger.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from medledger.app import create_app
from medledger.cli import app as cli_app
from medledger.services import accounts, approvals, auth
from medledger.services.payments import record_payment
from medledger.services.registration import add_user, organisations
from tests import builders

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Said:
    """What a front answered: ``kind`` posted, approval or refused, and its words."""

    kind: str
    text: str


@dataclass(frozen=True)
class World:
    engine: Engine
    url: str
    organisation_id: int
    practice: str
    open_charge: int
    paid_charge: int


def by_cli(world: World, procedure_id: int, amount: str) -> Said:
    result = CliRunner().invoke(
        cli_app,
        ["--database-url", world.url, "--organisation", str(world.organisation_id),
         "--user", "biller", "write-off", str(procedure_id), "--amount", amount,
         "--reason", "small_balance"],
    )  # fmt: skip
    if result.exit_code != 0:
        return Said("refused", result.stderr)
    return Said("approval" if "approval request" in result.stdout else "posted", result.stdout)


def by_api(world: World, procedure_id: int, amount: str) -> Said:
    client = TestClient(create_app(world.engine, secret_key="fronts-agree"))
    token = client.post(
        "/api/tokens",
        json={"organisation_id": world.organisation_id, "username": "biller", "password": PASSWORD},
    ).json()["token"]
    body = {
        "write_offs": [{"procedure_id": procedure_id, "amount": amount, "reason": "small_balance"}]
    }
    answer = client.post("/api/write-offs", json=body, headers={"Authorization": f"Bearer {token}"})
    kinds = {201: "posted", 202: "approval"}
    if answer.status_code in kinds:
        return Said(kinds[answer.status_code], answer.text)
    assert answer.status_code < 500, answer.text
    return Said("refused", answer.json()["detail"])


def by_web(world: World, procedure_id: int, amount: str) -> Said:
    client = TestClient(create_app(world.engine, secret_key="fronts-agree"))
    csrf = _csrf(client.get("/login").text)
    client.post(
        "/login",
        data={"csrf": csrf, "practice": world.practice, "username": "biller", "password": PASSWORD},
    )
    answer = client.post(
        f"/charges/{procedure_id}/write-off",
        data={"amount": amount, "reason": "small_balance"},
        headers={"HX-Request": "true", "X-CSRF-Token": _csrf(client.get("/").text)},
    )
    text = html.unescape(answer.text)
    if answer.status_code == 200:
        return Said("approval" if "approval request" in text else "posted", text)
    assert answer.status_code < 500, answer.text
    return Said("refused", text)


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match is not None
    return match.group(1)


FRONTS: dict[str, Callable[[World, int, str], Said]] = {
    "cli": by_cli,
    "api": by_api,
    "web": by_web,
}

#: scenario -> (charge, amount, kind, words it must say) per step; then the charge's written-off
#: cents and the pending requests' totals.
SCENARIOS = {
    "under limit": ([("open", "60.00", "posted", "")], 6000, []),
    "over limit": ([("open", "150.00", "approval", "")], 0, [15000]),
    "split over the window": (
        [("open", "60.00", "posted", ""), ("open", "54.87", "approval", "")], 6000, [5487],
    ),
    "duplicate request": (
        [("open", "150.00", "approval", ""),
         ("open", "120.00", "refused", "already waits for approval in request #")],
        0, [15000],
    ),
    "paid PR": ([("paid", "10.00", "refused", "refund the payment first")], 0, []),
}  # fmt: skip


@pytest.fixture
def world(engine, database, actor) -> World:
    add_user(database, actor, "biller", "Bill", "biller", "100.00", auth.hash_password(PASSWORD))
    patient_id = builders.patient(engine, actor)
    visit, (open_charge,) = builders.visit(engine, actor, patient_id, ["500.00"])
    builders.adjudicate(engine, actor, visit, {open_charge: (50000, 20000, {"PR-2": 30000})})
    paid_visit, (paid_charge,) = builders.visit(engine, actor, patient_id, ["100.00"])
    builders.adjudicate(engine, actor, paid_visit, {paid_charge: (10000, 8000, {"PR-3": 2000})})
    record_payment(database, actor, patient_id, "20.00", encounter_id=paid_visit)
    url = engine.url.render_as_string(hide_password=False)
    practice = organisations(database)[actor.organisation_id]
    return World(engine, url, actor.organisation_id, practice, open_charge, paid_charge)


@pytest.mark.parametrize("front", FRONTS)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_front_reaches_the_same_outcome(engine, database, actor, world, front, scenario):
    steps, written_off_cents, pending_cents = SCENARIOS[scenario]
    charges = {"open": world.open_charge, "paid": world.paid_charge}
    for charge, amount, kind, words in steps:
        said = FRONTS[front](world, charges[charge], amount)
        assert said.kind == kind, said.text
        assert words in said.text
    balance = accounts.procedure_account(database, actor, world.open_charge).balance
    assert balance.other_adjustments == written_off_cents
    assert [a.total_cents for a in approvals.list_approvals(engine, actor)] == pending_cents
