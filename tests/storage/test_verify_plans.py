"""``verify`` reads one range of procedures per round: each of its statements must start from
the range (an index on the procedure id), never from all of the organisation's journal, or a
verify of N procedures costs N²/range. SQLite has no statistics to steer it, so its plans are
the ones pinned here (``EXPLAIN QUERY PLAN``); PostgreSQL's are shown in docs/scaling.md."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from medledger.services.verification import verify_organisation
from tests import builders


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # PostgreSQL's plans: the docs
def test_every_verify_statement_reads_a_range_not_the_organisation(engine, actor):
    sqlite = engine
    patient_id = builders.patient(sqlite, actor)
    encounter_id, ids = builders.visit(sqlite, actor, patient_id, ["100.00", "50.00"])
    builders.adjudicate(
        sqlite, actor, encounter_id, {pid: (5000, 3000, {"PR-2": 2000}) for pid in ids}
    )
    sent = []

    def record(_conn, _cursor, sql, parameters, _context, _many):
        sent.append((sql, parameters))

    event.listen(sqlite, "before_cursor_execute", record)
    try:
        assert verify_organisation(sqlite, actor.organisation_id, batch=1).ok
    finally:
        event.remove(sqlite, "before_cursor_execute", record)

    raw = sqlite.raw_connection()
    try:
        for sql, parameters in {sql: parameters for sql, parameters in sent}.items():
            plan = [row[3] for row in raw.cursor().execute("EXPLAIN QUERY PLAN " + sql, parameters)]
            for step in plan:
                if step.startswith(("SCAN ledger", "SCAN procedure")):
                    pytest.fail(f"{sql}\nscans a whole table: {plan}")
                if "ledger_transactions USING INDEX ix_ledger_transactions_patient" in step:
                    pytest.fail(f"{sql}\nstarts from every transaction of the organisation")
    finally:
        raw.close()
