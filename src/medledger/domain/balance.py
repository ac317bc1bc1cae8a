"""Entries and the balances they add up to.

A ``Balance`` is the sum of entries, so one class serves a procedure, an encounter and a patient:
the encounter's balance is exactly the sum of its procedures' balances (DESIGN.md). Every figure a
screen shows (insurance balance, open PR, credit, patient balance) is derived here, in one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any

from medledger.domain.columns import PR_CATEGORIES, Column, pr_category, pr_sort_key

Key = tuple[Column, str]

# Members looked up once: an enum member read through its class is a descriptor call, and the
# rules read these on every balance of every posting.
_CHARGE, _PR, _WRITTEN_OFF = Column.CHARGE, Column.PR, Column.WRITTEN_OFF
_CANCELLED, _PATIENT_PAID, _REFUNDED = Column.CANCELLED, Column.PATIENT_PAID, Column.REFUNDED
#: The columns that settle a charge; what they leave is the insurance balance.
_SETTLED_COLUMNS = (
    Column.PAYER_PAID, Column.CONTRACTUAL, Column.PAYER_OA, Column.PAYER_PI, Column.PAYER_CR,
    Column.PR, Column.WRITTEN_OFF,
)  # fmt: skip
#: Columns whose CARC is a PR CARC (patient money applied to PR names the CARC it paid).
_PR_CARC_COLUMNS = frozenset(
    {Column.PR, Column.WRITTEN_OFF, Column.CANCELLED, Column.PATIENT_PAID, Column.REFUNDED}
)


@dataclass(frozen=True, slots=True)
class Entry:
    """One signed movement of cents in one column of one procedure.

    procedure_id: the procedure whose column changes.
    column: which column (see ``Column``).
    carc: the CARC for CARC-keyed columns and for patient money applied to PR; "" otherwise, and
        "" on patient_paid/refunded for unapplied credit.
    amount_cents: signed; never zero (a zero entry says nothing and the database refuses it).
    payment_id: the patient payment the cents belong to, on patient_paid/refunded entries, so a
        refund can find what a payment paid; None elsewhere.
    """

    procedure_id: int
    column: Column
    carc: str
    amount_cents: int
    payment_id: int | None = None

    def __post_init__(self) -> None:
        assert isinstance(self.amount_cents, int) and not isinstance(self.amount_cents, bool)
        assert self.amount_cents != 0, "zero entries are never written"

    def negated(self) -> Entry:
        return Entry(self.procedure_id, self.column, self.carc, -self.amount_cents, self.payment_id)


def net_by_key(entries: Iterable[Entry]) -> dict[Key, int]:
    """Sum entries per (column, CARC), dropping keys that net to zero."""
    sums: dict[Key, int] = {}
    for entry in entries:
        key = (entry.column, entry.carc)
        sums[key] = sums.get(key, 0) + entry.amount_cents
    return {key: cents for key, cents in sums.items() if cents}


@dataclass(frozen=True)
class Balance:
    """Cents per (column, CARC); absent keys are zero."""

    amounts: Mapping[Key, int] = field(default_factory=lambda: MappingProxyType({}))
    #: Figures derived from ``amounts`` on first use (PR CARCs): an import reads the same
    #: balance many times. Not part of the value.
    _derived: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def of(cls, amounts: Mapping[Key, int]) -> Balance:
        return cls(MappingProxyType({k: v for k, v in amounts.items() if v}))

    @classmethod
    def from_entries(cls, entries: Iterable[Entry]) -> Balance:
        return cls.of(net_by_key(entries))

    def plus(self, entries: Iterable[Entry]) -> Balance:
        sums = dict(self.amounts)
        for key, cents in net_by_key(entries).items():
            sums[key] = sums.get(key, 0) + cents
        return Balance.of(sums)

    def __add__(self, other: Balance) -> Balance:
        sums = dict(self.amounts)
        for key, cents in other.amounts.items():
            sums[key] = sums.get(key, 0) + cents
        return Balance.of(sums)

    @classmethod
    def total(cls, balances: Iterable[Balance]) -> Balance:
        """The sum, added into one dict (a patient's balance adds up every procedure's)."""
        sums: dict[Key, int] = {}
        for balance in balances:
            for key, cents in balance.amounts.items():
                sums[key] = sums.get(key, 0) + cents
        return cls.of(sums)

    # -- raw columns -------------------------------------------------------------------------
    def amount(self, column: Column, carc: str = "") -> int:
        return self.amounts.get((column, carc), 0)

    def column_total(self, column: Column) -> int:
        return self._totals.get(column, 0)

    @cached_property
    def _totals(self) -> dict[Column, int]:
        """Per column, summed on first use: every figure of a page reads a column total (a
        cached property, once set, is a plain attribute read)."""
        totals: dict[Column, int] = {}
        for (column, _), cents in self.amounts.items():
            totals[column] = totals.get(column, 0) + cents
        return totals

    def by_carc(self, column: Column) -> dict[str, int]:
        return {carc: cents for (col, carc), cents in self.amounts.items() if col == column}

    # -- the DESIGN.md columns ----------------------------------------------------------------
    @property
    def charge(self) -> int:
        return self.amount(Column.CHARGE)

    @property
    def payer_paid(self) -> int:
        return self.amount(Column.PAYER_PAID)

    @property
    def contractual(self) -> int:
        return self.column_total(Column.CONTRACTUAL)

    @property
    def payer_other(self) -> int:
        return sum(
            self.column_total(c) for c in (Column.PAYER_OA, Column.PAYER_PI, Column.PAYER_CR)
        )

    @property
    def pr_net(self) -> int:
        return self.column_total(Column.PR)

    @property
    def other_adjustments(self) -> int:
        """Written-off PR: the seed's "Other Adjustments" column."""
        return self.column_total(Column.WRITTEN_OFF)

    @property
    def cancelled(self) -> int:
        return self.column_total(Column.CANCELLED)

    @property
    def patient_paid(self) -> int:
        return self.column_total(Column.PATIENT_PAID)

    @property
    def refunded(self) -> int:
        return self.column_total(Column.REFUNDED)

    @property
    def insurance_balance(self) -> int:
        """What is not yet paid, adjusted or assigned to the patient; cancelled PR returns here.

        charge - payer paid - contractual - payer other - PR - other adjustments (written off).
        """
        totals = self._totals
        return totals.get(_CHARGE, 0) - sum(totals.get(c, 0) for c in _SETTLED_COLUMNS)

    @property
    def patient_balance(self) -> int:
        """What the patient owes now; negative means the patient has a credit."""
        return self.pr_net - (self.patient_paid - self.refunded)

    @property
    def credit(self) -> int:
        """Patient money received but applied to no PR (refundable or applicable later)."""
        return self.amount(Column.PATIENT_PAID) - self.amount(Column.REFUNDED)

    # -- per PR CARC ----------------------------------------------------------------------------
    def pr_carcs(self) -> tuple[str, ...]:
        """Every PR CARC this balance has seen, in PR_ORDER."""
        carcs: tuple[str, ...] | None = self._derived.get("pr_carcs")
        if carcs is None:
            seen = {carc for (col, carc) in self.amounts if carc and col in _PR_CARC_COLUMNS}
            carcs = self._derived["pr_carcs"] = tuple(sorted(seen, key=pr_sort_key))
        return carcs

    def assigned(self, carc: str) -> int:
        """PR ever assigned for the CARC and still standing as assigned (net of reversals)."""
        return (
            self.amount(Column.PR, carc)
            + self.amount(Column.WRITTEN_OFF, carc)
            + self.amount(Column.CANCELLED, carc)
        )

    def paid_applied(self, carc: str) -> int:
        """Patient money applied to the CARC's PR, less refunds of it."""
        return self.amount(Column.PATIENT_PAID, carc) - self.amount(Column.REFUNDED, carc)

    def pr_paid(self) -> int:
        """Patient money applied to PR over all CARCs, less refunds (credit not included)."""
        return sum(self.paid_applied(carc) for carc in self.pr_carcs())

    def open_pr(self, carc: str) -> int:
        """PR of the CARC still to collect: assigned − paid − written off − cancelled."""
        return self.amount(Column.PR, carc) - self.paid_applied(carc)

    def open_pr_by_carc(self) -> dict[str, int]:
        return {carc: cents for carc in self.pr_carcs() if (cents := self.open_pr(carc))}

    def total_open_pr(self) -> int:
        return sum(self.open_pr(carc) for carc in self.pr_carcs())

    def by_category(self, column: Column) -> dict[str, int]:
        """A CARC-keyed PR column folded into deductible / coinsurance / copay / other."""
        result = dict.fromkeys(PR_CATEGORIES, 0)
        for carc, cents in self.by_carc(column).items():
            if carc:
                result[pr_category(carc)] += cents
        return result


