"""Exact money parsing for X12 amounts (data type R), always to integer cents.

X12 amounts are decimal text ("150000.00", "-1.27", "945", ".5"). Reading them through float
would silently turn 0.1 + 0.2 into 0.30000000000000004 and break balancing by a cent, so the text
is split on the decimal point and converted with integer arithmetic only. A value that cannot be
held exactly in cents (e.g. "12.345") is refused, never rounded: rounding money the payer did
not round is how ledgers drift. An amount above the ledger's bound (``MAX_CENTS``, the same one
every front checks) is refused too, so the whole file is, before any of it is posted.
"""

from __future__ import annotations

import re
from functools import lru_cache

from medledger.domain.money import MAX_CENTS, MAX_INTEGER_DIGITS
from medledger.x12.errors import BadAmount, show

# ASCII digits only: \d would also accept e.g. Arabic-Indic digits, which int() happily converts.
_AMOUNT = re.compile(r"(-?)([0-9]*)(?:\.([0-9]*))?")
# The everyday form with exactly two decimals: its cents are its digits (one regex, one int).
_CENTS_FORM = re.compile(rf"-?[0-9]{{1,{MAX_INTEGER_DIGITS}}}\.[0-9]{{2}}")


def parse_amount(text: str, position: int | None, segment_id: str | None, element_name: str) -> int:
    """Return ``text`` (an X12 decimal amount) as integer cents, or raise ``BadAmount``.

    Accepts an optional leading '-', digits, and an optional decimal point with at most two
    significant decimals ("12.50", "12.5", "12", "12.", ".5"). Trailing zeros past the second
    decimal ("12.500") are exact and accepted; anything that would need rounding is refused, and
    so is anything above ``MAX_CENTS`` either side of zero.
    """

    cents = plain_cents(text)
    if cents is not None:
        return cents

    def refuse(reason: str) -> BadAmount:
        return BadAmount(f"{element_name} {show(text)} {reason}", position, segment_id)

    if text == "":
        raise BadAmount(f"{element_name} is empty; an amount is required", position, segment_id)
    match = _AMOUNT.fullmatch(text)
    if match is None or not (match.group(2) or match.group(3)):
        raise refuse("is not a decimal amount")
    sign, units, decimals = match.group(1), match.group(2), match.group(3) or ""
    if len(decimals) > 2 and decimals[2:].strip("0"):
        raise refuse("has more than two decimals")
    # Past MAX_INTEGER_DIGITS (leading zeros aside) an amount is above the bound whatever its
    # digits, and int() is not asked: it refuses strings past 4300 digits.
    whole = units.lstrip("0")
    cents = None
    if len(whole) <= MAX_INTEGER_DIGITS:
        cents = int(whole or "0") * 100 + int((decimals + "00")[:2])
    if cents is None or cents > MAX_CENTS:
        raise refuse(f"is above the largest amount, {format_cents(MAX_CENTS)}")
    return -cents if sign else cents


def _read_plain(text: str) -> int | None:
    """The cents of an amount in its everyday form ("150", "12.5", "-1.27"), else None.

    A fast path for the millions of amounts a large file holds: ASCII digits only, at most two
    decimals and ``MAX_INTEGER_DIGITS`` digits before the point (so within ``MAX_CENTS``);
    anything else (".5", "12.500", "1e5", too long) returns None and gets ``parse_amount``'s full check and message. Through ``plain_cents``
    (bounded cache below), an amount read before is a lookup.
    """
    if _CENTS_FORM.fullmatch(text) is not None:  # "220.00", "-1.27": what writers write
        return int(text.replace(".", ""))
    units, _, decimals = text.partition(".")
    negative = units[:1] == "-"
    if negative:
        units = units[1:]
    if not (
        0 < len(units) <= MAX_INTEGER_DIGITS
        and units.isascii()
        and units.isdigit()
        and len(decimals) <= 2
        and (not decimals or (decimals.isascii() and decimals.isdigit()))
    ):
        return None
    cents = int(units) * 100 + (
        int(decimals) * (10 if len(decimals) == 1 else 1) if decimals else 0
    )
    return -cents if negative else cents


#: Plain amounts already read, by their text: a file repeats the same amounts (fee schedule
#: charges and allowances, copays, "0") over and over, and a cache hit costs a tenth of the regex
#: and int() above. Bounded, so a file of endless distinct amounts cannot grow it.
plain_cents = lru_cache(maxsize=4096)(_read_plain)


def format_cents(cents: int) -> str:
    """Render cents as a plain decimal string ("-1.27", "150000.00") for messages."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"
