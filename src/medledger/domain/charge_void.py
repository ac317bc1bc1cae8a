"""Voiding a charge entered in error: the charge taken back by a negative charge entry.

A charge may be taken back only while nothing but the charge stands on the procedure: once a
payer paid or adjusted it, PR was assigned, or the patient paid, the money that moved against it
has to be undone first (a reversal, a refund), or the ledger would hold payments against
nothing. The 837 import's replacements and voids ask the same question (``money_moved``).
"""

from __future__ import annotations

from medledger.domain.balance import Balance, Entry
from medledger.domain.columns import Column
from medledger.domain.errors import LedgerError
from medledger.domain.permission import Permission


class NothingToVoid(LedgerError):
    code = "nothing-to-void"
    status = 409


class MoneyMovedOnCharge(LedgerError):
    code = "money-moved-on-charge"
    status = 409


def money_moved(balance: Balance) -> bool:
    """Whether any column but the charge holds cents: a payer's answer, PR, a write-off, a
    patient's payment or refund."""
    return any(
        cents and column is not Column.CHARGE for (column, _), cents in balance.amounts.items()
    )


def can_void_charge(balance: Balance) -> Permission:
    """Whether the procedure's charge can be voided now, and if not, why not (a voided charge
    stands at zero)."""
    if not balance.charge:
        return Permission.deny(NothingToVoid("this charge is voided already (or was zero)"))
    if money_moved(balance):
        return Permission.deny(
            MoneyMovedOnCharge(
                "money has moved against this charge (a payer's answer, PR, a write-off or a "
                "payment); reverse or refund that first"
            )
        )
    return Permission.grant({"": balance.charge})


def void_entries(procedure_id: int, balance: Balance) -> list[Entry]:
    """The entry taking the charge back, after the checks of ``can_void_charge``."""
    can_void_charge(balance).raise_if_denied()
    return [Entry(procedure_id, Column.CHARGE, "", -balance.charge)]
