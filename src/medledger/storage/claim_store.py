"""Imported 837s: the files, each claim and what became of it, patients' demographics and
coverages, encounters' claim details, and the procedures a replacement or void took back.

Scoped to one organisation like every store; rows are written once, except an encounter's claim
details, which follow the claim that last set its lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Connection, Row, and_, exists, func, insert, select, update

from medledger.storage.bulk import chunks, one_of
from medledger.storage.registry import inserting, now
from medledger.storage.tables import (
    claim_files,
    coverages,
    encounters,
    patients,
    procedure_voids,
    procedures,
    submitted_claims,
)


class ClaimStore:
    def __init__(self, connection: Connection, organisation_id: int) -> None:
        self.connection = connection
        self.organisation_id = organisation_id
        self._dialect = connection.dialect.name

    def _insert(self, table: Any, **values: Any) -> int:
        values.setdefault("organisation_id", self.organisation_id)
        values.setdefault("created_at", now())
        return int(self.connection.execute(inserting(table), values).scalar_one())

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

    def add_patient(self, *, created_by: int, **values: Any) -> int:
        return self._insert(patients, created_by=created_by, **values)

    def ensure_coverage(
        self, patient_id: int, payer_id: int, order: str, member_id: str | None, created_by: int
    ) -> None:
        """Record that the patient is covered by the payer in this order, once (by the acting
        user ``created_by``)."""
        found = self.connection.execute(
            select(coverages.c.id).where(
                coverages.c.organisation_id == self.organisation_id,
                coverages.c.patient_id == patient_id,
                coverages.c.payer_id == payer_id,
                coverages.c.coverage_order == order,
            )
        ).first()
        if found is None:
            self._insert(
                coverages,
                patient_id=patient_id,
                payer_id=payer_id,
                coverage_order=order,
                member_id=member_id,
                created_by=created_by,
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
    def add_encounter(self, *, created_by: int, **values: Any) -> int:
        return self._insert(encounters, created_by=created_by, **values)

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
        created = now()
        rows = [
            {"organisation_id": self.organisation_id, "encounter_id": encounter_id,
             "patient_id": patient_id, "pr_source": "none", "created_at": created,
             "created_by": created_by, **line}
            for line in lines
        ]  # fmt: skip
        statement = insert(procedures).returning(procedures.c.id, sort_by_parameter_order=True)
        return [int(row.id) for row in self.connection.execute(statement, rows)]

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
