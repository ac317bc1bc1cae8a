"""Import 837 claim files: the practice's patients, visits and charges, as it billed them.

One pass over the file inside one database transaction: all or nothing. A file that is
malformed, whose envelope counts are wrong, or with a claim whose lines do not add up to CLM02
is refused whole (``ClaimFileRefused``: file, segment, problem) and writes nothing. The same file
imported again (same bytes) posts nothing.

Per claim: the payer (found or created by its identifier, like the 835 import), the patient
(matched by member id, birth date and name, never registered twice; else registered with a
medical record number derived from those), the coverage (payer and order), then what its
frequency code asks (domain/claim_frequency.py): a new encounter whose procedures are charged in
one ``charge`` transaction; a replacement or void, whose earlier charges are taken back by
negative charge entries; or nothing, when the claim is in the ledger already or must be held.
Every claim is recorded with what became of it, held ones with their reason.

``dry_run`` does everything, then rolls back: the summary says what would have been posted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medledger.domain.balance import Entry
from medledger.domain.charge_void import money_moved
from medledger.domain.claim_frequency import VOID, Action, Decision, EarlierClaim, decide
from medledger.domain.columns import Column
from medledger.domain.errors import LedgerError
from medledger.domain.transaction import TransactionHeader, TransactionKind
from medledger.services.actor import Actor
from medledger.services.authorization import authorize
from medledger.services.file_input import Progress, Source, content_hash, name_of, opened
from medledger.storage.claim_store import PatientKey
from medledger.storage.tables import coverages, encounters, patients, procedures, submitted_claims
from medledger.storage.unit_of_work import Record, UnitOfWork, UnitOfWorkFactory
from medledger.x12.claim_records import ClaimPatient, SubmittedClaim
from medledger.x12.claims import read_claims
from medledger.x12.errors import X12Error


class ClaimFileRefused(LedgerError):
    """The file is malformed or a claim does not add up: nothing of it is imported."""

    code = "claim-file-refused"


@dataclass
class ClaimImportSummary:
    """What an import did (or, in a dry run, would have done).

    already_imported: the same file was imported before (then nothing else is counted but its
    claims and lines). claims, lines: in the file. imported: claims registered as new encounters;
    replaced, voided: claims that took back earlier charges (and, replaced, charged their own);
    unchanged: claims already in the ledger as they are. held: (claim number, reason) of each
    claim held. patients_added, patients_matched: patients registered, and found registered.
    charge_cents: the charges registered, net of those taken back.
    """

    file_name: str
    dry_run: bool = False
    already_imported: bool = False
    claims: int = 0
    lines: int = 0
    imported: int = 0
    replaced: int = 0
    voided: int = 0
    unchanged: int = 0
    held: list[tuple[str, str]] = field(default_factory=list)
    patients_added: int = 0
    patients_matched: int = 0
    charge_cents: int = 0


def import_claims(
    database: UnitOfWorkFactory,
    actor: Actor,
    source: Source,
    *,
    file_name: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ClaimImportSummary:
    """Import one 837 file (a path, or a text or binary stream); see the module docstring."""
    authorize(actor, "import_claims")
    name = name_of(source, file_name, "837")
    summary = ClaimImportSummary(name, dry_run)
    with opened(source, None) as raw, database.unit_of_work(actor.organisation_id) as uow:
        file_hash, rewound = content_hash(raw)
        # One claim import at a time per organisation: a second waits here, then finds the file,
        # its patients and its claim numbers as the first left them.
        uow.lock("claim-import")
        with opened(rewound, progress) as stream:
            earlier = uow.claims.file_by_hash(file_hash)
            importer = _Importer(uow, actor, summary, name)
            if earlier is None:
                importer.claim_file_id = uow.claims.add_file(file_hash, name, actor.user_id)
            try:
                for claim in read_claims(stream):
                    summary.claims += 1
                    summary.lines += len(claim.lines)
                    if earlier is None:
                        importer.take(claim)
                importer.flush()
            except X12Error as error:
                raise ClaimFileRefused(
                    f"{name}: {error}", position=error.position, segment_id=error.segment_id
                ) from error
        if not summary.claims:
            raise ClaimFileRefused(f"{name}: the file holds no claim")
        if earlier is not None:
            summary.already_imported = True
            return summary
        uow.claims.count_file(importer.claim_file_id, summary.claims, summary.lines)
        if not dry_run:
            uow.commit()
    return summary


def patient_key(patient: ClaimPatient) -> PatientKey:
    """What identifies a patient across claims: member id, birth date, last and first name."""
    return (
        patient.member_id,
        patient.birth_date,
        patient.last_name.upper(),
        patient.first_name.upper(),
    )


def record_number(patient: ClaimPatient) -> str:
    """The medical record number of a patient registered from a claim: derived from what
    identifies them, so it is the same however many files name them."""
    text = "|".join(str(part) for part in patient_key(patient))
    return "837-" + hashlib.sha256(text.encode()).hexdigest()[:10].upper()


def find_or_add_patient(
    uow: UnitOfWork,
    patient: ClaimPatient,
    known: dict[PatientKey, int],
    actor: Actor,
    mrn: str | None = None,
) -> tuple[int, bool | None]:
    """The patient's id: one ``known`` already (then None), the registered patient with the
    same member id, birth date and name (False), or a new one (True, registered by ``actor``)
    under ``mrn`` or, without one, ``record_number``. ``known`` remembers it for the next claim
    or row."""
    key = patient_key(patient)
    patient_id = known.get(key)
    if patient_id is not None:
        return patient_id, None
    row = uow.claims.matching_patient(
        patient.member_id, patient.birth_date, patient.last_name, patient.first_name
    )
    added = row is None
    if row is not None:
        patient_id = int(row.id)
    else:
        patient_id = uow.registry.add_patient(**patient_row(patient, actor, mrn))
    known[key] = patient_id
    return patient_id, added


def patient_row(patient: ClaimPatient, actor: Actor, mrn: str | None = None) -> dict[str, Any]:
    """A new patient's row: as the claim (or CSV row) gives them, under ``mrn`` or, without
    one, ``record_number``, registered by ``actor``."""
    return {
        "mrn": mrn or record_number(patient),
        "first_name": patient.first_name[:100],
        "last_name": patient.last_name[:100],
        "birth_date": patient.birth_date,
        "sex": patient.sex,
        "member_id": patient.member_id,
        "address_line1": patient.address_line1,
        "address_line2": patient.address_line2,
        "city": patient.city,
        "state": patient.state,
        "postal_code": patient.postal_code,
        "created_by": actor.user_id,
    }


#: Claims read before they are written together: a chunk's lookups (patients, coverages, claim
#: numbers) are one query each, and its new encounters, claims, procedures and charge
#: transactions one INSERT per table, rather than a round trip per row (PostgreSQL pays one per
#: statement: docs/benchmarks/claim-import.md).
CHUNK = 500


@dataclass
class _NewClaims:
    """Claims of a chunk whose number nothing in the ledger holds yet, waiting to be written:
    each with its payer, patient and decision (ADD, or HOLD with a reason)."""

    claims: list[tuple[SubmittedClaim, int, int, Decision]] = field(default_factory=list)
    numbers: set[str] = field(default_factory=set)


class _Importer:
    """Registers claims in file order, a chunk at a time; each claim sees those before it (a
    file may replace a claim it registered itself: such a claim is taken on its own, after
    everything before it is written)."""

    def __init__(self, uow: UnitOfWork, actor: Actor, summary: ClaimImportSummary, name: str):
        self.uow = uow
        self.actor = actor
        self.summary = summary
        self.name = Path(name).name
        self.claim_file_id = 0
        self.payers: dict[str, int] = {}
        self.patients: dict[PatientKey, int] = {}
        self.coverages: set[tuple[int, int, str]] = set()  # recorded in this file
        self.waiting: list[SubmittedClaim] = []

    def take(self, claim: SubmittedClaim) -> None:
        self.waiting.append(claim)
        if len(self.waiting) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        """Register the claims read and not registered yet."""
        claims, self.waiting = self.waiting, []
        if not claims:
            return
        payer_ids = [self._payer(claim) for claim in claims]
        patient_ids = self._patients([claim.patient for claim in claims])
        self._cover(claims, patient_ids, payer_ids)
        known = self.uow.registry.encounters_by_control_numbers(
            claim.patient_control_number for claim in claims
        )
        new = _NewClaims()
        for claim, payer_id, patient_id in zip(claims, payer_ids, patient_ids, strict=True):
            number = claim.patient_control_number
            if number in known or number in new.numbers:
                self._write(new)
                new = _NewClaims()
                self._take_one(claim, payer_id, patient_id)
                continue
            decision = decide(number, claim.frequency_code, claim.content_hash, None)
            if decision.action is Action.HOLD:
                assert decision.reason is not None
                self.summary.held.append((number, decision.reason))
            new.claims.append((claim, payer_id, patient_id, decision))
            new.numbers.add(number)
        self._write(new)

    def _patients(self, people: list[ClaimPatient]) -> list[int]:
        """Each claim's patient id: known in this import, registered already (one query for
        the chunk), or registered now (one INSERT for the chunk)."""
        keys = [patient_key(patient) for patient in people]
        unknown = {key for key in keys if key not in self.patients}
        matched = self.uow.claims.matching_patients(unknown) if unknown else {}
        fresh: dict[PatientKey, ClaimPatient] = {}
        for key, patient in zip(keys, people, strict=True):
            if key in self.patients or key in fresh:
                continue
            if key in matched:
                self.patients[key] = matched[key]
                self.summary.patients_matched += 1
            else:
                fresh[key] = patient
        rows = [patient_row(patient, self.actor) for patient in fresh.values()]
        self.patients.update(zip(fresh, self.uow.claims.insert_many(patients, rows), strict=True))
        self.summary.patients_added += len(fresh)
        return [self.patients[key] for key in keys]

    def _cover(
        self, claims: list[SubmittedClaim], patient_ids: list[int], payer_ids: list[int]
    ) -> None:
        """Record each (patient, payer, order) once, under the first claim's member id."""
        wanted: dict[tuple[int, int, str], str | None] = {}
        for claim, patient_id, payer_id in zip(claims, patient_ids, payer_ids, strict=True):
            coverage = (patient_id, payer_id, claim.coverage_order)
            if coverage not in self.coverages:
                wanted.setdefault(coverage, claim.subscriber_member_id)
        if not wanted:
            return
        existing = self.uow.claims.coverages_among({patient for patient, _, _ in wanted})
        rows = [
            {"patient_id": patient_id, "payer_id": payer_id, "coverage_order": order,
             "member_id": member_id, "created_by": self.actor.user_id}
            for (patient_id, payer_id, order), member_id in wanted.items()
            if (patient_id, payer_id, order) not in existing
        ]  # fmt: skip
        self.uow.claims.insert_many(coverages, rows)
        self.coverages.update(wanted)

    def _write(self, new: _NewClaims) -> None:
        """The chunk's new claims: their encounters, claim records, procedures and charge
        transactions, a statement per table."""
        if not new.claims:
            return
        added = [entry for entry in new.claims if entry[3].action is Action.ADD]
        encounter_ids = self.uow.claims.insert_many(
            encounters,
            [
                {"patient_id": patient_id, "payer_id": payer_id, "created_by": self.actor.user_id,
                 "patient_control_number": claim.patient_control_number,
                 "date_of_service": claim.service_date, **_details(claim)}
                for claim, payer_id, patient_id, _ in added
            ],
        )  # fmt: skip
        encounter_of = {
            claim.patient_control_number: encounter_id
            for (claim, _, _, _), encounter_id in zip(added, encounter_ids, strict=True)
        }
        records = []
        for claim, _, _, decision in new.claims:
            encounter_id = encounter_of.get(claim.patient_control_number)
            record = {"claim_file_id": self.claim_file_id, **_record(claim, encounter_id)}
            if decision.action is Action.HOLD:
                assert decision.reason is not None
                record.update(status="held", held_reason=decision.reason[:500])
            else:
                record.update(status="imported", held_reason=None)
            records.append(record)
        self.uow.claims.insert_many(submitted_claims, records)
        procedure_ids = iter(
            self.uow.claims.insert_many(
                procedures,
                [
                    {"encounter_id": encounter_id, "patient_id": patient_id,
                     "pr_source": "none", "created_by": self.actor.user_id, **line}
                    for (claim, _, patient_id, _), encounter_id in zip(
                        added, encounter_ids, strict=True
                    )
                    for line in _line_rows(claim, 0)
                ],
            )
        )  # fmt: skip
        postings = []
        for claim, _, patient_id, _ in added:
            entries = [
                Entry(next(procedure_ids), Column.CHARGE, "", line.charge_cents)
                for line in claim.lines
            ]
            entries = [entry for entry in entries if entry.amount_cents]
            postings.append((self._header(claim, patient_id, Action.ADD), entries))
            self.summary.charge_cents += sum(entry.amount_cents for entry in entries)
        self.uow.ledger.post_many(postings)
        self.summary.imported += len(added)

    def _take_one(self, claim: SubmittedClaim, payer_id: int, patient_id: int) -> None:
        """A claim whose number the ledger holds: unchanged, a replacement, a void, or held."""
        encounter = self.uow.registry.encounter_by_control_number(claim.patient_control_number)
        earlier = None if encounter is None else self._earlier(encounter, patient_id)
        decision = decide(
            claim.patient_control_number, claim.frequency_code, claim.content_hash, earlier
        )
        record = _record(claim, None if encounter is None else encounter.id)
        if decision.action is Action.HOLD:
            assert decision.reason is not None
            self.summary.held.append((claim.patient_control_number, decision.reason))
            self.uow.claims.add_claim(
                self.claim_file_id, status="held", held_reason=decision.reason[:500], **record
            )
            return
        if decision.action is Action.UNCHANGED:
            self.summary.unchanged += 1
            self.uow.claims.add_claim(self.claim_file_id, status="unchanged", **record)
            return
        if encounter is None:
            encounter_id = self.uow.registry.add_encounter(
                patient_id,
                claim.patient_control_number,
                claim.service_date,
                payer_id,
                created_by=self.actor.user_id,
                **_details(claim),
            )
            status = "imported"
            self.summary.imported += 1
        else:
            encounter_id = encounter.id
            status = "voided" if decision.action is Action.VOID else "replaced"
            self.uow.claims.set_claim_details(encounter_id, **_details(claim), payer_id=payer_id)
            if decision.action is Action.VOID:
                self.summary.voided += 1
            else:
                self.summary.replaced += 1
        record["encounter_id"] = encounter_id
        claim_id = self.uow.claims.add_claim(self.claim_file_id, status=status, **record)
        self._charge(claim, encounter_id, patient_id, claim_id, decision.action)

    def _payer(self, claim: SubmittedClaim) -> int:
        payer_id = self.payers.get(claim.payer_id)
        if payer_id is None:
            self.uow.lock(f"payer:{claim.payer_id}")  # as the 835 import does (era_import.py)
            row = self.uow.registry.payer_by_code(claim.payer_id)
            payer_id = (
                int(row.id)
                if row is not None
                else self.uow.registry.add_payer(
                    claim.payer_id, claim.payer_name, created_by=self.actor.user_id
                )
            )
            self.payers[claim.payer_id] = payer_id
        return payer_id

    def _earlier(self, encounter: Record, patient_id: int) -> EarlierClaim:
        standing = self.uow.claims.standing_procedures(encounter.id)
        balances = self.uow.ledger.balances([row.id for row in standing])
        with_money = tuple(row.id for row in standing if money_moved(balances[row.id]))
        return EarlierClaim(
            content_hash=self.uow.claims.last_claim_content(encounter.id),
            voided=encounter.frequency_code == VOID,
            same_patient=encounter.patient_id == patient_id,
            procedures_with_money=with_money,
        )

    def _header(self, claim: SubmittedClaim, patient_id: int, action: Action) -> TransactionHeader:
        """The claim's charge transaction: by the importing user, keyed by file and position."""
        verb = {Action.ADD: "", Action.REPLACE: "replacement ", Action.VOID: "void "}[action]
        return TransactionHeader(
            kind=TransactionKind.CHARGE,
            user_id=self.actor.user_id,
            source=self.actor.source,
            idempotency_key=f"claim:{self.claim_file_id}:{claim.position}",
            request_hash=claim.content_hash,
            note=f"837 {self.name}, {verb}claim {claim.patient_control_number}",
            patient_id=patient_id,
        )

    def _charge(
        self,
        claim: SubmittedClaim,
        encounter_id: int,
        patient_id: int,
        claim_id: int,
        action: Action,
    ) -> None:
        """One charge transaction: the earlier charges taken back (replacement, void), the
        claim's own charged (new, replacement)."""
        entries: list[Entry] = []
        taken_back: list[int] = []
        if action is not Action.ADD:
            for row in self.uow.claims.standing_procedures(encounter_id):
                taken_back.append(row.id)
                if row.charge_cents:
                    entries.append(Entry(row.id, Column.CHARGE, "", -row.charge_cents))
        if action is not Action.VOID:
            first = 0 if action is Action.ADD else self.uow.claims.last_line_number(encounter_id)
            procedure_ids = self.uow.claims.add_procedures(
                encounter_id, patient_id, _line_rows(claim, first), self.actor.user_id
            )
            entries += [
                Entry(procedure_id, Column.CHARGE, "", line.charge_cents)
                for procedure_id, line in zip(procedure_ids, claim.lines, strict=True)
                if line.charge_cents
            ]
        transaction_id = self.uow.ledger.post(self._header(claim, patient_id, action), entries)
        self.uow.claims.add_voids(taken_back, claim_id, transaction_id)
        self.summary.charge_cents += sum(entry.amount_cents for entry in entries)


