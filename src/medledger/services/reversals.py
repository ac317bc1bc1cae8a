"""Reverse any posted transaction in full: a payment, a refund, a cancellation, an estimate, a
credit application, a remittance's adjudication. (Write-offs also have ``remove_write_off``,
which can remove part of one.) The reversal is a new transaction linked by ``reverts``."""

from __future__ import annotations

from medledger.domain.errors import NotReversible
from medledger.domain.reasons import REVERSAL_REASONS, choose_reason
from medledger.domain.reversal import plan_full_reversal
from medledger.domain.transaction import TransactionKind
from medledger.services.actor import Actor
from medledger.services.authorization import authorize, authorize_reversal
from medledger.services.posting import Plan, post_once
from medledger.storage.unit_of_work import UnitOfWork, UnitOfWorkFactory

#: Patient money moves: reversing one gives money back (or takes it) as a refund does, so it
#: needs the same role as a refund.
PATIENT_MONEY = frozenset({TransactionKind.PAYMENT, TransactionKind.REFUND})


def reverse_transaction(
    database: UnitOfWorkFactory,
    actor: Actor,
    transaction_id: int,
    *,
    reason: str,
    custom_reason: str | None = None,
    note: str | None = None,
    idempotency_key: str | None = None,
) -> int:
    chosen = choose_reason(REVERSAL_REASONS, reason, custom_reason)

    def plan(uow: UnitOfWork) -> Plan:
        original = uow.ledger.transaction(transaction_id)
        authorize_reversal(actor, original.user_id)
        if original.kind in PATIENT_MONEY:
            authorize(actor, "refund")
        if original.kind == TransactionKind.CHARGE:
            raise NotReversible("a charge is corrected by the claim, not reversed here")
        procedure_ids = uow.ledger.procedures_of_transaction(transaction_id)
        uow.ledger.lock_procedures(procedure_ids)
        posted = uow.ledger.posted(transaction_id)
        payment_ids = sorted({e.payment_id for e in posted.entries if e.payment_id is not None})
        others = {
            number: uow.ledger.posted(number)
            for number in uow.ledger.transactions_of_payments(payment_ids)
            if number != transaction_id
        }
        entries = plan_full_reversal(
            posted,
            uow.ledger.balances(procedure_ids),
            uow.ledger.holdings_of_payments(payment_ids),
            others,
        )
        if original.kind in (TransactionKind.ADJUDICATION, TransactionKind.ESTIMATE):
            _restore_pr_source(uow, procedure_ids, transaction_id)
        return Plan(
            kind=TransactionKind.REVERSAL,
            entries=entries,
            reason_code=chosen.code,
            reason_text=chosen.text,
            note=note,
            reverts_id=transaction_id,
            patient_id=original.patient_id,
            payment_id=original.payment_id,
        )

    request = {"reverse": transaction_id, "reason": chosen.code, "text": chosen.text, "note": note}
    return post_once(database, actor, request, idempotency_key, plan)


def _restore_pr_source(uow: UnitOfWork, procedure_ids: list[int], reversed_id: int) -> None:
    """After reversing a remittance (or estimate), a procedure's PR source is what is left."""
    for procedure_id in procedure_ids:
        source = uow.ledger.pr_source(procedure_id, excluding_transaction=reversed_id)
        uow.registry.set_pr_source([procedure_id], source)
