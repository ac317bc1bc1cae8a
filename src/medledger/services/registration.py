"""Setting up the practice: organisations, users, patients, payers, encounters and their charges.

An encounter's procedures are charged through the ledger (a ``charge`` transaction), so the
charge column is a journal fact like every other column.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from medledger.domain.balance import Entry
from medledger.domain.bounds import check_day
from medledger.domain.columns import Column
from medledger.domain.credentials import check_write_off_limit, normalise_username
from medledger.domain.errors import AlreadyExists, IdempotencyConflict, InvalidInput, NotFound
from medledger.domain.money import to_cents
from medledger.domain.registration import (
    COVERAGE_ORDERS,
    PatientDetails,
    check_diagnoses,
    check_modifiers,
    check_order,
    check_text,
    check_units,
    clearing,
)
from medledger.domain.statuses import Role
from medledger.domain.transaction import TransactionKind
from medledger.services.actor import Actor
from medledger.services.auth import actor_of
from medledger.services.authorization import authorize
from medledger.services.posting import Plan, post_once
from medledger.storage.unit_of_work import Record, UnitOfWork, UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class ProcedureInput:
    """One billed service line: CPT/HCPCS code, modifiers, units, charge (decimal string or
    cents), the line item control number a payer will echo back (REF*6R), and its date of
    service when it is not the encounter's (a stay billed as one claim)."""

    code: str
    charge: object
    modifiers: tuple[str, ...] = ()
    units: int = 1
    line_item_control_number: str | None = None
    date_of_service: date | None = None


#: The display name of an organisation's first user.
ADMINISTRATOR = "Administrator"


def create_organisation(
    database: UnitOfWorkFactory,
    name: str,
    admin_username: str = "admin",
    admin_password_hash: str | None = None,
) -> Actor:
    """A new organisation with its first (admin) user, who logs in with the password of
    ``admin_password_hash`` (without one, nobody can log in as them); returns that user as an
    actor."""
    admin_username = normalise_username(admin_username)
    with database.directory(write=True) as directory:
        organisation_id = directory.add_organisation(name)
    with database.unit_of_work(organisation_id) as uow:
        user_id = uow.registry.add_user(admin_username, ADMINISTRATOR, "admin", admin_password_hash)
        uow.commit()
    return Actor(organisation_id, user_id, "cli", "admin", display_name=ADMINISTRATOR)


def organisations(database: UnitOfWorkFactory) -> dict[int, str]:
    """Every organisation by id: for choosing one at the command line."""
    with database.directory() as directory:
        return directory.organisations()


def only_organisation(database: UnitOfWorkFactory) -> int | None:
    """The organisation, when the server holds just one (then nobody needs to name it)."""
    with database.directory() as directory:
        ids = directory.organisation_ids(limit=2)
    return ids[0] if len(ids) == 1 else None


def organisations_named(database: UnitOfWorkFactory, name: str) -> list[int]:
    """The organisations called ``name`` (any case, spaces trimmed): the login page asks for
    the practice by name, so it never lists who else is on the server."""
    wanted = name.strip().lower()
    if not wanted:
        return []
    with database.directory() as directory:
        return directory.organisations_named(wanted)


def actor_for(
    database: UnitOfWorkFactory, organisation_id: int, username: str, source: str
) -> Actor:
    """The acting user of an organisation, by name; inactive users cannot act."""
    with database.unit_of_work(organisation_id, write=False) as uow:
        user = uow.registry.user_by_name(username)
    if not user.active:
        raise InvalidInput(f"user {username} is inactive")
    return actor_of(organisation_id, user, source)


