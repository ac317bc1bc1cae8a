"""Passwords and API tokens of one organisation's users: the SQL behind services/auth.py.

Only a token's SHA-256 is stored; finding the user of a token, before its organisation is
known, is storage/directory.py's.
"""

from __future__ import annotations

from sqlalchemy import Connection, insert, update

from medledger.storage.registry import now
from medledger.storage.tables import api_tokens, users


class AccessStore:
    def __init__(self, connection: Connection, organisation_id: int) -> None:
        self.connection = connection
        self.organisation_id = organisation_id

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self.connection.execute(
            update(users)
            .where(users.c.organisation_id == self.organisation_id, users.c.id == user_id)
            .values(password_hash=password_hash)
        )

    def add_token(self, user_id: int, name: str, token_hash: str) -> None:
        self.connection.execute(
            insert(api_tokens).values(
                organisation_id=self.organisation_id,
                user_id=user_id,
                name=name,
                token_hash=token_hash,
                created_at=now(),
            )
        )

    def revoke_token(self, user_id: int, token_hash: str) -> bool:
        """Revoke one of the user's tokens; False if the user has no token with that hash."""
        result = self.connection.execute(
            update(api_tokens)
            .where(
                api_tokens.c.organisation_id == self.organisation_id,
                api_tokens.c.user_id == user_id,
                api_tokens.c.token_hash == token_hash,
            )
            .values(revoked_at=now())
        )
        return bool(result.rowcount)
