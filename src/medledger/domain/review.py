"""When an imported claim is held for a biller instead of posted, and why.

A well-formed 835 posts its good claims and holds the others in the review queue with one of
these reasons (docs/era-import.md). Each is decided from the claim, the encounter it matched and
the claims already posted for that encounter (``PostedClaim``), never silently: a held claim is a
row a biller resolves (match it and post it) or dismisses with a reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from medledger.domain.adjudication import (
    DENIED_STATUS,
    POSTING_STATUSES,
    PREDETERMINATION_STATUS,
    PRIMARY_STATUSES,
    REVERSAL_STATUS,
    SECONDARY_STATUSES,
    TERTIARY_STATUSES,
)
from medledger.domain.errors import LedgerError
from medledger.domain.money import format_cents

UNMATCHED_CLAIM = "unmatched_claim"
UNMATCHED_LINE = "unmatched_line"
DUPLICATE_CLAIM = "duplicate_claim"
BALANCE_WOULD_GO_NEGATIVE = "balance_would_go_negative"
SECONDARY_BEFORE_PRIMARY = "secondary_before_primary"
REVERSAL_WITHOUT_ORIGINAL = "reversal_without_original"
PREDETERMINATION = "predetermination"
UNKNOWN_CLAIM_STATUS = "unknown_claim_status"

#: Reason code -> what the review queue shows.
HOLD_REASONS: dict[str, str] = {
    UNMATCHED_CLAIM: "No encounter has the claim's patient control number",
    UNMATCHED_LINE: "A service line matches no procedure of the encounter, or several",
    DUPLICATE_CLAIM: "The same claim payment is already posted",
    BALANCE_WOULD_GO_NEGATIVE: "Posting would drive a balance negative or exceed the charge",
    SECONDARY_BEFORE_PRIMARY: "A secondary (or tertiary) payment before the earlier payer's",
    REVERSAL_WITHOUT_ORIGINAL: "A reversal of a claim payment that is not posted",
    PREDETERMINATION: "A predetermination of benefits: no payment was made",
    UNKNOWN_CLAIM_STATUS: "A claim status code that says nothing medledger can post",
}


class ClaimHeld(LedgerError):
    """An imported claim cannot post now; ``reason`` is one of ``HOLD_REASONS``."""

    code = "claim-held"
    status = 409

    def __init__(self, reason: str, message: str) -> None:
        assert reason in HOLD_REASONS, reason
        super().__init__(message, reason=reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class PostedClaim:
    """A claim payment already posted for an encounter (a claim-level payment item).

    payer_id: whose remittance it came from; trace_number: that remittance's check/EFT number.
    status_code, charge_cents, paid_cents, payer_claim_number: as the payer sent them.
    """

    payer_id: int
    trace_number: str
    status_code: str
    charge_cents: int
    paid_cents: int
    payer_claim_number: str | None


def check_claim_status(status_code: str) -> None:
    """Hold a claim whose CLP02 status posts no money: a predetermination (25) says what the
    payer would pay, not that it paid; a status outside the X12 list is held with its value
    rather than guessed at."""
    if status_code == PREDETERMINATION_STATUS:
        raise ClaimHeld(
            PREDETERMINATION, "claim status 25 (predetermination pricing only): nothing was paid"
        )
    if status_code not in POSTING_STATUSES:
        raise ClaimHeld(
            UNKNOWN_CLAIM_STATUS,
            f"claim status {status_code!r} is not one that posts (1, 2, 3, 4, 19-23)",
        )


def check_claim_history(claim: PostedClaim, history: Sequence[PostedClaim]) -> None:
    """Hold ``claim`` (``ClaimHeld``) when the encounter's posted claims say it must not post.

    ``history`` is every claim posted for the encounter, in posting order. A reversal cancels
    the standing claim it negates; what is left standing decides: a duplicate of a standing
    claim, a reversal with nothing standing to reverse, a secondary claim without a standing
    primary one (or a tertiary without a secondary) from another payer are held.
    """
    standing = _standing(history)
    if claim.status_code == REVERSAL_STATUS:
        if not any(_reverses(claim, original) for original in standing):
            raise ClaimHeld(
                REVERSAL_WITHOUT_ORIGINAL,
                f"reverses a claim payment of {format_cents(-claim.paid_cents)} that is not posted "
                "(or is already reversed)",
            )
        return
    for posted in standing:
        if _same(claim, posted):
            raise ClaimHeld(
                DUPLICATE_CLAIM,
                f"already posted from the remittance with trace number {posted.trace_number}",
            )
    earlier = _earlier_statuses(claim.status_code)
    if earlier and not any(
        p.status_code in earlier and p.payer_id != claim.payer_id for p in standing
    ):
        raise ClaimHeld(
            SECONDARY_BEFORE_PRIMARY,
            f"processed as {'tertiary' if claim.status_code in TERTIARY_STATUSES else 'secondary'}"
            " but no earlier payer's claim payment is posted for the encounter",
        )


def _standing(history: Sequence[PostedClaim]) -> list[PostedClaim]:
    """The posted claims not taken back by a later reversal (each reversal cancels one)."""
    standing: list[PostedClaim] = []
    for posted in history:
        if posted.status_code != REVERSAL_STATUS:
            standing.append(posted)
            continue
        for index, original in enumerate(standing):
            if _reverses(posted, original):
                del standing[index]
                break
    return standing


def _reverses(reversal: PostedClaim, original: PostedClaim) -> bool:
    return (
        original.payer_id == reversal.payer_id
        and original.status_code != REVERSAL_STATUS
        and original.charge_cents == -reversal.charge_cents
        and original.paid_cents == -reversal.paid_cents
    )


def _same(claim: PostedClaim, posted: PostedClaim) -> bool:
    return (
        claim.payer_id,
        claim.status_code,
        claim.charge_cents,
        claim.paid_cents,
        claim.payer_claim_number,
    ) == (
        posted.payer_id,
        posted.status_code,
        posted.charge_cents,
        posted.paid_cents,
        posted.payer_claim_number,
    )


def _earlier_statuses(status_code: str) -> frozenset[str]:
    """The statuses an earlier payer's claim must have before this one can post."""
    if status_code in SECONDARY_STATUSES:
        return PRIMARY_STATUSES | {DENIED_STATUS}
    if status_code in TERTIARY_STATUSES:
        return SECONDARY_STATUSES
    return frozenset()
