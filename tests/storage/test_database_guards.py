"""The database itself refuses what the ledger must never contain (illegal SQL issued directly)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from medledger.services.verification import verify_organisation


def refused(raw_engine, sql: str, **params) -> None:
    with pytest.raises(DBAPIError), raw_engine.begin() as connection:
        connection.execute(text(sql), params)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE ledger_entries SET amount_cents = 1 WHERE transaction_id = :t",
        "DELETE FROM ledger_entries WHERE transaction_id = :t",
        "UPDATE ledger_transactions SET note = 'edited' WHERE id = :t",
        "DELETE FROM ledger_transactions WHERE id = :t",
    ],
)
def test_journal_is_append_only(engine, raw_engine, write_off_id, sql):
    refused(raw_engine, sql, t=write_off_id)


def test_entry_rules_are_checks(engine, raw_engine, actor, write_off_id):
    insert = (
        'INSERT INTO ledger_entries (organisation_id, transaction_id, procedure_id, "column", '
        "carc, amount_cents) SELECT organisation_id, transaction_id, procedure_id, :col, carc, :cents "
        "FROM ledger_entries WHERE transaction_id = :t LIMIT 1"
    )
    refused(raw_engine, insert, t=write_off_id, col="pr", cents=0)
    refused(raw_engine, insert, t=write_off_id, col="invented", cents=5)


def test_unbalanced_move_is_refused_or_caught(engine, raw_engine, database, actor, write_off_id):
    """PostgreSQL refuses a move that does not net to zero at commit; SQLite has no deferred
    triggers, so there the domain's assertion guards it and ``verify`` catches a forged row."""
    forge = (
        'INSERT INTO ledger_entries (organisation_id, transaction_id, procedure_id, "column", carc,'
        " amount_cents) SELECT organisation_id, transaction_id, procedure_id, 'pr', carc, 7 "
        "FROM ledger_entries WHERE transaction_id = :t LIMIT 1"
    )
    if engine.dialect.name == "postgresql":
        refused(raw_engine, forge, t=write_off_id)
        return
    with raw_engine.begin() as connection:
        connection.execute(text(forge), {"t": write_off_id})
    report = verify_organisation(database, actor.organisation_id)
    assert not report.ok and "journal" in report.differences[0]


#: A copy of the write-off's transaction row (``kind`` and ``reverts_id`` given), and of its
#: entries with positive (``sign`` 1) or negative (-1) amounts, moved by ``extra`` cents.
COPY_TRANSACTION = (
    "INSERT INTO ledger_transactions (organisation_id, kind, user_id, source, idempotency_key,"
    " request_hash, reverts_id, created_at) SELECT organisation_id, :kind, user_id, source,"
    " idempotency_key || '-copy', request_hash, :reverts, created_at FROM ledger_transactions"
    " WHERE id = :t RETURNING id"
)
COPY_ENTRIES = (
    'INSERT INTO ledger_entries (organisation_id, transaction_id, procedure_id, "column", carc,'
    ' amount_cents) SELECT organisation_id, :new, procedure_id, "column", carc,'
    " amount_cents + :extra FROM ledger_entries WHERE transaction_id = :t"
    " AND sign(amount_cents) = :sign"
)


#: PostgreSQL only (SQLite has no deferred triggers, see above): the engine fixture's other half
#: is not generated, rather than generated and skipped.
ONLY_POSTGRESQL = pytest.mark.parametrize("engine", ["postgresql"], indirect=True)


@ONLY_POSTGRESQL
@pytest.mark.parametrize("extra", [0, 1])
@pytest.mark.parametrize("kind", ["write_off", "reversal"])
def test_a_move_written_over_several_statements_is_summed_at_commit(
    engine, raw_engine, write_off_id, kind, extra
):
    """PostgreSQL: a move's entries may go in over several statements (between them it does
    not net to zero); at commit it must. A reversal of a move is a move."""
    reverts = write_off_id if kind == "reversal" else None

    def write() -> None:
        with raw_engine.begin() as connection:
            new = connection.execute(
                text(COPY_TRANSACTION), {"t": write_off_id, "kind": kind, "reverts": reverts}
            ).scalar_one()
            for sign in (1, -1):
                connection.execute(
                    text(COPY_ENTRIES), {"t": write_off_id, "new": new, "sign": sign, "extra": 0}
                )
            connection.execute(
                text(COPY_ENTRIES), {"t": write_off_id, "new": new, "sign": 1, "extra": extra}
            )
            connection.execute(
                text(COPY_ENTRIES), {"t": write_off_id, "new": new, "sign": -1, "extra": 0}
            )

    if extra:
        with pytest.raises(DBAPIError, match="is a move but nets to"):
            write()
    else:
        write()


@ONLY_POSTGRESQL
def test_entries_added_later_to_a_move_are_summed_by_their_statement(
    engine, raw_engine, write_off_id
):
    """PostgreSQL: entries added to a move committed earlier are checked when they go in; a
    statement that keeps the move at zero passes, one that does not is refused."""
    balanced = COPY_ENTRIES.replace(" AND sign(amount_cents) = :sign", "")
    with raw_engine.begin() as connection:
        connection.execute(text(balanced), {"t": write_off_id, "new": write_off_id, "extra": 0})
    with pytest.raises(DBAPIError, match="is a move but nets to"), raw_engine.begin() as connection:
        connection.execute(
            text(COPY_ENTRIES), {"t": write_off_id, "new": write_off_id, "sign": 1, "extra": 0}
        )
        connection.execute(
            text(COPY_ENTRIES), {"t": write_off_id, "new": write_off_id, "sign": -1, "extra": 0}
        )


def test_duplicate_idempotency_key_is_refused(engine, raw_engine, write_off_id):
    refused(
        raw_engine,
        "INSERT INTO ledger_transactions (organisation_id, kind, user_id, source, idempotency_key,"
        " request_hash, created_at) SELECT organisation_id, kind, user_id, source, idempotency_key,"
        " 'x', created_at FROM ledger_transactions WHERE id = :t",
        t=write_off_id,
    )


def test_materialised_patient_columns_cannot_go_negative(engine, raw_engine, write_off_id):
    refused(
        raw_engine,
        "UPDATE procedure_balances SET amount_cents = -1 WHERE \"column\" = 'written_off'",
    )


def test_a_negative_write_off_limit_is_refused_by_the_database(raw_engine, actor):
    refused(
        raw_engine, "UPDATE users SET write_off_limit_cents = -1 WHERE id = :u", u=actor.user_id
    )


def test_a_username_differing_only_in_case_is_refused_by_the_database(raw_engine, actor):
    copy = (
        "INSERT INTO users (organisation_id, username, display_name, role, active, created_at) "
        "SELECT organisation_id, upper(username), display_name, role, active, created_at "
        "FROM users WHERE id = :u"
    )
    refused(raw_engine, copy, u=actor.user_id)
