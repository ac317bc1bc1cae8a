"""The approvals queue as a billing manager reads it: each write-off or cancellation waiting
above a biller's limit, with who asked, for which patient and charge, how much and why.

``services.approvals`` keeps requests as the services need them (ids, cents); this adds the
names a person decides by, in a few queries for the whole queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Row, select

from medledger.services.actor import Actor
from medledger.services.approval_requests import ApprovalView
from medledger.services.approvals import list_approvals
from medledger.services.ledger_requests import LedgerRequest, WriteOffRequest
from medledger.storage.tables import encounters, patients, payment_items, procedures, users
from medledger.storage.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Target:
    """What one waiting write-off or cancellation is on: ``label`` in words, and the patient it concerns."""

    label: str
    patient_id: int


@dataclass(frozen=True)
class ApprovalLine:
    approval: ApprovalView
    requested_by: str
    decided_by: str | None
    targets: tuple[Target, ...]

    @property
    def kind(self) -> str:
        """What the request would post, in words: write-off or cancellation."""
        return self.approval.kind.replace("_", "-")


def approval_queue(
    engine: Engine, actor: Actor, status: str | None = "pending"
) -> list[ApprovalLine]:
    """Managers see every request; everyone else the outcome of their own."""
    views = list_approvals(engine, actor, status)
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        people = {v.requested_by for v in views} | {v.decided_by for v in views if v.decided_by}
        names = _user_names(uow, people)
        lines = []
        for view in views:
            targets = tuple(_target(uow, request) for request in view.requests)
            lines.append(
                ApprovalLine(view, names[view.requested_by], names.get(view.decided_by), targets)
            )
    return lines


def _user_names(uow: UnitOfWork, user_ids: set[int]) -> dict[int | None, str]:
    rows = uow.connection.execute(
        select(users.c.id, users.c.display_name).where(
            users.c.organisation_id == uow.organisation_id, users.c.id.in_(user_ids)
        )
    )
    return {row.id: row.display_name for row in rows}


def _target(uow: UnitOfWork, request: LedgerRequest) -> Target:
    procedure_id = request.procedure_id
    if isinstance(request, WriteOffRequest) and request.payment_item_id is not None:
        procedure_id = uow.connection.execute(
            select(payment_items.c.procedure_id).where(
                payment_items.c.organisation_id == uow.organisation_id,
                payment_items.c.id == request.payment_item_id,
            )
        ).scalar_one()
    if procedure_id is not None:
        row = uow.connection.execute(
            select(procedures.c.code, procedures.c.date_of_service, patients)
            .join(patients, patients.c.id == procedures.c.patient_id)
            .where(
                procedures.c.organisation_id == uow.organisation_id, procedures.c.id == procedure_id
            )
        ).one()
        return Target(f"{row.code} on {row.date_of_service} · {_name(row)}", row.id)
    assert isinstance(request, WriteOffRequest)
    if request.encounter_id is not None:
        row = uow.connection.execute(
            select(encounters.c.date_of_service, patients)
            .join(patients, patients.c.id == encounters.c.patient_id)
            .where(
                encounters.c.organisation_id == uow.organisation_id,
                encounters.c.id == request.encounter_id,
            )
        ).one()
        return Target(f"visit on {row.date_of_service} · {_name(row)}", row.id)
    assert request.patient_id is not None
    row = uow.registry.patient(request.patient_id)
    return Target(f"all visits · {_name(row)}", row.id)


def _name(row: Row[Any]) -> str:
    return f"{row.last_name}, {row.first_name} ({row.mrn})"
