"""Idempotency keys a client sends (API header, web form field, CLI option).

A client's key is its own name for one request. It is stored as ``client:`` + the SHA-256 of the
key, so it can never collide with a key the services make for themselves (``draft:12``,
``approval:3``, ``encounter:PCN``...), and its length in the database is fixed whatever the
client sends. The key is bound to the whole request and to the acting user (``services.posting``):
the same key with anything else is refused, never half-applied.
"""

from __future__ import annotations

import hashlib
import re

from medledger.domain.errors import InvalidIdempotencyKey

MAX_KEY_LENGTH = 200
#: Printable ASCII, 1 to 200 characters (what an HTTP header carries without escaping).
KEY_PATTERN = rf"^[\x20-\x7e]{{1,{MAX_KEY_LENGTH}}}$"
CLIENT_PREFIX = "client:"
_KEY = re.compile(KEY_PATTERN)


def client_key(given: str | None) -> str | None:
    """The stored form of a client's key (None when the client sent none), or a refusal."""
    if given is None:
        return None
    if not _KEY.fullmatch(given):
        raise InvalidIdempotencyKey(
            f"an idempotency key is 1 to {MAX_KEY_LENGTH} printable ASCII characters "
            f"(got {len(given)} characters)",
            length=len(given),
        )
    return CLIENT_PREFIX + hashlib.sha256(given.encode("ascii")).hexdigest()


def is_client_key(stored: str) -> bool:
    """Whether a stored key came from a client (so the request it names includes the user)."""
    return stored.startswith(CLIENT_PREFIX)
