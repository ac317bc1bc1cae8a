"""A history reads its transactions by id, whatever the size of the organisation's journal."""

from __future__ import annotations

import pytest

from medledger.services import history
from tests import builders
from tests.plans import sqlite_plans


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # PostgreSQL's plans: the docs
def test_a_history_reads_its_transactions_by_id_not_the_organisation(engine, database, actor):
    patient_id, ids = builders.adjudicated_patient(engine, actor, ["100.00"] * 12, {"PR-2": 2000})
    for procedure_id in ids:
        builders.write_off(
            engine, actor, procedure_id, reason="small_balance", amounts={"2": "1.00"}
        )

    plans = sqlite_plans(
        engine, lambda: history.patient_history(database, actor, patient_id), "ledger_transactions"
    )

    for sql, plan in plans.items():
        assert not any(step.endswith("(organisation_id=?)") for step in plan), (sql, plan)
