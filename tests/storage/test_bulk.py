"""Bulk writes (storage/bulk.py): the same rows back whichever way they went in (PostgreSQL:
one INSERT for a few rows, COPY for many), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import BigInteger, Column, MetaData, String, Table, select

from medledger.storage.bulk import (
    COPY_FROM_ROWS,
    IN_LIST_LIMIT,
    add_to_rows,
    allocate_ids,
    chunks,
    insert_rows,
    one_of,
)

metadata = MetaData()
probe = Table(
    "bulk_probe",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("label", String(40)),
    Column("amount_cents", BigInteger, nullable=False),
)


@pytest.fixture
def table(raw_engine):
    metadata.create_all(raw_engine)
    yield probe
    metadata.drop_all(raw_engine)


@pytest.mark.parametrize("count", [3, COPY_FROM_ROWS + 7])
def test_rows_go_in_as_they_are_and_add_to_rows_updates_them(raw_engine, table, count):
    # Text that COPY's own format would misread unless escaped, a NULL, negative amounts.
    labels = ["plain", "tab\there", "back\\slash", "line\nbreak", None, "\\N", "a,b|c"]
    with raw_engine.begin() as connection:
        ids = allocate_ids(connection, table, count)
        rows = [(pid, labels[n % len(labels)], n - 50) for n, pid in enumerate(ids)]
        insert_rows(connection, table, ("id", "label", "amount_cents"), rows)
        add_to_rows(connection, table, ("id",), "amount_cents", [(ids[0], 1000)])
    with raw_engine.connect() as connection:
        stored = [tuple(row) for row in connection.execute(select(table).order_by(table.c.id))]
    assert stored == [(ids[0], "plain", -50 + 1000), *rows[1:]]


@pytest.mark.parametrize("count", [3, 1203])  # one UPDATE, and several on SQLite
def test_add_to_rows_answers_the_keys_it_found_and_adds_only_to_them(raw_engine, table, count):
    with raw_engine.begin() as connection:
        ids = allocate_ids(connection, table, count)
        insert_rows(connection, table, ("id", "label", "amount_cents"),
                    [(pid, "kept", 100) for pid in ids[::2]])  # fmt: skip
        found = add_to_rows(
            connection, table, ("id",), "amount_cents", [(pid, n + 1) for n, pid in enumerate(ids)]
        )
    assert found == {(pid,) for pid in ids[::2]}
    with raw_engine.connect() as connection:
        stored = [tuple(row) for row in connection.execute(select(table).order_by(table.c.id))]
    assert stored == [(pid, "kept", 100 + n + 1) for n, pid in enumerate(ids) if n % 2 == 0]
    assert add_to_rows(raw_engine.connect(), table, ("id",), "amount_cents", []) == set()


def test_one_of_selects_the_listed_rows_bound_now_or_at_execution(raw_engine, table):
    # A whole chunk (PostgreSQL: one array parameter; SQLite: IN with that many parameters),
    # ids that are not there, and text keys.
    with raw_engine.begin() as connection:
        ids = allocate_ids(connection, table, 40)
        insert_rows(connection, table, ("id", "label", "amount_cents"),
                    [(pid, f"L{pid}", 1) for pid in ids])  # fmt: skip
    dialect = raw_engine.dialect.name
    wanted = [*ids[::3], *range(ids[-1] + 1, ids[-1] + IN_LIST_LIMIT - len(ids[::3]) + 1)]
    (part,) = chunks(wanted)
    by_id = select(table.c.id).where(one_of(table.c.id, dialect, "ids")).order_by(table.c.id)
    by_label = select(table.c.id).where(
        one_of(table.c.label, dialect, "labels", [f"L{pid}" for pid in ids[1::3]] + ["L-1"])
    )
    with raw_engine.connect() as connection:
        assert list(connection.execute(by_id, {"ids": part}).scalars()) == ids[::3]
        assert sorted(connection.execute(by_label).scalars()) == ids[1::3]


def test_allocated_ids_are_new_distinct_and_increasing(raw_engine, table):
    with raw_engine.begin() as connection:
        first = allocate_ids(connection, table, 250)
        insert_rows(connection, table, ("id", "label", "amount_cents"),
                    [(pid, None, 1) for pid in first])  # fmt: skip
        second = allocate_ids(connection, table, 3)
    assert first == sorted(set(first)) and len(first) == 250
    assert second == sorted(set(second)) and len(second) == 3 and second[0] > first[-1]
    assert allocate_ids(raw_engine.connect(), table, 0) == []
