"""Why a write-off or cancellation was made: a standard list plus the user's own words.

Codes are stable (reports group by them); labels are what the dropdown shows. Each list is one
``StrEnum`` (the API's schemas, the CLI's choices and the web's dropdowns all come from it). A
custom reason is code ``custom`` with the user's text, which must then be non-empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Self

from medledger.domain.errors import InvalidReason


class ReasonCode(StrEnum):
    """A reason list: each member's value is its code, ``label`` what the dropdown shows."""

    label: str

    def __new__(cls, code: str, label: str) -> Self:
        member = str.__new__(cls, code)
        member._value_ = code
        member.label = label
        return member


class WriteOffReason(ReasonCode):
    """Why PR is written off."""

    FINANCIAL_HARDSHIP = "financial_hardship", "Financial hardship"
    SMALL_BALANCE = "small_balance", "Small balance"
    BAD_DEBT = "bad_debt", "Bad debt / uncollectible"
    PROMPT_PAY_DISCOUNT = "prompt_pay_discount", "Prompt-pay discount"
    PROFESSIONAL_COURTESY = "professional_courtesy", "Professional courtesy"
    CHARITY_CARE = "charity_care", "Charity care"
    BANKRUPTCY = "bankruptcy", "Bankruptcy"
    DECEASED = "deceased", "Deceased patient"
    ADMINISTRATIVE = "administrative", "Administrative"
    CUSTOM = "custom", "Custom…"


class CancelReason(ReasonCode):
    """Why estimated PR is cancelled, or a charge voided."""

    ENTERED_IN_ERROR = "entered_in_error", "Entered in error"
    ESTIMATE_WRONG = "estimate_wrong", "Estimate was wrong"
    WRONG_PATIENT = "wrong_patient", "Posted to the wrong patient"
    DUPLICATE = "duplicate", "Duplicate"
    CUSTOM = "custom", "Custom…"


class ReversalReason(ReasonCode):
    """Why a transaction (a write-off, a payment) is reversed."""

    POSTED_IN_ERROR = "posted_in_error", "Posted in error"
    WRONG_AMOUNT = "wrong_amount", "Wrong amount"
    WRONG_PATIENT = "wrong_patient", "Wrong patient"
    PAYER_CORRECTION = "payer_correction", "Payer correction"
    CUSTOM = "custom", "Custom…"


def labels(reasons: type[ReasonCode]) -> dict[str, str]:
    """A reason list as code -> label, in its order."""
    return {reason.value: reason.label for reason in reasons}


WRITE_OFF_REASONS = labels(WriteOffReason)
CANCEL_REASONS = labels(CancelReason)
REVERSAL_REASONS = labels(ReversalReason)

MAX_TEXT = 500


@dataclass(frozen=True, slots=True)
class Reason:
    """code: one of the list's codes; text: the label, or the user's words for ``custom``."""

    code: str
    text: str


def choose_reason(reasons: dict[str, str], code: str, custom_text: str | None = None) -> Reason:
    """Validate a reason picked from ``reasons`` (or a custom one) and return it."""
    if code not in reasons:
        known = ", ".join(reasons)
        raise InvalidReason(f"unknown reason {code!r}; choose one of: {known}", code=code)
    if code == "custom":
        text = (custom_text or "").strip()
        if not text:
            raise InvalidReason("a custom reason needs its text", code=code)
        if len(text) > MAX_TEXT:
            raise InvalidReason(f"a custom reason is at most {MAX_TEXT} characters", code=code)
        return Reason(str(code), text)
    return Reason(str(code), reasons[code])
