"""Posting payer results (a remittance, keyed by hand or imported from an 835) and estimated PR.

A remittance posts as one ledger transaction covering all its procedure-level items, inside one
database transaction with the remittance's rows: all of it or none of it.

Claims are planned by ``services.claim_posting`` (shared with the 835 importer): claim-level
amounts land on the claim's procedures oldest first, each taking at most what is still open to
the payer on it; a claim-level item itself can never be written off (the seed's "procedure-level
payment items only").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from medledger.domain.adjudication import plan_estimate
from medledger.domain.balance import Balance
from medledger.domain.errors import IdempotencyConflict, InvalidInput, LedgerError
from medledger.domain.transaction import TransactionKind
from medledger.services.actor import Actor
from medledger.services.authorization import authorize
from medledger.services.claim_posting import ClaimPlanner, ClaimResult, LineResult
from medledger.services.ledger_requests import amounts_in_cents
from medledger.services.posting import Plan, post_once
from medledger.storage.unit_of_work import UnitOfWork, UnitOfWorkFactory

# ClaimResult and LineResult are part of this module's interface (a remittance is made of them).
__all__ = ["ClaimResult", "DuplicateRemittance", "LineResult", "RemittanceInput", "post_remittance"]


class DuplicateRemittance(LedgerError):
    code = "duplicate-remittance"
    status = 409


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


def post_remittance(database: UnitOfWorkFactory, actor: Actor, remittance: RemittanceInput) -> int:
    """Post a remittance; returns the ledger transaction id. Re-posting the same one posts nothing."""
    authorize(actor, "post_remittance")
    if not remittance.trace_number.strip():
        raise InvalidInput("a remittance needs its trace (check or EFT) number")
    key = f"remittance:{remittance.payer_id}:{remittance.trace_number}"

    def plan(uow: UnitOfWork) -> Plan:
        uow.registry.payer(remittance.payer_id)
        planner = ClaimPlanner(uow)
        planner.load(claim.encounter_id for claim in remittance.claims)
        entries = [entry for claim in remittance.claims for entry in planner.plan(claim)]
        # The journal is the truth of where PR comes from (verify checks it): a line that moved
        # no money (paid 0, no adjustments) leaves the procedure's PR source as it was.
        uow.registry.set_pr_source(sorted(planner.adjudicated), "remittance")
        remittance_id = uow.remittances.add(
            remittance.payer_id,
            remittance.trace_number,
            remittance.payment_cents,
            remittance.payment_date,
            remittance.source,
            remittance.file_name,
            remittance.content_hash,
        )
        uow.remittances.add_items(remittance_id, [c.payment_item() for c in remittance.claims])
        return Plan(
            kind=TransactionKind.ADJUDICATION,
            entries=entries,
            note=remittance.note,
            remittance_id=remittance_id,
        )

    try:
        return post_once(database, actor, _request(remittance), key, plan)
    except IdempotencyConflict as error:
        raise DuplicateRemittance(
            f"trace number {remittance.trace_number} of this payer is already posted "
            "with different content",
            trace_number=remittance.trace_number,
        ) from error


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
    database: UnitOfWorkFactory,
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
        return Plan(
            kind=TransactionKind.ESTIMATE,
            entries=entries,
            note=note,
            patient_id=procedure.patient_id,
        )

    request = {"estimate": procedure_id, "amounts": per_carc, "note": note}
    return post_once(database, actor, request, idempotency_key, plan)
