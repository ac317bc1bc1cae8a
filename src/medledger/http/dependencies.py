"""What a route of either front takes: the services' Database, and row ids and days read from
its path or query, bounded so that a client's mistake is a 4xx and never a server error."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from pydantic import AfterValidator

from medledger.domain.bounds import MAX_ID, check_day
from medledger.domain.errors import LedgerError
from medledger.storage.unit_of_work import Database


async def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


DatabaseDep = Annotated[Database, Depends(get_database)]

#: Row ids: positive 64-bit integers (larger ones are a client's mistake, not a server error).
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


def day_in_range(value: date | datetime | None) -> date | datetime | None:
    """A pydantic check over ``check_day``: its refusal as a validation error (a 422)."""
    if value is not None:
        try:
            check_day(value.date() if isinstance(value, datetime) else value)
        except LedgerError as error:
            raise ValueError(error.message) from error
    return value


#: A day in a query string, within the days a practice can mean.
QueryDay = Annotated[date | None, AfterValidator(day_in_range)]
