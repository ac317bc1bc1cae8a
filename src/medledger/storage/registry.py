"""Who and what the ledger is about: organisations, users, patients, payers, encounters, procedures.

Every lookup is scoped to the unit of work's organisation; a row of another organisation is
reported as not found, exactly like a row that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    Select,
    Table,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)

from medledger.domain.bounds import parse_id
from medledger.domain.credentials import normalise_username
from medledger.domain.errors import InvalidInput, NotFound
from medledger.storage.bulk import chunks, one_of
from medledger.storage.tables import (
    encounters,
    in_organisation,
    organisations,
    patients,
    payers,
    procedures,
    users,
)


def now() -> datetime:
    return datetime.now(UTC)


# Every screen reads through these few lookups, so they are built once, with bind parameters:
# SQLAlchemy then only looks the compiled form up, where a statement built per call (its
# expressions coerced, its cache key walked) costs about twice the CPU (docs/benchmarks/api-load.md).
@cache
def _by_id(table: Table) -> Select[Any]:
    return select(table).where(
        table.c.id == bindparam("row_id"), table.c.organisation_id == bindparam("org")
    )


@cache
def inserting(table: Table) -> Any:
    """``INSERT ... RETURNING id`` of one row, its values bound when it runs: a statement built
    with ``.values(...)`` per row costs more to build and cache-key than to execute."""
    return insert(table).returning(table.c.id)


def insert_row(
    connection: Connection, organisation_id: int, table: Table, values: dict[str, Any]
) -> int:
    """One row of an organisation's ``table`` (stamped now unless ``values`` say when); its id."""
    values.setdefault("organisation_id", organisation_id)
    values.setdefault("created_at", now())
    return int(connection.execute(inserting(table), values).scalar_one())


@cache
def procedures_by(owner: str) -> Select[Any]:
    """Procedures whose ``owner`` column (``id``, ``encounter_id``, ``patient_id``) is the bind
    parameter ``owner``, oldest first (the allocation order)."""
    return (
        select(procedures)
        .where(
            procedures.c.organisation_id == bindparam("org"),
            procedures.c[owner] == bindparam("owner"),
        )
        .order_by(procedures.c.date_of_service, procedures.c.id)
    )


_ENCOUNTERS_OF_PATIENT = (
    select(encounters)
    .where(
        encounters.c.organisation_id == bindparam("org"),
        encounters.c.patient_id == bindparam("patient"),
    )
    .order_by(encounters.c.date_of_service, encounters.c.id)
)


