"""Passwords, API tokens and logged-in sessions of one organisation's users, and who may log in:
the SQL behind services/auth.py.

Only a token's or session id's SHA-256 is stored; finding the user of a token, before its
organisation is known, is storage/directory.py's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from medledger.storage.registry import now
from medledger.storage.tables import api_tokens, user_sessions, users


class AccessStore:
    def __init__(self, connection: Connection, organisation_id: int) -> None:
        self.connection = connection
        self.organisation_id = organisation_id

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self._update_user(user_id, password_hash=password_hash)

    def set_active(self, user_id: int, active: bool) -> None:
        self._update_user(user_id, active=active)

    def _update_user(self, user_id: int, **values: Any) -> None:
        self.connection.execute(
            update(users)
            .where(users.c.organisation_id == self.organisation_id, users.c.id == user_id)
            .values(**values)
        )

    def users(self) -> list[Row[Any]]:
        """Every user of the organisation with how many sessions they have open, by username."""
        open_sessions = (
            select(func.count())
            .where(user_sessions.c.user_id == users.c.id)
            .scalar_subquery()
            .label("open_sessions")
        )
        return list(
            self.connection.execute(
                select(users, open_sessions)
                .where(users.c.organisation_id == self.organisation_id)
                .order_by(users.c.username)
            )
        )

    # -- API tokens ----------------------------------------------------------------------------------
    def add_token(self, user_id: int, name: str, token_hash: str, expires_at: datetime) -> None:
        self.connection.execute(
            insert(api_tokens).values(
                organisation_id=self.organisation_id,
                user_id=user_id,
                name=name,
                token_hash=token_hash,
                created_at=now(),
                expires_at=expires_at,
            )
        )

    def tokens(self, user_id: int | None) -> list[Row[Any]]:
        """The tokens that still work (not revoked, not expired), of one user or of everyone,
        with their user's name; oldest first."""
        query = (
            select(api_tokens, users.c.username)
            .join(users, users.c.id == api_tokens.c.user_id)
            .where(
                api_tokens.c.organisation_id == self.organisation_id,
                api_tokens.c.revoked_at.is_(None),
                api_tokens.c.expires_at > now(),
            )
            .order_by(api_tokens.c.id)
        )
        if user_id is not None:
            query = query.where(api_tokens.c.user_id == user_id)
        return list(self.connection.execute(query))

    def token(self, token_id: int) -> Row[Any] | None:
        return self.connection.execute(
            select(api_tokens).where(
                api_tokens.c.organisation_id == self.organisation_id, api_tokens.c.id == token_id
            )
        ).first()

    def revoke_token(self, user_id: int, token_hash: str) -> str | None:
        """Revoke one of the user's tokens by its hash; its name, or None if the user has no
        unrevoked token with that hash."""
        return self._revoke(api_tokens.c.user_id == user_id, api_tokens.c.token_hash == token_hash)

    def revoke_token_by_id(self, token_id: int) -> str | None:
        return self._revoke(api_tokens.c.id == token_id)

    def _revoke(self, *conditions: Any) -> str | None:
        return self.connection.execute(
            update(api_tokens)
            .where(
                api_tokens.c.organisation_id == self.organisation_id,
                api_tokens.c.revoked_at.is_(None),
                *conditions,
            )
            .values(revoked_at=now())
            .returning(api_tokens.c.token_hash)
        ).scalar_one_or_none()

    def revoke_tokens_of(self, user_id: int) -> list[str]:
        """Revoke every token of the user; the hashes of those that were not yet revoked."""
        rows = self.connection.execute(
            update(api_tokens)
            .where(
                api_tokens.c.organisation_id == self.organisation_id,
                api_tokens.c.user_id == user_id,
                api_tokens.c.revoked_at.is_(None),
            )
            .values(revoked_at=now())
            .returning(api_tokens.c.token_hash)
        )
        return list(rows.scalars())

    # -- sessions ------------------------------------------------------------------------------------
    def add_session(self, user_id: int, session_hash: str) -> None:
        at = now()
        self.connection.execute(
            insert(user_sessions).values(
                organisation_id=self.organisation_id,
                user_id=user_id,
                session_hash=session_hash,
                created_at=at,
                last_seen_at=at,
            )
        )

    def session_user(self, session_hash: str) -> Row[Any] | None:
        """The user of a session (the ``users`` row) with the session's ``started_at`` and
        ``last_seen_at``, or None."""
        return self.connection.execute(
            select(
                users,
                user_sessions.c.created_at.label("started_at"),
                user_sessions.c.last_seen_at,
            )
            .join(users, users.c.id == user_sessions.c.user_id)
            .where(
                user_sessions.c.organisation_id == self.organisation_id,
                user_sessions.c.session_hash == session_hash,
            )
        ).first()

    def touch_session(self, session_hash: str) -> None:
        self.connection.execute(
            update(user_sessions)
            .where(
                user_sessions.c.organisation_id == self.organisation_id,
                user_sessions.c.session_hash == session_hash,
            )
            .values(last_seen_at=now())
        )

    def end_session(self, session_hash: str) -> None:
        self.connection.execute(
            delete(user_sessions).where(
                user_sessions.c.organisation_id == self.organisation_id,
                user_sessions.c.session_hash == session_hash,
            )
        )

    def end_sessions_of(self, user_id: int) -> None:
        self.connection.execute(
            delete(user_sessions).where(
                user_sessions.c.organisation_id == self.organisation_id,
                user_sessions.c.user_id == user_id,
            )
        )
