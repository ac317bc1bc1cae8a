"""Logging in: passwords (argon2) for people, sessions for browsers, API tokens for programs.

A token or session id is shown once when issued; only its SHA-256 is stored, so a copy of the
database gives no one a working token or cookie. Every failure says the same thing, so it never
tells which part was wrong.

Everything that logs in also ends: a session after ``LIFETIMES.session_idle`` without a request
and ``LIFETIMES.session_absolute`` after its login, or when its user logs out; a token
``LIFETIMES.token`` after it was issued, or when revoked. Changing a user's password or
deactivating them ends every session and token they hold.

Every API request presents its token, so each process remembers token → actor for
``TOKEN_CACHE_SECONDS`` (a database round trip saved on nearly every request). A token revoked
in this process (by itself, a password change or a deactivation) stops working at once; revoked
elsewhere (another worker, the command line), or a user whose role or limit changed, takes effect
within those seconds.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from medledger.domain.credentials import check_password
from medledger.domain.errors import InvalidInput, LedgerError, NotFound
from medledger.services.actor import Actor
from medledger.services.authorization import authorize, can
from medledger.storage.unit_of_work import Record, UnitOfWork, UnitOfWorkFactory

_hasher = PasswordHasher()
TOKEN_PREFIX = "mlt_"
TOKEN_CACHE_SECONDS = 5.0
#: A session's last request is written down at most this often (a write per request otherwise);
#: the idle timeout is as exact as this.
SESSION_TOUCH_SECONDS = 60


@dataclass(frozen=True, slots=True)
class Lifetimes:
    """How long a login lasts: a session without a request (``session_idle``), a session at most
    (``session_absolute``), and an API token from its issue (``token``)."""

    session_idle: timedelta
    session_absolute: timedelta
    token: timedelta

    @classmethod
    def from_environment(cls) -> Lifetimes:
        """MEDLEDGER_SESSION_IDLE_MINUTES (default 30), MEDLEDGER_SESSION_HOURS (12) and
        MEDLEDGER_TOKEN_DAYS (30)."""
        return cls(
            session_idle=timedelta(minutes=_setting("MEDLEDGER_SESSION_IDLE_MINUTES", 30)),
            session_absolute=timedelta(hours=_setting("MEDLEDGER_SESSION_HOURS", 12)),
            token=timedelta(days=_setting("MEDLEDGER_TOKEN_DAYS", 30)),
        )


def _setting(name: str, default: int) -> int:
    value = os.environ.get(name, str(default))
    if not value.isdigit() or not 1 <= int(value) <= 100_000:
        raise InvalidInput(f"{name} must be a whole number from 1 to 100000, not {value!r}")
    return int(value)


LIFETIMES = Lifetimes.from_environment()


class Unauthenticated(LedgerError):
    code = "unauthenticated"
    status = 401

    def __init__(self) -> None:
        super().__init__("unknown user, wrong password, or a revoked token")


def hash_password(password: str) -> str:
    """The argon2 hash of an acceptable password (``domain/credentials.py``), else InvalidInput."""
    check_password(password)
    return _hasher.hash(password)


def set_password(database: UnitOfWorkFactory, actor: Actor, username: str, password: str) -> None:
    """Admins set anyone's password; everyone may set their own. Every session and token of the
    user ends (the old password may be what leaked)."""
    hashed = hash_password(password)
    with database.unit_of_work(actor.organisation_id) as uow:
        user = uow.registry.user_by_name(username)
        if user.id != actor.user_id:
            authorize(actor, "manage_users")
        uow.access.set_password_hash(user.id, hashed)
        revoked = _end_everything(uow, user.id)
        uow.commit()
    token_cache.forget(*revoked)


def deactivate_user(database: UnitOfWorkFactory, actor: Actor, username: str) -> None:
    """An admin takes a user's access away: no login, and every session and token ends. The
    user stays named on everything they did. Nobody deactivates themselves (an organisation
    could otherwise lose its last admin)."""
    authorize(actor, "manage_users")
    with database.unit_of_work(actor.organisation_id) as uow:
        user = uow.registry.user_by_name(username)
        if user.id == actor.user_id:
            raise InvalidInput("you cannot deactivate yourself; another admin can")
        uow.access.set_active(user.id, False)
        revoked = _end_everything(uow, user.id)
        uow.commit()
    token_cache.forget(*revoked)


def _end_everything(uow: UnitOfWork, user_id: int) -> list[str]:
    """End every session and token of a user; the revoked tokens' hashes."""
    uow.access.end_sessions_of(user_id)
    return uow.access.revoke_tokens_of(user_id)


