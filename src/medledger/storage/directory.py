"""The rows above any one organisation: which organisations the database holds (and a new
one), and whose an API token is.

Everything else a service reads is scoped to one organisation by its unit of work; these reads
are what a front needs before it knows the organisation (choosing one, verifying them all,
authenticating a bearer token). On PostgreSQL these run under row-level security with no
organisation named: the organisations are open to them, an organisation's rows are not, except
an API token looked up by its SHA-256 (migration 0020).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, func, select
from sqlalchemy.dialects import postgresql, sqlite

from medledger.storage.registry import add_organisation, now
from medledger.storage.tables import api_tokens, instance_secrets, organisations, users
from medledger.storage.tenancy import TOKEN_SETTING, database_scope, organisation_scope


class Directory:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def organisations(self) -> dict[int, str]:
        """Every organisation's name by id, in id order."""
        rows = self.connection.execute(
            select(organisations.c.id, organisations.c.name).order_by(organisations.c.id)
        )
        return {row.id: row.name for row in rows}

    def organisation_ids(self, limit: int | None = None) -> list[int]:
        """The first ``limit`` organisations' ids (all of them without one), in id order."""
        query = select(organisations.c.id).order_by(organisations.c.id).limit(limit)
        return list(self.connection.execute(query).scalars())

    def organisations_named(self, name: str) -> list[int]:
        """The organisations called ``name``, compared in lower case."""
        rows = self.connection.execute(
            select(organisations.c.id)
            .where(func.lower(organisations.c.name) == name.lower())
            .order_by(organisations.c.id)
        )
        return list(rows.scalars())

    def add_organisation(self, name: str) -> int:
        return add_organisation(self.connection, name)

    def secret(self, name: str, candidate: str) -> str:
        """The installation's secret ``name``: ``candidate`` if none was stored yet (it is
        stored now), else the stored one. Two processes asking at once store one and both read
        it (the insert of the second does nothing)."""
        insert = (postgresql if self.connection.dialect.name == "postgresql" else sqlite).insert
        self.connection.execute(
            insert(instance_secrets)
            .values(name=name, value=candidate, created_at=now())
            .on_conflict_do_nothing(index_elements=[instance_secrets.c.name])
        )
        return str(
            self.connection.execute(
                select(instance_secrets.c.value).where(instance_secrets.c.name == name)
            ).scalar_one()
        )

    def user_of_token(self, token_hash: str) -> Row[Any] | None:
        """The user holding the unrevoked, unexpired token with this SHA-256, if any, with the
        token's ``expires_at``: the token names its organisation, whose rows then show its
        user."""
        with database_scope(self.connection, {TOKEN_SETTING: token_hash}):
            organisation_id = self.connection.execute(
                select(api_tokens.c.organisation_id).where(api_tokens.c.token_hash == token_hash)
            ).scalar()
        if organisation_id is None:
            return None
        with organisation_scope(self.connection, organisation_id):
            return self.connection.execute(
                select(users, api_tokens.c.expires_at)
                .join(api_tokens, api_tokens.c.user_id == users.c.id)
                .where(
                    api_tokens.c.organisation_id == organisation_id,
                    api_tokens.c.token_hash == token_hash,
                    api_tokens.c.revoked_at.is_(None),
                    api_tokens.c.expires_at > now(),
                )
            ).first()
