"""The CLI, the API and the web dialog reach the same outcome for the same write-off or
cancellation.

A biller with a 100.00 limit, a charge with 300.00 of coinsurance open, one whose PR is paid and
one with 200.00 of estimated copay; each scenario is a few write-offs or cancellations asked
through one front. Every front must say the same thing (posted, waiting for approval, or refused
with the same reason) and leave the same ledger.
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
from medledger.services.adjudication import post_estimate
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
    estimated_charge: int

    def charge(self, name: str) -> int:
        return {
            "open": self.open_charge, "paid": self.paid_charge, "estimated": self.estimated_charge
        }[name]  # fmt: skip


#: What each front is asked for: (CLI command, API route and body's reason, web dialog, reason).
ACTIONS = {
    "write-off": ("write-off", "small_balance"),
    "cancel": ("cancel-pr", "estimate_wrong"),
}


def by_cli(world: World, action: str, procedure_id: int, amount: str) -> Said:
    command, reason = ACTIONS[action]
    result = CliRunner().invoke(
        cli_app,
        ["--database-url", world.url, "--organisation", str(world.organisation_id),
         "--user", "biller", command, str(procedure_id), "--amount", amount, "--reason", reason],
        input=f"{PASSWORD}\n",  # the CLI asks biller's password
    )  # fmt: skip
    if result.exit_code != 0:
        return Said("refused", result.stderr)
    return Said("approval" if "approval request" in result.stdout else "posted", result.stdout)


def by_api(world: World, action: str, procedure_id: int, amount: str) -> Said:
    client = TestClient(create_app(world.engine, secret_key="fronts-agree"))
    token = client.post(
        "/api/tokens",
        json={"organisation_id": world.organisation_id, "username": "biller", "password": PASSWORD},
    ).json()["token"]
    asked = {"procedure_id": procedure_id, "amount": amount, "reason": ACTIONS[action][1]}
    route, body = (
        ("/api/write-offs", {"write_offs": [asked]}) if action == "write-off"
        else ("/api/cancellations", asked)
    )  # fmt: skip
    answer = client.post(route, json=body, headers={"Authorization": f"Bearer {token}"})
    kinds = {201: "posted", 202: "approval"}
    if answer.status_code in kinds:
        return Said(kinds[answer.status_code], answer.text)
    assert answer.status_code < 500, answer.text
    return Said("refused", answer.json()["detail"])


def by_web(world: World, action: str, procedure_id: int, amount: str) -> Said:
    client = TestClient(create_app(world.engine, secret_key="fronts-agree"))
    csrf = _csrf(client.get("/login").text)
    client.post(
        "/login",
        data={"csrf": csrf, "practice": world.practice, "username": "biller", "password": PASSWORD},
    )
    answer = client.post(
        f"/charges/{procedure_id}/{action}",
        data={"amount": amount, "reason": ACTIONS[action][1]},
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


FRONTS: dict[str, Callable[[World, str, int, str], Said]] = {
    "cli": by_cli,
    "api": by_api,
    "web": by_web,
}

#: scenario -> (action, charge, amount, kind, words it must say) per step; then the open charge's
#: written-off cents, the estimated charge's cancelled cents and the pending requests' totals.
SCENARIOS = {
    "under limit": ([("write-off", "open", "60.00", "posted", "")], 6000, 0, []),
    "over limit": ([("write-off", "open", "150.00", "approval", "")], 0, 0, [15000]),
    "split over the window": (
        [("write-off", "open", "60.00", "posted", ""),
         ("write-off", "open", "54.87", "approval", "")],
        6000, 0, [5487],
    ),
    "duplicate request": (
        [("write-off", "open", "150.00", "approval", ""),
         ("write-off", "open", "120.00", "refused", "already waits for approval in request #")],
        0, 0, [15000],
    ),
    "paid PR": ([("write-off", "paid", "10.00", "refused", "refund the payment first")], 0, 0, []),
    "cancellation under limit": ([("cancel", "estimated", "60.00", "posted", "")], 0, 6000, []),
    "cancellation over limit": (
        [("cancel", "estimated", "150.00", "approval", "")], 0, 0, [15000],
    ),
    "cancellation after a write-off, over the window": (
        [("write-off", "open", "60.00", "posted", ""),
         ("cancel", "estimated", "54.87", "approval", "")],
        6000, 0, [5487],
    ),
    "duplicate cancellation": (
        [("cancel", "estimated", "150.00", "approval", ""),
         ("cancel", "estimated", "120.00", "refused", "waits for approval in request #")],
        0, 0, [15000],
    ),
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
    _, (estimated_charge,) = builders.visit(engine, actor, patient_id, ["300.00"])
    post_estimate(database, actor, estimated_charge, {"3": "200.00"})
    url = engine.url.render_as_string(hide_password=False)
    practice = organisations(database)[actor.organisation_id]
    return World(
        engine, url, actor.organisation_id, practice, open_charge, paid_charge, estimated_charge
    )


@pytest.mark.parametrize("front", FRONTS)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_front_reaches_the_same_outcome(database, actor, world, front, scenario):
    steps, written_off_cents, cancelled_cents, pending_cents = SCENARIOS[scenario]
    for action, charge, amount, kind, words in steps:
        said = FRONTS[front](world, action, world.charge(charge), amount)
        assert said.kind == kind, said.text
        assert words in said.text
    balance = accounts.procedure_account(database, actor, world.open_charge).balance
    assert balance.other_adjustments == written_off_cents
    estimated = accounts.procedure_account(database, actor, world.estimated_charge).balance
    assert estimated.cancelled == cancelled_cents
    assert [a.total_cents for a in approvals.list_approvals(database, actor)] == pending_cents
