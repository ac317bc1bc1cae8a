"""The review queue: imported claims held for a biller, and the two ways out of it.

A held claim is *resolved* by matching it to an encounter (and, if its lines do not match by the
usual rules, each line to a procedure) and posting it, through the same rules as the import, as
its own ledger transaction on the remittance it came with; or *dismissed* with a reason. Either
way the acting user and the time are recorded, and an item is resolved once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from medledger.domain.claim_advice import ClaimAdvice
from medledger.domain.errors import ConcurrentChange, InvalidInput, LedgerError
from medledger.domain.review import HOLD_REASONS
from medledger.domain.statuses import Resolution
from medledger.domain.transaction import TransactionHeader, TransactionKind
from medledger.services.actor import Actor
from medledger.services.authorization import authorize
from medledger.services.era_import import ClaimPoster
from medledger.services.posting import dry_run_effect, fingerprint
from medledger.storage.remittance_store import warnings_of
from medledger.storage.review_store import advice_from_json
from medledger.storage.unit_of_work import Record, UnitOfWork, UnitOfWorkFactory


class AlreadyResolved(LedgerError):
    code = "review-item-resolved"
    status = 409


@dataclass(frozen=True)
class HeldClaim:
    """A review item as a biller reads it.

    reason: the hold reason code (``label`` says it in words); detail: this claim's specifics.
    payer, trace_number, file_name, warnings: the remittance it came with, and what its file had
    off though its meaning was clear. resolution: None while open,
    else "posted" (``encounter_id``, ``transaction_id``) or "dismissed" (``note``).
    """

    id: int
    reason: str
    detail: str
    claim: ClaimAdvice
    payer: str
    trace_number: str
    file_name: str | None
    warnings: tuple[str, ...]
    created_at: datetime
    resolution: str | None
    encounter_id: int | None
    transaction_id: int | None
    note: str | None

    @property
    def label(self) -> str:
        return HOLD_REASONS[self.reason]


def held_claims(
    database: UnitOfWorkFactory, actor: Actor, *, include_resolved: bool = False, limit: int = 100
) -> list[HeldClaim]:
    """Held claims, newest first; only the open ones unless ``include_resolved``."""
    authorize(actor, "view")
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        rows = uow.reviews.items(open_only=not include_resolved, limit=limit)
    return [_view(row) for row in rows]


def held_claim(database: UnitOfWorkFactory, actor: Actor, item_id: int) -> HeldClaim:
    authorize(actor, "view")
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        return _view(uow.reviews.item(item_id))


@dataclass(frozen=True)
class EncounterChoice:
    """An encounter a biller may post a held claim to, with the procedures its lines could match.

    ``named_by_claim`` marks the encounter whose patient control number is the claim's own.
    """

    encounter_id: int
    patient_id: int
    patient_name: str
    mrn: str
    date_of_service: date
    patient_control_number: str
    procedures: tuple[Record, ...]
    named_by_claim: bool


def encounter_choices(
    database: UnitOfWorkFactory, actor: Actor, item_id: int, search: str = "", limit: int = 10
) -> list[EncounterChoice]:
    """Where a held claim could go: the encounter its control number names (if any), then the
    encounters of up to ``limit`` patients whose name or MRN contains ``search``."""
    authorize(actor, "view")
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        advice = advice_from_json(uow.reviews.item(item_id).claim)
        named = uow.registry.encounter_by_control_number(advice.patient_control_number)
        found = [named] if named is not None else []
        if search.strip():
            for patient in uow.registry.search_patients(search.strip(), limit=limit):
                found += [
                    e for e in uow.registry.encounters_of_patient(patient.id) if e not in found
                ]
        procedures = uow.registry.procedures_of_encounters([e.id for e in found])
        patients = {p.id: p for p in uow.registry.patients_by_id({e.patient_id for e in found})}
    return [
        EncounterChoice(
            encounter_id=e.id,
            patient_id=e.patient_id,
            patient_name=f"{patients[e.patient_id].first_name} {patients[e.patient_id].last_name}",
            mrn=patients[e.patient_id].mrn,
            date_of_service=e.date_of_service,
            patient_control_number=e.patient_control_number,
            procedures=tuple(p for p in procedures if p.encounter_id == e.id),
            named_by_claim=named is not None and e.id == named.id,
        )
        for e in found
    ]


def resolve_held_claim(
    database: UnitOfWorkFactory,
    actor: Actor,
    item_id: int,
    encounter_id: int,
    procedure_ids: Sequence[int] | None = None,
) -> int:
    """Post a held claim to ``encounter_id``; returns the ledger transaction.

    ``procedure_ids`` gives each line's procedure when the lines do not match by the rules. The
    claim must now pass every check the import made (``ClaimHeld`` says which it fails): a
    duplicate stays a duplicate and is dismissed instead.
    """
    authorize(actor, "post_remittance")
    try:
        with database.unit_of_work(actor.organisation_id) as uow:
            item = _open_item(uow, item_id)
            advice = advice_from_json(item.claim)
            encounter = uow.registry.encounter(encounter_id)
            if procedure_ids is not None:
                _check_procedures(uow, encounter_id, advice, procedure_ids)
            effect = dry_run_effect()
            touched = [p.id for p in uow.registry.procedures_of_encounter(encounter.id)]
            before = uow.ledger.balances(touched) if effect is not None else {}
            poster = ClaimPoster(uow, item.payer_id, item.trace_number)
            poster.load([advice], encounter=encounter)
            claim = poster.post(advice, procedure_ids)
            transaction_id = uow.ledger.open_transaction(
                TransactionHeader(
                    kind=TransactionKind.ADJUDICATION,
                    user_id=actor.user_id,
                    source=actor.source,
                    idempotency_key=f"review:{item_id}",
                    request_hash=fingerprint({"item": item_id, "encounter": encounter_id}),
                    note=f"held claim {advice.patient_control_number} (review item {item_id}) "
                    f"posted to encounter {encounter_id}",
                    remittance_id=item.remittance_id,
                )
            )
            poster.write(item.remittance_id, transaction_id, [claim])
            uow.reviews.resolve(
                item_id,
                action=Resolution.POSTED,
                user_id=actor.user_id,
                encounter_id=encounter_id,
                transaction_id=transaction_id,
            )
            if effect is not None:
                entries = uow.ledger.entries([transaction_id])[transaction_id]
                effect.record(
                    TransactionKind.ADJUDICATION, entries, before, uow.ledger.balances(touched)
                )
            uow.commit()  # a dry run's commit keeps nothing
            return transaction_id
    except ConcurrentChange as error:
        raise AlreadyResolved(f"review item {item_id} was resolved meanwhile") from error


def dismiss_held_claim(
    database: UnitOfWorkFactory, actor: Actor, item_id: int, reason: str
) -> HeldClaim:
    """Close a held claim without posting it, saying why (a duplicate, not our patient, ...);
    answers with the item as dismissed."""
    authorize(actor, "post_remittance")
    if not reason.strip():
        raise InvalidInput("say why the held claim is dismissed")
    try:
        with database.unit_of_work(actor.organisation_id) as uow:
            _open_item(uow, item_id)
            uow.reviews.resolve(
                item_id, action=Resolution.DISMISSED, user_id=actor.user_id, note=reason.strip()
            )
            dismissed = _view(uow.reviews.item(item_id))
            uow.commit()  # a dry run's commit keeps nothing
            return dismissed
    except ConcurrentChange as error:
        raise AlreadyResolved(f"review item {item_id} was resolved meanwhile") from error


def _open_item(uow: UnitOfWork, item_id: int) -> Record:
    item = uow.reviews.item(item_id)
    if item.resolution is not None:
        raise AlreadyResolved(f"review item {item_id} is already {item.resolution}")
    return item


def _check_procedures(
    uow: UnitOfWork, encounter_id: int, advice: ClaimAdvice, procedure_ids: Sequence[int]
) -> None:
    if len(procedure_ids) != len(advice.lines):
        raise InvalidInput(
            f"the claim has {len(advice.lines)} lines; give one procedure for each, in order"
        )
    own = {row.id for row in uow.registry.procedures_of_encounter(encounter_id)}
    for procedure_id in procedure_ids:
        if procedure_id not in own:
            raise InvalidInput(f"procedure {procedure_id} is not part of encounter {encounter_id}")


def _view(row: Record) -> HeldClaim:
    return HeldClaim(
        id=row.id,
        reason=row.reason,
        detail=row.detail,
        claim=advice_from_json(row.claim),
        payer=row.payer,
        trace_number=row.trace_number,
        file_name=row.file_name,
        warnings=tuple(warnings_of(row)),
        created_at=row.created_at,
        resolution=row.resolution,
        encounter_id=row.resolved_encounter_id,
        transaction_id=row.resolved_transaction_id,
        note=row.resolution_note,
    )
