"""The fixed sets of words rows carry, one ``StrEnum`` each: the states a waiting request moves
through, and users' roles. The tables' CHECKs, the services' transitions, the API's schemas and
filters, and the fronts' choices all take their values from here."""

from __future__ import annotations

from enum import StrEnum

from medledger.domain.transaction import TransactionKind


class ApprovalStatus(StrEnum):
    """An approval request: waiting for a billing manager, then decided once."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class DraftStatus(StrEnum):
    """A write-off draft of the posting tool (its preview row)."""

    #: Being edited; Post posts it (or files it for approval).
    OPEN = "open"
    #: In a pending approval request; a rejection opens it again.
    WAITING = "waiting"
    #: On the ledger (``posted_transaction_id``).
    POSTED = "posted"
    #: Undone before it was posted.
    DISCARDED = "discarded"


class Resolution(StrEnum):
    """How a held claim of the review queue was closed."""

    POSTED = "posted"
    DISMISSED = "dismissed"


class Role(StrEnum):
    """What a user is, and so what they may do (``services.authorization``)."""

    FRONT_DESK = "front_desk"
    BILLER = "biller"
    BILLING_MANAGER = "billing_manager"
    ADMIN = "admin"


#: What an approval request holds: write-offs, or a cancellation of estimated PR.
APPROVAL_KINDS = (TransactionKind.WRITE_OFF, TransactionKind.CANCELLATION)
