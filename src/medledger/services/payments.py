"""Patient payments, refunds and credit.

A payment is applied to the patient's open PR (one encounter's, or all of the patient's) in the
documented default order unless the user gives an explicit allocation; what is left is credit on
the encounter. A refund returns money and re-opens the PR it had paid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from medledger.domain.errors import InvalidInput
from medledger.domain.money import format_cents, require_positive, to_cents
from medledger.domain.payments import allocate, plan_credit_application, plan_payment, plan_refund
from medledger.domain.transaction import TransactionKind
from medledger.services.actor import Actor
from medledger.services.authorization import authorize
from medledger.services.posting import Plan, post_once
from medledger.storage.unit_of_work import Record, UnitOfWork, UnitOfWorkFactory


class PaymentMethod(StrEnum):
    """How a patient paid (the collections report groups by it)."""

    CASH = "cash"
    CHECK = "check"
    CARD = "card"
    ACH = "ach"
    OTHER = "other"


PAYMENT_METHODS = tuple(PaymentMethod)


def record_payment(
    database: UnitOfWorkFactory,
    actor: Actor,
    patient_id: int,
    amount: object,
    *,
    method: str = PaymentMethod.CARD,
    encounter_id: int | None = None,
    allocation: Mapping[tuple[int, str], object] | None = None,
    reference: str | None = None,
    received_on: date | None = None,
    note: str | None = None,
    idempotency_key: str | None = None,
) -> int:
    """Record a patient payment and apply it; returns the ledger transaction id.

    ``allocation`` maps (procedure, CARC) to amounts; without it the default order applies.
    """
    authorize(actor, "take_payment")
    cents = require_positive(to_cents(amount), "payment")
    if method not in PAYMENT_METHODS:
        raise InvalidInput(
            f"unknown payment method {method!r}; one of {', '.join(PAYMENT_METHODS)}"
        )
    explicit = (
        {key: to_cents(value) for key, value in allocation.items()}
        if allocation is not None
        else None
    )

    def plan(uow: UnitOfWork) -> Plan:
        uow.registry.patient(patient_id)
        if encounter_id is not None:
            encounter = uow.registry.encounter(encounter_id)
            if encounter.patient_id != patient_id:
                raise InvalidInput(f"encounter {encounter_id} is not this patient's")
            rows = uow.registry.procedures_of_encounter(encounter_id)
        else:
            rows = uow.registry.procedures_of_patient(patient_id)
        if not rows:
            raise InvalidInput("the patient has no charges to apply a payment to")
        ids = [row.id for row in rows]
        if explicit is not None:
            ids = sorted({*ids, *(pid for pid, _ in explicit)})
        uow.ledger.lock_procedures(ids)
        balances = uow.ledger.balances(ids)
        for pid in ids:
            if uow.registry.procedure(pid).patient_id != patient_id:
                raise InvalidInput(f"procedure {pid} is not this patient's")
        chosen = (
            explicit
            if explicit is not None
            else allocate(cents, [(row.id, balances[row.id]) for row in rows])
        )
        credit_at = _credit_procedure(rows, chosen)
        payment_id = uow.payments.add(
            patient_id, encounter_id, cents, method, reference, received_on or date.today()
        )
        entries = plan_payment(payment_id, cents, balances, chosen, credit_at)
        return Plan(
            kind=TransactionKind.PAYMENT,
            entries=entries,
            note=note,
            patient_id=patient_id,
            payment_id=payment_id,
        )

    request = {"patient": patient_id, "amount": cents, "method": method, "encounter": encounter_id,
               "allocation": sorted((explicit or {}).items()), "reference": reference}  # fmt: skip
    return post_once(database, actor, request, idempotency_key, plan)


def _credit_procedure(rows: Sequence[Record], allocation: Mapping[tuple[int, str], int]) -> int:
    """Credit sits on the last procedure the payment paid, or the newest one if it paid none."""
    paid = [pid for (pid, _), cents in allocation.items() if cents]
    return paid[-1] if paid else rows[-1].id


def refund_payment(
    database: UnitOfWorkFactory,
    actor: Actor,
    payment_id: int,
    amount: object | None = None,
    *,
    note: str | None = None,
    idempotency_key: str | None = None,
) -> int:
    """Refund a payment in whole (no ``amount``) or in part; credit goes back first."""
    authorize(actor, "refund")
    cents = to_cents(amount) if amount is not None else None

    def plan(uow: UnitOfWork) -> Plan:
        payment = uow.payments.get(payment_id)
        holdings = uow.ledger.payment_holdings(payment_id)
        procedure_ids = sorted({pid for pid, _ in holdings})
        uow.ledger.lock_procedures(procedure_ids)
        holdings = uow.ledger.payment_holdings(payment_id)  # re-read under the lock
        refundable = sum(v for v in holdings.values() if v > 0)
        wanted = refundable if cents is None else cents
        if cents is None and not refundable:
            raise InvalidInput("nothing of this payment is left to refund (refunded or reversed)")
        entries = plan_refund(payment_id, wanted, holdings, uow.ledger.balances(procedure_ids))

        def record(uow: UnitOfWork, transaction_id: int) -> None:
            uow.payments.add_refund(payment_id, wanted, transaction_id)

        return Plan(
            kind=TransactionKind.REFUND,
            entries=entries,
            note=note,
            patient_id=payment.patient_id,
            payment_id=payment_id,
            after_post=record,
        )

    request = {"refund": payment_id, "amount": cents, "note": note}
    return post_once(database, actor, request, idempotency_key, plan)


def apply_credit(
    database: UnitOfWorkFactory,
    actor: Actor,
    payment_id: int,
    *,
    encounter_id: int | None = None,
    amount: object | None = None,
    idempotency_key: str | None = None,
) -> int:
    """Apply a payment's credit to the patient's open PR (one encounter's, or all)."""
    authorize(actor, "take_payment")
    cents = to_cents(amount) if amount is not None else None

    def plan(uow: UnitOfWork) -> Plan:
        payment = uow.payments.get(payment_id)
        if encounter_id is not None:
            rows = uow.registry.procedures_of_encounter(uow.registry.encounter(encounter_id).id)
        else:
            rows = uow.registry.procedures_of_patient(payment.patient_id)
        holdings = uow.ledger.payment_holdings(payment_id)
        ids = sorted({*(row.id for row in rows), *(pid for pid, _ in holdings)})
        uow.ledger.lock_procedures(ids)
        holdings = uow.ledger.payment_holdings(payment_id)
        credit = {pid: c for (pid, carc), c in sorted(holdings.items()) if carc == "" and c > 0}
        balances = uow.ledger.balances(ids)
        entries = plan_credit_application(
            payment_id, credit, balances, [row.id for row in rows], cents
        )
        if not any(e.carc for e in entries):
            raise InvalidInput(
                f"no open PR to apply the credit of {format_cents(sum(credit.values()))} to"
            )
        return Plan(
            kind=TransactionKind.CREDIT_APPLICATION,
            entries=entries,
            patient_id=payment.patient_id,
            payment_id=payment_id,
        )

    request = {"apply_credit": payment_id, "encounter": encounter_id, "amount": cents}
    return post_once(database, actor, request, idempotency_key, plan)


@dataclass(frozen=True)
class PaymentView:
    """A payment and where its money is now: applied to PR, credit, or given back."""

    payment: Record
    applied_cents: int
    credit_cents: int

    @property
    def returned_cents(self) -> int:
        """Refunded or reversed."""
        return int(self.payment.amount_cents) - self.applied_cents - self.credit_cents


def patient_payments(
    database: UnitOfWorkFactory, actor: Actor, patient_id: int
) -> list[PaymentView]:
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        uow.registry.patient(patient_id)
        views = []
        for payment in uow.payments.of_patient(patient_id):
            held = uow.ledger.payment_holdings(payment.id)
            views.append(
                PaymentView(
                    payment,
                    sum(cents for (_, carc), cents in held.items() if carc),
                    sum(cents for (_, carc), cents in held.items() if not carc),
                )
            )
        return views
