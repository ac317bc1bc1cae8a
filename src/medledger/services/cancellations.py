"""Cancel PR, recorded and reported apart from write-offs (see domain/cancellation.py).

A cancellation counts towards the same limit as write-offs (what the user wrote off and
cancelled on the patient's account within the window): above it the whole cancellation waits
for a billing manager as an approval request of kind ``cancellation``, filed, held and decided
by the same code as write-offs (``services/approval_requests.py``).
"""

from __future__ import annotations

from medledger.domain.cancellation import can_cancel as rule_can_cancel
from medledger.domain.cancellation import cancellation_amounts, plan_cancellation
from medledger.domain.money import to_cents
from medledger.domain.permission import Permission
from medledger.domain.reasons import CANCEL_REASONS, choose_reason
from medledger.domain.transaction import TransactionKind
from medledger.services.actor import Actor
from medledger.services.approval_requests import Outcome, OverLimit, Tally, file_request, settle
from medledger.services.authorization import authorize
from medledger.services.ledger_requests import CancellationRequest, amounts_in_cents
from medledger.services.posting import Plan, Posting, post_all
from medledger.storage.unit_of_work import UnitOfWork, UnitOfWorkFactory


def can_cancel(database: UnitOfWorkFactory, actor: Actor, procedure_id: int) -> Permission:
    """What of the procedure's PR a cancellation may take now (pending approvals' holds left
    out), or why none."""
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        procedure = uow.registry.procedure(procedure_id)
        return rule_can_cancel(
            uow.ledger.balance(procedure_id),
            pr_from_remittance=procedure.pr_source == "remittance",
            held=uow.approvals.held([procedure_id]).get(procedure_id),
        )


def cancel_pr(
    database: UnitOfWorkFactory,
    actor: Actor,
    request: CancellationRequest,
    key: str | None = None,
    *,
    approving: int | None = None,
) -> Outcome:
    """Cancel a procedure's PR: all of it that no approval request holds, ``amounts`` per
    CARC, or a ``total`` split by PR_ORDER — or, above the acting user's limit, file it whole
    as an approval request and answer with that.

    approving: the approval request a billing manager approves (its decision is recorded in the
    same transaction, refused if it was decided meanwhile).
    """
    authorize(actor, "cancel" if approving is None else "approve")
    chosen = choose_reason(CANCEL_REASONS, request.reason, request.custom_reason)
    per_carc = amounts_in_cents(request.amounts) if request.amounts is not None else None
    total_cents = to_cents(request.total) if request.total is not None else None
    procedure_id = request.procedure_id
    tally = Tally()

    def plan(uow: UnitOfWork) -> Plan:
        procedure = uow.registry.procedure(procedure_id)
        uow.ledger.lock_procedures([procedure_id])
        balance = uow.ledger.balance(procedure_id)
        held = uow.approvals.held([procedure_id], besides=approving).get(procedure_id)
        from_remittance = procedure.pr_source == "remittance"
        allowed = rule_can_cancel(balance, pr_from_remittance=from_remittance, held=held)
        wanted = per_carc
        if wanted is None:
            wanted = cancellation_amounts(allowed, total_cents, held)
        entries = plan_cancellation(
            procedure_id, balance, wanted, pr_from_remittance=from_remittance, held=held
        )
        tally.add(procedure.patient_id, entries)
        return Plan(
            kind=TransactionKind.CANCELLATION,
            entries=entries,
            reason_code=chosen.code,
            reason_text=chosen.text,
            note=request.note,
            patient_id=procedure.patient_id,
        )

    fingerprint = {"cancel": procedure_id, "amounts": per_carc, "total": total_cents,
                   "reason": chosen.code, "text": chosen.text, "note": request.note}  # fmt: skip

    def finish(uow: UnitOfWork, transaction_ids: list[int]) -> None:
        settle(uow, actor, tally, approving, transaction_ids)

    try:
        posted = post_all(database, actor, [Posting(fingerprint, plan)], key, finish=finish)
    except OverLimit:
        return Outcome(approval=file_request(database, actor, [request], tally))
    return Outcome(tuple(posted))
