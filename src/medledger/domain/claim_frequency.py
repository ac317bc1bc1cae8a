"""What an imported claim does to the ledger, by its frequency code (837 CLM05-3).

A claim is filed under its patient control number (CLM01), the number a payer echoes back in the
835. The first claim under a number registers its charges. After that:

- the same claim again (same content) posts nothing: files are re-sent;
- an original (1, or any code but 7 and 8) with other content is held: a change to a claim is
  sent as a replacement, so a second original under the number is a mistake to look at;
- a replacement (7) takes back the earlier claim's charges and registers its own lines, as long
  as nothing has been posted against the earlier lines (no payer payment or adjustment, no PR,
  no patient money); otherwise it is held, for a biller to correct by hand;
- a void (8) takes back the charges the same way, or is held the same way;
- a replacement or void with no earlier claim under its number, or after a void, is held;
- a claim under a number filed for another patient is held.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

ORIGINAL = "1"
REPLACEMENT = "7"
VOID = "8"


class Action(StrEnum):
    ADD = "add"  # a new encounter with its charges
    UNCHANGED = "unchanged"  # already in the ledger as it is: posts nothing
    REPLACE = "replace"  # take back the earlier charges, register the new lines
    VOID = "void"  # take back the earlier charges
    HOLD = "hold"  # posts nothing; kept with its reason for a biller


@dataclass(frozen=True, slots=True)
class EarlierClaim:
    """What the ledger holds under a claim number.

    content_hash: the content of the claim that last set its lines (None when the encounter was
        registered another way, by hand or by a CSV).
    voided: the last claim under the number was a void.
    same_patient: the encounter is the incoming claim's patient's.
    procedures_with_money: the standing procedures with anything but their charge posted.
    """

    content_hash: str | None
    voided: bool
    same_patient: bool
    procedures_with_money: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    reason: str | None = None  # why it is held (one line, for the biller)


def decide(
    claim_number: str, frequency: str, content_hash: str, earlier: EarlierClaim | None
) -> Decision:
    """What to do with an incoming claim given what the ledger holds under its number."""
    what = {REPLACEMENT: "replacement claim", VOID: "void of claim"}.get(frequency, "claim")
    if earlier is None:
        if frequency in (REPLACEMENT, VOID):
            return _hold(f"{what} {claim_number}: no claim {claim_number} is in the ledger")
        return Decision(Action.ADD)
    if earlier.content_hash == content_hash:
        return Decision(Action.UNCHANGED)
    if not earlier.same_patient:
        return _hold(f"{what} {claim_number}: claim {claim_number} is filed for another patient")
    if earlier.voided:
        return _hold(f"{what} {claim_number}: claim {claim_number} was voided")
    if frequency not in (REPLACEMENT, VOID):
        return _hold(
            f"claim {claim_number} is in the ledger with other content; a change to a claim is "
            "sent as a replacement (CLM05-3 = 7)"
        )
    if earlier.procedures_with_money:
        ids = ", ".join(str(i) for i in earlier.procedures_with_money)
        return _hold(
            f"{what} {claim_number}: money is posted against its earlier lines (procedures {ids}); "
            "correct it by hand"
        )
    return Decision(Action.REPLACE if frequency == REPLACEMENT else Action.VOID)


def _hold(reason: str) -> Decision:
    return Decision(Action.HOLD, reason)
