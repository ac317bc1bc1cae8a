"""Writing many rows at once, for imports that post thousands of lines in one transaction.

Going through the driver without per-row statement building is most of the speed: on SQLite one
``executemany`` of plain tuples; on PostgreSQL ``COPY`` for a batch of many rows, one
``INSERT ... SELECT FROM unnest(arrays)`` for a few (and ``UPDATE ... FROM unnest``), instead of
a round trip per row. Ids are handed out before the insert (``allocate_ids``) so that rows
pointing at each other (a line item at its claim item) go in the same batch.

Only for columns of integers and text: values go to the database as they are, without the
SQLAlchemy type processing a ``Date`` or ``DateTime`` column would need.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    BindParameter,
    ColumnElement,
    Connection,
    Integer,
    String,
    Table,
    Text,
    any_,
    bindparam,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY

#: Values per IN (...) list: PostgreSQL takes at most 65,535 parameters in one statement.
IN_LIST_LIMIT = 10_000
#: From this many rows PostgreSQL gets them by COPY: ~25% faster per row for an import's
#: thousands (measured on 30,000 journal rows), but a round trip slower for the few rows of
#: one posting, which keep the single INSERT.
COPY_FROM_ROWS = 100
#: Rows per SQLite ``UPDATE … FROM (VALUES …)``: well under its 32,766 parameters.
SQLITE_VALUES_ROWS = 500
T = TypeVar("T", int, str)


def chunks(values: Iterable[T]) -> Iterator[list[T]]:
    """``values`` (deduplicated, sorted) in lists short enough for one ``IN (...)``."""
    ordered = sorted(set(values))
    size = IN_LIST_LIMIT
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def one_of(
    column: ColumnElement[Any], dialect: str, name: str, values: Sequence[Any] | None = None
) -> ColumnElement[bool]:
    """``column IN (...)`` of a list bound as ``name`` (given here as ``values``, or when the
    statement is executed).

    PostgreSQL gets the list as one array parameter (``column = ANY(:name)``): expanded, an
    import's 10,000 ids were 10,000 parameters that SQLAlchemy rendered into the SQL and psycopg
    parsed back out and bound one by one, ≈ 0.45 s an import across its few such statements
    (docs/benchmarks/era-import.md). SQLite has no arrays and keeps the expanding ``IN``.
    """
    if dialect == "postgresql":
        array: BindParameter[Any] = bindparam(name, values, type_=ARRAY(column.type))
        return column == any_(array)
    return column.in_(bindparam(name, values, expanding=True))


_ARRAY_TYPES: tuple[tuple[type[Any], str], ...] = (
    (BigInteger, "BIGINT[]"),
    (Integer, "BIGINT[]"),
    (String, "TEXT[]"),
    (Text, "TEXT[]"),
)


def allocate_ids(connection: Connection, table: Table, count: int) -> list[int]:
    """``count`` new ids for ``table``, in increasing order.

    PostgreSQL draws them from the table's sequence, named once (an uncorrelated subquery:
    ``nextval(pg_get_serial_sequence(...))`` looked the sequence up in the catalog again for
    every id) and answered as one array rather than a row per id: 12,500 ids 59 ms -> 7 ms.
    SQLite continues after the largest id: safe because a writing SQLite transaction holds the
    database's only write lock (BEGIN IMMEDIATE).
    """
    if count <= 0:
        return []
    if connection.dialect.name == "postgresql":
        ids = connection.execute(
            text(
                "SELECT array_agg(nextval((SELECT pg_get_serial_sequence(:table, 'id')::regclass)))"
                " FROM generate_series(1, :n)"
            ),
            {"table": table.name, "n": count},
        ).scalar_one()
        return sorted(ids)
    largest = connection.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {table.name}")).scalar()
    first = int(largest or 0) + 1
    return list(range(first, first + count))


def insert_rows(
    connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table`` in one statement."""
    if not rows:
        return
    names = ", ".join(f'"{name}"' for name in columns)
    if connection.dialect.name == "postgresql" and len(rows) >= COPY_FROM_ROWS:
        _copy_rows(connection, table, names, rows)
        return
    if connection.dialect.name == "postgresql":
        arrays = ", ".join(
            f"CAST(:c{i} AS {_array_type(table, name)})" for i, name in enumerate(columns)
        )
        connection.execute(
            text(f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({arrays})"),
            _column_arrays(rows, len(columns)),
        )
        return
    marks = ", ".join("?" for _ in columns)
    connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({names}) VALUES ({marks})", [tuple(row) for row in rows]
    )