def identity_violations(balance: Balance) -> list[str]:
    """The DESIGN.md identities this balance breaks; empty when it is sound.

    Used by tests, by ``verify`` and as a post-condition of every planned action.
    """
    problems: list[str] = []
    insurance = balance.insurance_balance
    if insurance < 0:
        problems.append(f"insurance balance is negative ({insurance})")
    amounts = balance.amounts
    for carc in balance.pr_carcs():
        pr = amounts.get((_PR, carc), 0)
        written_off = amounts.get((_WRITTEN_OFF, carc), 0)
        cancelled = amounts.get((_CANCELLED, carc), 0)
        for column, cents in ((_PR, pr), (_WRITTEN_OFF, written_off), (_CANCELLED, cancelled)):
            if cents < 0:
                problems.append(f"{column} for CARC {carc} is negative")
        paid = amounts.get((_PATIENT_PAID, carc), 0) - amounts.get((_REFUNDED, carc), 0)
        if not 0 <= paid <= pr:
            problems.append(f"paid {paid} for CARC {carc} outside 0..PR")
        if not 0 <= written_off + cancelled + paid <= pr + written_off + cancelled:
            problems.append(f"written off + cancelled + paid exceeds assigned for CARC {carc}")
    for carc in ("", *balance.pr_carcs()):
        refunded = amounts.get((_REFUNDED, carc), 0)
        if refunded < 0 or amounts.get((_PATIENT_PAID, carc), 0) < refunded:
            problems.append(f"refunds exceed payments for CARC {carc or 'credit'}")
    return problems
