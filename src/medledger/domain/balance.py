"""Entries and the balances they add up to.

A ``Balance`` is the sum of entries, so one class serves a procedure, an encounter and a patient:
the encounter's balance is exactly the sum of its procedures' balances (DESIGN.md). Every figure a
screen shows (insurance balance, open PR, credit, patient balance) is derived here, in one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from medledger.domain.columns import PR_CATEGORIES, Column, pr_category, pr_sort_key

Key = tuple[Column, str]


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
        result = cls()
        for balance in balances:
            result = result + balance
        return result

    # -- raw columns -------------------------------------------------------------------------
    def amount(self, column: Column, carc: str = "") -> int:
        return self.amounts.get((column, carc), 0)

    def column_total(self, column: Column) -> int:
        return sum(cents for (col, _), cents in self.amounts.items() if col == column)

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
        """What is not yet paid, adjusted or assigned to the patient; cancelled PR returns here."""
        return (
            self.charge
            - self.payer_paid
            - self.contractual
            - self.payer_other
            - self.pr_net
            - self.other_adjustments
        )

    @property
    def patient_balance(self) -> int:
        """What the patient owes now; negative means the patient has a credit."""
        return self.pr_net - (self.patient_paid - self.refunded)

    @property
    def credit(self) -> int:
        """Patient money received but applied to no PR (refundable or applicable later)."""
        return self.amount(Column.PATIENT_PAID) - self.amount(Column.REFUNDED)

    # -- per PR CARC ----------------------------------------------------------------------------
    def pr_carcs(self) -> list[str]:
        """Every PR CARC this balance has seen, in PR_ORDER."""
        carcs = {
            carc
            for (col, carc) in self.amounts
            if carc
            and col
            in (
                Column.PR,
                Column.WRITTEN_OFF,
                Column.CANCELLED,
                Column.PATIENT_PAID,
                Column.REFUNDED,
            )
        }
        return sorted(carcs, key=pr_sort_key)

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
        return {carc: self.open_pr(carc) for carc in self.pr_carcs() if self.open_pr(carc)}

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
    if balance.insurance_balance < 0:
        problems.append(f"insurance balance is negative ({balance.insurance_balance})")
    for carc in balance.pr_carcs():
        assigned = balance.assigned(carc)
        for column in (Column.PR, Column.WRITTEN_OFF, Column.CANCELLED):
            if balance.amount(column, carc) < 0:
                problems.append(f"{column} for CARC {carc} is negative")
        paid = balance.paid_applied(carc)
        used = balance.amount(Column.WRITTEN_OFF, carc) + balance.amount(Column.CANCELLED, carc)
        if not 0 <= paid <= balance.amount(Column.PR, carc):
            problems.append(f"paid {paid} for CARC {carc} outside 0..PR")
        if not 0 <= used + paid <= assigned:
            problems.append(f"written off + cancelled + paid exceeds assigned for CARC {carc}")
    for carc in ["", *balance.pr_carcs()]:
        if balance.amount(Column.REFUNDED, carc) < 0 or balance.amount(
            Column.PATIENT_PAID, carc
        ) < balance.amount(Column.REFUNDED, carc):
            problems.append(f"refunds exceed payments for CARC {carc or 'credit'}")
    return problems
