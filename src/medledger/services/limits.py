"""The acting user's write-off limit, summed over the organisation's window (domain/limits.py).

Checked inside the unit of work that writes the request, after its rows are written: what the
user wrote off and cancelled on the patient's account since the window began — this request
included — against their limit. Managers (and users without a limit) have none.
"""

from __future__ import annotations

from collections.abc import Iterable

from medledger.domain.limits import LimitWindow, needs_approval
from medledger.services.actor import Actor
from medledger.services.authorization import can
from medledger.storage.registry import now
from medledger.storage.unit_of_work import UnitOfWork


def over_limit(uow: UnitOfWork, actor: Actor, patient_ids: Iterable[int]) -> int | None:
    """The first of ``patient_ids`` on whose account ``actor`` is now above their limit (None
    when within it everywhere)."""
    limit = actor.write_off_limit_cents
    if can(actor, "write_off_any_amount") or limit is None:
        return None
    since = LimitWindow(*uow.approvals.window()).start(now())
    for patient_id in patient_ids:
        if needs_approval(limit, uow.approvals.used_cents(actor.user_id, patient_id, since)):
            return patient_id
    return None
