"""The yellow preview row: each affected figure before and after, for procedure and encounter.

The posting tool shows crossed-out old values with the new ones beside them; this computes
exactly those pairs from balances and the planned entries, without writing anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from medledger.domain.balance import Balance, Entry
from medledger.domain.columns import Column

#: The figures of the Payment Items Table, in its column order.
FIGURES = (
    "charge",
    "payer_paid",
    "contractual",
    "payer_other",
    "deductible",
    "coinsurance",
    "copay",
    "other_pr",
    "other_adjustments",
    "patient_paid",
    "patient_balance",
)


def figures(balance: Balance) -> dict[str, int]:
    """The named figures every front shows for a procedure, an encounter or a patient."""
    pr = balance.by_category(Column.PR)
    return {
        "charge": balance.charge,
        "payer_paid": balance.payer_paid,
        "contractual": balance.contractual,
        "payer_other": balance.payer_other,
        "deductible": pr["deductible"],
        "coinsurance": pr["coinsurance"],
        "copay": pr["copay"],
        "other_pr": pr["other"],
        "other_adjustments": balance.other_adjustments,
        "patient_paid": balance.patient_paid - balance.refunded,
        "patient_balance": balance.patient_balance,
    }


@dataclass(frozen=True, slots=True)
class FigureChange:
    before_cents: int
    after_cents: int

    @property
    def changed(self) -> bool:
        return self.before_cents != self.after_cents


@dataclass(frozen=True)
class Preview:
    """Figure name -> before/after, for the procedure and for its encounter."""

    procedure: dict[str, FigureChange]
    encounter: dict[str, FigureChange]


def preview(
    procedure_id: int, procedure: Balance, encounter: Balance, entries: Sequence[Entry]
) -> Preview:
    own = [e for e in entries if e.procedure_id == procedure_id]
    return Preview(
        _changes(procedure, procedure.plus(own)),
        _changes(encounter, encounter.plus(entries)),
    )


def _changes(before: Balance, after: Balance) -> dict[str, FigureChange]:
    old, new = figures(before), figures(after)
    return {name: FigureChange(old[name], new[name]) for name in FIGURES}