def login(
    database: UnitOfWorkFactory, organisation_id: int, username: str, password: str, source: str
) -> Actor:
    """The actor for a username and password, or Unauthenticated."""
    with database.unit_of_work(organisation_id, write=False) as uow:
        user = uow.registry.find_user(username)
    if user is None or not user.active or not user.password_hash:
        raise Unauthenticated()
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError) as error:
        raise Unauthenticated() from error
    return actor_of(organisation_id, user, source)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new API token: the only time the token itself is seen, and when it stops working."""

    token: str
    expires_at: datetime


def issue_token(database: UnitOfWorkFactory, actor: Actor, name: str) -> IssuedToken:
    """A new API token for the acting user, valid for ``LIFETIMES.token``."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = _now() + LIFETIMES.token
    with database.unit_of_work(actor.organisation_id) as uow:
        uow.access.add_token(actor.user_id, name, _digest(token), expires_at)
        uow.commit()
    return IssuedToken(token, expires_at)


@dataclass(frozen=True, slots=True)
class TokenView:
    """A token that still works, as its holder or an admin sees it (never the token itself)."""

    id: int
    username: str
    name: str
    created_at: datetime
    expires_at: datetime


def list_tokens(database: UnitOfWorkFactory, actor: Actor) -> list[TokenView]:
    """The tokens that still work: an admin's list holds everyone's, anyone else's their own."""
    mine = None if can(actor, "manage_users") else actor.user_id
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        rows = uow.access.tokens(mine)
    return [TokenView(r.id, r.username, r.name, r.created_at, r.expires_at) for r in rows]


def revoke_token(database: UnitOfWorkFactory, actor: Actor, token: str) -> None:
    """Revoke one of the acting user's tokens, given the token itself."""
    with database.unit_of_work(actor.organisation_id) as uow:
        if uow.access.revoke_token(actor.user_id, _digest(token)) is None:
            raise NotFound("token", "given")
        uow.commit()
    token_cache.forget(_digest(token))


def revoke_token_by_id(database: UnitOfWorkFactory, actor: Actor, token_id: int) -> None:
    """Revoke a token by its id: one's own, or anyone's for an admin (another's token is not
    found for anyone else, so its existence does not leak)."""
    with database.unit_of_work(actor.organisation_id) as uow:
        row = uow.access.token(token_id)
        if row is None or (row.user_id != actor.user_id and not can(actor, "manage_users")):
            raise NotFound("token", token_id)
        digest = uow.access.revoke_token_by_id(token_id)
        if digest is None:
            raise NotFound("token", token_id)
        uow.commit()
    token_cache.forget(digest)


# -- sessions (the web UI's cookie, http/session.py) --------------------------------------------------
def session_key(database: UnitOfWorkFactory) -> str:
    """The key that signs session cookies, stored with the database so that every process
    serving it (``serve --workers N``, a restart) signs and checks with the same one; made by
    the first process that asks."""
    with database.directory(write=True) as directory:
        return directory.secret("session_key", secrets.token_urlsafe(32))


def start_session(database: UnitOfWorkFactory, actor: Actor) -> str:
    """A new session for a user who just logged in: its id, for the cookie only."""
    session_id = secrets.token_urlsafe(32)
    with database.unit_of_work(actor.organisation_id) as uow:
        uow.access.add_session(actor.user_id, _digest(session_id))
        uow.commit()
    return session_id