class Registry:
    def __init__(self, connection: Connection, organisation_id: int) -> None:
        self.connection = connection
        self.organisation_id = organisation_id
        self._dialect = connection.dialect.name

    # -- generic ------------------------------------------------------------------------------
    def _insert(self, table: Table, **values: Any) -> int:
        return insert_row(self.connection, self.organisation_id, table, values)

    def _get(self, table: Table, what: str, row_id: int) -> Row[Any]:
        row = self.connection.execute(
            _by_id(table), {"row_id": row_id, "org": self.organisation_id}
        ).first()
        if row is None:
            raise NotFound(what, row_id)
        return row

    # -- users ----------------------------------------------------------------------------------
    def add_user(
        self,
        username: str,
        display_name: str,
        role: str,
        password_hash: str | None = None,
        write_off_limit_cents: int | None = None,
    ) -> int:
        return self._insert(
            users,
            username=username,
            display_name=display_name,
            role=role,
            password_hash=password_hash,
            write_off_limit_cents=write_off_limit_cents,
            active=True,
        )

    def user(self, user_id: int) -> Row[Any]:
        return self._get(users, "user", user_id)

    def find_user(self, username: str) -> Row[Any] | None:
        """The user of that name however it is typed (``normalise_username``), else None."""
        try:
            name = normalise_username(username)
        except InvalidInput:
            return None
        return self.connection.execute(
            select(users).where(
                users.c.organisation_id == self.organisation_id, users.c.username == name
            )
        ).first()

    def user_by_name(self, username: str) -> Row[Any]:
        row = self.find_user(username)
        if row is None:
            raise NotFound("user", username)
        return row

    # -- patients -------------------------------------------------------------------------------
    def add_patient(
        self,
        mrn: str,
        first_name: str,
        last_name: str,
        birth_date: date | None = None,
        *,
        created_by: int,
        **demographics: Any,
    ) -> int:
        """``demographics``: the other columns of ``patients`` (sex, member id, address);
        ``created_by``: the acting user."""
        return self._insert(
            patients,
            mrn=mrn,
            first_name=first_name,
            last_name=last_name,
            birth_date=birth_date,
            created_by=created_by,
            **demographics,
        )

    def update_patient(
        self, patient_id: int, updated_by: int, *, stamp: bool = False, **values: Any
    ) -> None:
        """Change a patient's details (not the ledger: a patient's name is not money), stamped
        with the acting user and the time; nothing to change leaves the row as it is, unless
        ``stamp`` (their coverages changed)."""
        self.patient(patient_id)
        if values or stamp:
            self.connection.execute(
                update(patients)
                .where(patients.c.organisation_id == self.organisation_id)
                .where(patients.c.id == patient_id)
                .values(**values, updated_by=updated_by, updated_at=now())
            )

    def patient(self, patient_id: int) -> Row[Any]:
        return self._get(patients, "patient", patient_id)

    def patients_by_id(self, patient_ids: Iterable[int]) -> list[Row[Any]]:
        return [
            row
            for part in chunks(patient_ids)
            for row in self.connection.execute(
                select(patients).where(
                    in_organisation(patients, self.organisation_id),
                    one_of(patients.c.id, self._dialect, "patient_ids", part),
                )
            )
        ]

    def find_patient(self, mrn: str) -> Row[Any] | None:
        return self.connection.execute(
            select(patients).where(
                patients.c.organisation_id == self.organisation_id, patients.c.mrn == mrn
            )
        ).first()

    def patient_by_ref(self, ref: str) -> Row[Any]:
        """A patient by MRN, or by numeric id when no MRN matches."""
        row = self.find_patient(ref)
        if row is not None:
            return row
        try:
            patient_id = parse_id(ref, "patient")
        except InvalidInput:  # neither an MRN nor an id ("²", a 20-digit number)
            raise NotFound("patient", ref[:40]) from None
        return self.patient(patient_id)

    def search_patients(self, text: str = "", limit: int = 50, offset: int = 0) -> list[Row[Any]]:
        query = select(patients).where(patients.c.organisation_id == self.organisation_id)
        if text:
            like = f"%{text.lower()}%"
            query = query.where(
                or_(
                    func.lower(patients.c.last_name).like(like),
                    func.lower(patients.c.first_name).like(like),
                    func.lower(patients.c.mrn).like(like),
                )
            )
        query = query.order_by(patients.c.last_name, patients.c.first_name, patients.c.id)
        return list(self.connection.execute(query.limit(limit).offset(offset)))

    # -- payers ---------------------------------------------------------------------------------
    def add_payer(self, payer_code: str, name: str, *, created_by: int) -> int:
        return self._insert(payers, payer_code=payer_code, name=name, created_by=created_by)

    def payer(self, payer_id: int) -> Row[Any]:
        return self._get(payers, "payer", payer_id)

    def payers(self) -> list[Row[Any]]:
        return list(
            self.connection.execute(
                select(payers)
                .where(payers.c.organisation_id == self.organisation_id)
                .order_by(payers.c.name, payers.c.id)
            )
        )

    def payer_by_code(self, payer_code: str) -> Row[Any] | None:
        return self.connection.execute(
            select(payers).where(
                payers.c.organisation_id == self.organisation_id, payers.c.payer_code == payer_code
            )
        ).first()

    # -- encounters and procedures ------------------------------------------------------------
    def add_encounter(
        self,
        patient_id: int,
        patient_control_number: str,
        date_of_service: date,
        payer_id: int | None = None,
        *,
        created_by: int,
        **details: Any,
    ) -> int:
        """``details``: the claim details of ``encounters`` (place of service, rendering
        provider, diagnosis codes); ``created_by``: the acting user."""
        self.patient(patient_id)
        return self._insert(
            encounters,
            patient_id=patient_id,
            payer_id=payer_id,
            patient_control_number=patient_control_number,
            date_of_service=date_of_service,
            created_by=created_by,
            **details,
        )

    def encounter(self, encounter_id: int) -> Row[Any]:
        return self._get(encounters, "encounter", encounter_id)

    def encounter_by_control_number(self, patient_control_number: str) -> Row[Any] | None:
        return self.connection.execute(
            select(encounters).where(
                encounters.c.organisation_id == self.organisation_id,
                encounters.c.patient_control_number == patient_control_number,
            )
        ).first()

    def encounters_by_control_numbers(self, numbers: Iterable[str]) -> dict[str, Row[Any]]:
        """Encounters by patient control number (the claim id a payer echoes back), in one query."""
        return {
            row.patient_control_number: row
            for part in chunks(numbers)
            for row in self.connection.execute(
                select(encounters).where(
                    encounters.c.organisation_id == self.organisation_id,
                    one_of(encounters.c.patient_control_number, self._dialect, "numbers", part),
                )
            )
        }

    def encounters_of_patient(self, patient_id: int) -> list[Row[Any]]:
        return list(
            self.connection.execute(
                _ENCOUNTERS_OF_PATIENT, {"org": self.organisation_id, "patient": patient_id}
            )
        )

    def add_procedure(
        self, encounter: Row[Any], line_number: int, *, created_by: int, **values: Any
    ) -> int:
        return self._insert(
            procedures,
            encounter_id=encounter.id,
            patient_id=encounter.patient_id,
            line_number=line_number,
            pr_source="none",
            created_by=created_by,
            **values,
        )

    def procedure(self, procedure_id: int) -> Row[Any]:
        return self._get(procedures, "procedure", procedure_id)

    def procedures_where(self, *conditions: Any) -> list[Row[Any]]:
        """Procedures oldest first (date of service, then id): the documented allocation order."""
        return list(
            self.connection.execute(
                select(procedures)
                .where(procedures.c.organisation_id == self.organisation_id, *conditions)
                .order_by(procedures.c.date_of_service, procedures.c.id)
            )
        )

    def procedures_of_encounter(self, encounter_id: int) -> list[Row[Any]]:
        return self._procedures_of("encounter_id", encounter_id)

    def procedures_of_encounters(self, encounter_ids: Iterable[int]) -> list[Row[Any]]:
        """Oldest first within each encounter (a chunk holds whole encounters)."""
        return [
            row
            for part in chunks(encounter_ids)
            for row in self.procedures_where(
                one_of(procedures.c.encounter_id, self._dialect, "encounter_ids", part)
            )
        ]

    def procedures_of_patient(self, patient_id: int) -> list[Row[Any]]:
        return self._procedures_of("patient_id", patient_id)

    def procedures_of_patients(self, patient_ids: Iterable[int]) -> list[Row[Any]]:
        """Oldest first within each chunk of patients."""
        return [
            row
            for part in chunks(patient_ids)
            for row in self.procedures_where(
                one_of(procedures.c.patient_id, self._dialect, "patient_ids", part)
            )
        ]

    def _procedures_of(self, owner: str, owner_id: int) -> list[Row[Any]]:
        query = procedures_by(owner)
        return list(
            self.connection.execute(query, {"org": self.organisation_id, "owner": owner_id})
        )

    def set_pr_source(self, procedure_ids: Sequence[int], source: str) -> None:
        for part in chunks(procedure_ids):
            self.connection.execute(
                update(procedures)
                .where(
                    procedures.c.organisation_id == self.organisation_id,
                    one_of(procedures.c.id, self._dialect, "procedure_ids", part),
                )
                .values(pr_source=source)
            )


def add_organisation(connection: Connection, name: str) -> int:
    result = connection.execute(
        insert(organisations).values(name=name, created_at=now()).returning(organisations.c.id)
    )
    return int(result.scalar_one())
