"""Where ``medledger login`` keeps its token: ``credentials.json`` in the user's configuration
directory (MEDLEDGER_CONFIG_DIR, else ``~/.config/medledger``), readable by its owner only.

One login per database (its URL, password hidden), so the same person can work on a test copy
and the production database without one login standing for the other. Only the token is kept,
never a password; it expires with the token (MEDLEDGER_TOKEN_DAYS) and ``medledger logout``
revokes it.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import typer
from sqlalchemy import make_url


@dataclass(frozen=True, slots=True)
class StoredLogin:
    token: str
    username: str
    organisation_id: int


def credentials_file() -> Path:
    directory = os.environ.get("MEDLEDGER_CONFIG_DIR") or typer.get_app_dir("medledger")
    return Path(directory) / "credentials.json"


def _key(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _read() -> dict[str, dict[str, object]]:
    path = credentials_file()
    if not path.exists():
        return {}
    stored = json.loads(path.read_text())
    return stored if isinstance(stored, dict) else {}


def _write(logins: dict[str, dict[str, object]]) -> None:
    path = credentials_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(logins, file, indent=2)
    path.chmod(0o600)  # a file made before by hand keeps its mode otherwise


def stored_login(url: str) -> StoredLogin | None:
    entry = _read().get(_key(url))
    if not isinstance(entry, dict):
        return None
    return StoredLogin(
        str(entry["token"]), str(entry["username"]), int(str(entry["organisation_id"]))
    )


def store_login(url: str, login: StoredLogin) -> Path:
    logins = _read()
    logins[_key(url)] = asdict(login)
    _write(logins)
    return credentials_file()


def forget_login(url: str) -> StoredLogin | None:
    """Remove the database's login from the file; the login it held, if any."""
    login = stored_login(url)
    if login is not None:
        logins = _read()
        del logins[_key(url)]
        _write(logins)
    return login