def _copy_rows(
    connection: Connection, table: Table, names: str, rows: Sequence[Sequence[Any]]
) -> None:
    """COPY the rows into a temporary table, then ``INSERT … SELECT`` them: PostgreSQL refuses
    COPY FROM into a table under row-level security (migration 0020), and the INSERT holds each
    row to the table's policy."""
    staging = f"medledger_copy_{table.name}"
    connection.execute(
        text(
            f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS "
            f"SELECT {names} FROM {table.name} WITH NO DATA"
        )
    )
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {staging} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    connection.execute(text(f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {staging}"))
    connection.execute(text(f"DROP TABLE {staging}"))


def add_to_rows(
    connection: Connection,
    table: Table,
    keys: Sequence[str],
    column: str,
    rows: Sequence[Sequence[Any]],
) -> set[tuple[Any, ...]]:
    """``UPDATE table SET column = column + delta`` for each (key values..., delta) row, the keys
    distinct; answers the key values of the rows it found (``UPDATE … RETURNING``), so that a
    caller adding to rows that may not exist yet inserts the others without reading first."""
    if not rows:
        return set()
    if connection.dialect.name == "postgresql":
        names = [*keys, "delta"]
        arrays = ", ".join(
            f"CAST(:c{i} AS {_array_type(table, key) if key != 'delta' else 'BIGINT[]'})"
            for i, key in enumerate(names)
        )
        aliases = ", ".join(f'"{name}"' for name in names)
        matches = " AND ".join(f't."{key}" = d."{key}"' for key in keys)
        returning = ", ".join(f't."{key}"' for key in keys)
        found = connection.execute(
            text(
                f'UPDATE {table.name} AS t SET "{column}" = t."{column}" + d.delta '
                f"FROM unnest({arrays}) AS d({aliases}) WHERE {matches} RETURNING {returning}"
            ),
            _column_arrays(rows, len(names)),
        )
        return {tuple(row) for row in found}
    # SQLite: one UPDATE … FROM (VALUES …) per part (executemany cannot return rows); its plan
    # is a scan of the values and a primary-key search per row, as the executemany's was.
    matches = " AND ".join(f't."{key}" = d.column{i + 1}' for i, key in enumerate(keys))
    returning = ", ".join(f'"{key}"' for key in keys)  # SQLite's RETURNING takes no alias
    marks = "(" + ", ".join("?" for _ in range(len(keys) + 1)) + ")"
    updated: set[tuple[Any, ...]] = set()
    for start in range(0, len(rows), SQLITE_VALUES_ROWS):
        part = rows[start : start + SQLITE_VALUES_ROWS]
        found = connection.exec_driver_sql(
            f'UPDATE {table.name} AS t SET "{column}" = t."{column}" + d.column{len(keys) + 1} '
            f"FROM (VALUES {', '.join(marks for _ in part)}) AS d WHERE {matches} "
            f"RETURNING {returning}",
            tuple(value for row in part for value in row),
        )
        updated.update(tuple(row) for row in found)
    return updated


def _column_arrays(rows: Sequence[Sequence[Any]], width: int) -> dict[str, list[Any]]:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in range(width)]
    return {f"c{i}": list(values) for i, values in enumerate(columns)}


def _array_type(table: Table, name: str) -> str:
    column_type = table.c[name].type
    for kind, array in _ARRAY_TYPES:
        if isinstance(column_type, kind):
            return array
    raise AssertionError(f"bulk writes take integer and text columns only, not {table.name}.{name}")
