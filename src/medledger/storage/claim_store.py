"""Imported 837s: the files, each claim and what became of it, patients' demographics and
coverages, encounters' claim details, and the procedures a replacement or void took back.

Scoped to one organisation like every store; rows are written once, except an encounter's claim
details, which follow the claim that last set its lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    Table,
    and_,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)

from medledger.storage.bulk import allocate_ids, chunks, one_of
from medledger.storage.registry import insert_row, now
from medledger.storage.tables import (
    claim_files,
    coverages,
    encounters,
    patients,
    procedure_voids,
    procedures,
    submitted_claims,
)

#: What identifies a patient across claims: member id, birth date, last and first name (upper
#: case), as ``services.claim_import.patient_key`` makes it.
PatientKey = tuple[str | None, date | None, str, str]


class ClaimStore:
    def __init__(self, connection: Connection, organisation_id: int) -> None:
        self.connection = connection
        self.organisation_id = organisation_id
        self._dialect = connection.dialect.name

    def _insert(self, table: Table, **values: Any) -> int:
        return insert_row(self.connection, self.organisation_id, table, values)

    def insert_many(self, table: Table, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Rows of ``table`` (each with the same keys); their ids, in order.

        The ids are drawn first (``allocate_ids``) and the rows go in as one executemany of a
        plain INSERT: psycopg sends it pipelined, a statement parsed once. A multi-row INSERT
        ... RETURNING (SQLAlchemy's insertmanyvalues) cost more in psycopg parsing its
        thousands of placeholders than the round trips it saved.
        """
        if not rows:
            return []
        created = now()
        ids = allocate_ids(self.connection, table, len(rows))
        values = [
            {"organisation_id": self.organisation_id, "created_at": created, **row, "id": row_id}
            for row, row_id in zip(rows, ids, strict=True)
        ]
        self.connection.execute(insert(table), values)
        return ids

    # -- files and claims -----------------------------------------------------------------------
    def file_by_hash(self, file_hash: str) -> Row[Any] | None:
        return self.connection.execute(
            select(claim_files).where(
                claim_files.c.organisation_id == self.organisation_id,
                claim_files.c.file_hash == file_hash,
            )
        ).first()

    def add_file(self, file_hash: str, file_name: str, user_id: int) -> int:
        return self._insert(
            claim_files,
            file_hash=file_hash,
            file_name=file_name[-255:],
            claims=0,
            lines=0,
            user_id=user_id,
        )

    def count_file(self, claim_file_id: int, claims: int, lines: int) -> None:
        """The file's claim and line counts, known once it has been read to its end."""
        self.connection.execute(
            update(claim_files)
            .where(
                claim_files.c.organisation_id == self.organisation_id,
                claim_files.c.id == claim_file_id,
            )
            .values(claims=claims, lines=lines)
        )

    def add_claim(self, claim_file_id: int, **values: Any) -> int:
        return self._insert(submitted_claims, claim_file_id=claim_file_id, **values)

    def last_claim_content(self, encounter_id: int) -> str | None:
        """The content hash of the claim that last set the encounter's lines (or voided them)."""
        return self.connection.execute(
            select(submitted_claims.c.content_hash)
            .where(
                submitted_claims.c.organisation_id == self.organisation_id,
                submitted_claims.c.encounter_id == encounter_id,
                submitted_claims.c.status.in_(("imported", "replaced", "voided")),
            )
            .order_by(submitted_claims.c.id.desc())
            .limit(1)
        ).scalar()

    def claims_of_file(self, claim_file_id: int) -> list[Row[Any]]:
        return list(
            self.connection.execute(
                select(submitted_claims)
                .where(
                    submitted_claims.c.organisation_id == self.organisation_id,
                    submitted_claims.c.claim_file_id == claim_file_id,
                )
                .order_by(submitted_claims.c.id)
            )
        )

    # -- patients and coverages ---------------------------------------------------------------
    def matching_patient(
        self, member_id: str | None, birth_date: date | None, last_name: str, first_name: str
    ) -> Row[Any] | None:
        """The patient with this member id, birth date and name (any case), if registered."""
        return self.connection.execute(
            select(patients)
            .where(
                patients.c.organisation_id == self.organisation_id,
                patients.c.member_id.is_(None)
                if member_id is None
                else patients.c.member_id == member_id,
                patients.c.birth_date.is_(None)
                if birth_date is None
                else patients.c.birth_date == birth_date,
                func.upper(patients.c.last_name) == last_name.upper(),
                func.upper(patients.c.first_name) == first_name.upper(),
            )
            .order_by(patients.c.id)
            .limit(1)
        ).first()

    def matching_patients(self, keys: Iterable[PatientKey]) -> dict[PatientKey, int]:
        """Of ``keys`` (member id, birth date, last and first name in upper case), those a
        patient is registered under, in one query: ``matching_patient`` for many."""
        wanted = set(keys)
        members = {key[0] for key in wanted if key[0] is not None}
        unnumbered = {key[2] for key in wanted if key[0] is None}
        text = patients.c.last_name.type
        last = func.upper(patients.c.last_name, type_=text)
        first = func.upper(patients.c.first_name, type_=text)
        conditions = []
        if members:
            conditions.append(one_of(patients.c.member_id, self._dialect, "members", [*members]))
        if unnumbered:
            conditions.append(
                and_(
                    patients.c.member_id.is_(None),
                    one_of(last, self._dialect, "last_names", [*unnumbered]),
                )
            )
        if not conditions:
            return {}
        found: dict[PatientKey, int] = {}
        rows = self.connection.execute(
            select(patients.c.id, patients.c.member_id, patients.c.birth_date, last, first)
            .where(patients.c.organisation_id == self.organisation_id, or_(*conditions))
            .order_by(patients.c.id)
        )
        for row in rows:
            key = (row[1], row[2], row[3], row[4])
            if key in wanted:
                found.setdefault(key, int(row.id))
        return found

    def coverages_among(self, patient_ids: Iterable[int]) -> set[tuple[int, int, str]]:
        """The (patient, payer, order) coverages of these patients, in one query."""
        return {
            (int(row.patient_id), int(row.payer_id), str(row.coverage_order))
            for part in chunks(patient_ids)
            for row in self.connection.execute(
                select(
                    coverages.c.patient_id, coverages.c.payer_id, coverages.c.coverage_order
                ).where(
                    coverages.c.organisation_id == self.organisation_id,
                    one_of(coverages.c.patient_id, self._dialect, "patients", part),
                )
            )
        }

    def coverage(self, patient_id: int, payer_id: int, order: str) -> Row[Any] | None:
        """The patient's coverage by the payer in this order, if recorded."""
        return self.connection.execute(
            select(coverages).where(
                coverages.c.organisation_id == self.organisation_id,
                coverages.c.patient_id == patient_id,
                coverages.c.payer_id == payer_id,
                coverages.c.coverage_order == order,
            )
        ).first()

    def ensure_coverage(
        self,
        patient_id: int,
        payer_id: int,
        order: str,
        member_id: str | None,
        created_by: int,
        *,
        member_id_given: bool = False,
    ) -> bool:
        """Record that the patient is covered by the payer in this order, once (by the acting
        user ``created_by``); when it is recorded already and ``member_id_given``, its member
        id becomes ``member_id``. True when a row was written."""
        found = self.coverage(patient_id, payer_id, order)
        if found is None:
            self._insert(
                coverages,
                patient_id=patient_id,
                payer_id=payer_id,
                coverage_order=order,
                member_id=member_id,
                created_by=created_by,
            )
            return True
        if not member_id_given or found.member_id == member_id:
            return False
        self.connection.execute(
            update(coverages)
            .where(coverages.c.organisation_id == self.organisation_id)
            .where(coverages.c.id == found.id)
            .values(member_id=member_id)
        )
        return True

    def remove_coverage(self, coverage_id: int) -> None:
        self.connection.execute(
            delete(coverages).where(
                coverages.c.organisation_id == self.organisation_id, coverages.c.id == coverage_id
            )
        )

    def coverages_of(self, patient_id: int) -> list[Row[Any]]:
        return list(
            self.connection.execute(
                select(coverages)
                .where(
                    coverages.c.organisation_id == self.organisation_id,
                    coverages.c.patient_id == patient_id,
                )
                .order_by(coverages.c.id)
            )
        )

    # -- encounters and procedures ------------------------------------------------------------
    def set_claim_details(self, encounter_id: int, **values: Any) -> None:
        """The encounter's details as the claim that now sets its lines (or voids them) says."""
        self.connection.execute(
            update(encounters)
            .where(
                encounters.c.organisation_id == self.organisation_id,
                encounters.c.id == encounter_id,
            )
            .values(**values)
        )

    def standing_procedures(self, encounter_id: int) -> list[Row[Any]]:
        """The encounter's procedures that no replacement or void took back, in line order."""
        return list(
            self.connection.execute(
                select(procedures)
                .where(
                    procedures.c.organisation_id == self.organisation_id,
                    procedures.c.encounter_id == encounter_id,
                    ~exists().where(procedure_voids.c.procedure_id == procedures.c.id),
                )
                .order_by(procedures.c.line_number)
            )
        )

    def add_procedures(
        self, encounter_id: int, patient_id: int, lines: list[dict[str, Any]], created_by: int
    ) -> list[int]:
        """An encounter's new procedures (each with the same keys), in one statement; their ids
        in order."""
        return self.insert_many(
            procedures,
            [
                {"encounter_id": encounter_id, "patient_id": patient_id, "pr_source": "none",
                 "created_by": created_by, **line}
                for line in lines
            ],
        )  # fmt: skip

    def last_line_number(self, encounter_id: int) -> int:
        return int(
            self.connection.execute(
                select(func.coalesce(func.max(procedures.c.line_number), 0)).where(
                    procedures.c.organisation_id == self.organisation_id,
                    procedures.c.encounter_id == encounter_id,
                )
            ).scalar_one()
        )

    def add_voids(
        self, procedure_ids: Iterable[int], submitted_claim_id: int | None, transaction_id: int
    ) -> None:
        """Record the procedures ``transaction_id`` took back: for a claim, or (None) by hand."""
        rows = [
            {
                "procedure_id": procedure_id,
                "organisation_id": self.organisation_id,
                "submitted_claim_id": submitted_claim_id,
                "transaction_id": transaction_id,
                "created_at": now(),
            }
            for procedure_id in procedure_ids
        ]
        if rows:
            self.connection.execute(insert(procedure_voids), rows)

    def voided_among(self, procedure_ids: Iterable[int]) -> set[int]:
        """Those of ``procedure_ids`` a replacement or void took back."""
        return {
            int(procedure_id)
            for part in chunks(procedure_ids)
            for procedure_id in self.connection.execute(
                select(procedure_voids.c.procedure_id).where(
                    and_(
                        procedure_voids.c.organisation_id == self.organisation_id,
                        one_of(procedure_voids.c.procedure_id, self._dialect, "voided", part),
                    )
                )
            ).scalars()
        }