def _record(claim: SubmittedClaim, encounter_id: int | None) -> dict[str, Any]:
    """A claim's record (``submitted_claims``) but its file, status and held reason."""
    return {
        "patient_control_number": claim.patient_control_number,
        "frequency_code": claim.frequency_code,
        "charge_cents": claim.charge_cents,
        "content_hash": claim.content_hash,
        "position": claim.position,
        "encounter_id": encounter_id,
    }


def _line_rows(claim: SubmittedClaim, first: int) -> list[dict[str, Any]]:
    """The claim's procedures' rows, numbered from ``first`` + 1."""
    return [
        {
            "line_number": first + offset,
            "code": line.procedure_code,
            "modifiers": ":".join(line.modifiers),
            "units": line.units,
            "date_of_service": line.service_date_from or claim.service_date,
            "charge_cents": line.charge_cents,
            "line_item_control_number": line.line_item_control_number,
            "revenue_code": line.revenue_code,
        }
        for offset, line in enumerate(claim.lines, start=1)
    ]


def _details(claim: SubmittedClaim) -> dict[str, Any]:
    """An encounter's claim details as the claim gives them."""
    return {
        "place_of_service": claim.place_of_service,
        "rendering_provider": None
        if claim.rendering_provider is None
        else claim.rendering_provider[:200],
        "diagnosis_codes": ",".join(claim.diagnosis_codes) or None,
        "frequency_code": claim.frequency_code,
    }
