"""The patients the browser tests meet, posted through the services as a practice would."""

from __future__ import annotations

from medledger.services.payments import record_payment
from medledger.storage.unit_of_work import Database
from tests import builders


def garcia(engine, actor) -> int:
    """Office visit $150 (PR: deductible 30, coinsurance 15, copay 5) and a CBC $40 (coins. 10)."""
    patient_id = builders.patient(engine, actor, "Garcia")
    encounter_id, (visit, cbc) = builders.visit(engine, actor, patient_id, ["150.00", "40.00"])
    builders.adjudicate(
        engine, actor, encounter_id,
        {visit: (15000, 6000, {"CO-45": 4000, "PR-1": 3000, "PR-2": 1500, "PR-3": 500}),
         cbc: (4000, 2000, {"CO-45": 1000, "PR-2": 1000})},
    )  # fmt: skip
    return patient_id


def nguyen_who_paid(engine, actor) -> int:
    """Coinsurance 20.00 that the patient paid at the desk."""
    patient_id = builders.patient(engine, actor, "Nguyen")
    encounter_id, (visit,) = builders.visit(engine, actor, patient_id, ["120.00"])
    builders.adjudicate(
        engine, actor, encounter_id, {visit: (12000, 7000, {"CO-45": 3000, "PR-2": 2000})}
    )
    record_payment(Database(engine), actor, patient_id, "20.00", method="card")
    return patient_id
