"""Who is acting: every mutating service records the user and checks what the role may do."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    """The user a service acts for.

    organisation_id scopes every read and write; user_id is recorded on every transaction;
    source is the front ("cli", "api", "ui", "era", "demo", "test"); role and
    write_off_limit_cents (None: no limit of its own) decide what the user may do
    (services/authorization.py). Fronts build actors with ``registration.actor_for`` from the
    stored user, never from what a request claims.
    """

    organisation_id: int
    user_id: int
    source: str
    role: str
    write_off_limit_cents: int | None = None
    display_name: str = ""  # how the journal names the user (a posting's answer shows it)
