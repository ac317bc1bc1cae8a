"""An organisation's settings: the window a user's write-off limit is summed over.

The window is part of the approval rule (domain/limits.py), so changing it is an administrator's
act, and it takes effect for the next request.
"""

from __future__ import annotations

from medledger.domain.limits import LimitWindow
from medledger.services.actor import Actor
from medledger.services.authorization import authorize
from medledger.storage.unit_of_work import UnitOfWorkFactory


def limit_window(database: UnitOfWorkFactory, actor: Actor) -> LimitWindow:
    with database.unit_of_work(actor.organisation_id, write=False) as uow:
        return LimitWindow(*uow.approvals.window())


def set_limit_window(
    database: UnitOfWorkFactory,
    actor: Actor,
    *,
    time_zone: str | None = None,
    days: int | None = None,
) -> LimitWindow:
    """Change the time zone and/or the length (calendar days) of the limit window."""
    authorize(actor, "manage_settings")
    with database.unit_of_work(actor.organisation_id) as uow:
        now_zone, now_days = uow.approvals.window()
        window = LimitWindow(time_zone or now_zone, now_days if days is None else days)
        uow.approvals.set_window(window.time_zone, window.days)
        uow.commit()
    return window