def add_user(
    database: UnitOfWorkFactory,
    actor: Actor,
    username: str,
    display_name: str,
    role: str,
    write_off_limit: object | None = None,
    password_hash: str | None = None,
) -> int:
    authorize(actor, "manage_users")
    if role not in tuple(Role):
        raise InvalidInput(f"unknown role {role!r}; choose one of {', '.join(Role)}")
    limit = None if write_off_limit is None else to_cents(write_off_limit)
    check_write_off_limit(limit)
    username = normalise_username(username)
    with database.unit_of_work(actor.organisation_id) as uow:
        if uow.registry.find_user(username) is not None:
            raise AlreadyExists(f"user {username!r} exists already")
        user_id = uow.registry.add_user(username, display_name, role, password_hash, limit)
        uow.commit()
    return user_id


@dataclass(frozen=True, slots=True)
class CoverageInput:
    """A patient's insurance: the payer (by its identifier; registered with ``payer_name`` when
    new), the order it is billed in, and the member id under it (the patient's own when blank)."""

    payer_code: str
    order: str = "primary"
    member_id: str | None = None
    payer_name: str | None = None


@dataclass(frozen=True, slots=True)
class CoverageView:
    """One of a patient's coverages, with its payer's identifier and name."""

    order: str
    payer_id: int
    payer_code: str
    payer_name: str
    member_id: str | None


@dataclass(frozen=True, slots=True)
class Stamp:
    """Who wrote or last changed a row, and when. ``user_id`` and ``user_name`` are None on a
    row nobody was recorded for (written before the rows carried their user)."""

    user_id: int | None
    user_name: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class PatientRecord:
    """A patient's row (demographics) and coverages, in billing order; who registered the
    patient, and who last changed their details (None: nobody since)."""

    patient: Record
    coverages: tuple[CoverageView, ...]
    registered: Stamp
    changed: Stamp | None


def _record(uow: UnitOfWork, patient_id: int) -> PatientRecord:
    rows = uow.claims.coverages_of(patient_id)
    payers = {row.payer_id: uow.registry.payer(row.payer_id) for row in rows}
    views = sorted(
        (
            CoverageView(
                row.coverage_order,
                row.payer_id,
                payers[row.payer_id].payer_code,
                payers[row.payer_id].name,
                row.member_id,
            )
            for row in rows
        ),
        key=lambda view: COVERAGE_ORDERS.index(view.order),
    )
    patient = uow.registry.patient(patient_id)
    changed = None
    if patient.updated_at is not None:
        changed = _stamp(uow, patient.updated_by, patient.updated_at)
    registered = _stamp(uow, patient.created_by, patient.created_at)
    return PatientRecord(patient, tuple(views), registered, changed)


def _stamp(uow: UnitOfWork, user_id: int | None, at: datetime) -> Stamp:
    name = None if user_id is None else str(uow.registry.user(user_id).display_name)
    return Stamp(user_id, name, at)


def patient_record(database: UnitOfWorkFactory, actor: Actor, patient_id: int) -> PatientRecord:
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        return _record(uow, patient_id)


def add_patient(
    database: UnitOfWorkFactory,
    actor: Actor,
    mrn: str,
    first_name: str,
    last_name: str,
    birth_date: date | None = None,
) -> int:
    """A patient known by name and birth date only (see ``register_patient``)."""
    details = PatientDetails(first_name, last_name, birth_date)
    return int(register_patient(database, actor, mrn, details).patient.id)


