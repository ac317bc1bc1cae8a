"""Posting payer results (a remittance, keyed by hand or imported from an 835) and estimated PR.

A remittance posts as one ledger transaction covering all its procedure-level items, inside one
database transaction with the remittance's rows: all of it or none of it.

Claim-level adjustments (CAS on the claim, not on a line) land on the claim's procedures oldest
first, each taking at most what is still open to insurance on it; a claim-level item itself can
never be written off (the seed's "procedure-level payment items only").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Engine

from medledger.domain.adjudication import (
    Adjustment,
    PayerResult,
    plan_adjudication,
    plan_estimate,
)
from medledger.domain.balance import Balance, Entry
from medledger.domain.errors import IdempotencyConflict, InvalidInput, LedgerError
from medledger.services.actor import Actor
from medledger.services.authorization import authorize
from medledger.services.posting import Plan, post_once
from medledger.services.write_offs import amounts_in_cents
from medledger.storage.unit_of_work import UnitOfWork


class DuplicateRemittance(LedgerError):
    code = "duplicate-remittance"
    status = 409


@dataclass(frozen=True, slots=True)
class LineResult:
    """A procedure-level payment item: what the payer did with one procedure."""

    procedure_id: int
    charge_cents: int
    paid_cents: int
    adjustments: tuple[Adjustment, ...] = ()
    allowed_cents: int | None = None


@dataclass(frozen=True, slots=True)
class ClaimResult:
    """A claim-level payment item (one encounter) with its lines."""

    encounter_id: int
    status_code: str
    charge_cents: int
    paid_cents: int
    lines: tuple[LineResult, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()


@dataclass(frozen=True, slots=True)
class RemittanceInput:
    """A payer's payment advice: payer, trace number (check/EFT number), total, claims."""

    payer_id: int
    trace_number: str
    payment_cents: int
    claims: tuple[ClaimResult, ...]
    payment_date: date | None = None
    source: str = "manual"
    file_name: str | None = None
    content_hash: str | None = None
    note: str | None = field(default=None)


def post_remittance(engine: Engine, actor: Actor, remittance: RemittanceInput) -> int:
    """Post a remittance; returns the ledger transaction id. Re-posting the same one posts nothing."""
    authorize(actor, "post_remittance")
    if not remittance.trace_number.strip():
        raise InvalidInput("a remittance needs its trace (check or EFT) number")
    key = f"remittance:{remittance.payer_id}:{remittance.trace_number}"

    def plan(uow: UnitOfWork) -> Plan:
        uow.registry.payer(remittance.payer_id)
        results = _results_by_procedure(uow, remittance.claims)
        uow.ledger.lock_procedures(results)
        balances = uow.ledger.balances(results)
        entries: list[Entry] = []
        for procedure_id, result in results.items():
            procedure = uow.registry.procedure(procedure_id)
            entries += plan_adjudication(
                procedure_id,
                balances[procedure_id],
                result,
                pr_from_remittance=procedure.pr_source == "remittance",
                payments=uow.ledger.holdings_on_procedure(procedure_id),
            )
        # The journal is the truth of where PR comes from (verify checks it): a line that moved
        # no money (paid 0, no adjustments) leaves the procedure's PR source as it was.
        uow.registry.set_pr_source(sorted({e.procedure_id for e in entries}), "remittance")
        remittance_id = _store_remittance(uow, remittance)
        return Plan("adjudication", entries, note=remittance.note, remittance_id=remittance_id)

    try:
        return post_once(engine, actor, _request(remittance), key, plan)
    except IdempotencyConflict as error:
        raise DuplicateRemittance(
            f"trace number {remittance.trace_number} of this payer is already posted "
            "with different content",
            trace_number=remittance.trace_number,
        ) from error


def _results_by_procedure(uow: UnitOfWork, claims: Sequence[ClaimResult]) -> dict[int, PayerResult]:
    results: dict[int, PayerResult] = {}
    for claim in claims:
        encounter = uow.registry.encounter(claim.encounter_id)
        own = {row.id for row in uow.registry.procedures_of_encounter(encounter.id)}
        for line in claim.lines:
            if line.procedure_id not in own:
                raise InvalidInput(
                    f"procedure {line.procedure_id} is not part of encounter {encounter.id}"
                )
            if line.procedure_id in results:
                raise InvalidInput(f"procedure {line.procedure_id} appears twice in one remittance")
            results[line.procedure_id] = PayerResult(line.paid_cents, line.adjustments)
        if claim.adjustments:
            _spread_claim_adjustments(uow, encounter.id, claim.adjustments, results)
        if not claim.lines and claim.paid_cents:
            first = uow.registry.procedures_of_encounter(encounter.id)[0].id
            prior = results.get(first, PayerResult(0))
            results[first] = PayerResult(prior.paid_cents + claim.paid_cents, prior.adjustments)
    return results


