"""The command-line tool, end to end on a small demo practice in a temporary SQLite file.

The demo is generated once per module and copied for each test, so every test starts from the
same ledger and may change it freely. Numbers are checked against the services the CLI calls.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from medledger.cli import Session, app, listening_socket, parse_carc_amounts
from medledger.demo import DEMO_PASSWORD
from medledger.domain.balance import Entry
from medledger.domain.columns import Column
from medledger.domain.errors import InvalidInput
from medledger.domain.money import format_cents
from medledger.services import accounts, auth, registration, reports, write_offs
from medledger.services.accounts import ProcedureAccount
from medledger.services.review_queue import held_claims
from medledger.storage.database import open_database
from medledger.storage.unit_of_work import Database, UnitOfWork
from tests import builders

runner = CliRunner()
DEMO_PATIENTS = 20


def url_of(path: Path) -> str:
    return f"sqlite:///{path}"


#: The password of the admin ``new_practice`` makes.
ADMIN_PASSWORD = "the first admin's passphrase"


def cli(
    url: str, *args: str, input: str | None = None, env: dict[str, str] | None = None
) -> Result:
    """``medledger --database-url URL ARGS``, as whoever is logged in to that database (the
    ``url`` fixture and ``new_practice`` log in as the admin), or as ``env``'s token."""
    return runner.invoke(app, ["--database-url", url, *args], input=input, env=env)


def log_in(url: str, username: str = "admin", password: str = DEMO_PASSWORD) -> None:
    """``medledger login`` as ``username``: the next commands on ``url`` act as them."""
    result = cli(url, "--user", username, "login", input=f"{password}\n")
    assert result.exit_code == 0, result.output


