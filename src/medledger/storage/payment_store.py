"""Patient payments and refunds: the money documents behind patient_paid and refunded entries."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, Row, insert, select

from medledger.domain.errors import NotFound
from medledger.storage.registry import now
from medledger.storage.tables import patient_payments, refunds


class PaymentStore:
    def __init__(self, connection: Connection, organisation_id: int) -> None:
        self.connection = connection
        self.organisation_id = organisation_id

    def add(
        self,
        patient_id: int,
        encounter_id: int | None,
        amount_cents: int,
        method: str,
        reference: str | None,
        received_on: date,
    ) -> int:
        return int(
            self.connection.execute(
                insert(patient_payments)
                .values(
                    organisation_id=self.organisation_id,
                    patient_id=patient_id,
                    encounter_id=encounter_id,
                    amount_cents=amount_cents,
                    method=method,
                    reference=reference,
                    received_on=received_on,
                    created_at=now(),
                )
                .returning(patient_payments.c.id)
            ).scalar_one()
        )

    def get(self, payment_id: int) -> Row[Any]:
        row = self.connection.execute(
            select(patient_payments).where(
                patient_payments.c.organisation_id == self.organisation_id,
                patient_payments.c.id == payment_id,
            )
        ).first()
        if row is None:
            raise NotFound("payment", payment_id)
        return row

    def of_patient(self, patient_id: int) -> list[Row[Any]]:
        return list(
            self.connection.execute(
                select(patient_payments)
                .where(
                    patient_payments.c.organisation_id == self.organisation_id,
                    patient_payments.c.patient_id == patient_id,
                )
                .order_by(patient_payments.c.id)
            )
        )

    def add_refund(self, payment_id: int, amount_cents: int, transaction_id: int) -> int:
        return int(
            self.connection.execute(
                insert(refunds)
                .values(
                    organisation_id=self.organisation_id,
                    payment_id=payment_id,
                    amount_cents=amount_cents,
                    transaction_id=transaction_id,
                    created_at=now(),
                )
                .returning(refunds.c.id)
            ).scalar_one()
        )
