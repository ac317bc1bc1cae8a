"""The answer to "may I?": the open amounts when yes, the specific reason when no.

The UI shows ``reason.message`` as the disabled button's tooltip and the API returns
``reason.code`` as the problem type, so both say the same thing the service would raise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from medledger.domain.errors import LedgerError


@dataclass(frozen=True)
class Permission:
    """allowed: whether the action can be taken now.

    open_by_carc: cents the action may take per PR CARC (empty when not allowed).
    reason: the error the action would raise (None when allowed).
    """

    allowed: bool
    open_by_carc: Mapping[str, int] = field(default_factory=dict)
    reason: LedgerError | None = None

    @classmethod
    def grant(cls, open_by_carc: Mapping[str, int]) -> Permission:
        return cls(True, dict(open_by_carc), None)

    @classmethod
    def deny(cls, reason: LedgerError) -> Permission:
        return cls(False, {}, reason)

    @property
    def total_cents(self) -> int:
        return sum(self.open_by_carc.values())

    def raise_if_denied(self) -> None:
        if self.reason is not None:
            raise self.reason
