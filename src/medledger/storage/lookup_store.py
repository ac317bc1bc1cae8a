"""What the screens show beside a row they already have: who a user is, which patient a
procedure or visit belongs to, the newest remittances with their payer, how many previews wait
on a remittance. Reads only, for one organisation.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Row, func, select

from medledger.domain.statuses import DraftStatus
from medledger.storage.tables import (
    drafts,
    encounters,
    in_organisation,
    patients,
    payers,
    payment_items,
    procedures,
    remittances,
    users,
)


class LookupStore:
    def __init__(self, connection: Connection, organisation_id: int) -> None:
        self.connection = connection
        self.organisation_id = organisation_id

    def user_names(self, user_ids: Iterable[int]) -> dict[int, str]:
        rows = self.connection.execute(
            select(users.c.id, users.c.display_name).where(
                users.c.organisation_id == self.organisation_id, users.c.id.in_(list(user_ids))
            )
        )
        return {row.id: row.display_name for row in rows}

    def procedure_with_patient(self, procedure_id: int) -> Row[Any]:
        """The procedure's code and date of service, with its patient's columns."""
        return self.connection.execute(
            select(procedures.c.code, procedures.c.date_of_service, patients)
            .join(patients, patients.c.id == procedures.c.patient_id)
            .where(
                procedures.c.organisation_id == self.organisation_id,
                procedures.c.id == procedure_id,
            )
        ).one()

    def encounter_with_patient(self, encounter_id: int) -> Row[Any]:
        """The encounter's date of service, with its patient's columns."""
        return self.connection.execute(
            select(encounters.c.date_of_service, patients)
            .join(patients, patients.c.id == encounters.c.patient_id)
            .where(
                encounters.c.organisation_id == self.organisation_id,
                encounters.c.id == encounter_id,
            )
        ).one()

    def procedure_codes(self, procedure_ids: Iterable[int]) -> dict[int, str]:
        rows = self.connection.execute(
            select(procedures.c.id, procedures.c.code).where(
                in_organisation(procedures, self.organisation_id),
                procedures.c.id.in_(sorted(set(procedure_ids))),
            )
        )
        return {row.id: row.code for row in rows}

    def claims(self, encounter_ids: Iterable[int]) -> list[Row[Any]]:
        """Each encounter's id, claim number and date of service with its patient's id, name
        and MRN."""
        return list(
            self.connection.execute(
                select(
                    encounters.c.id,
                    encounters.c.patient_control_number,
                    encounters.c.date_of_service,
                    patients.c.id.label("patient_id"),
                    patients.c.first_name,
                    patients.c.last_name,
                    patients.c.mrn,
                )
                .join(patients, patients.c.id == encounters.c.patient_id)
                .where(in_organisation(encounters, self.organisation_id))
                .where(encounters.c.id.in_(sorted(set(encounter_ids))))
            )
        )

    def newest_remittances(self, limit: int) -> list[Row[Any]]:
        """The newest remittances, each with its payer's name as ``payer``."""
        return list(
            self.connection.execute(
                select(remittances, payers.c.name.label("payer"))
                .join(payers, payers.c.id == remittances.c.payer_id)
                .where(remittances.c.organisation_id == self.organisation_id)
                .order_by(remittances.c.id.desc())
                .limit(limit)
            )
        )

    def open_previews(self, remittance_ids: list[int]) -> dict[int, int]:
        """Open drafts per remittance, counted from the open drafts (a few), each joined to its
        item by key: starting from the remittances would read every payment item of the newest
        ones (12,500 each in the benchmark's files; 77 ms of the work list at 1M procedures)."""
        open_drafts = (
            select(drafts.c.payment_item_id)
            .where(
                drafts.c.organisation_id == self.organisation_id,
                drafts.c.status == DraftStatus.OPEN,
            )
            .subquery()
        )
        rows = self.connection.execute(
            select(payment_items.c.remittance_id, func.count())
            .select_from(open_drafts)
            .join(payment_items, payment_items.c.id == open_drafts.c.payment_item_id)
            .where(payment_items.c.remittance_id.in_(remittance_ids))
            .group_by(payment_items.c.remittance_id)
        )
        return {row[0]: row[1] for row in rows}
