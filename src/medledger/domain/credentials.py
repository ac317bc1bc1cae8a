"""What makes a username and a password acceptable.

A username is compared and stored in one form: NFKC-normalised (full-width ``ｍａｎａｇｅｒ``
becomes ``manager``), case-folded (``Manager`` → ``manager``) and trimmed, so look-alikes cannot
sit beside each other and anyone logs in however they type the case.

A password needs ``MIN_PASSWORD`` characters, something other than whitespace, and must not be on
the common-password list shipped with the package (``data/common-passwords.txt.gz``: 19,640
passwords seen most in breaches, lower-cased, from Royce Williams' list as shipped by Django
under its BSD licence), compared lower-cased and trimmed.
"""

from __future__ import annotations

import gzip
import unicodedata
from functools import cache
from importlib.resources import files

from medledger.domain.errors import InvalidInput

MIN_PASSWORD = 12
MAX_USERNAME = 100


def normalise_username(username: str) -> str:
    """The one form a username is stored and looked up in; InvalidInput if nothing is left."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username).casefold())
    name = folded.strip()
    if not name:
        raise InvalidInput("a username needs a character other than spaces")
    if len(name) > MAX_USERNAME:
        raise InvalidInput(f"a username has at most {MAX_USERNAME} characters")
    return name


def check_password(password: str) -> None:
    """InvalidInput naming the first rule the password breaks."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD} characters")
    if not password.strip():
        raise InvalidInput("a password needs characters other than spaces")
    if password.strip().lower() in _common_passwords():
        raise InvalidInput("this password is on the list of common passwords; choose another")


def check_write_off_limit(limit_cents: int | None) -> None:
    """A write-off limit is zero (every write-off waits for approval) or more; None: no limit."""
    if limit_cents is not None and limit_cents < 0:
        raise InvalidInput("a write-off limit cannot be negative", limit_cents=limit_cents)


@cache
def _common_passwords() -> frozenset[str]:
    packed = files("medledger.domain").joinpath("data/common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(packed).decode().splitlines())
