"""No PHI in any log: every error path the fronts can reach, driven with a patient's name.

Each test sends ``MARKER`` (a made-up patient name) through API calls that are refused (4xx)
or fail (500: a service raising with the name in its message, a statement failing with the name
as a bound value, a duplicate key that PostgreSQL quotes), through web forms, CLI commands and
refused 835, 837 and CSV imports; then it reads every log record of every logger at DEBUG, the
process's stdout and stderr (file descriptors, so a server's own printing counts) and the access
log, and finds neither half of the name in any of them. What a front answers its own user (a
problem document, an inline message) is not a log and may show what that user typed.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, text
from typer.testing import CliRunner

import medledger.cli
from medledger.app import create_app
from medledger.cli import app as cli_app
from medledger.services import auth, payments
from medledger.services.registration import add_patient, add_user, organisations
from medledger.storage.database import open_database
from medledger.storage.tables import users
from medledger.storage.tenancy import organisation_transaction
from medledger.storage.unit_of_work import Database
from tests.serving import served_in_thread

MARKER = "Zyxwvut Phimarker"
WORDS = [word.lower() for word in MARKER.split()]
PASSWORD = "correct horse battery"
LOGGED_BY_THE_TEST = ("httpx", "httpcore")  # the test's own HTTP client, not the server


class Logs:
    """Everything logged or printed since the test began."""

    def __init__(self, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]):
        self.caplog, self.capfd = caplog, capfd
        caplog.set_level(logging.DEBUG)
        caplog.set_level(logging.DEBUG, logger="sqlalchemy")  # it sets itself to WARNING

    def text(self) -> str:
        handler = self.caplog.handler
        records = [
            handler.format(r)
            for r in self.caplog.records
            if not r.name.startswith(LOGGED_BY_THE_TEST)
        ]
        out, err = self.capfd.readouterr()
        print(out, end="")  # kept for a failing test's report
        return "\n".join([*records, out, err])

    def assert_free_of_phi(self) -> str:
        logged = self.text()
        for word in WORDS:
            assert word not in logged.lower(), f"{word!r} logged:\n{logged}"
        return logged


@pytest.fixture
def logs(caplog, capfd) -> Logs:
    return Logs(caplog, capfd)


@pytest.fixture
def patient_id(engine: Engine, actor) -> int:
    first, last = MARKER.split()
    return add_patient(Database(engine), actor, f"P{uuid.uuid4().hex[:8]}", first, last,
                       date(1970, 5, 1))  # fmt: skip


@pytest.fixture
def username(engine: Engine, actor) -> str:
    name = f"manager-{uuid.uuid4().hex[:6]}"
    add_user(Database(engine), actor, name, "Manager", "billing_manager", None,
             auth.hash_password(PASSWORD))  # fmt: skip
    return name


@pytest.fixture
def api(engine: Engine, actor, username: str) -> TestClient:
    client = TestClient(create_app(engine, secret_key="phi-logs"))
    token = client.post("/api/tokens", json={
        "organisation_id": actor.organisation_id, "username": username, "password": PASSWORD,
    }).json()["token"]  # fmt: skip
    client.headers["Authorization"] = f"Bearer {token}"
    return client


@pytest.fixture
def web(engine: Engine, database, actor, username: str) -> tuple[TestClient, str]:
    client = TestClient(create_app(engine, secret_key="phi-logs"))
    client.post("/login", data={
        "csrf": _csrf(client.get("/login").text), "username": username, "password": PASSWORD,
        "practice": organisations(database)[actor.organisation_id],
    })  # fmt: skip
    return client, _csrf(client.get("/").text)


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match is not None
    return match.group(1)


# -- failures the services do not expect: each a 500 with an error id, logged by type --------------
def _raising(_database, _actor, *_args, **_kwargs):
    raise RuntimeError(f"could not apply the payment of {MARKER}")


def _failing_statement(engine: Engine):
    def record_payment(_database, _actor, *_args, **_kwargs):
        with engine.connect() as connection:
            connection.execute(text("SELECT * FROM no_such_table WHERE name = :name"),
                               {"name": MARKER})  # fmt: skip

    return record_payment


def _duplicate_key(engine: Engine, organisation_id: int):
    """A unique key broken outside any unit of work: PostgreSQL's message quotes the key."""

    def record_payment(_database, _actor, *_args, **_kwargs):
        row = {"organisation_id": organisation_id, "username": MARKER, "display_name": "x",
               "role": "biller", "password_hash": "x"}  # fmt: skip
        for _ in range(2):
            with organisation_transaction(engine, organisation_id) as connection:
                connection.execute(insert(users).values(**row))

    return record_payment


