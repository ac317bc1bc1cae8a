"""The command line reads ids, amounts, days and keys through the domain's checks: a bad one ends
as one ``error:`` line and exit code 1 — never a traceback, never a posting."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

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
