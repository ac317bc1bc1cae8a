"""What an imported claim does, by its frequency code and what the ledger holds under its number
(the table of docs/import-formats.md), one row per case."""

from __future__ import annotations

import pytest

from medledger.domain.claim_frequency import Action, EarlierClaim, decide

STANDING = EarlierClaim("old", voided=False, same_patient=True, procedures_with_money=())
PAID = EarlierClaim("old", voided=False, same_patient=True, procedures_with_money=(4, 5))
VOIDED = EarlierClaim("old", voided=True, same_patient=True, procedures_with_money=())
OTHER_PATIENT = EarlierClaim("old", voided=False, same_patient=False, procedures_with_money=())


@pytest.mark.parametrize(
    ("frequency", "content", "earlier", "action", "reason"),
    [
        ("1", "new", None, Action.ADD, None),
        ("2", "new", None, Action.ADD, None),  # an interim bill is an original
        ("7", "new", None, Action.HOLD, "replacement claim C1: no claim C1 is in the ledger"),
        ("8", "new", None, Action.HOLD, "void of claim C1: no claim C1 is in the ledger"),
        ("1", "old", STANDING, Action.UNCHANGED, None),
        ("7", "old", PAID, Action.UNCHANGED, None),
        ("1", "new", STANDING, Action.HOLD, "claim C1 is in the ledger with other content"),
        ("7", "new", STANDING, Action.REPLACE, None),
        ("8", "new", STANDING, Action.VOID, None),
        ("7", "new", PAID, Action.HOLD, "replacement claim C1: money is posted against its "
                                       "earlier lines (procedures 4, 5)"),
        ("8", "new", PAID, Action.HOLD, "void of claim C1: money is posted"),
        ("7", "new", VOIDED, Action.HOLD, "replacement claim C1: claim C1 was voided"),
        ("1", "new", VOIDED, Action.HOLD, "claim C1: claim C1 was voided"),
        ("7", "new", OTHER_PATIENT, Action.HOLD, "replacement claim C1: claim C1 is filed for "
                                                 "another patient"),
    ],
)  # fmt: skip
def test_what_a_claim_does(frequency, content, earlier, action, reason):
    decision = decide("C1", frequency, content, earlier)
    assert decision.action is action
    if reason is None:
        assert decision.reason is None
    else:
        assert decision.reason.startswith(reason)
