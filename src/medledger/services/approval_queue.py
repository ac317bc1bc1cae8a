"""The approvals queue as a billing manager reads it: each write-off or cancellation waiting
above a biller's limit, with who asked, for which patient and charge, how much and why.

``services.approvals`` keeps requests as the services need them (ids, cents); this adds the
names a person decides by, in a few queries for the whole queue.
"""

from __future__ import annotations

from dataclasses import dataclass

from medledger.domain.statuses import ApprovalStatus
from medledger.services.actor import Actor
from medledger.services.approval_requests import ApprovalView
from medledger.services.approvals import list_approvals
from medledger.services.ledger_requests import LedgerRequest, WriteOffRequest
from medledger.storage.unit_of_work import Record, UnitOfWork, UnitOfWorkFactory


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
    database: UnitOfWorkFactory, actor: Actor, status: str | None = ApprovalStatus.PENDING
) -> list[ApprovalLine]:
    """Managers see every request; everyone else the outcome of their own."""
    views = list_approvals(database, actor, status)
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        people = {v.requested_by for v in views} | {v.decided_by for v in views if v.decided_by}
        names = uow.lookups.user_names(people)
        lines = []
        for view in views:
            targets = tuple(_target(uow, request) for request in view.requests)
            lines.append(
                ApprovalLine(
                    view,
                    names[view.requested_by],
                    None if view.decided_by is None else names[view.decided_by],
                    targets,
                )
            )
    return lines


def _target(uow: UnitOfWork, request: LedgerRequest) -> Target:
    procedure_id = request.procedure_id
    if isinstance(request, WriteOffRequest) and request.payment_item_id is not None:
        procedure_id = uow.remittances.item(request.payment_item_id).procedure_id
    if procedure_id is not None:
        row = uow.lookups.procedure_with_patient(procedure_id)
        return Target(f"{row.code} on {row.date_of_service} · {_name(row)}", row.id)
    assert isinstance(request, WriteOffRequest)
    if request.encounter_id is not None:
        row = uow.lookups.encounter_with_patient(request.encounter_id)
        return Target(f"visit on {row.date_of_service} · {_name(row)}", row.id)
    assert request.patient_id is not None
    row = uow.registry.patient(request.patient_id)
    return Target(f"all visits · {_name(row)}", row.id)


def _name(row: Record) -> str:
    return f"{row.last_name}, {row.first_name} ({row.mrn})"