def _spread_claim_adjustments(
    uow: UnitOfWork,
    encounter_id: int,
    adjustments: Sequence[Adjustment],
    results: dict[int, PayerResult],
) -> None:
    """Claim-level CAS onto the encounter's procedures, oldest first, up to each one's room."""
    procedures = uow.registry.procedures_of_encounter(encounter_id)
    balances = uow.ledger.balances([p.id for p in procedures])
    room: dict[int, int] = {}
    for procedure in procedures:
        result = results.get(procedure.id, PayerResult(0))
        used = result.paid_cents + sum(a.amount_cents for a in result.adjustments)
        room[procedure.id] = balances[procedure.id].insurance_balance - used
    for adjustment in adjustments:
        remaining = adjustment.amount_cents
        for procedure in procedures:
            last = procedure is procedures[-1]
            take = (
                remaining if last or remaining < 0 else min(remaining, max(room[procedure.id], 0))
            )
            if not take:
                continue
            prior = results.get(procedure.id, PayerResult(0))
            part = Adjustment(adjustment.group_code, adjustment.carc, take)
            results[procedure.id] = PayerResult(prior.paid_cents, (*prior.adjustments, part))
            room[procedure.id] -= take
            remaining -= take
            if not remaining:
                break


def _store_remittance(uow: UnitOfWork, remittance: RemittanceInput) -> int:
    remittance_id = uow.remittances.add(
        remittance.payer_id,
        remittance.trace_number,
        remittance.payment_cents,
        remittance.payment_date,
        remittance.source,
        remittance.file_name,
        remittance.content_hash,
    )
    for claim in remittance.claims:
        claim_item = uow.remittances.add_item(
            remittance_id,
            level="claim",
            encounter_id=claim.encounter_id,
            procedure_id=None,
            parent_id=None,
            status_code=claim.status_code,
            charge_cents=claim.charge_cents,
            paid_cents=claim.paid_cents,
            allowed_cents=None,
            adjustments=claim.adjustments,
        )
        for line in claim.lines:
            uow.remittances.add_item(
                remittance_id,
                level="procedure",
                encounter_id=claim.encounter_id,
                procedure_id=line.procedure_id,
                parent_id=claim_item,
                status_code=None,
                charge_cents=line.charge_cents,
                paid_cents=line.paid_cents,
                allowed_cents=line.allowed_cents,
                adjustments=line.adjustments,
            )
    return remittance_id


def _request(remittance: RemittanceInput) -> dict[str, object]:
    return {
        "payer": remittance.payer_id,
        "trace": remittance.trace_number,
        "total": remittance.payment_cents,
        "hash": remittance.content_hash,
        "claims": [
            (c.encounter_id, c.status_code, c.charge_cents, c.paid_cents, c.adjustments,
             [(ln.procedure_id, ln.charge_cents, ln.paid_cents, ln.adjustments) for ln in c.lines])
            for c in remittance.claims
        ],
    }  # fmt: skip


def post_estimate(
    engine: Engine,
    actor: Actor,
    procedure_id: int,
    amounts: dict[str, object],
    *,
    note: str | None = None,
    idempotency_key: str | None = None,
) -> int:
    """Assign estimated PR (e.g. the copay collected at check-in) before adjudication."""
    authorize(actor, "estimate")
    per_carc = amounts_in_cents(amounts)

    def plan(uow: UnitOfWork) -> Plan:
        procedure = uow.registry.procedure(procedure_id)
        uow.ledger.lock_procedures([procedure_id])
        balance: Balance = uow.ledger.balance(procedure_id)
        entries = plan_estimate(
            procedure_id, balance, per_carc, pr_from_remittance=procedure.pr_source == "remittance"
        )
        uow.registry.set_pr_source([procedure_id], "estimate")
        return Plan("estimate", entries, note=note, patient_id=procedure.patient_id)

    request = {"estimate": procedure_id, "amounts": per_carc, "note": note}
    return post_once(engine, actor, request, idempotency_key, plan)
