"""SQLite's query plans for what a call sends: SQLite keeps no statistics unless told to, so the
plans the ledger relies on are pinned by tests (PostgreSQL's are shown in docs/benchmarks/query-plans.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event


def sqlite_plans(engine: Engine, call: Callable[[], Any], marker: str = "") -> dict[str, list[str]]:
    """Each distinct statement ``call()`` sends that contains ``marker``, with the steps of its
    ``EXPLAIN QUERY PLAN``."""
    sent: dict[str, Any] = {}

    def record(_conn, _cursor, sql, parameters, _context, _many):  # type: ignore[no-untyped-def]
        if marker in sql:
            sent.setdefault(sql, parameters)

    event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert sent, f"no statement contained {marker!r}"
    raw = engine.raw_connection()
    try:
        return {
            sql: [row[3] for row in raw.cursor().execute("EXPLAIN QUERY PLAN " + sql, parameters)]
            for sql, parameters in sent.items()
        }
    finally:
        raw.close()
