"""The bounds of ids and days at every front (API, web, CLI), checked once here.

A number past a 64-bit id, or a day like 0001-01-01 or 9999-12-31, is a typing slip or a probe,
never a record of a practice: refused with a sentence, not carried to the database (where it
overflows a column or a date calculation and answers with a server error).
"""

from __future__ import annotations

import re
from datetime import date

from medledger.domain.errors import InvalidInput

#: Row ids are positive 64-bit integers.
MAX_ID = 2**63 - 1
#: Days a practice can mean: visits, payments and report periods.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2100, 12, 31)
_ID_TEXT = re.compile(r"[0-9]{1,19}")


def check_id(value: int, what: str = "id") -> int:
    """``value`` if it can be a row id (1 .. 2**63 - 1)."""
    if not 1 <= value <= MAX_ID:
        raise InvalidInput(f"{what} must be a whole number from 1 to {MAX_ID}", field=what)
    return value


def parse_id(text: str, what: str = "id") -> int:
    """An id typed as text ("42"): ASCII digits only, within ``check_id``'s range."""
    stripped = text.strip()
    if not _ID_TEXT.fullmatch(stripped):
        raise InvalidInput(f"{what} must be a whole number from 1 to {MAX_ID}", field=what)
    return check_id(int(stripped), what)


def check_day(value: date, what: str = "date") -> date:
    """``value`` if it lies between FIRST_DAY and LAST_DAY."""
    if not FIRST_DAY <= value <= LAST_DAY:
        raise InvalidInput(
            f"{what} must lie between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}",
            field=what,
        )
    return value


def parse_day(text: str, what: str = "date") -> date:
    """A day typed as YYYY-MM-DD (ASCII digits), within ``check_day``'s range."""
    stripped = text.strip()
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", stripped):
        raise InvalidInput(f"{what} must be a date written YYYY-MM-DD", field=what)
    try:
        day = date.fromisoformat(stripped)
    except ValueError as error:
        raise InvalidInput(f"{what} {stripped} is not a calendar day", field=what) from error
    return check_day(day, what)