def actor_from_session(
    database: UnitOfWorkFactory, organisation_id: int, session_id: str, source: str
) -> Actor:
    """The user of a session that has not ended, or Unauthenticated; a session past its idle
    or absolute timeout is deleted as it is refused."""
    digest = _digest(session_id)
    with database.unit_of_work(organisation_id, write=False) as uow:
        row = uow.access.session_user(digest)
    if row is None or not row.active:
        raise Unauthenticated()
    now_ = _now()
    if (
        now_ - row.last_seen_at >= LIFETIMES.session_idle
        or now_ - row.started_at >= LIFETIMES.session_absolute
    ):
        end_session(database, organisation_id, session_id)
        raise Unauthenticated()
    if (now_ - row.last_seen_at).total_seconds() >= SESSION_TOUCH_SECONDS:
        with database.unit_of_work(organisation_id) as uow:
            uow.access.touch_session(digest)
            uow.commit()
    return actor_of(organisation_id, row, source)


def end_session(database: UnitOfWorkFactory, organisation_id: int, session_id: str) -> None:
    """Log out: the session's row goes, so its cookie, wherever copied, no longer works."""
    with database.unit_of_work(organisation_id) as uow:
        uow.access.end_session(_digest(session_id))
        uow.commit()


@dataclass(frozen=True, slots=True)
class UserAccess:
    """A user as the admin's access screen shows them."""

    username: str
    display_name: str
    role: str
    active: bool
    open_sessions: int


def users_and_access(database: UnitOfWorkFactory, actor: Actor) -> list[UserAccess]:
    """Every user of the organisation, whether they may log in and how many sessions they have."""
    authorize(actor, "manage_users")
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        rows = uow.access.users()
    return [UserAccess(r.username, r.display_name, r.role, r.active, r.open_sessions) for r in rows]


def actor_from_token(database: UnitOfWorkFactory, token: str, source: str = "api") -> Actor:
    """The actor a bearer token stands for, or Unauthenticated (remembered briefly, see above)."""
    if not token.startswith(TOKEN_PREFIX):
        raise Unauthenticated()
    known = cached_actor(database, token, source)
    if known is not None:
        return known
    digest = _digest(token)
    with database.directory() as directory:
        row = directory.user_of_token(digest)
    if row is None or not row.active:
        raise Unauthenticated()
    actor = actor_of(row.organisation_id, row, source)
    token_cache.put(database, digest, actor, (row.expires_at - _now()).total_seconds())
    return actor


def cached_actor(database: UnitOfWorkFactory, token: str, source: str = "api") -> Actor | None:
    """The actor of a token this process found valid within TOKEN_CACHE_SECONDS, else None;
    no I/O, so the API answers it on its event loop without a thread."""
    known = token_cache.get(database, _digest(token))
    if known is None or known.source == source:
        return known
    return replace(known, source=source)


class TokenCache:
    """Token digest → actor per database, each entry for ``seconds``; at most ``size`` entries.

    Only valid tokens are kept (a wrong one is looked up every time, as before). Thread-safe:
    the API resolves tokens in a thread pool.
    """

    def __init__(
        self, seconds: float, size: int = 4096, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self.size = size
        self.clock = clock
        self._entries: dict[tuple[int, str], tuple[float, Actor]] = {}
        self._lock = threading.Lock()

    def get(self, database: UnitOfWorkFactory, digest: str) -> Actor | None:
        entry = self._entries.get((id(database), digest))
        if entry is None or entry[0] <= self.clock():
            return None
        return entry[1]

    def put(
        self, database: UnitOfWorkFactory, digest: str, actor: Actor, at_most: float | None = None
    ) -> None:
        """Remember ``actor`` for ``seconds``, or ``at_most`` if less (the token's time left)."""
        seconds = self.seconds if at_most is None else min(self.seconds, at_most)
        now_ = self.clock()
        with self._lock:
            if len(self._entries) >= self.size:
                self._entries = {k: v for k, v in self._entries.items() if v[0] > now_}
                while len(self._entries) >= self.size:  # all fresh: drop the oldest
                    del self._entries[next(iter(self._entries))]
            self._entries[(id(database), digest)] = (now_ + seconds, actor)

    def forget(self, *digests: str) -> None:
        gone = set(digests)
        with self._lock:
            self._entries = {k: v for k, v in self._entries.items() if k[1] not in gone}


token_cache = TokenCache(TOKEN_CACHE_SECONDS)


def actor_of(organisation_id: int, user: Record, source: str) -> Actor:
    return Actor(
        organisation_id, user.id, source, user.role, user.write_off_limit_cents, user.display_name
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)
