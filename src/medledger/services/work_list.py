"""The work list on the home screen: what a billing person picks up next.

Two lists: the newest remittances, each with how many write-off previews (drafts) wait on it to
be posted; and the patients with open PR (PR not yet paid, written off or cancelled), most open
PR first.
"""

from __future__ import annotations

from dataclasses import dataclass

from medledger.domain.balance import Balance
from medledger.services.actor import Actor
from medledger.services.remittance_views import RemittanceSummary, list_remittances
from medledger.storage.unit_of_work import Record, UnitOfWork, UnitOfWorkFactory


@dataclass(frozen=True)
class RemittanceToPost:
    remittance: RemittanceSummary
    open_previews: int


@dataclass(frozen=True)
class PatientWithOpenPR:
    """open_pr_cents: PR still to collect; balance: the patient's whole balance (credit nets)."""

    patient: Record
    open_pr_cents: int
    balance: Balance


@dataclass(frozen=True)
class WorkList:
    remittances: tuple[RemittanceToPost, ...]
    patients: tuple[PatientWithOpenPR, ...]


def work_list(database: UnitOfWorkFactory, actor: Actor, limit: int = 25) -> WorkList:
    return WorkList(
        tuple(remittances_to_post(database, actor, limit)),
        tuple(patients_with_open_pr(database, actor, limit)),
    )


def remittances_to_post(
    database: UnitOfWorkFactory, actor: Actor, limit: int = 100
) -> list[RemittanceToPost]:
    """The newest remittances, each with the number of previews waiting on it to be posted."""
    summaries = list_remittances(database, actor, limit)
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        counts = uow.lookups.open_previews([s.id for s in summaries])
    return [RemittanceToPost(s, counts.get(s.id, 0)) for s in summaries]


def patients_with_open_pr(
    database: UnitOfWorkFactory, actor: Actor, limit: int = 25
) -> list[PatientWithOpenPR]:
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        return _patients_with_open_pr(uow, limit)


def _patients_with_open_pr(uow: UnitOfWork, limit: int) -> list[PatientWithOpenPR]:
    """The ``limit`` patients with the most open PR, ranked by the database from each patient's
    materialised open PR (``patient_open_pr``, an index), so the home screen reads ``limit``
    patients' rows however many owe something. The figures shown are then ``Balance``'s own,
    from the chosen patients' procedures."""
    ranked = uow.ledger.patients_owing_most(limit)
    rows = uow.registry.procedures_of_patients(ranked)
    balances = uow.ledger.balances([row.id for row in rows])
    per_patient: dict[int, list[Balance]] = {pid: [] for pid in ranked}
    for row in rows:
        per_patient[row.patient_id].append(balances[row.id])
    found = {row.id: row for row in uow.registry.patients_by_id(ranked)}
    return [
        PatientWithOpenPR(
            found[pid],
            sum(b.total_open_pr() for b in per_patient[pid]),
            Balance.total(per_patient[pid]),
        )
        for pid in ranked
    ]
