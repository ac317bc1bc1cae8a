"""Money is integer cents end to end.

Binary floats cannot hold most cent amounts exactly (0.1 + 0.2 != 0.3), so a float reaching the
ledger is refused loudly rather than rounded quietly. At the edges amounts arrive as decimal
strings ("12.50", "$1,234.5") and leave as decimal strings ("12.50").

Every amount is bounded: at most ten digits before the decimal point and two after
(9,999,999,999.99), written in ASCII digits. Far above any patient account, far below what sums
of many amounts need before a 64-bit column overflows; a larger number, or digits from another
script that ``int()`` would quietly accept ("１２.５０"), is a typing slip, refused here once
for every front.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from medledger.domain.errors import FloatAmount, InvalidAmount

#: The largest amount, in cents, anywhere at the edges: 9,999,999,999.99.
MAX_CENTS = 999_999_999_999
MAX_INTEGER_DIGITS = 10
_UNITS = r"[0-9]{1,10}|[0-9]{1,3}(,[0-9]{3}){1,2}|[0-9](,[0-9]{3}){3}"
#: An amount as text: optional "-" and "$", up to ten ASCII digits (or 1,234,567,890 grouped by
#: commas) with up to two decimals, or decimals alone (".5"). The API's schema publishes this
#: very pattern (plain ECMA syntax, so any client's validator reads it).
AMOUNT_PATTERN = rf"^-?\$?(({_UNITS})(\.[0-9]{{0,2}})?|\.[0-9]{{1,2}})$"
#: The longest text that pattern matches: "-$1,234,567,890.12".
MAX_AMOUNT_LENGTH = 18
_AMOUNT_TEXT = re.compile(AMOUNT_PATTERN)


def to_cents(value: object) -> int:
    """Convert an amount from the edge (int cents, decimal string or Decimal) to integer cents.

    Strings and Decimals are dollar amounts with at most two decimals; ints are already cents.
    Floats and bools are refused: a float has already lost exactness, a bool is a bug.
    """
    if isinstance(value, bool):
        raise InvalidAmount(f"{value!r} is not an amount")
    if isinstance(value, float):
        raise FloatAmount(value)
    if isinstance(value, int):
        return bounded(value, format_cents(value))
    if isinstance(value, Decimal):
        return bounded(_decimal_to_cents(value, str(value)), str(value))
    if isinstance(value, str):
        return bounded(_text_to_cents(value), value)
    raise InvalidAmount(f"{value!r} is not an amount")


def bounded(cents: int, shown: str) -> int:
    """``cents`` if within ±MAX_CENTS, else the refusal naming the bound."""
    if abs(cents) > MAX_CENTS:
        raise _too_large(shown)
    return cents


def _too_large(shown: str, why: str = "is too large") -> InvalidAmount:
    return InvalidAmount(
        f"{shown[:40]!r} {why}; amounts are at most {format_cents(MAX_CENTS)}",
        max=format_cents(MAX_CENTS),
    )


def _text_to_cents(text: str) -> int:
    stripped = text.strip()
    if not _AMOUNT_TEXT.fullmatch(stripped):
        raise _refusal(text, stripped)
    units, _, decimals = stripped.lstrip("-$").replace(",", "").partition(".")
    total = int(units or "0") * 100 + int(decimals.ljust(2, "0"))
    return -total if stripped.startswith("-") else total


def _refusal(text: str, stripped: str) -> InvalidAmount:
    """The most specific reason ``stripped`` is not an amount."""
    shown = repr(text[:40])
    if not stripped.isascii():
        return InvalidAmount(f"{shown} is not a decimal amount; use the digits 0-9, as in 12.50")
    if re.fullmatch(r"-?\$?[0-9,]*\.[0-9]{3,}", stripped):
        return InvalidAmount(f"{shown} has more than two decimals")
    if re.fullmatch(r"-?\$?([0-9]+|[0-9]{1,3}(,[0-9]{3})+)(\.[0-9]{0,2})?", stripped):
        return _too_large(text, f"has more than {MAX_INTEGER_DIGITS} digits before the point")
    return InvalidAmount(f"{shown} is not a decimal amount like 12.50")


def _decimal_to_cents(value: Decimal, shown: str) -> int:
    if not value.is_finite():
        raise InvalidAmount(f"{shown!r} is not a decimal amount")
    try:
        scaled = value * 100
        if scaled != scaled.to_integral_value():
            raise InvalidAmount(f"{shown!r} has more than two decimals")
        return int(scaled)
    except InvalidOperation as error:
        raise InvalidAmount(f"{shown!r} is not a decimal amount") from error


def format_cents(cents: int) -> str:
    """Render cents as an exact decimal string with two places: 1250 -> "12.50", -5 -> "-0.05"."""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    return f"{sign}{units}.{rest:02d}"


def require_positive(cents: int, what: str = "amount") -> int:
    """Refuse zero and negative cents: for an action they are a user's mistake, not a no-op."""
    if cents <= 0:
        raise InvalidAmount(f"{what} must be greater than zero, got {format_cents(cents)}")
    return cents
