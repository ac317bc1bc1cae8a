"""Streaming reader for X12 835 electronic remittance advice (ERA) files.

``read_remittances(stream)`` yields one ``Remittance`` per 835 transaction set, amounts in integer
cents; ``read_era(stream)`` streams the same claim by claim; ``check(remittance)`` raises
``ReconciliationError`` unless it balances. Every refusal is an ``X12Error`` that names the
segment number where the problem is. ``writer`` writes 835 files; ``mapping`` turns claims into
the ledger's ``ClaimAdvice``.
"""

from medledger.x12.amounts import format_cents, parse_amount
from medledger.x12.era import read_era, read_remittances
from medledger.x12.errors import (
    BadAmount,
    BadCode,
    BadDate,
    MalformedEnvelope,
    MalformedSegment,
    NotAnERA,
    ReconciliationError,
    TruncatedFile,
    X12Error,
    X12Warning,
)
from medledger.x12.reconcile import check, claim_imbalances, imbalances, payment_imbalances
from medledger.x12.records import (
    Adjustment,
    Claim,
    ProviderAdjustment,
    Remittance,
    RemittanceHeader,
    ServiceLine,
)
from medledger.x12.tokens import Delimiters, Segment, SegmentReader, iter_segments

__all__ = [
    "Adjustment",
    "BadAmount",
    "BadCode",
    "BadDate",
    "Claim",
    "Delimiters",
    "MalformedEnvelope",
    "MalformedSegment",
    "NotAnERA",
    "ProviderAdjustment",
    "ReconciliationError",
    "Remittance",
    "RemittanceHeader",
    "Segment",
    "SegmentReader",
    "ServiceLine",
    "TruncatedFile",
    "X12Error",
    "X12Warning",
    "check",
    "claim_imbalances",
    "format_cents",
    "imbalances",
    "iter_segments",
    "parse_amount",
    "payment_imbalances",
    "read_era",
    "read_remittances",
]
