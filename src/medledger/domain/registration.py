"""What a patient's record and a visit's lines may hold, checked once for every front.

A front desk types these by hand and a CSV brings them by the thousand: each value is checked
against what the practice can mean (and the column can hold) here, with a sentence naming the
field, so a too-long name or a sex of "X" is refused before any row is written, never carried to
the database to fail there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from datetime import date
from enum import StrEnum

from medledger.domain.bounds import check_day
from medledger.domain.errors import InvalidInput


class Sex(StrEnum):
    """Sex as an 837 carries it (DMG03)."""

    FEMALE = "F"
    MALE = "M"
    UNKNOWN = "U"


class CoverageOrder(StrEnum):
    """A patient's coverages, in the order payers are billed."""

    PRIMARY = "primary"
    SECONDARY = "secondary"
    TERTIARY = "tertiary"


SEXES = tuple(Sex)
COVERAGE_ORDERS = tuple(CoverageOrder)
#: Longest text per field (the column's length).
LENGTHS = {
    "mrn": 50,
    "sex": 1,
    "first_name": 100,
    "last_name": 100,
    "member_id": 80,
    "address_line1": 100,
    "address_line2": 100,
    "city": 60,
    "state": 10,
    "postal_code": 15,
    "patient_control_number": 38,
    "place_of_service": 10,
    "rendering_provider": 200,
    "code": 10,
    "line_item_control_number": 50,
    "payer_code": 80,
    "payer_name": 200,
}
#: No person types a control character, and no database stores NUL.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: Units of one service line: a whole number a claim can carry.
MAX_UNITS = 9999
#: A procedure's modifiers: two letters or digits each, at most four (as on a claim).
_MODIFIER = re.compile(r"[A-Z0-9]{2}")
MAX_MODIFIERS = 4
#: Diagnosis codes (ICD-10-CM without the dot), at most twelve as on a claim.
_DIAGNOSIS = re.compile(r"[A-Z][0-9A-Z]{2,6}")
MAX_DIAGNOSES = 12


def check_text(value: str, field: str, *, required: bool = False) -> str:
    """``value`` trimmed, if it fits its column (and is given, when ``required``)."""
    trimmed = value.strip()
    if required and not trimmed:
        raise InvalidInput(f"{field.replace('_', ' ')} is required", field=field)
    if _CONTROL.search(trimmed):
        raise InvalidInput(f"{field.replace('_', ' ')} contains a control character", field=field)
    limit = LENGTHS[field]
    if len(trimmed) > limit:
        raise InvalidInput(
            f"{field.replace('_', ' ')} is longer than {limit} characters", field=field
        )
    return trimmed


def _optional(value: str | None, field: str) -> str | None:
    return (check_text(value, field) or None) if value is not None else None


@dataclass(frozen=True, slots=True)
class PatientDetails:
    """Who the patient is, as the practice registers them (every field optional but the last
    name; None means "not known", or in an update "leave as it is")."""

    first_name: str | None = None
    last_name: str | None = None
    birth_date: date | None = None
    sex: str | None = None
    member_id: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None

    def checked(self, today: date) -> PatientDetails:
        """The details trimmed, each within its column and meaning (a birth date is not in the
        future, a sex is F, M or U)."""
        if self.sex is not None and self.sex.strip().upper() not in SEXES:
            raise InvalidInput(f"sex must be one of {', '.join(SEXES)}", field="sex")
        values: dict[str, object] = {}
        for each in fields(self):
            value = getattr(self, each.name)
            if isinstance(value, str):
                values[each.name] = _optional(value, each.name)
        if isinstance(values.get("sex"), str):
            values["sex"] = str(values["sex"]).upper()
        if self.birth_date is not None:
            check_day(self.birth_date, "birth_date")
            if self.birth_date > today:
                raise InvalidInput("birth date is in the future", field="birth_date")
        return replace(self, **values)  # type: ignore[arg-type]

    def given(self) -> dict[str, object]:
        """The fields that carry a value: what an update changes."""
        return {
            each.name: getattr(self, each.name)
            for each in fields(self)
            if getattr(self, each.name) is not None
        }


#: What emptying each detail stores: no value, but a first name is never missing, only blank
#: (a claim may give none). The last name cannot be emptied.
_EMPTY: dict[str, object] = {
    each.name: "" if each.name == "first_name" else None
    for each in fields(PatientDetails)
    if each.name != "last_name"
}


def clearing(names: Iterable[str]) -> dict[str, object]:
    """The changes that empty the details ``names``: an edit that blanks a field it showed."""
    changes = {}
    for name in names:
        if name == "last_name":
            raise InvalidInput("last name is required", field="last_name")
        if name not in _EMPTY:
            raise InvalidInput(f"a patient has no detail {name[:40]!r}", field=name[:40])
        changes[name] = _EMPTY[name]
    return changes


def check_order(order: str) -> str:
    """A coverage order: primary, secondary or tertiary."""
    chosen = order.strip().lower()
    if chosen not in COVERAGE_ORDERS:
        raise InvalidInput(
            f"coverage order must be one of {', '.join(COVERAGE_ORDERS)}", field="coverage_order"
        )
    return chosen


def check_modifiers(modifiers: tuple[str, ...]) -> tuple[str, ...]:
    """Up to four two-character modifiers (upper case)."""
    upper = tuple(m.strip().upper() for m in modifiers if m.strip())
    if len(upper) > MAX_MODIFIERS or not all(_MODIFIER.fullmatch(m) for m in upper):
        raise InvalidInput(
            f"modifiers are up to {MAX_MODIFIERS} codes of two letters or digits, such as 25",
            field="modifiers",
        )
    return upper


def check_units(units: int) -> int:
    if isinstance(units, bool) or not 1 <= units <= MAX_UNITS:
        raise InvalidInput(f"units must be a whole number from 1 to {MAX_UNITS}", field="units")
    return units


def check_diagnoses(codes: tuple[str, ...]) -> tuple[str, ...]:
    """Up to twelve ICD-10 codes, dots dropped (as a claim carries them)."""
    upper = tuple(c.strip().upper().replace(".", "") for c in codes if c.strip())
    if len(upper) > MAX_DIAGNOSES or not all(_DIAGNOSIS.fullmatch(c) for c in upper):
        raise InvalidInput(
            f"diagnosis codes are up to {MAX_DIAGNOSES} ICD-10 codes, such as J06.9",
            field="diagnosis_codes",
        )
    return upper
