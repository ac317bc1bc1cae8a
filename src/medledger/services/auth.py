"""Logging in: passwords (argon2) for people, API tokens for programs.

A token is shown once when issued; only its SHA-256 is stored, so a copy of the database gives no
one a working token. Every failure says the same thing, so it never tells which part was wrong.

Every API request presents its token, so each process remembers token → actor for
``TOKEN_CACHE_SECONDS`` (a database round trip saved on nearly every request). A token revoked
in this process stops working at once; revoked elsewhere (another worker, the database), or a
user whose role or limit changed, takes effect within those seconds.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import replace

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from medledger.domain.credentials import check_password
from medledger.domain.errors import LedgerError, NotFound
from medledger.services.actor import Actor
from medledger.services.authorization import authorize
from medledger.storage.unit_of_work import Record, UnitOfWorkFactory

_hasher = PasswordHasher()
TOKEN_PREFIX = "mlt_"
TOKEN_CACHE_SECONDS = 5.0


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
    """Admins set anyone's password; everyone may set their own."""
    hashed = hash_password(password)
    with database.unit_of_work(actor.organisation_id) as uow:
        user = uow.registry.user_by_name(username)
        if user.id != actor.user_id:
            authorize(actor, "manage_users")
        uow.access.set_password_hash(user.id, hashed)
        uow.commit()


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


def issue_token(database: UnitOfWorkFactory, actor: Actor, name: str) -> str:
    """A new API token for the acting user; the only time the token itself is seen."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with database.unit_of_work(actor.organisation_id) as uow:
        uow.access.add_token(actor.user_id, name, _digest(token))
        uow.commit()
    return token


def revoke_token(database: UnitOfWorkFactory, actor: Actor, token: str) -> None:
    with database.unit_of_work(actor.organisation_id) as uow:
        if not uow.access.revoke_token(actor.user_id, _digest(token)):
            raise NotFound("token", "given")
        uow.commit()
    token_cache.forget(_digest(token))


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
    token_cache.put(database, digest, actor)
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

    def put(self, database: UnitOfWorkFactory, digest: str, actor: Actor) -> None:
        now_ = self.clock()
        with self._lock:
            if len(self._entries) >= self.size:
                self._entries = {k: v for k, v in self._entries.items() if v[0] > now_}
                while len(self._entries) >= self.size:  # all fresh: drop the oldest
                    del self._entries[next(iter(self._entries))]
            self._entries[(id(database), digest)] = (now_ + self.seconds, actor)

    def forget(self, digest: str) -> None:
        with self._lock:
            self._entries = {k: v for k, v in self._entries.items() if k[1] != digest}


token_cache = TokenCache(TOKEN_CACHE_SECONDS)


def actor_of(organisation_id: int, user: Record, source: str) -> Actor:
    return Actor(
        organisation_id, user.id, source, user.role, user.write_off_limit_cents, user.display_name
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