def as_user(url: str, username: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
    """The environment of one command run by ``username``: a token of theirs in MEDLEDGER_TOKEN
    (the stored login stays the admin's)."""
    engine = open_database(url)
    try:
        database = Database(engine)
        organisation_id = min(registration.organisations(database))
        actor = auth.login(database, organisation_id, username, password, "test")
        return {"MEDLEDGER_TOKEN": auth.issue_token(database, actor, "test").token}
    finally:
        engine.dispose()


def new_practice(url: str, name: str = "Second Clinic") -> None:
    """``init --organisation NAME`` on a new database, then log in as its admin."""
    made = cli(url, "init", "--organisation", name, env={"MEDLEDGER_NEW_PASSWORD": ADMIN_PASSWORD})
    assert made.exit_code == 0, made.output
    log_in(url, "admin", ADMIN_PASSWORD)


def assert_one_line_error(result: Result, *fragments: str) -> None:
    """A user error: exit code 1, nothing but ``error: ...`` on stderr, no traceback."""
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.stderr


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "x.sqlite3"
    result = cli(url_of(path), "demo", "--patients", str(DEMO_PATIENTS))
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def url(tmp_path: Path, demo_template: Path) -> str:
    """A private copy of the demo database, logged in to as its admin."""
    for file in demo_template.parent.glob(demo_template.name + "*"):
        shutil.copy(file, tmp_path / file.name)
    url = url_of(tmp_path / demo_template.name)
    log_in(url)
    return url


@pytest.fixture
def session(url: str) -> Iterator[Session]:
    """The services' view of the same database, as the demo's admin."""
    session = Session(url, "admin", None)
    yield session
    session.close()


def procedures(session: Session) -> Iterator[tuple[str, ProcedureAccount]]:
    """Every procedure of the demo with its patient's MRN."""
    with_mrn = cli(session.url, "patients", "--limit", "1000", "--ids-only").stdout.split()
    for mrn in with_mrn:
        account = accounts.patient_account(session.database, session.actor, mrn)
        for encounter in account.encounters:
            for procedure in encounter.procedures:
                yield mrn, procedure


def open_procedure(session: Session, at_least: int) -> tuple[str, ProcedureAccount]:
    """A procedure with at least ``at_least`` cents of open PR, on a patient without credit."""
    for mrn, procedure in procedures(session):
        patient = accounts.patient_account(session.database, session.actor, mrn)
        if procedure.write_off.total_cents >= at_least and not patient.balance.credit:
            return mrn, procedure
    pytest.fail("the demo has no procedure with enough open PR")


def patient_balance(session: Session, mrn: str) -> int:
    return accounts.patient_account(session.database, session.actor, mrn).balance.patient_balance


# -- the demo ---------------------------------------------------------------------------------------
def test_demo_loads_and_verify_says_ok(url: str) -> None:
    result = cli(url, "verify")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("OK: ")
    assert "procedures checked, no differences" in result.stdout
    assert len(cli(url, "patients", "--limit", "1000", "--ids-only").stdout.split()) == 20


def test_the_demo_claim_the_payer_keyed_wrong_is_held_and_posts_to_its_visit(
    session: Session,
) -> None:
    (item,) = held_claims(session.database, session.actor)
    keyed = item.claim.patient_control_number
    assert item.reason == "unmatched_claim" and keyed.endswith("X")
    assert keyed in cli(session.url, "review").stdout
    with UnitOfWork(session.engine, session.actor.organisation_id, write=False) as uow:
        visit = uow.registry.encounter_by_control_number(keyed.removesuffix("X"))
    result = cli(session.url, "review", "resolve", str(item.id), "--encounter", str(visit.id))
    assert result.exit_code == 0, result.output
    assert cli(session.url, "review").stdout.strip() == "no claims held for review"
    assert cli(session.url, "verify").exit_code == 0


def test_every_demo_visit_came_from_an_837_and_every_remittance_from_an_835(
    session: Session,
) -> None:
    """The demo registers through the practice's path, not private calls: each encounter is
    the claim of an imported 837 file, and each remittance came in an 835 file."""
    from sqlalchemy import func, select

    from medledger.storage.tables import claim_files, encounters, remittances, submitted_claims

    organisation = session.actor.organisation_id
    with session.engine.connect() as connection:

        def count(query):
            return connection.execute(query).scalar_one()

        visits = count(select(func.count()).where(encounters.c.organisation_id == organisation))
        claimed = count(
            select(func.count(func.distinct(submitted_claims.c.encounter_id))).where(
                submitted_claims.c.organisation_id == organisation,
                submitted_claims.c.claim_file_id.in_(
                    select(claim_files.c.id).where(claim_files.c.organisation_id == organisation)
                ),
            )
        )
        assert visits > 0 and claimed == visits
        by_source = connection.execute(
            select(remittances.c.source, func.count(remittances.c.content_hash))
            .where(remittances.c.organisation_id == organisation)
            .group_by(remittances.c.source)
        ).all()
        assert [source for source, _ in by_source] == ["era"]  # each from an 835 file's hash
        assert by_source[0][1] == count(
            select(func.count()).where(remittances.c.organisation_id == organisation)
        )


def test_demo_twice_does_not_duplicate(url: str) -> None:
    result = cli(url, "demo", "--patients", str(DEMO_PATIENTS))
    assert result.exit_code == 0
    assert "demo practice already loaded" in result.stdout
    assert len(cli(url, "patients", "--limit", "1000", "--ids-only").stdout.split()) == 20


def test_commands_need_an_organisation(tmp_path: Path) -> None:
    result = cli(url_of(tmp_path / "empty.sqlite3"), "patients")
    assert_one_line_error(result, "no organisation yet: run `medledger demo`")


def test_init_creates_an_organisation_and_users_can_be_added(tmp_path: Path) -> None:
    url = url_of(tmp_path / "new.sqlite3")
    result = cli(url, "init", "--organisation", "Riverside Clinic", input=f"{ADMIN_PASSWORD}\n" * 2)
    assert result.exit_code == 0, result.output
    assert "organisation 1 created: Riverside Clinic" in result.stdout
    log_in(url, "admin", ADMIN_PASSWORD)
    added = cli(url, "user", "add", "sam", "--role", "biller", "--limit", "100.00",
                "--password", "a long enough secret")  # fmt: skip
    assert added.exit_code == 0, added.output
    sams = cli(url, "--user", "sam", "patients", input="a long enough secret\n")  # asks
    assert sams.stdout.strip() == "no patients found"
    session = Session(url, "sam", None)
    assert auth.login(session.database, 1, "sam", "a long enough secret", "test").role == "biller"
    short = cli(url, "user", "add", "kim", "--role", "biller", "--password", "short")
    assert_one_line_error(short, "at least 12 characters")


def test_tokens_are_listed_and_revoked_and_a_deactivated_user_ends(session: Session) -> None:
    biller = auth.login(session.database, session.actor.organisation_id, "biller",
                        "medledger-demo", "test")  # fmt: skip
    token = auth.issue_token(session.database, biller, "nightly export").token
    listed = cli(session.url, "token", "list").stdout
    token_id = re.search(r"(\d+) +│? *biller +│? *nightly export", listed).group(1)
    assert cli(session.url, "token", "revoke", token_id).exit_code == 0
    assert "nightly export" not in cli(session.url, "token", "list").stdout
    with pytest.raises(auth.Unauthenticated):
        auth.actor_from_token(session.database, token)
    assert_one_line_error(cli(session.url, "token", "revoke", token_id), "not found")

    again = auth.issue_token(session.database, biller, "another").token
    result = cli(session.url, "user", "deactivate", "biller")
    assert result.exit_code == 0, result.output
    with pytest.raises(auth.Unauthenticated):
        auth.actor_from_token(session.database, again)
    with pytest.raises(auth.Unauthenticated):
        auth.login(session.database, biller.organisation_id, "biller", "medledger-demo", "test")
    assert_one_line_error(cli(session.url, "user", "deactivate", "admin"), "yourself")


# -- who acts: a credential, never a name alone ---------------------------------------------------
def test_naming_a_user_without_their_credential_acts_as_nobody(session: Session) -> None:
    mrn, procedure = open_procedure(session, 100)
    before = patient_balance(session, mrn)
    assert cli(session.url, "logout").stdout.strip() == "logged out"
    write_off = ["write-off", str(procedure.procedure.id), "--amount", "1.00",
                 "--reason", "small_balance"]  # fmt: skip
    add_admin = ["user", "add", "mallory", "--role", "admin", "--password", "a long enough one"]
    for forged in (
        cli(session.url, "--user", "manager", *write_off),  # no password to give
        cli(session.url, "--user", "manager", *write_off, input="not the password\n"),
        cli(session.url, "--user", "admin", *add_admin),
    ):
        assert forged.exit_code == 1 and "error: " in forged.stderr, forged.output
    assert "not logged in: run `medledger login`" in cli(session.url, "patients").stderr
    assert patient_balance(session, mrn) == before
    with pytest.raises(auth.Unauthenticated):
        auth.login(session.database, 1, "mallory", "a long enough one", "test")


def test_login_keeps_a_token_for_the_database_and_logout_revokes_it(
    url: str, tmp_path: Path
) -> None:
    logged = cli(url, "--user", "biller", "login", "--name", "laptop", input=f"{DEMO_PASSWORD}\n")
    assert logged.exit_code == 0, logged.output
    assert "logged in as biller" in logged.stdout
    stored = Path(logged.stdout.rsplit("token kept in ", 1)[1].strip())
    assert stored.stat().st_mode & 0o777 == 0o600
    assert DEMO_PASSWORD not in stored.read_text()
    refused = cli(url, "settings", "--limit-window-days", "2")  # as biller now
    assert_one_line_error(refused, "may not manage settings")
    token = json.loads(stored.read_text())[url]["token"]
    assert cli(url, "logout").stdout.strip() == "logged out"
    assert json.loads(stored.read_text()) == {}
    gone = cli(url, "patients", env={"MEDLEDGER_TOKEN": token})
    assert_one_line_error(gone, "MEDLEDGER_TOKEN no longer works")
    other = url_of(tmp_path / "other.sqlite3")  # a login is for its own database only
    assert "no organisation yet" in cli(other, "patients").stderr


def test_a_token_is_checked_against_the_user_named(url: str) -> None:
    biller = as_user(url, "biller")
    assert cli(url, "patients", "--ids-only", env=biller).exit_code == 0
    assert_one_line_error(cli(url, "--user", "admin", "patients", env=biller), "not admin's")
    revoked = cli(url, "token", "list")
    token_id = re.search(r"(\d+) +│? *biller +│? *test", revoked.stdout).group(1)
    assert cli(url, "token", "revoke", token_id).exit_code == 0
    assert_one_line_error(cli(url, "patients", env=biller), "no longer works")


def test_init_needs_the_first_admins_password(tmp_path: Path) -> None:
    url = url_of(tmp_path / "new.sqlite3")
    unanswered = cli(url, "init", "--organisation", "Quiet Clinic")  # the password is asked
    assert unanswered.exit_code == 1 and "created" not in unanswered.stdout
    short = cli(url, "init", "--organisation", "Quiet Clinic", env={"MEDLEDGER_NEW_PASSWORD": "x"})
    assert_one_line_error(short, "at least 12 characters")
    new_practice(url, "Quiet Clinic")
    assert cli(url, "patients").stdout.strip() == "no patients found"


# -- reading ----------------------------------------------------------------------------------------
def test_balance_matches_the_accounts_service(session: Session) -> None:
    mrns = cli(session.url, "patients", "--limit", "1000", "--ids-only").stdout.split()
    for mrn in mrns[:5]:
        account = accounts.patient_account(session.database, session.actor, mrn)
        shown = json.loads(cli(session.url, "balance", mrn, "--json").stdout)
        assert shown["balance"] == format_cents(account.balance.patient_balance)
        assert shown["total"]["charge"] == format_cents(account.balance.charge)
        assert shown["total"]["payer_paid"] == format_cents(account.balance.payer_paid)
        assert shown["total"]["coinsurance"] == format_cents(
            account.balance.by_category(Column.PR)["coinsurance"]
        )
        procedures = [p for e in account.encounters for p in e.procedures]
        shown_procedures = [p for e in shown["encounters"] for p in e["procedures"]]
        assert [p["id"] for p in shown_procedures] == [p.procedure.id for p in procedures]
        assert [p["patient_balance"] for p in shown_procedures] == [
            format_cents(p.balance.patient_balance) for p in procedures
        ]
        table = cli(session.url, "balance", mrn).stdout
        assert f"balance {format_cents(account.balance.patient_balance)}" in table
        assert format_cents(account.balance.charge) in table


def test_unknown_patient_is_one_line(url: str) -> None:
    assert_one_line_error(cli(url, "balance", "NOPE"), "patient NOPE not found")
    assert_one_line_error(cli(url, "history", "NOPE"), "patient NOPE not found")


# -- write-offs -------------------------------------------------------------------------------------
def test_write_off_lowers_the_balance_shows_in_history_and_can_be_removed(
    session: Session,
) -> None:
    mrn, procedure = open_procedure(session, 1250)
    before = patient_balance(session, mrn)

    result = cli(
        session.url, "write-off", str(procedure.procedure.id), "--amount", "12.5",
        "--reason", "small_balance", "--note", "not worth a statement",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert patient_balance(session, mrn) == before - 1250
    assert f"balance {format_cents(before - 1250)}" in result.stdout
    transaction_id = result.stdout.split()[2]
    history = cli(session.url, "history", mrn).stdout
    assert f"#{transaction_id}" in history
    assert "reason: small_balance (Small balance)" in history
    assert "note: not worth a statement" in history
    assert "+12.50" in history

    removed = cli(session.url, "remove-write-off", transaction_id, "--reason", "posted_in_error")
    assert removed.exit_code == 0, removed.output
    assert patient_balance(session, mrn) == before
    assert f"reverted by #{removed.stdout.split()[2]}" in cli(session.url, "history", mrn).stdout
    assert cli(session.url, "verify").exit_code == 0


def test_write_off_per_carc(session: Session) -> None:
    mrn, procedure = open_procedure(session, 2)
    carc, open_cents = next(iter(procedure.write_off.open_by_carc.items()))
    before = patient_balance(session, mrn)
    result = cli(
        session.url, "write-off", str(procedure.procedure.id),
        "--carc", f"{carc}={format_cents(open_cents)}", "--reason", "financial_hardship",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert patient_balance(session, mrn) == before - open_cents


def test_paid_pr_cannot_be_written_off(session: Session) -> None:
    mrn, procedure = open_procedure(session, 1)
    paid = cli(session.url, "pay", mrn, format_cents(patient_balance(session, mrn)))
    assert paid.exit_code == 0, paid.output
    assert patient_balance(session, mrn) == 0

    result = cli(
        session.url, "write-off", str(procedure.procedure.id), "--amount", "0.01",
        "--reason", "small_balance",
    )  # fmt: skip

    assert_one_line_error(result, "refund the payment first")
    can = cli(session.url, "can-write-off", str(procedure.procedure.id))
    assert can.exit_code == 1
    assert "refund the payment first" in can.stdout


def test_partly_paid_pr_cannot_be_written_off_beyond_what_is_open(session: Session) -> None:
    """Paying one cent of a procedure's PR leaves that cent out of reach of a write-off."""
    mrn, procedure = open_procedure(session, 2)
    encounter_id = procedure.procedure.encounter_id
    first_open = next(
        p
        for p in accounts.encounter_account(
            session.database, session.actor, encounter_id
        ).procedures
        if p.write_off.allowed
    )
    assert cli(session.url, "pay", mrn, "0.01", "--encounter", str(encounter_id)).exit_code == 0
    after = accounts.procedure_account(session.database, session.actor, first_open.procedure.id)
    carc = next(c for c in after.balance.pr_carcs() if after.balance.paid_applied(c))
    pr = after.balance.amount(Column.PR, carc)

    result = cli(
        session.url, "write-off", str(first_open.procedure.id),
        "--carc", f"{carc}={format_cents(pr)}", "--reason", "small_balance",
    )  # fmt: skip

    assert_one_line_error(result, "refund the payment first")
    assert cli(session.url, "verify").exit_code == 0


def test_amounts_with_more_than_two_decimals_are_refused(session: Session) -> None:
    _, procedure = open_procedure(session, 1250)
    result = cli(
        session.url, "write-off", str(procedure.procedure.id), "--amount", "12.345",
        "--reason", "small_balance",
    )  # fmt: skip
    assert_one_line_error(result, "'12.345' has more than two decimals")
    assert write_offs.can_write_off(session.database, session.actor, procedure.procedure.id).allowed


def test_write_off_needs_exactly_one_target_and_one_kind_of_amount(url: str) -> None:
    reason = ("--reason", "small_balance")
    assert_one_line_error(cli(url, "write-off", *reason, "--amount", "1"), "exactly one of")
    assert_one_line_error(
        cli(url, "write-off", "1", "--amount", "1", "--carc", "2=1.00", *reason), "not both"
    )
    assert_one_line_error(
        cli(url, "write-off", "--encounter", "1", "--carc", "2=1.00", *reason), "one --amount"
    )


# -- payments and the rest --------------------------------------------------------------------------
def test_overpayment_leaves_credit_that_can_be_refunded(session: Session) -> None:
    mrn, _ = open_procedure(session, 1)
    owed = patient_balance(session, mrn)
    paid = cli(session.url, "pay", mrn, format_cents(owed + 1000), "--method", "cash")
    assert paid.exit_code == 0, paid.output
    assert "credit 10.00" in paid.stdout
    payment_id = paid.stdout.split("payment ")[1].split(":")[0]
    refunded = cli(session.url, "refund", payment_id, "--amount", "10.00")
    assert refunded.exit_code == 0, refunded.output
    assert patient_balance(session, mrn) == 0
    assert cli(session.url, "verify").exit_code == 0


def test_a_refund_on_a_ledger_that_no_longer_adds_up_is_one_error_line(session: Session) -> None:
    """5.00 of a payment's 10.00 credit refunded by an entry without the payment, written
    straight into the journal: refunding the payment's 10.00 would refund more credit than was
    paid, and the CLI says so in one line instead of failing an assertion."""
    mrn, _ = open_procedure(session, 1)
    paid = cli(session.url, "pay", mrn, format_cents(patient_balance(session, mrn) + 1000))
    assert paid.exit_code == 0, paid.output
    payment_id = int(paid.stdout.split("payment ")[1].split(":")[0])
    with session.database.unit_of_work(session.actor.organisation_id) as uow:
        ((procedure_id, _),) = [k for k in uow.ledger.payment_holdings(payment_id) if not k[1]]
        uow.ledger.post(
            builders.adjudication_header(session.actor, "corrupt"),
            [Entry(procedure_id, Column.REFUNDED, "", 500)],
        )
        uow.commit()

    result = cli(session.url, "refund", str(payment_id), "--amount", "10.00")

    assert_one_line_error(
        result, f"this refund would leave procedure {procedure_id} inconsistent", "verify"
    )


def test_serve_help_names_the_api() -> None:
    assert "HTTP API" in runner.invoke(app, ["serve", "--help"]).stdout


def test_the_workers_listen_without_nagle() -> None:
    """Several workers share one listening socket; without TCP_NODELAY on it every keep-alive
    response waited for the client's delayed ACK."""
    import uvicorn

    config = uvicorn.Config("medledger.app:app_from_environment", port=0, workers=2)
    with listening_socket(config) as sock:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        sock.listen()  # as each worker's server does
        client = socket.create_connection(sock.getsockname())
        accepted, _ = sock.accept()
        with client, accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def test_parse_carc_amounts() -> None:
    assert parse_carc_amounts(["2=15.00", " 3 = 5 "]) == {"2": "15.00", "3": "5"}
    assert parse_carc_amounts(None) is None
    for bad in (["2"], ["=1.00"], ["2="], ["2=1", "2=3"]):
        with pytest.raises(InvalidInput):
            parse_carc_amounts(bad)


def test_report_agrees_with_the_reports_service_and_takes_a_period(session: Session) -> None:
    _, procedure = open_procedure(session, 300)
    cli(session.url, "write-off", str(procedure.procedure.id), "--amount", "3.00",
        "--reason", "professional_courtesy")  # fmt: skip
    result = cli(session.url, "report")
    assert result.exit_code == 0, result.output
    database, actor = session.database, session.actor
    for line in reports.payer_activity(database, actor):
        assert re.search(
            rf"{line.payer}\s+{line.remittances}\s+{format_cents(line.paid_cents)}", result.stdout
        )
    courtesy = next(
        line for line in reports.adjustments_by_reason(database, actor)
        if line.reason_code == "professional_courtesy"
    )  # fmt: skip
    assert re.search(
        rf"Professional courtesy\s+\d+\s+{format_cents(courtesy.net_cents)}", result.stdout
    )
    aging = reports.patient_aging(database, actor, datetime.now(UTC).date())
    assert re.search(
        rf"All {aging.patients} patients.*{format_cents(sum(aging.totals))}", result.stdout
    )
    empty = cli(session.url, "report", "--from", "2099-01-01")
    assert empty.exit_code == 0 and "Professional courtesy" not in empty.stdout
    assert cli(session.url, "report", "--to", "someday").exit_code != 0


def test_above_the_limit_the_cli_files_an_approval_that_a_manager_decides(
    session: Session,
) -> None:
    """The CLI files the request and prints its number; `approvals` lists, approves, rejects."""
    mrn, procedure = open_procedure(session, 2)
    added = cli(session.url, "user", "add", "penny", "--role", "biller", "--limit", "0.01",
                "--password", "a long enough password")  # fmt: skip
    assert added.exit_code == 0, added.output
    before = patient_balance(session, mrn)
    asked = cli(
        session.url, "write-off", str(procedure.procedure.id), "--amount", "0.02",
        "--reason", "small_balance", env=as_user(session.url, "penny", "a long enough password"),
    )  # fmt: skip
    assert asked.exit_code == 0, asked.output
    approval_id = re.match(r"approval request (\d+):", asked.stdout).group(1)
    assert patient_balance(session, mrn) == before  # nothing posted yet
    listed = cli(session.url, "approvals").stdout
    assert approval_id in listed and "0.02" in listed
    approved = cli(
        session.url, "approvals", "approve", approval_id, env=as_user(session.url, "manager")
    )
    assert approved.exit_code == 0, approved.output
    assert patient_balance(session, mrn) == before - 2
    again = cli(session.url, "approvals", "reject", approval_id, "--reason", "too late")
    assert_one_line_error(again, f"approval request {approval_id} was already approved")
    assert cli(session.url, "approvals").stdout.strip() == "no pending approval requests"


def test_a_cancellation_above_the_limit_is_filed_and_its_number_printed(session: Session) -> None:
    unbilled = next(p for _, p in procedures(session) if p.procedure.pr_source == "none")
    procedure_id = str(unbilled.procedure.id)
    assert cli(session.url, "estimate", procedure_id, "--carc", "3=0.50").exit_code == 0
    estimated = accounts.procedure_account(session.database, session.actor, unbilled.procedure.id)
    added = cli(session.url, "user", "add", "penny", "--role", "biller", "--limit", "0.01",
                "--password", "a long enough password")  # fmt: skip
    assert added.exit_code == 0, added.output
    penny = as_user(session.url, "penny", "a long enough password")
    asked = cli(session.url, "cancel-pr", procedure_id, "--amount", "0.02",
                "--reason", "estimate_wrong", env=penny)  # fmt: skip
    assert asked.exit_code == 0, asked.output
    approval_id = re.match(r"approval request (\d+): 0\.02 is above", asked.stdout).group(1)
    cancelled = accounts.procedure_account(session.database, session.actor, estimated.procedure.id)
    assert cancelled.balance.cancelled == estimated.balance.cancelled  # nothing posted yet
    listed = cli(session.url, "approvals").stdout
    assert re.search(rf"{approval_id} +│? *cancellation", listed), listed
    again = cli(session.url, "cancel-pr", procedure_id, "--amount", "0.02",
                "--reason", "estimate_wrong", env=penny)  # fmt: skip
    assert_one_line_error(again, f"request #{approval_id}")
    approved = cli(
        session.url, "approvals", "approve", approval_id, env=as_user(session.url, "manager")
    )
    assert approved.exit_code == 0, approved.output
    after = accounts.procedure_account(session.database, session.actor, estimated.procedure.id)
    assert after.balance.cancelled == estimated.balance.cancelled + 2


def test_settings_show_and_change_the_limit_window(url: str) -> None:
    assert "limit window: 1 calendar day(s)" in cli(url, "settings").stdout
    changed = cli(url, "settings", "--time-zone", "America/Chicago", "--limit-window-days", "7")
    assert changed.exit_code == 0, changed.output
    assert "time zone: America/Chicago" in cli(url, "settings").stdout
    assert_one_line_error(cli(url, "settings", "--time-zone", "Nowhere/Else"), "unknown time zone")
    refused = cli(url, "settings", "--limit-window-days", "2", env=as_user(url, "biller"))
    assert_one_line_error(refused, "may not manage settings")
