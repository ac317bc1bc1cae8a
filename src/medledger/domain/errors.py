"""What a user can do wrong, each as its own named error.

Every error carries a stable ``code`` (the API's problem ``type`` and the UI's tooltip key), a
sentence a billing person can act on, and the numbers involved. Program bugs are ``assert``s, not
these: these are answers, not crashes.
"""

from __future__ import annotations

from typing import Any, ClassVar


class LedgerError(Exception):
    """Root of every error a user of medledger can cause."""

    code: ClassVar[str] = "ledger-error"
    status: ClassVar[int] = 422

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidAmount(LedgerError):
    code = "invalid-amount"


class FloatAmount(InvalidAmount):
    code = "float-amount"

    def __init__(self, value: float) -> None:
        super().__init__(
            f'amount {value!r} is a binary float; send a decimal string such as "12.50"',
            value=repr(value),
        )


class NotFound(LedgerError):
    """Also raised for rows of another organisation, so their existence never leaks."""

    code = "not-found"
    status = 404

    def __init__(self, what: str, key: object) -> None:
        super().__init__(f"{what} {key} not found", what=what, key=str(key))


class AlreadyExists(LedgerError):
    code = "already-exists"
    status = 409


class IdempotencyConflict(LedgerError):
    """The key was used before for a different request: answering either would be a guess."""

    code = "idempotency-key-reused"
    status = 409


class InvalidIdempotencyKey(LedgerError):
    code = "invalid-idempotency-key"


class NotPatientResponsibility(LedgerError):
    code = "not-patient-responsibility"


class NothingAssigned(LedgerError):
    code = "no-patient-responsibility"


class ClaimLevelItem(LedgerError):
    code = "claim-level-item"


class ExceedsOpenPR(LedgerError):
    code = "exceeds-open-pr"


class PaidPRMustBeRefundedFirst(LedgerError):
    code = "already-paid-refund-first"

    @classmethod
    def for_paid(cls, paid_cents: int) -> PaidPRMustBeRefundedFirst:
        """The seed's most common tooltip: the PR is paid, so refund first."""
        units, cents = divmod(paid_cents, 100)
        return cls(
            f"the PR is already paid ({units}.{cents:02d}); refund the payment first",
            paid_cents=paid_cents,
        )


class AlreadyFullyWrittenOff(LedgerError):
    code = "already-written-off"


class RemittancePRCannotBeCancelled(LedgerError):
    code = "remittance-pr-not-cancellable"


class WriteOffMustBeRemovedFirst(LedgerError):
    code = "written-off-remove-first"


class NotAWriteOff(LedgerError):
    code = "not-a-write-off"


class ReversalExceedsOriginal(LedgerError):
    code = "reversal-exceeds-original"


class NotReversible(LedgerError):
    code = "not-reversible"


class LedgerInconsistent(LedgerError):
    """Patient money whose journal no longer adds up (a payment holding more on a procedure than
    was paid there, most often): the action would break a balance's identities, so it is
    refused and ``medledger verify`` says where."""

    code = "ledger-inconsistent"
    status = 409


class AdjudicationExceedsCharge(LedgerError):
    code = "adjudication-exceeds-charge"


class RefundExceedsPayment(LedgerError):
    code = "refund-exceeds-payment"


class CreditExceeded(LedgerError):
    code = "credit-exceeded"


class InvalidReason(LedgerError):
    code = "invalid-reason"


class InvalidInput(LedgerError):
    code = "invalid-input"


class StaleDraft(LedgerError):
    """The ledger moved since the draft was made (a payment arrived, PR was written off...)."""

    code = "stale-draft"
    status = 409


class ApprovalPending(LedgerError):
    """The PR asked for already waits in a pending approval request (named in the details):
    one request per procedure and CARC at a time, and its amount is not offered twice."""

    code = "approval-pending"
    status = 409


class ApprovalDecided(LedgerError):
    """The approval request was decided (or its draft moved on) before this decision landed."""

    code = "approval-decided"
    status = 409


class DraftClosed(LedgerError):
    code = "draft-closed"
    status = 409


class ConcurrentChange(LedgerError):
    """The database refused a write by one of its constraints — a unique key another request
    took first, most often — and nothing of the unit of work was kept. Its own message may quote
    row values (PHI), so it is not repeated."""

    code = "conflict"
    status = 409

    def __init__(self) -> None:
        super().__init__("the change conflicts with one made at the same time; reload and retry")