def register_patient(
    database: UnitOfWorkFactory,
    actor: Actor,
    mrn: str,
    details: PatientDetails,
    coverages: Sequence[CoverageInput] = (),
    *,
    dry_run: bool = False,
) -> PatientRecord:
    """Register a patient with their coverages; returns the patient's record.

    Refused when the MRN is taken, or when a patient with the same member id, birth date and
    name is registered already (the 837 import's match: one person, one account). ``dry_run``
    checks and writes, then rolls back.
    """
    authorize(actor, "register")
    mrn = check_text(mrn, "mrn", required=True)
    checked = details.checked(today())
    if checked.last_name is None:
        raise InvalidInput("last name is required", field="last_name")
    with database.unit_of_work(actor.organisation_id) as uow:
        if uow.registry.find_patient(mrn) is not None:
            raise AlreadyExists(f"a patient with MRN {mrn!r} exists already", field="mrn")
        twin = same_person(uow, checked)
        if twin is not None:
            raise AlreadyExists(
                f"this patient is registered already (MRN {twin.mrn})", patient_id=twin.id
            )
        values = checked.given()
        values.update(
            first_name=checked.first_name or "",
            last_name=checked.last_name,
            created_by=actor.user_id,
        )
        patient_id = uow.registry.add_patient(mrn, **values)  # type: ignore[arg-type]
        cover(uow, actor, patient_id, checked.member_id, coverages)
        record = _record(uow, patient_id)
        if not dry_run:
            uow.commit()
    return record


def same_person(uow: UnitOfWork, details: PatientDetails) -> Record | None:
    """The registered patient with the same member id, birth date and name, if any; without a
    member id nobody is matched (two people may share a name and a birthday)."""
    if details.member_id is None or details.last_name is None:
        return None
    return uow.claims.matching_patient(
        details.member_id, details.birth_date, details.last_name, details.first_name or ""
    )


def update_patient(
    database: UnitOfWorkFactory,
    actor: Actor,
    patient_id: int,
    details: PatientDetails,
    coverages: Sequence[CoverageInput] = (),
    *,
    mrn: str | None = None,
    clear: Collection[str] = (),
    remove_coverages: Sequence[CoverageKey] = (),
    dry_run: bool = False,
) -> PatientRecord:
    """Change the details given (None leaves a field as it is), empty those named in ``clear``
    (any but the last name; see ``domain.registration.clearing``), remove the coverages named in
    ``remove_coverages``, then add coverages (one recorded already with the same payer and order
    takes the member id given); returns the patient's record as it now stands. Only values that
    differ from the stored ones are written, so an edit that changes nothing leaves who last
    changed the patient as it was; a change of coverage counts as a change of the patient."""
    authorize(actor, "register")
    checked = details.checked(today())
    changes = {**clearing(clear), **checked.given()}
    if mrn is not None:
        changes["mrn"] = check_text(mrn, "mrn", required=True)
    with database.unit_of_work(actor.organisation_id) as uow:
        current = uow.registry.patient(patient_id)
        changes = {
            name: value for name, value in changes.items() if current._mapping[name] != value
        }
        if "mrn" in changes and uow.registry.find_patient(str(changes["mrn"])) is not None:
            raise AlreadyExists(
                f"a patient with MRN {changes['mrn']!r} exists already", field="mrn"
            )
        removed = uncover(uow, patient_id, remove_coverages)
        added = cover(uow, actor, patient_id, checked.member_id or current.member_id, coverages)
        uow.registry.update_patient(patient_id, actor.user_id, stamp=removed or added, **changes)
        record = _record(uow, patient_id)
        if not dry_run:
            uow.commit()
    return record


@dataclass(frozen=True, slots=True)
class CoverageKey:
    """One of a patient's coverages, named by its payer's identifier and its order."""

    payer_code: str
    order: str


def uncover(uow: UnitOfWork, patient_id: int, keys: Sequence[CoverageKey]) -> bool:
    """Remove each coverage named; one the patient does not hold is refused. True when any
    was removed."""
    for key in keys:
        code = check_text(key.payer_code, "payer_code", required=True)
        order = check_order(key.order)
        payer = uow.registry.payer_by_code(code)
        found = None if payer is None else uow.claims.coverage(patient_id, int(payer.id), order)
        if found is None:
            raise InvalidInput(
                f"the patient has no {order} coverage by payer {code!r}",
                field="remove_coverages",
            )
        uow.claims.remove_coverage(int(found.id))
    return bool(keys)


