"""A user's write-off limit, summed over a window so that splitting a write-off never gets past it.

What one user wrote off (and cancelled of estimated PR) on one patient's account since the window
began, plus the request at hand, must stay within the user's limit; above it the whole request
waits for a billing manager. The window is a number of calendar days in the practice's time zone
ending today (1: today since local midnight).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from medledger.domain.errors import InvalidInput

#: Longest window a practice may set (a year, leap day included).
MAX_WINDOW_DAYS = 366


@dataclass(frozen=True)
class LimitWindow:
    """time_zone: the practice's IANA zone ("America/Chicago"); days: calendar days counted,
    today included (1 to MAX_WINDOW_DAYS)."""

    time_zone: str = "UTC"
    days: int = 1

    def __post_init__(self) -> None:
        zone(self.time_zone)
        if not 1 <= self.days <= MAX_WINDOW_DAYS:
            raise InvalidInput(
                f"the limit window is 1 to {MAX_WINDOW_DAYS} days, not {self.days}",
                days=self.days,
            )

    def start(self, moment: datetime) -> datetime:
        """The window's first moment (UTC) for a request made at ``moment`` (aware)."""
        local = moment.astimezone(zone(self.time_zone))
        first_day = local.date() - timedelta(days=self.days - 1)
        midnight = datetime.combine(first_day, time(0), tzinfo=zone(self.time_zone))
        return midnight.astimezone(UTC)


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``, or a clear error for one that does not exist."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidInput(f"unknown time zone {name!r}", time_zone=name) from error


def needs_approval(limit_cents: int | None, used_cents: int) -> bool:
    """Whether ``used_cents`` (the window's total with the request at hand) is above the limit;
    no limit (None) means no approval is needed."""
    return limit_cents is not None and used_cents > limit_cents
