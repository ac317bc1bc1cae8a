"""Balances per procedure, encounter and patient, computed by one service so every screen agrees.

Encounter and patient figures are exactly the sums of their procedures' balances (``Balance``
adds up), and each procedure's balance is read from the materialised rows: a few rows per
procedure, however long its history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from medledger.domain.balance import Balance
from medledger.domain.cancellation import can_cancel
from medledger.domain.charge_void import can_void_charge
from medledger.domain.errors import NotFound
from medledger.domain.permission import Permission
from medledger.domain.write_off import HeldByCarc, can_write_off
from medledger.services.actor import Actor
from medledger.storage.unit_of_work import Record, UnitOfWork, UnitOfWorkFactory


@dataclass(frozen=True)
class ProcedureAccount:
    """A procedure with its balance and what may be done to it now (and why not).

    The rows (procedure, encounter, patient) are read by attribute: a ``Row`` of the table, or
    its ``record_of`` when cut out of a joined row (``LedgerStore.patient_rows``)."""

    procedure: Record | Any
    balance: Balance
    write_off: Permission
    cancel: Permission
    void_charge: Permission
    held: HeldByCarc = field(default_factory=dict)

    @property
    def pending_approvals(self) -> list[int]:
        """The pending approval requests holding some of this procedure's PR (the "pending
        approval" badge): what they hold is not offered to a write-off or cancellation meanwhile."""
        return sorted({holder.approval_id for holder in self.held.values()})


@dataclass(frozen=True)
class EncounterAccount:
    encounter: Record | Any
    procedures: tuple[ProcedureAccount, ...]

    @cached_property
    def balance(self) -> Balance:
        """Summed once: a page shows it beside the patient's, which adds it up again."""
        return Balance.total(p.balance for p in self.procedures)


@dataclass(frozen=True)
class PatientAccount:
    patient: Record | Any
    encounters: tuple[EncounterAccount, ...]

    @cached_property
    def balance(self) -> Balance:
        return Balance.total(e.balance for e in self.encounters)


def _procedure_accounts(uow: UnitOfWork, owner: str, owner_id: int) -> list[ProcedureAccount]:
    """The procedures whose ``owner`` column is ``owner_id``, oldest first, with balances and
    permissions (one round trip: ``LedgerStore.procedures_with_balances``)."""
    rows = uow.ledger.procedures_with_balances(owner, owner_id)
    held = uow.approvals.held([row.id for row, _ in rows])
    return [_account(row, balance, held.get(row.id, {})) for row, balance in rows]


def _account(row: Any, balance: Balance, held: HeldByCarc) -> ProcedureAccount:
    """A procedure's row and balance with what may be done to it now (a write-off or a
    cancellation: the PR that pending approval requests do not hold)."""
    return ProcedureAccount(
        row,
        balance,
        can_write_off(balance, held=held),
        can_cancel(balance, pr_from_remittance=row.pr_source == "remittance", held=held),
        can_void_charge(balance),
        held,
    )


def procedure_account(
    database: UnitOfWorkFactory, actor: Actor, procedure_id: int
) -> ProcedureAccount:
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        found = _procedure_accounts(uow, "id", procedure_id)
        if not found:
            raise NotFound("procedure", procedure_id)
        return found[0]


def encounter_account(
    database: UnitOfWorkFactory, actor: Actor, encounter_id: int
) -> EncounterAccount:
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        encounter = uow.registry.encounter(encounter_id)
        procedures = _procedure_accounts(uow, "encounter_id", encounter_id)
        return EncounterAccount(encounter, tuple(procedures))


def patient_account(
    database: UnitOfWorkFactory, actor: Actor, patient_ref: str | int
) -> PatientAccount:
    """A patient (by id, or MRN) with every encounter and procedure and their balances (one
    statement for a patient given by id: ``LedgerStore.patient_rows``)."""
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        patient_id = (
            patient_ref
            if isinstance(patient_ref, int)
            else uow.registry.patient_by_ref(patient_ref).id
        )
        rows = uow.ledger.patient_rows(patient_id)
        held = uow.approvals.held([row.id for row, _ in rows.procedures])
    by_encounter: dict[int, list[ProcedureAccount]] = {}
    for row, balance in rows.procedures:
        account = _account(row, balance, held.get(row.id, {}))
        by_encounter.setdefault(row.encounter_id, []).append(account)
    encounters = tuple(
        EncounterAccount(encounter, tuple(by_encounter.get(encounter.id, ())))
        for encounter in rows.encounters
    )
    return PatientAccount(rows.patient, encounters)


@dataclass(frozen=True)
class PatientSummary:
    """A patient row with the total of its procedures' balances (the patient list's line)."""

    patient: Record
    balance: Balance


def search_patients(
    database: UnitOfWorkFactory, actor: Actor, text: str = "", limit: int = 50, offset: int = 0
) -> list[PatientSummary]:
    """Patients matching a name or MRN fragment, with their balances, in three queries."""
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        patients = uow.registry.search_patients(text, limit, offset)
        procedures = uow.registry.procedures_of_patients([p.id for p in patients])
        balances = uow.ledger.balances([p.id for p in procedures])
    totals: dict[int, list[Balance]] = {p.id: [] for p in patients}
    for procedure in procedures:
        totals[procedure.patient_id].append(balances[procedure.id])
    return [PatientSummary(p, Balance.total(totals[p.id])) for p in patients]
