"""The patient profile as one read: the account (header, charges, encounters), the ledger lines
(history tab, a charge's details) and the payments (front desk).

Every tab and every charge dialog of the web UI renders from this one value, so the header, the
charges list, the encounter totals and the history can never show figures of different moments
side by side after an action.
"""

from __future__ import annotations

from dataclasses import dataclass

from medledger.domain.columns import Column
from medledger.domain.errors import NotFound
from medledger.domain.transaction import TransactionKind
from medledger.services import accounts, history, payments, registration
from medledger.services.accounts import EncounterAccount, PatientAccount, ProcedureAccount
from medledger.services.actor import Actor
from medledger.services.history import TransactionView
from medledger.services.payments import PaymentView
from medledger.services.registration import PatientRecord
from medledger.storage.unit_of_work import UnitOfWorkFactory


@dataclass(frozen=True)
class StandingWriteOff:
    """A write-off touching a charge with cents still standing on that charge.

    standing_cents: what is left of it on this charge after its removals; spans_charges: how many
    charges the write-off touched (a patient-level write-off spreads over several).
    """

    transaction: TransactionView
    standing_cents: int
    spans_charges: int


@dataclass(frozen=True)
class PatientProfile:
    """``record``: demographics, coverages and who registered or last changed them."""

    account: PatientAccount
    history: tuple[TransactionView, ...]
    payments: tuple[PaymentView, ...]
    record: PatientRecord

    def procedure(self, procedure_id: int) -> ProcedureAccount:
        """One of this patient's charges; another patient's is "not found"."""
        for encounter in self.account.encounters:
            for procedure in encounter.procedures:
                if procedure.procedure.id == procedure_id:
                    return procedure
        raise NotFound("charge", procedure_id)

    def encounter_of(self, procedure_id: int) -> EncounterAccount:
        for encounter in self.account.encounters:
            if any(p.procedure.id == procedure_id for p in encounter.procedures):
                return encounter
        raise NotFound("charge", procedure_id)

    def codes_of(self, view: TransactionView) -> list[str]:
        """The codes of the charges a ledger line moved cents on, in charge order."""
        touched = {e.procedure_id for e in view.entries}
        return [
            p.procedure.code
            for encounter in self.account.encounters
            for p in encounter.procedures
            if p.procedure.id in touched
        ]

    def line(self, transaction_id: int) -> TransactionView:
        """One of this patient's ledger lines; another patient's is "not found"."""
        for view in self.history:
            if view.id == transaction_id:
                return view
        raise NotFound("ledger line", transaction_id)

    def payment(self, payment_id: int) -> PaymentView:
        for view in self.payments:
            if view.payment.id == payment_id:
                return view
        raise NotFound("payment", payment_id)

    def lines_of(self, procedure_id: int) -> list[TransactionView]:
        """The ledger lines that moved cents on one charge, oldest first."""
        return [
            view
            for view in self.history
            if any(e.procedure_id == procedure_id for e in view.entries)
        ]

    def write_offs_of(self, procedure_id: int) -> list[StandingWriteOff]:
        """Write-offs with cents still standing on this charge (what "Remove Write Off" undoes)."""
        by_id = {view.id: view for view in self.history}
        standing = []
        for view in self.history:
            if view.kind != TransactionKind.WRITE_OFF:
                continue
            own = [view, *(by_id[r] for r in view.reverted_by if r in by_id)]
            cents = sum(
                e.amount_cents
                for line in own
                for e in line.entries
                if e.procedure_id == procedure_id and e.column == Column.WRITTEN_OFF
            )
            if cents > 0:
                charges = len({e.procedure_id for e in view.entries})
                standing.append(StandingWriteOff(view, cents, charges))
        return standing


def patient_profile(database: UnitOfWorkFactory, actor: Actor, patient_id: int) -> PatientProfile:
    account = accounts.patient_account(database, actor, patient_id)
    return PatientProfile(
        account,
        tuple(history.patient_history(database, actor, patient_id)),
        tuple(payments.patient_payments(database, actor, patient_id)),
        registration.patient_record(database, actor, patient_id),
    )


def charge_profile(database: UnitOfWorkFactory, actor: Actor, procedure_id: int) -> PatientProfile:
    """The profile of the patient a charge belongs to: charge screens are addressed by charge."""
    procedure = accounts.procedure_account(database, actor, procedure_id).procedure
    return patient_profile(database, actor, procedure.patient_id)
