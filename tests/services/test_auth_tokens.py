"""API tokens: each process remembers token → actor briefly, and revocation still takes effect."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from medledger.services import auth
from medledger.services.registration import actor_for, add_user
from medledger.storage.tables import api_tokens, users
from tests import builders


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """A fresh token cache on a hand-moved clock (nothing cached by other tests leaks in)."""
    clock = Clock()
    monkeypatch.setattr(auth, "token_cache", auth.TokenCache(auth.TOKEN_CACHE_SECONDS, clock=clock))
    return clock


@pytest.fixture
def biller(database, actor):
    add_user(database, actor, "bill", "Bill", "biller", "50.00")
    return actor_for(database, actor.organisation_id, "bill", "test")


def test_a_token_stands_for_its_user(database, clock, biller):
    token = auth.issue_token(database, biller, "script").token
    found = auth.actor_from_token(database, token, "api")
    assert (found.user_id, found.role, found.source) == (biller.user_id, "biller", "api")
    assert auth.actor_from_token(database, token, "cli").source == "cli"  # cached, own source
    with pytest.raises(auth.Unauthenticated):
        auth.actor_from_token(database, token[:-1] + ("A" if token[-1] != "A" else "B"))


def test_revoking_a_token_in_this_process_takes_effect_at_once(database, clock, biller):
    token = auth.issue_token(database, biller, "script").token
    auth.actor_from_token(database, token)  # now cached
    auth.revoke_token(database, biller, token)
    with pytest.raises(auth.Unauthenticated):
        auth.actor_from_token(database, token)


def test_a_change_made_elsewhere_takes_effect_when_the_entry_expires(
    engine, database, clock, biller
):
    """Another worker's revocation, or a role changed in the database, is seen within
    TOKEN_CACHE_SECONDS; until then this process still answers from its cache."""
    revoked, demoted = (auth.issue_token(database, biller, name).token for name in ("a", "b"))
    auth.actor_from_token(database, revoked)
    auth.actor_from_token(database, demoted)
    with builders.writing(engine, biller.organisation_id) as connection:
        connection.execute(
            update(api_tokens)
            .where(api_tokens.c.token_hash == auth._digest(revoked))
            .values(revoked_at=api_tokens.c.created_at)
        )
        connection.execute(
            update(users).where(users.c.id == biller.user_id).values(role="front_desk")
        )
    assert auth.actor_from_token(database, revoked).role == "biller"  # still cached

    clock.now += auth.TOKEN_CACHE_SECONDS
    with pytest.raises(auth.Unauthenticated):
        auth.actor_from_token(database, revoked)
    assert auth.actor_from_token(database, demoted).role == "front_desk"


def test_the_cache_stays_within_its_size(engine, biller):
    cache = auth.TokenCache(60.0, size=2)
    for digest in ("a", "b", "c"):
        cache.put(engine, digest, biller)
    assert cache.get(engine, "a") is None
    assert cache.get(engine, "b") == cache.get(engine, "c") == biller


def test_a_cached_token_is_never_remembered_past_its_expiry(engine, biller):
    clock = Clock()
    cache = auth.TokenCache(60.0, clock=clock)
    cache.put(engine, "ends soon", biller, at_most=2.0)
    cache.put(engine, "ends later", biller, at_most=3600.0)
    clock.now += 2.0
    assert cache.get(engine, "ends soon") is None
    assert cache.get(engine, "ends later") == biller