FAILURES = {
    "raising": lambda engine, actor: _raising,
    "failing statement": lambda engine, actor: _failing_statement(engine),
    "duplicate key": lambda engine, actor: _duplicate_key(engine, actor.organisation_id),
}


@pytest.mark.parametrize("failure", FAILURES)
def test_an_api_failure_answers_and_logs_an_error_id_and_no_value(
    failure, engine, actor, api, patient_id, logs, monkeypatch
):
    monkeypatch.setattr(payments, "record_payment", FAILURES[failure](engine, actor))
    answer = api.post("/api/payments", json={
        "patient_id": patient_id, "amount": "10.00", "note": f"{MARKER}, diabetes follow-up",
    })  # fmt: skip
    logged = logs.assert_free_of_phi()
    if failure == "duplicate key":  # answered by the API's conflict handler
        assert answer.status_code == 409, answer.text
        return
    assert answer.status_code == 500, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    error_id = answer.json()["error_id"]
    assert error_id in answer.json()["detail"]
    assert re.search(rf"error {error_id}: \S+Error.* in POST /api/payments at ", logged)
    assert "POST /api/payments 500" in logged  # the access log saw it


@pytest.mark.parametrize("failure", FAILURES)
def test_a_web_failure_shows_the_error_id_and_logs_no_value(
    failure, engine, actor, web, patient_id, logs, monkeypatch
):
    client, csrf = web
    monkeypatch.setattr(payments, "record_payment", FAILURES[failure](engine, actor))
    form = {"csrf": csrf, "amount": "10.00", "method": "card", "note": MARKER}
    page = client.post(f"/patients/{patient_id}/payments", data=form)
    fragment = client.post(
        f"/patients/{patient_id}/payments", data=form, headers={"HX-Request": "true"}
    )
    logged = logs.assert_free_of_phi()
    if failure == "duplicate key":
        assert page.status_code == fragment.status_code == 409
        return
    assert page.status_code == fragment.status_code == 500
    for answer in (page, fragment):
        error_id = re.search(r"Error ([0-9a-f]{12})", answer.text).group(1)
        assert f"error {error_id}: " in logged
    assert "<!doctype html>" in page.text and "<!doctype" not in fragment.text


def test_refused_api_requests_log_no_value(api, actor, patient_id, logs):
    refused = [
        api.get("/api/patients", params={"search": MARKER}),  # a read: found, 200
        api.post(
            "/api/patients",
            json={
                "mrn": MARKER,
                "last_name": MARKER,
                "first_name": MARKER,
                "birth_date": "1970-02-30",
            },
        ),
        api.post(
            "/api/payments", json={"patient_id": patient_id, "amount": "1.234", "note": MARKER}
        ),
        api.post(
            "/api/payments",
            json={"patient_id": patient_id, "amount": "10.00", "method": MARKER, "note": MARKER},
        ),
        api.post(
            "/api/payments", json={"patient_id": 999_999_999, "amount": "10.00", "note": MARKER}
        ),
        api.post(
            "/api/payments",
            json={"patient_id": patient_id, "amount": "10.00", "note": MARKER * 200},
        ),
        api.post(
            "/api/tokens",
            json={"organisation_id": actor.organisation_id, "username": MARKER, "password": MARKER},
        ),
        api.get(f"/api/patients/{MARKER}"),
    ]
    assert refused[0].status_code == 200
    assert all(400 <= r.status_code < 500 for r in refused[1:]), [r.text for r in refused]
    assert "GET /api/patients/{patient_id} 422" in logs.assert_free_of_phi()


def test_refused_web_forms_log_no_value(web, database, actor, patient_id, logs):
    client, csrf = web
    answers = [
        client.get("/patients", params={"q": MARKER}),
        client.post(
            "/patients/new",
            data={"csrf": csrf, "mrn": MARKER, "last_name": MARKER, "birth_date": MARKER},
        ),
        client.post(
            f"/patients/{patient_id}/payments",
            data={"csrf": csrf, "amount": MARKER, "note": MARKER},
        ),
        client.post(
            f"/patients/{patient_id}/payments",
            data={"csrf": "forged", "amount": "1.00", "note": MARKER},
        ),
        TestClient(client.app).post(
            "/login",
            data={
                "csrf": _csrf(client.get("/login").text),
                "username": MARKER,
                "password": MARKER,
                "practice": organisations(database)[actor.organisation_id],
            },
        ),
    ]
    assert [a.status_code for a in answers] == [200, 422, 422, 403, 403]
    logs.assert_free_of_phi()


