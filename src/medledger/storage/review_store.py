"""The review queue: imported claims held for a biller, and what became of each.

An item is written once, when the import holds the claim, and keeps the claim exactly as the
payer sent it (``ClaimAdvice`` as JSON, amounts in cents). Its resolution is a second row, one
per item at most (UNIQUE): posted (to which encounter, by which ledger transaction) or dismissed
(with the reason), with who and when. Open items are those without a resolution.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, Row, insert, select

from medledger.domain.adjudication import Adjustment
from medledger.domain.claim_advice import ClaimAdvice, LineAdvice
from medledger.domain.errors import NotFound
from medledger.storage.registry import now
from medledger.storage.tables import payers, remittances, review_items, review_resolutions


class ReviewStore:
    def __init__(self, connection: Connection, organisation_id: int) -> None:
        self.connection = connection
        self.organisation_id = organisation_id

    def add(self, remittance_id: int, held: Sequence[tuple[ClaimAdvice, str, str]]) -> None:
        """Hold claims of a remittance: (claim, reason code, detail) each."""
        if not held:
            return
        created = now()
        self.connection.execute(
            insert(review_items),
            [
                {"organisation_id": self.organisation_id, "remittance_id": remittance_id,
                 "reason": reason, "detail": detail[:500],
                 "patient_control_number": claim.patient_control_number[:38],
                 "status_code": claim.status_code, "charge_cents": claim.charge_cents,
                 "paid_cents": claim.paid_cents, "claim": advice_to_json(claim),
                 "created_at": created}
                for claim, reason, detail in held
            ],
        )  # fmt: skip

    def items(self, *, open_only: bool, limit: int) -> list[Row[Any]]:
        """Items newest first, with their remittance (payer, trace, file) and resolution."""
        query = self._query().order_by(review_items.c.id.desc()).limit(limit)
        if open_only:
            query = query.where(review_resolutions.c.id.is_(None))
        return list(self.connection.execute(query))

    def item(self, item_id: int) -> Row[Any]:
        row = self.connection.execute(self._query().where(review_items.c.id == item_id)).first()
        if row is None:
            raise NotFound("review item", item_id)
        return row

    def resolve(
        self,
        item_id: int,
        *,
        action: str,
        user_id: int,
        encounter_id: int | None = None,
        transaction_id: int | None = None,
        note: str | None = None,
    ) -> None:
        self.connection.execute(
            insert(review_resolutions).values(
                organisation_id=self.organisation_id,
                review_item_id=item_id,
                action=action,
                encounter_id=encounter_id,
                transaction_id=transaction_id,
                note=note,
                user_id=user_id,
                created_at=now(),
            )
        )

    def _query(self) -> Any:
        return (
            select(
                review_items,
                remittances.c.payer_id,
                remittances.c.trace_number,
                remittances.c.file_name,
                remittances.c.warnings,
                payers.c.name.label("payer"),
                review_resolutions.c.action.label("resolution"),
                review_resolutions.c.encounter_id.label("resolved_encounter_id"),
                review_resolutions.c.transaction_id.label("resolved_transaction_id"),
                review_resolutions.c.note.label("resolution_note"),
                review_resolutions.c.user_id.label("resolved_by"),
                review_resolutions.c.created_at.label("resolved_at"),
            )
            .join(remittances, remittances.c.id == review_items.c.remittance_id)
            .join(payers, payers.c.id == remittances.c.payer_id)
            .outerjoin(review_resolutions, review_resolutions.c.review_item_id == review_items.c.id)
            .where(review_items.c.organisation_id == self.organisation_id)
        )


def advice_to_json(claim: ClaimAdvice) -> str:
    """A held claim as stored: plain JSON, amounts in cents, dates as ISO text."""
    return json.dumps(
        {
            "patient_control_number": claim.patient_control_number,
            "status_code": claim.status_code,
            "charge_cents": claim.charge_cents,
            "paid_cents": claim.paid_cents,
            "payer_claim_number": claim.payer_claim_number,
            "patient_name": claim.patient_name,
            "position": claim.position,
            "adjustments": _adjustments_json(claim.adjustments),
            "lines": [
                {
                    "code": line.code,
                    "modifiers": list(line.modifiers),
                    "service_date": line.service_date.isoformat() if line.service_date else None,
                    "line_item_control_number": line.line_item_control_number,
                    "charge_cents": line.charge_cents,
                    "paid_cents": line.paid_cents,
                    "allowed_cents": line.allowed_cents,
                    "adjustments": _adjustments_json(line.adjustments),
                }
                for line in claim.lines
            ],
        },
        separators=(",", ":"),
    )


def advice_from_json(text: str) -> ClaimAdvice:
    data = json.loads(text)
    return ClaimAdvice(
        patient_control_number=data["patient_control_number"],
        status_code=data["status_code"],
        charge_cents=data["charge_cents"],
        paid_cents=data["paid_cents"],
        payer_claim_number=data["payer_claim_number"],
        patient_name=data["patient_name"],
        adjustments=_adjustments_from(data["adjustments"]),
        lines=tuple(
            LineAdvice(
                code=line["code"],
                modifiers=tuple(line["modifiers"]),
                service_date=date.fromisoformat(line["service_date"])
                if line["service_date"]
                else None,
                line_item_control_number=line["line_item_control_number"],
                charge_cents=line["charge_cents"],
                paid_cents=line["paid_cents"],
                adjustments=_adjustments_from(line["adjustments"]),
                allowed_cents=line["allowed_cents"],
            )
            for line in data["lines"]
        ),
        position=data["position"],
    )


def _adjustments_json(adjustments: Sequence[Adjustment]) -> list[list[Any]]:
    return [[a.group_code, a.carc, a.amount_cents] for a in adjustments]


def _adjustments_from(values: Sequence[Sequence[Any]]) -> tuple[Adjustment, ...]:
    return tuple(Adjustment(group, carc, cents) for group, carc, cents in values)
