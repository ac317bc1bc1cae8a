"""What the storage tests share: a journal with a write-off in it."""

from __future__ import annotations

import pytest

from tests import builders


@pytest.fixture
def write_off_id(engine, actor):
    patient_id = builders.patient(engine, actor)
    encounter_id, (procedure_id,) = builders.visit(engine, actor, patient_id, ["100.00"])
    builders.adjudicate(engine, actor, encounter_id, {procedure_id: (10000, 8000, {"PR-2": 2000})})
    return builders.write_off(engine, actor, procedure_id, total="5.00", reason="small_balance")
