"""The rows above any one organisation: which organisations the database holds.

Everything else a service reads is scoped to one organisation by its unit of work; these reads
are what a front needs before it knows the organisation (choosing one, verifying them all).
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from medledger.storage.tables import organisations


class Directory:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def organisations(self) -> dict[int, str]:
        """Every organisation's name by id, in id order."""
        rows = self.connection.execute(
            select(organisations.c.id, organisations.c.name).order_by(organisations.c.id)
        )
        return {row.id: row.name for row in rows}
