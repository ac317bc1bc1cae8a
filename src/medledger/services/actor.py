"""Who is acting: every mutating service records the user and the front they came through."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    """organisation_id scopes every read and write; user_id is recorded on every transaction;
    source is the front ("cli", "api", "ui", "era", "demo", "test")."""

    organisation_id: int
    user_id: int
    source: str = "cli"
