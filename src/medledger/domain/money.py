"""Money is integer cents end to end.

Binary floats cannot hold most cent amounts exactly (0.1 + 0.2 != 0.3), so a float reaching the
ledger is refused loudly rather than rounded quietly. At the edges amounts arrive as decimal
strings ("12.50", "$1,234.5") and leave as decimal strings ("12.50").
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from medledger.domain.errors import FloatAmount, InvalidAmount

_AMOUNT_TEXT = re.compile(
    r"^(?P<sign>-)?\$?(?P<units>\d{1,3}(,\d{3})+|\d+)?(\.(?P<cents>\d{0,2}))?$"
)


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
        return value
    if isinstance(value, Decimal):
        return _decimal_to_cents(value, str(value))
    if isinstance(value, str):
        return _text_to_cents(value)
    raise InvalidAmount(f"{value!r} is not an amount")


def _text_to_cents(text: str) -> int:
    stripped = text.strip()
    match = _AMOUNT_TEXT.match(stripped)
    if not match or (match["units"] is None and not match["cents"]):
        if re.match(r"^-?\$?[\d,]*\.\d{3,}$", stripped):
            raise InvalidAmount(f"{text!r} has more than two decimals")
        raise InvalidAmount(f"{text!r} is not a decimal amount like 12.50")
    units = int((match["units"] or "0").replace(",", ""))
    cents = int((match["cents"] or "").ljust(2, "0"))
    total = units * 100 + cents
    return -total if match["sign"] else total


def _decimal_to_cents(value: Decimal, shown: str) -> int:
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