ERA = (Path(__file__).parent / "x12/samples/LinuxForHealth__x12__demo-file_demo.835").read_text()
BAD_FILES = {
    "835 unreconciled": (
        "era-imports",
        "import",
        "era.835",
        ERA.replace("JONES*SAM", "PHIMARKER*ZYXWVUT").replace("BPR*C*150000.00", "BPR*C*150001.00"),
    ),
    "835 malformed": (
        "era-imports",
        "import",
        "era.835",
        ERA.replace("CLP*666123*1*211366.97", f"CLP*{MARKER}*1*{MARKER}"),
    ),
    "837 malformed": (
        "claim-files",
        "import/claims",
        "claims.837",
        ERA.replace("ST*835", "ST*837").replace("JONES*SAM", MARKER),
    ),
    "csv refused": (
        "csv-files",
        "import/csv",
        "patients.csv",
        f"mrn,last_name,first_name,birth_date\n{MARKER},{MARKER},{MARKER},{MARKER}\n",
    ),
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_refused_imports_log_no_value(kind, url, api, web, logs):
    api_path, web_path, name, content = BAD_FILES[kind]
    files = {"file": (name, content.encode(), "application/octet-stream")}
    client, csrf = web
    assert api.post(f"/api/{api_path}", files=files).status_code == 422
    assert client.post(f"/{web_path}", data={"csrf": csrf}, files=files).status_code == 422
    logs.assert_free_of_phi()


# -- the CLI ----------------------------------------------------------------------------------------
@pytest.fixture
def url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def cli(url: str, actor, *args: str):
    """One command run by ``actor``, who proves it with a token of theirs in MEDLEDGER_TOKEN."""
    engine = open_database(url)
    try:
        token = auth.issue_token(Database(engine), actor, "phi-logs").token
    finally:
        engine.dispose()
    result = CliRunner().invoke(
        cli_app,
        ["--database-url", url, "--organisation", str(actor.organisation_id), *args],
        env={"MEDLEDGER_TOKEN": token},
    )
    assert result.exit_code != 0 and "Traceback" not in result.output, result.output
    return result


@pytest.mark.parametrize("failure", FAILURES)
def test_a_cli_failure_prints_an_error_id_and_logs_no_value(
    failure, url, engine, actor, patient_id, logs, monkeypatch
):
    monkeypatch.setattr(medledger.cli, "record_payment", FAILURES[failure](engine, actor))
    result = cli(url, actor, "pay", str(patient_id), "10.00", "--note", MARKER)
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    expected = {
        "raising": "unexpected RuntimeError; quote error id",
        "failing statement": "no such table" if engine.dialect.name == "sqlite" else "error id",
        "duplicate key": "the database refused the change",
    }[failure]
    assert expected in result.stderr, result.stderr
    for word in WORDS:
        assert word not in result.stderr.lower()
    logs.assert_free_of_phi()


def test_refused_cli_commands_and_imports_log_no_value(url, actor, patient_id, tmp_path, logs):
    for _, _, name, content in BAD_FILES.values():
        (tmp_path / name).write_text(content)
    cli(url, actor, "import-era", str(tmp_path / "era.835"))
    cli(url, actor, "import-claims", str(tmp_path / "claims.837"))
    cli(url, actor, "import-csv", str(tmp_path / "patients.csv"))
    cli(url, actor, "patient", "add", MARKER, "--last", MARKER, "--birth-date", MARKER)
    cli(url, actor, "pay", str(patient_id), "1.234", "--note", MARKER)
    logs.assert_free_of_phi()


# -- a real server -----------------------------------------------------------------------------------
@pytest.fixture
def served(engine: Engine) -> Iterator[str]:
    """The app under uvicorn, logging at debug: what uvicorn itself prints counts too."""
    with served_in_thread(create_app(engine, secret_key="phi-logs"), log_level="debug") as url:
        yield url


def test_a_served_failure_reaches_no_server_log(
    served, engine, actor, api, patient_id, logs, monkeypatch
):
    monkeypatch.setattr(payments, "record_payment", _failing_statement(engine))
    answer = httpx.post(f"{served}/api/payments", headers=api.headers, json={
        "patient_id": patient_id, "amount": "10.00", "note": MARKER,
    })  # fmt: skip
    assert answer.status_code == 500
    assert f"error {answer.json()['error_id']}: " in logs.assert_free_of_phi()