def cover(
    uow: UnitOfWork,
    actor: Actor,
    patient_id: int,
    member_id: str | None,
    coverages: Sequence[CoverageInput],
) -> bool:
    """Record each coverage once, registering a payer not seen before (by ``actor``); a
    coverage without its own member id is under ``member_id``, the patient's, and one recorded
    already takes the member id given with it. True when any coverage row was written."""
    written = False
    for coverage in coverages:
        code = check_text(coverage.payer_code, "payer_code", required=True)
        order = check_order(coverage.order)
        payer = uow.registry.payer_by_code(code)
        if payer is None:
            name = check_text(coverage.payer_name or "", "payer_name") or code
            payer_id = uow.registry.add_payer(code, name, created_by=actor.user_id)
        else:
            payer_id = int(payer.id)
        own = check_text(coverage.member_id or "", "member_id")
        written |= uow.claims.ensure_coverage(
            patient_id, payer_id, order, own or member_id, actor.user_id, member_id_given=bool(own)
        )
    return written


def today() -> date:
    """Today in UTC: a birth date after it is a typing slip."""
    return datetime.now(UTC).date()


def find_patient(database: UnitOfWorkFactory, actor: Actor, ref: str) -> Record:
    """A patient by MRN, or by id when no MRN matches."""
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        return uow.registry.patient_by_ref(ref)


def add_payer(database: UnitOfWorkFactory, actor: Actor, payer_code: str, name: str) -> int:
    authorize(actor, "register")
    with database.unit_of_work(actor.organisation_id) as uow:
        existing = uow.registry.payer_by_code(payer_code)
        if existing is not None:
            return int(existing.id)
        payer_id = uow.registry.add_payer(payer_code, name, created_by=actor.user_id)
        uow.commit()
    return payer_id


@dataclass(frozen=True, slots=True)
class VisitDetails:
    """What a claim says of the visit beside its lines: place of service (a two-digit CMS
    code such as 11, office), the rendering provider, and the diagnosis codes in order."""

    place_of_service: str | None = None
    rendering_provider: str | None = None
    diagnosis_codes: tuple[str, ...] = ()

    def columns(self) -> dict[str, Any]:
        diagnoses = check_diagnoses(self.diagnosis_codes)
        return {
            "place_of_service": check_text(self.place_of_service or "", "place_of_service") or None,
            "rendering_provider": check_text(self.rendering_provider or "", "rendering_provider")
            or None,
            "diagnosis_codes": ",".join(diagnoses) or None,
        }


def checked_line(line: ProcedureInput) -> ProcedureInput:
    """The line with its code, modifiers, units and control number within what a claim holds."""
    if line.date_of_service is not None:
        check_day(line.date_of_service, "date_of_service")
    control = line.line_item_control_number
    return replace(
        line,
        code=check_text(line.code, "code", required=True).upper(),
        modifiers=check_modifiers(line.modifiers),
        units=check_units(line.units),
        line_item_control_number=None
        if control is None
        else check_text(control, "line_item_control_number") or None,
    )


def new_control_number() -> str:
    """A patient control number for a visit registered without one: "V" and 12 hex digits."""
    return f"V{secrets.token_hex(6).upper()}"


def add_visit_rows(
    uow: UnitOfWork,
    actor: Actor,
    patient_id: int,
    number: str,
    date_of_service: date,
    lines: Sequence[ProcedureInput],
    charges: Sequence[int],
    payer_id: int | None,
    columns: dict[str, Any],
) -> tuple[int, list[Entry]]:
    """Write a visit and its procedures (``lines`` checked, ``charges`` in cents) by ``actor``;
    return the encounter's id and the charge entries to post for it."""
    if payer_id is not None:
        uow.registry.payer(payer_id)
    if uow.registry.encounter_by_control_number(number) is not None:
        raise AlreadyExists(
            f"an encounter with patient control number {number!r} exists already",
            field="patient_control_number",
        )
    encounter_id = uow.registry.add_encounter(
        patient_id, number, date_of_service, payer_id, created_by=actor.user_id, **columns
    )
    encounter = uow.registry.encounter(encounter_id)
    entries = []
    for line_number, (line, cents) in enumerate(zip(lines, charges, strict=True), start=1):
        procedure_id = uow.registry.add_procedure(
            encounter,
            line_number,
            created_by=actor.user_id,
            code=line.code,
            modifiers=":".join(line.modifiers),
            units=line.units,
            date_of_service=line.date_of_service or date_of_service,
            charge_cents=cents,
            line_item_control_number=line.line_item_control_number,
        )
        if cents:
            entries.append(Entry(procedure_id, Column.CHARGE, "", cents))
    return encounter_id, entries


