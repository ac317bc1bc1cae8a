"""What each role may do, enforced in the service layer so that every front obeys it.

- front desk: look, register patients and visits (and void a charge entered in error before
  money moves against it), take payments, enter estimated PR;
- biller: also write off (up to the user's limit — above it the write-off waits for approval),
  cancel PR, post remittances and drafts, import claim files (837), reverse their own actions;
- billing manager: any amount, approvals, refunds, reversals of anyone's actions;
- admin: also users, limits, the limit window and reason lists.
"""

from __future__ import annotations

from medledger.domain.errors import LedgerError
from medledger.domain.statuses import Role
from medledger.services.actor import Actor

_FRONT_DESK = frozenset({"view", "register", "take_payment", "estimate"})
_BILLER = _FRONT_DESK | {"write_off", "cancel", "post_remittance", "import_claims", "reverse_own"}
_MANAGER = _BILLER | {"write_off_any_amount", "approve", "refund", "reverse_any"}
PERMISSIONS: dict[str, frozenset[str]] = {
    Role.FRONT_DESK: _FRONT_DESK,
    Role.BILLER: frozenset(_BILLER),
    Role.BILLING_MANAGER: frozenset(_MANAGER),
    Role.ADMIN: frozenset(_MANAGER | {"manage_users", "manage_settings"}),
}


class Forbidden(LedgerError):
    code = "forbidden"
    status = 403


def can(actor: Actor, action: str) -> bool:
    return action in PERMISSIONS.get(actor.role, frozenset())


def authorize(actor: Actor, action: str) -> None:
    if not can(actor, action):
        raise Forbidden(
            f"a {actor.role.replace('_', ' ')} may not {action.replace('_', ' ')}",
            action=action,
            role=actor.role,
        )


def authorize_reversal(actor: Actor, original_user_id: int) -> None:
    """Anyone's action with reverse_any; only one's own with reverse_own."""
    if can(actor, "reverse_any"):
        return
    authorize(actor, "reverse_own")
    if original_user_id != actor.user_id:
        raise Forbidden("only a billing manager may reverse another user's action")
