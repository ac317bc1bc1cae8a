"""``verify`` reads one range of procedures per round: each of its statements must start from
the range (an index on the procedure id), never from all of the organisation's journal, or a
verify of N procedures costs N²/range. SQLite has no statistics to steer it, so its plans are
the ones pinned here (``EXPLAIN QUERY PLAN``); PostgreSQL's are shown in docs/benchmarks/verify-plans.md."""

from __future__ import annotations

import pytest

from medledger.services.verification import verify_organisation
from medledger.storage.unit_of_work import Database
from tests import builders
from tests.plans import sqlite_plans


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # PostgreSQL's plans: the docs
def test_every_verify_statement_reads_a_range_not_the_organisation(engine, actor):
    sqlite = engine
    patient_id = builders.patient(sqlite, actor)
    encounter_id, ids = builders.visit(sqlite, actor, patient_id, ["100.00", "50.00"])
    builders.adjudicate(
        sqlite, actor, encounter_id, {pid: (5000, 3000, {"PR-2": 2000}) for pid in ids}
    )

    def verify() -> None:
        assert verify_organisation(Database(sqlite), actor.organisation_id, batch=1).ok

    plans = sqlite_plans(sqlite, verify)

    for sql, plan in plans.items():
        for step in plan:
            if step.startswith(("SCAN ledger", "SCAN procedure")):
                pytest.fail(f"{sql}\nscans a whole table: {plan}")
            if "ledger_transactions USING INDEX ix_ledger_transactions_patient" in step:
                pytest.fail(f"{sql}\nstarts from every transaction of the organisation")