def add_encounter(
    database: UnitOfWorkFactory,
    actor: Actor,
    patient_id: int,
    patient_control_number: str | None,
    date_of_service: date,
    lines: Sequence[ProcedureInput],
    payer_id: int | None = None,
    *,
    details: VisitDetails = VisitDetails(),
    idempotency_key: str | None = None,
) -> int:
    """Create an encounter and its procedures, and post their charges, in one transaction.

    Without a patient control number (the claim id the practice's 837 will carry) one is made
    up ("V" and 12 hex digits). The request is answered once per ``idempotency_key``, else once
    per control number given. Inside ``dry_run()`` everything is checked and rolled back.
    """
    authorize(actor, "register")
    check_day(date_of_service, "date_of_service")
    pcn = None if patient_control_number is None else patient_control_number.strip() or None
    if pcn is not None:
        check_text(pcn, "patient_control_number")
    if not lines:
        raise InvalidInput("an encounter needs at least one procedure", field="lines")
    checked = [checked_line(line) for line in lines]
    charges = [to_cents(line.charge) for line in checked]
    if any(cents < 0 for cents in charges) or not any(charges):
        raise InvalidInput("charges cannot be negative, and at least one must be above zero")
    columns = details.columns()
    number = pcn or new_control_number()
    created: dict[str, int] = {}

    def plan(uow: UnitOfWork) -> Plan:
        encounter_id, entries = add_visit_rows(
            uow, actor, patient_id, number, date_of_service, checked, charges, payer_id, columns
        )
        created["encounter_id"] = encounter_id
        return Plan(kind=TransactionKind.CHARGE, entries=entries, patient_id=patient_id)

    request = {
        "patient_id": patient_id,
        "pcn": pcn,
        "dos": date_of_service,
        "lines": [
            # a line's own date only when it has one, so earlier requests keep their hash
            (line.code, line.modifiers, line.units, c, *filter(None, [line.date_of_service]))
            for line, c in zip(checked, charges, strict=True)
        ],
        **{name: value for name, value in columns.items() if value is not None},
    }
    key = idempotency_key or (None if pcn is None else f"encounter:{pcn}")
    try:
        transaction_id = post_once(database, actor, request, key, plan)
    except IdempotencyConflict as error:
        if idempotency_key is not None:
            raise
        raise AlreadyExists(  # the control number's key: another visit has it
            f"an encounter with patient control number {pcn!r} exists already",
            field="patient_control_number",
        ) from error
    if "encounter_id" in created:  # planned now (in a dry run: the id it would have had)
        return created["encounter_id"]
    with database.unit_of_work(actor.organisation_id, write=False) as uow:  # a repeat
        first = uow.ledger.procedures_of_transaction(transaction_id)
        return int(uow.registry.procedure(first[0]).encounter_id)


def payer_by_code(database: UnitOfWorkFactory, actor: Actor, payer_code: str) -> Record:
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        row = uow.registry.payer_by_code(payer_code.strip())
    if row is None:
        raise NotFound("payer", payer_code.strip()[:80])
    return row


def payers(database: UnitOfWorkFactory, actor: Actor) -> list[Record]:
    """The organisation's payers by name: the choices of a coverage or a visit."""
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        return uow.registry.payers()
