"""Builders for ERA import tests: the practice a file's claims are about, and files to import.

``practice_for`` registers, for every claim of an 835, a patient and an encounter with the claim's
patient control number and one procedure per service line (code, modifiers, date, charge as
billed), or one procedure for the whole claim when it has no lines. Claims a payer processed as
secondary or tertiary first get the earlier payers' claims, imported from a generated file, so
the sample itself imports as the payer sent it.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select

from medledger.domain.adjudication import (
    PRIOR_PAYER_CARC,
    SECONDARY_STATUSES,
    TERTIARY_STATUSES,
    coordinates_benefits,
)
from medledger.services.accounts import encounter_account
from medledger.services.actor import Actor
from medledger.services.era_import import ImportSummary, import_era
from medledger.services.registration import ProcedureInput, add_encounter, add_patient
from medledger.storage.tables import (
    ledger_entries,
    ledger_transactions,
    payers,
    payment_items,
    procedure_balances,
    provider_adjustments,
    remittances,
    review_items,
)
from medledger.storage.unit_of_work import Database
from medledger.x12 import Claim, Remittance, ServiceLine, read_remittances
from medledger.x12 import writer as w
from tests.builders import reading

_numbers = itertools.count(1)
WRITTEN = datetime(2024, 2, 1, 9, 30)
LINELESS_CODE = "CLAIM"


@dataclass(frozen=True)
class Practice:
    """What ``practice_for`` registered: each claim's encounter and procedures (line order)."""

    encounters: dict[str, int]
    procedures: dict[str, list[int]]


def table_counts(engine: Engine, organisation_id: int) -> dict[str, int]:
    """Rows of an organisation in every table an import writes to."""
    counted = (
        payers, remittances, payment_items, provider_adjustments,
        ledger_transactions, ledger_entries, procedure_balances, review_items,
    )  # fmt: skip
    with reading(engine, organisation_id) as connection:
        return {
            table.name: connection.execute(
                select(func.count()).where(table.c.organisation_id == organisation_id)
            ).scalar_one()
            for table in counted
        }


def era_bytes(remittances: Sequence[Remittance], control_number: int = 1) -> bytes:
    return w.era_text(remittances, w.Interchange(WRITTEN, control_number)).encode()


def import_text(
    engine: Engine, actor: Actor, data: bytes, name: str = "test.835", **options: object
) -> ImportSummary:
    return import_era(Database(engine), actor, io.BytesIO(data), file_name=name, **options)  # type: ignore[arg-type]


def claims_of(path: Path) -> list[Claim]:
    with open(path, "rb") as stream:
        return [claim for r in read_remittances(stream) for claim in r.claims]


def practice_for(engine: Engine, actor: Actor, claims: Sequence[Claim]) -> Practice:
    encounters: dict[str, int] = {}
    procedures: dict[str, list[int]] = {}
    for claim in claims:
        if claim.patient_control_number in encounters:
            continue
        n = next(_numbers)
        patient_id = add_patient(
            Database(engine),
            actor,
            f"ERA{n:06d}",
            claim.patient_first_name or "",
            claim.patient_last_name,
        )
        lines = [_procedure(line) for line in claim.lines] or [
            ProcedureInput(LINELESS_CODE, claim.charge_cents)
        ]
        on = _first_date(claim)
        encounter_id = add_encounter(
            Database(engine), actor, patient_id, claim.patient_control_number, on, lines
        )
        encounters[claim.patient_control_number] = encounter_id
        account = encounter_account(Database(engine), actor, encounter_id)
        procedures[claim.patient_control_number] = [
            p.procedure.id
            for p in sorted(account.procedures, key=lambda p: p.procedure.line_number)
        ]
    _earlier_payers(engine, actor, [c for c in claims if coordinates_benefits(c.status_code)])
    return Practice(encounters, procedures)


def _procedure(line: ServiceLine) -> ProcedureInput:
    return ProcedureInput(
        line.original_procedure_code or line.procedure_code,
        line.charge_cents,
        line.modifiers,
        date_of_service=line.service_date_from,
    )


def _first_date(claim: Claim) -> date:
    dates = [line.service_date_from for line in claim.lines if line.service_date_from]
    return min(dates, default=claim.statement_date_from or date(2024, 1, 2))


def prior_paid(adjustments: Sequence[w.Adjustment]) -> int:
    """What a secondary payer says the earlier payers settled (OA-23)."""
    return sum(
        a.amount_cents for a in adjustments if a.group_code == "OA" and a.carc == PRIOR_PAYER_CARC
    )


def _earlier_payers(engine: Engine, actor: Actor, claims: Sequence[Claim]) -> None:
    """For secondary (tertiary) claims: the primary (and secondary) payers' claims, imported.

    Each earlier payer paid what the later one reports as OA-23 and left the rest as
    coinsurance, which the later payer's claim then takes over.
    """
    for status in ("1", "2"):
        later = [
            c
            for c in claims
            if c.status_code
            in (TERTIARY_STATUSES if status == "2" else SECONDARY_STATUSES | TERTIARY_STATUSES)
        ]
        if not later:
            continue
        earlier = [_earlier_claim(c, status) for c in later]
        payer = f"PRIOR PAYER {status}"
        remittance = w.remittance(
            earlier,
            trace_number=f"PRIOR{status}-{next(_numbers)}",
            payment_date=date(2024, 1, 20),
            payer_name=payer,
            payer_id=f"99999999{status}",
        )
        summary = import_text(engine, actor, era_bytes([remittance]), f"prior-{status}.835")
        assert summary.claims_posted == len(earlier), summary


def _earlier_claim(claim: Claim, status: str) -> Claim:
    def settled(charge: int, adjustments: Sequence[w.Adjustment]) -> tuple[int, list[w.Adjustment]]:
        prior = prior_paid(adjustments)
        rest = charge - prior
        paid = prior if status == "1" else 0
        own = [w.adjustment("PR", "2", rest)] if rest else []
        if status == "2" and prior:
            own.insert(0, w.adjustment("OA", PRIOR_PAYER_CARC, prior))
        return paid, own

    if not claim.lines:
        paid, own = settled(claim.charge_cents, claim.adjustments)
        return w.claim(claim.patient_control_number, status_code=status, adjustments=own,
                       charge_cents=claim.charge_cents, paid_cents=paid)  # fmt: skip
    lines = []
    for line in claim.lines:
        paid, own = settled(line.charge_cents, line.adjustments)
        lines.append(
            w.service_line(
                line.original_procedure_code or line.procedure_code, line.charge_cents, paid,
                own, modifiers=line.modifiers, service_date=line.service_date_from,
            )
        )  # fmt: skip
    return w.claim(claim.patient_control_number, lines, status_code=status)
