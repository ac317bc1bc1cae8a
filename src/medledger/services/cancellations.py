"""Cancel PR, recorded and reported apart from write-offs (see domain/cancellation.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy import Engine

from medledger.domain.cancellation import can_cancel as rule_can_cancel
from medledger.domain.cancellation import plan_cancellation
from medledger.domain.columns import Column
from medledger.domain.errors import LimitExceeded
from medledger.domain.money import format_cents, to_cents
from medledger.domain.permission import Permission
from medledger.domain.reasons import CANCEL_REASONS, choose_reason
from medledger.domain.transaction import TransactionKind
from medledger.domain.write_off import split_total
from medledger.services.actor import Actor
from medledger.services.authorization import authorize
from medledger.services.limits import over_limit
from medledger.services.posting import Plan, Posting, post_all
from medledger.services.write_offs import amounts_in_cents
from medledger.storage.unit_of_work import Database, UnitOfWork


def can_cancel(engine: Engine, actor: Actor, procedure_id: int) -> Permission:
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        procedure = uow.registry.procedure(procedure_id)
        return rule_can_cancel(
            uow.ledger.balance(procedure_id),
            pr_from_remittance=procedure.pr_source == "remittance",
        )


def cancel_pr(
    engine: Engine,
    actor: Actor,
    procedure_id: int,
    *,
    reason: str,
    amounts: Mapping[str, object] | None = None,
    total: object | None = None,
    custom_reason: str | None = None,
    note: str | None = None,
    idempotency_key: str | None = None,
) -> int:
    """Cancel a procedure's PR: all of it, ``amounts`` per CARC, or a ``total`` split by PR_ORDER."""
    authorize(actor, "cancel")
    chosen = choose_reason(CANCEL_REASONS, reason, custom_reason)
    per_carc = amounts_in_cents(amounts) if amounts is not None else None
    total_cents = to_cents(total) if total is not None else None

    def plan(uow: UnitOfWork) -> Plan:
        procedure = uow.registry.procedure(procedure_id)
        uow.ledger.lock_procedures([procedure_id])
        balance = uow.ledger.balance(procedure_id)
        from_remittance = procedure.pr_source == "remittance"
        rule_can_cancel(balance, pr_from_remittance=from_remittance).raise_if_denied()
        pr = {carc: cents for carc, cents in balance.by_carc(Column.PR).items() if cents}
        wanted = per_carc if per_carc is not None else (
            split_total(total_cents, pr) if total_cents is not None else pr
        )  # fmt: skip
        entries = plan_cancellation(
            procedure_id, balance, wanted, pr_from_remittance=from_remittance
        )
        return Plan(
            kind=TransactionKind.CANCELLATION,
            entries=entries,
            reason_code=chosen.code,
            reason_text=chosen.text,
            note=note,
            patient_id=procedure.patient_id,
        )

    request = {"cancel": procedure_id, "amounts": per_carc, "total": total_cents,
               "reason": chosen.code, "text": chosen.text, "note": note}  # fmt: skip
    patients: list[int] = []

    def within_limit(uow: UnitOfWork, _: list[int]) -> None:
        if patients and over_limit(uow, actor, patients) is not None:
            raise LimitExceeded(
                "this cancellation would take what you wrote off and cancelled on the patient's "
                f"account above your limit of {format_cents(actor.write_off_limit_cents or 0)}; "
                "a billing manager can cancel it",
                limit_cents=actor.write_off_limit_cents,
            )

    posting = Posting(request, _noting_patient(plan, patients))
    return post_all(Database(engine), actor, [posting], idempotency_key, finish=within_limit)[0]


def _noting_patient(
    plan: Callable[[UnitOfWork], Plan], patients: list[int]
) -> Callable[[UnitOfWork], Plan]:
    """``plan``, noting the patient it cancels on (a repeat answered from the journal plans
    nothing, and so checks no limit)."""

    def noted(uow: UnitOfWork) -> Plan:
        decided = plan(uow)
        assert decided.patient_id is not None
        patients.append(decided.patient_id)
        return decided

    return noted
