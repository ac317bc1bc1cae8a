"""The command line reads ids, amounts, days and keys through the domain's checks: a bad one ends
as one ``error:`` line and exit code 1 — never a traceback, never a posting. A command line Typer
cannot read ends the same way through the console entry (``run``), with exit code 2."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from sqlalchemy import func, select

from medledger.cli import run
from medledger.storage.tables import ledger_transactions
from tests import test_cli
from tests.test_cli import assert_one_line_error, cli, open_procedure

# The demo practice of tests/test_cli.py, a private copy per test.
demo_template, url, session = test_cli.demo_template, test_cli.url, test_cli.session

BAD_IDS = ["abc", "1.5", "²", "１２", "0", "99999999999999999999", str(2**63)]


def _journal(session) -> int:
    with session.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(ledger_transactions))


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize(
    "command",
    [
        ["refund", "{}"],
        ["reverse", "{}", "--reason", "posted_in_error"],
        ["remove-write-off", "{}", "--reason", "posted_in_error"],
        ["cancel-pr", "{}", "--reason", "entered_in_error"],
        ["estimate", "{}", "--carc", "3=1.00"],
        ["can-write-off", "{}"],
        ["write-off", "{}", "--reason", "small_balance", "--amount", "1.00"],
        ["write-off", "--encounter", "{}", "--reason", "small_balance", "--amount", "1.00"],
        ["approvals", "approve", "{}"],
        ["review", "dismiss", "{}", "--reason", "dup"],
        ["review", "resolve", "{}", "--encounter", "1"],
    ],
)
def test_a_bad_id_is_one_line_and_posts_nothing(url, session, command, bad):
    before = _journal(session)
    result = cli(url, *(part.format(bad) for part in command))
    assert_one_line_error(result, "must be a whole number from 1 to 9223372036854775807")
    assert _journal(session) == before


@pytest.mark.parametrize(
    "amount", ["１２.５０", "²", "92000000000000000.00", "100000000000000000000", "1e3", "12.345"]
)
def test_a_bad_amount_is_one_line_and_posts_nothing(url, session, amount):
    mrn, _ = open_procedure(session, 100)
    before = _journal(session)
    assert_one_line_error(cli(url, "pay", mrn, amount))
    assert _journal(session) == before


@pytest.mark.parametrize("bad", ["0001-01-01", "9999-12-31", "2024-02-30", "abc", "２０２４-01-01"])
def test_a_bad_report_day_is_one_line(url, bad):
    assert_one_line_error(cli(url, "report", "--from", bad))
    assert_one_line_error(cli(url, "report", "--to", bad))


def test_a_patient_reference_that_is_no_mrn_nor_id_is_not_found(url):
    assert_one_line_error(cli(url, "pay", "99999999999999999999", "1.00"), "not found")
    assert_one_line_error(cli(url, "history", "²"), "not found")


@pytest.mark.parametrize("key", ["k" * 201, "clé"])
def test_a_bad_idempotency_key_is_one_line(url, session, key):
    mrn, _ = open_procedure(session, 100)
    result = cli(url, "pay", mrn, "1.00", "--idempotency-key", key)
    assert_one_line_error(result, "1 to 200 printable ASCII characters")


# -- the console entry: usage errors -----------------------------------------------------------
def medledger(monkeypatch, capsys, url: str, *args: str) -> tuple[int, str, str]:
    """Run the console entry as the shell does: exit code, stdout, stderr."""
    monkeypatch.setattr(sys, "argv", ["medledger", "--database-url", url, *args])
    with pytest.raises(SystemExit) as ended:
        run()
    captured = capsys.readouterr()
    code = ended.value.code
    return code if isinstance(code, int) else 1, captured.out, captured.err


def assert_refused(outcome: tuple[int, str, str], code: int, *fragments: str) -> None:
    """One ``error:`` line on stderr, nothing on stdout, no box and no traceback."""
    exit_code, out, err = outcome
    assert exit_code == code, (out, err)
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert out == ""
    assert not any(mark in err for mark in ("Traceback", "╭", "│", "Usage:"))
    for fragment in fragments:
        assert fragment in err


def test_the_console_script_is_the_entry_that_reports_usage_errors():
    (script,) = entry_points(group="console_scripts", name="medledger")
    assert script.load() is run


#: What Typer cannot read (exit code 2), then what the domain refuses (exit code 1).
REFUSED_COMMAND_LINES = [
    (["pay", "{mrn}", "1.00", "--bogus"], 2, "No such option: --bogus"),
    (["--bogus", "pay", "{mrn}", "1.00"], 2, "No such option: --bogus"),
    (["pay"], 2, "Missing argument 'patient'"),
    (["pay", "{mrn}"], 2, "Missing argument 'amount'"),
    (["user", "add", "bob"], 2, "Missing option '--role'"),
    (["--organisation", "abc", "pay", "{mrn}", "1.00"], 2, "'--organisation'"),
    (["patients", "--limit", "１２"], 2, "'--limit'"),
    (["patients", "--limit", "0"], 2, "'--limit'"),
    (["pay", "{mrn}", "1.00", "--method", "bitcoin"], 2, "'bitcoin' is not one of"),
    (["write-off", "{id}", "--reason", "nope", "--amount", "1.00"], 2, "'nope' is not one of"),
    (["cancel-pr", "{id}", "--reason", "nope"], 2, "'nope' is not one of"),
    (["reverse", "1", "--reason", "nope"], 2, "'nope' is not one of"),
    (["remove-write-off", "1", "--reason", "nope"], 2, "'nope' is not one of"),
    (["void-charge", "{id}", "--reason", "nope"], 2, "'nope' is not one of"),
    (["approvals", "--status", "maybe"], 2, "'maybe' is not one of"),
    (["user", "add", "bob", "--role", "owner"], 2, "'owner' is not one of"),
    (["no-such-command"], 2, "No such command 'no-such-command'"),
    (["pay", "{mrn}", "１２.５０"], 1, "use the digits 0-9"),
    (["pay", "{mrn}", "12.345"], 1, "has more than two decimals"),
    (["pay", "{mrn}", "1e3"], 1, "is not a decimal amount"),
    (["pay", "{mrn}", "10000000000.00"], 1, "amounts are at most 9999999999.99"),
    (["refund", "abc"], 1, "must be a whole number from 1 to"),
    (["cancel-pr", "1.5", "--reason", "duplicate"], 1, "must be a whole number from 1 to"),
    (["report", "--from", "2024-02-30"], 1, "is not a calendar day"),
    (["report", "--to", "0001-01-01"], 1, "must lie between 1900-01-01 and 2100-12-31"),
    (["write-off", "{id}", "--reason", "custom", "--amount", "1.00"], 1, "custom reason"),
]


@pytest.mark.parametrize(("command", "code", "fragment"), REFUSED_COMMAND_LINES)
def test_a_refused_command_line_is_one_line_and_posts_nothing(
    monkeypatch, capsys, url, session, command, code, fragment
):
    mrn, procedure = open_procedure(session, 100)
    before = _journal(session)
    args = [part.format(mrn=mrn, id=procedure.procedure.id) for part in command]
    assert_refused(medledger(monkeypatch, capsys, url, *args), code, fragment)
    assert _journal(session) == before


def test_a_usage_error_opens_no_database(monkeypatch, capsys, tmp_path):
    database = tmp_path / "never.sqlite3"
    outcome = medledger(monkeypatch, capsys, f"sqlite:///{database}", "pay", "R-1", "1.00", "-x")
    assert_refused(outcome, 2, "No such option: -x")
    assert not database.exists()


def test_help_still_answers(monkeypatch, capsys, tmp_path):
    code, out, err = medledger(monkeypatch, capsys, f"sqlite:///{tmp_path}/x", "pay", "--help")
    assert (code, err) == (0, "")
    assert "Usage:" in out and "pay [OPTIONS]" in out
    code, out, err = medledger(monkeypatch, capsys, f"sqlite:///{tmp_path}/x", "user")
    assert (code, err) == (2, "")  # a group alone shows its help, as before
    assert "Usage:" in out and "user [OPTIONS] COMMAND" in out


def test_the_installed_script_gives_one_line_and_ends_a_prompt_without_input(url):
    script = Path(sys.executable).with_name("medledger")
    unknown = subprocess.run(
        [script, "--database-url", url, "history", "R-1", "--bogus"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert (unknown.returncode, unknown.stdout) == (2, "")
    assert unknown.stderr == "error: No such option: --bogus\n"
    # No terminal and no input for the password prompt: the prompt ends, one line says so.
    prompt = subprocess.run(
        [script, "--database-url", url, "user", "add", "bob", "--role", "biller"],
        capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    assert prompt.returncode == 1
    assert prompt.stderr.splitlines()[-1].strip() == "error: aborted"  # after getpass's " "
    assert "Traceback" not in prompt.stderr
