"""Why a write-off or cancellation was made: a standard list plus the user's own words.

Codes are stable (reports group by them); labels are what the dropdown shows. A custom reason is
code ``custom`` with the user's text, which must then be non-empty.
"""

from __future__ import annotations

from dataclasses import dataclass

from medledger.domain.errors import InvalidReason

WRITE_OFF_REASONS: dict[str, str] = {
    "financial_hardship": "Financial hardship",
    "small_balance": "Small balance",
    "bad_debt": "Bad debt / uncollectible",
    "prompt_pay_discount": "Prompt-pay discount",
    "professional_courtesy": "Professional courtesy",
    "charity_care": "Charity care",
    "bankruptcy": "Bankruptcy",
    "deceased": "Deceased patient",
    "administrative": "Administrative",
    "custom": "Custom…",
}

CANCEL_REASONS: dict[str, str] = {
    "entered_in_error": "Entered in error",
    "estimate_wrong": "Estimate was wrong",
    "wrong_patient": "Posted to the wrong patient",
    "duplicate": "Duplicate",
    "custom": "Custom…",
}

REVERSAL_REASONS: dict[str, str] = {
    "posted_in_error": "Posted in error",
    "wrong_amount": "Wrong amount",
    "wrong_patient": "Wrong patient",
    "payer_correction": "Payer correction",
    "custom": "Custom…",
}

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
        return Reason(code, text)
    return Reason(code, reasons[code])
