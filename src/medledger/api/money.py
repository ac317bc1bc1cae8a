"""Money at the JSON edge: exact decimal strings in and out; floats refused with a clear error."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

from medledger.domain.errors import LedgerError
from medledger.domain.money import (
    AMOUNT_PATTERN,
    MAX_AMOUNT_LENGTH,
    MAX_CENTS,
    format_cents,
    to_cents,
)


def _decimal_string(value: Any) -> str:
    if isinstance(value, float):
        raise PydanticCustomError(
            "float_amount",
            'amount {value} is a JSON number; send a decimal string such as "12.50"',
            {"value": value},
        )
    if not isinstance(value, str):
        raise PydanticCustomError(
            "decimal_string", 'amounts are decimal strings such as "12.50"', {"value": value}
        )
    try:
        to_cents(value)
    except LedgerError as error:
        raise PydanticCustomError("invalid_amount", error.message, {"value": value}) from error
    return value


#: An amount in a request: a decimal string like "12.50" (also "12.5", "$12.50"), checked by
#: ``to_cents``; the schema publishes the same pattern and bound.
AmountIn = Annotated[
    str,
    BeforeValidator(_decimal_string),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": AMOUNT_PATTERN,
            "maxLength": MAX_AMOUNT_LENGTH,
            "description": f"A decimal string in ASCII digits, at most {format_cents(MAX_CENTS)}.",
            "examples": ["12.50"],
        }
    ),
]

#: A patient's page renders hundreds of amounts, most of them the same few ("0.00", the
#: charges of common codes): remembered, each costs a C lookup instead of a Python call. Bounded,
#: so a long-running server's memory is too.
_formatted = lru_cache(maxsize=8192)(format_cents)

#: An amount in a response: integer cents rendered as an exact decimal string.
AmountOut = Annotated[
    int,
    PlainSerializer(_formatted, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+\.\d{2}$", "examples": ["12.50"]}),
]
