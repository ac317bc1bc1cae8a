"""Setting up the practice: organisations, users, patients, payers, encounters and their charges.

An encounter's procedures are charged through the ledger (a ``charge`` transaction), so the
charge column is a journal fact like every other column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, Row, func, select

from medledger.domain.balance import Entry
from medledger.domain.columns import Column
from medledger.domain.errors import AlreadyExists, InvalidInput
from medledger.domain.money import to_cents
from medledger.services.actor import Actor
from medledger.services.auth import actor_of
from medledger.services.authorization import authorize
from medledger.services.posting import Plan, post_once
from medledger.storage.registry import add_organisation
from medledger.storage.tables import ROLES
from medledger.storage.tables import organisations as organisations_table
from medledger.storage.unit_of_work import UnitOfWork


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


def create_organisation(engine: Engine, name: str, admin_username: str = "admin") -> Actor:
    """A new organisation with its first (admin) user; returns that user as an actor."""
    with engine.connect().execution_options(medledger_write=True) as connection:
        connection.begin()
        organisation_id = add_organisation(connection, name)
        connection.commit()
    with UnitOfWork(engine, organisation_id) as uow:
        user_id = uow.registry.add_user(admin_username, ADMINISTRATOR, "admin")
        uow.commit()
    return Actor(organisation_id, user_id, "cli", "admin", display_name=ADMINISTRATOR)


def organisations(engine: Engine) -> dict[int, str]:
    """Every organisation by id: for choosing one at the command line."""
    with engine.connect() as connection:
        rows = connection.execute(select(organisations_table.c.id, organisations_table.c.name))
        return {row.id: row.name for row in rows}


def only_organisation(engine: Engine) -> int | None:
    """The organisation, when the server holds just one (then nobody needs to name it)."""
    with engine.connect() as connection:
        ids = list(connection.execute(select(organisations_table.c.id).limit(2)).scalars())
    return ids[0] if len(ids) == 1 else None


def organisations_named(engine: Engine, name: str) -> list[int]:
    """The organisations called ``name`` (any case, spaces trimmed): the login page asks for
    the practice by name, so it never lists who else is on the server."""
    wanted = name.strip().lower()
    if not wanted:
        return []
    with engine.connect() as connection:
        rows = connection.execute(
            select(organisations_table.c.id)
            .where(func.lower(organisations_table.c.name) == wanted)
            .order_by(organisations_table.c.id)
        )
        return list(rows.scalars())


def actor_for(engine: Engine, organisation_id: int, username: str, source: str) -> Actor:
    """The acting user of an organisation, by name; inactive users cannot act."""
    with UnitOfWork(engine, organisation_id, write=False) as uow:
        user = uow.registry.user_by_name(username)
    if not user.active:
        raise InvalidInput(f"user {username} is inactive")
    return actor_of(organisation_id, user, source)


def add_user(
    engine: Engine,
    actor: Actor,
    username: str,
    display_name: str,
    role: str,
    write_off_limit: object | None = None,
    password_hash: str | None = None,
) -> int:
    authorize(actor, "manage_users")
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    limit = None if write_off_limit is None else to_cents(write_off_limit)
    with UnitOfWork(engine, actor.organisation_id) as uow:
        if uow.registry.find_user(username) is not None:
            raise AlreadyExists(f"user {username!r} exists already")
        user_id = uow.registry.add_user(username, display_name, role, password_hash, limit)
        uow.commit()
    return user_id


def add_patient(
    engine: Engine,
    actor: Actor,
    mrn: str,
    first_name: str,
    last_name: str,
    birth_date: date | None = None,
) -> int:
    authorize(actor, "register")
    if not mrn.strip() or not last_name.strip():
        raise InvalidInput("a patient needs an MRN and a last name")
    with UnitOfWork(engine, actor.organisation_id) as uow:
        if uow.registry.find_patient(mrn.strip()) is not None:
            raise AlreadyExists(f"a patient with MRN {mrn.strip()!r} exists already")
        patient_id = uow.registry.add_patient(mrn.strip(), first_name, last_name, birth_date)
        uow.commit()
    return patient_id


def find_patient(engine: Engine, actor: Actor, ref: str) -> Row[Any]:
    """A patient by MRN, or by id when no MRN matches."""
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        return uow.registry.patient_by_ref(ref)


def add_payer(engine: Engine, actor: Actor, payer_code: str, name: str) -> int:
    authorize(actor, "register")
    with UnitOfWork(engine, actor.organisation_id) as uow:
        existing = uow.registry.payer_by_code(payer_code)
        if existing is not None:
            return int(existing.id)
        payer_id = uow.registry.add_payer(payer_code, name)
        uow.commit()
    return payer_id


def add_encounter(
    engine: Engine,
    actor: Actor,
    patient_id: int,
    patient_control_number: str,
    date_of_service: date,
    lines: Sequence[ProcedureInput],
    payer_id: int | None = None,
) -> int:
    """Create an encounter and its procedures, and post their charges, in one transaction."""
    authorize(actor, "register")
    if not lines:
        raise InvalidInput("an encounter needs at least one procedure")
    charges = [to_cents(line.charge) for line in lines]
    if any(cents < 0 for cents in charges) or not any(charges):
        raise InvalidInput("charges cannot be negative, and at least one must be above zero")
    created: dict[str, int] = {}

    def plan(uow: UnitOfWork) -> Plan:
        encounter_id = uow.registry.add_encounter(
            patient_id, patient_control_number, date_of_service, payer_id
        )
        encounter = uow.registry.encounter(encounter_id)
        entries = []
        for number, (line, cents) in enumerate(zip(lines, charges, strict=True), start=1):
            procedure_id = uow.registry.add_procedure(
                encounter,
                number,
                code=line.code,
                modifiers=":".join(line.modifiers),
                units=line.units,
                date_of_service=line.date_of_service or date_of_service,
                charge_cents=cents,
                line_item_control_number=line.line_item_control_number,
            )
            if cents:
                entries.append(Entry(procedure_id, Column.CHARGE, "", cents))
        created["encounter_id"] = encounter_id
        return Plan("charge", entries, patient_id=patient_id)

    request = {
        "patient_id": patient_id,
        "pcn": patient_control_number,
        "dos": date_of_service,
        "lines": [
            # a line's own date only when it has one, so earlier requests keep their hash
            (line.code, line.modifiers, line.units, c, *filter(None, [line.date_of_service]))
            for line, c in zip(lines, charges, strict=True)
        ],
    }
    post_once(engine, actor, request, f"encounter:{patient_control_number}", plan)
    if "encounter_id" not in created:  # a repeat: the encounter exists already
        with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
            row = uow.registry.encounter_by_control_number(patient_control_number)
            assert row is not None
            return int(row.id)
    return created["encounter_id"]
