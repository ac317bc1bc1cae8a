"""The patients the browser tests meet, posted through the services as a practice would."""

from __future__ import annotations

from datetime import date

from medledger.domain.adjudication import Adjustment
from medledger.services.adjudication import (
    ClaimResult,
    LineResult,
    RemittanceInput,
    post_remittance,
)
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


def _line(procedure_id: int, charge: int, paid: int, allowed: int, **cas: int) -> LineResult:
    adjustments = tuple(Adjustment(*key.split("_"), cents) for key, cents in cas.items() if cents)
    return LineResult(procedure_id, charge, paid, adjustments, allowed)


def eft0425(engine, actor) -> tuple[int, int]:
    """One ERA (trace EFT0425), two claims. Okafor: office visit (deductible 30, coinsurance 15, copay 5), CBC
    (coinsurance 10), venipuncture (no PR). Brown: office visit (copay 25)."""
    okafor = builders.patient(engine, actor, "Okafor")
    visit, (office, cbc, draw) = builders.visit(
        engine, actor, okafor, ["150.00", "40.00", "20.00"], codes=["99213", "85025", "36415"]
    )
    brown = builders.patient(engine, actor, "Brown")
    other_visit, (brown_office,) = builders.visit(engine, actor, brown, ["150.00"])
    okafor_lines = (
        _line(office, 15000, 6000, 11000, CO_45=4000, PR_1=3000, PR_2=1500, PR_3=500),
        _line(cbc, 4000, 2000, 3000, CO_45=1000, PR_2=1000),
        _line(draw, 2000, 1500, 1500, CO_45=500),
    )
    brown_lines = (_line(brown_office, 15000, 8500, 11000, CO_45=4000, PR_3=2500),)
    claims = (
        ClaimResult(visit, "1", 21000, 9500, okafor_lines),
        ClaimResult(other_visit, "1", 15000, 8500, brown_lines),
    )
    post_remittance(Database(engine), actor,
        RemittanceInput(builders.payer(engine, actor), "EFT0425", 18000, claims, date(2026, 4, 10)),
    )  # fmt: skip
    return okafor, brown
