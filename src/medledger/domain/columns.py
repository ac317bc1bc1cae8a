"""The columns of a procedure and the PR CARCs that matter most.

A ledger entry moves cents into or out of one column of one procedure, optionally for one CARC.
Columns keyed by CARC keep the CARC so that a write-off of coinsurance stays a write-off of
coinsurance in every report.
"""

from __future__ import annotations

from enum import StrEnum


class Column(StrEnum):
    """One column of a procedure's account (DESIGN.md "Columns of a procedure")."""

    CHARGE = "charge"
    PAYER_PAID = "payer_paid"
    CONTRACTUAL = "contractual"  # CAS group CO, by CARC
    PAYER_OA = "payer_oa"  # CAS group OA, by CARC
    PAYER_PI = "payer_pi"  # CAS group PI, by CARC
    PAYER_CR = "payer_cr"  # CAS group CR, by CARC
    PR = "pr"  # patient responsibility still owed or paid, net of write-offs and cancellations
    WRITTEN_OFF = "written_off"  # "Other Adjustments": PR the practice chose not to collect
    CANCELLED = "cancelled"  # PR declared wrong; these cents are back in the insurance balance
    PATIENT_PAID = "patient_paid"  # by the PR CARC paid; CARC "" is unapplied credit
    REFUNDED = "refunded"  # by the PR CARC (or "" credit) the refunded money had paid


#: Columns whose entries name a CARC. The others use the empty string.
CARC_COLUMNS = frozenset(
    {
        Column.CONTRACTUAL,
        Column.PAYER_OA,
        Column.PAYER_PI,
        Column.PAYER_CR,
        Column.PR,
        Column.WRITTEN_OFF,
        Column.CANCELLED,
    }
)

#: CAS group code -> the column its adjustments land in.
GROUP_COLUMNS: dict[str, Column] = {
    "CO": Column.CONTRACTUAL,
    "OA": Column.PAYER_OA,
    "PI": Column.PAYER_PI,
    "CR": Column.PAYER_CR,
    "PR": Column.PR,
}

DEDUCTIBLE = "1"
COINSURANCE = "2"
COPAY = "3"

#: The three PR CARCs with a column of their own; every other PR CARC shows under "other PR".
PR_CATEGORY_BY_CARC = {DEDUCTIBLE: "deductible", COINSURANCE: "coinsurance", COPAY: "copay"}
PR_CATEGORIES = ("deductible", "coinsurance", "copay", "other")

#: The order in which money and write-offs take PR when the user gives one total:
#: copay first (collected at the desk), then coinsurance, then deductible, then any other PR.
PR_ORDER = (COPAY, COINSURANCE, DEDUCTIBLE)


def pr_category(carc: str) -> str:
    """deductible / coinsurance / copay / other, for display and reports."""
    return PR_CATEGORY_BY_CARC.get(carc, "other")


def pr_sort_key(carc: str) -> tuple[int, str]:
    """Sort key putting CARCs in PR_ORDER, then other PR CARCs by number."""
    if carc in PR_ORDER:
        return (PR_ORDER.index(carc), "")
    return (len(PR_ORDER), carc.zfill(4))


def valid_carc(carc: str) -> bool:
    """CARCs are short alphanumeric codes ("1", "45", "B7", "P14")."""
    return 0 < len(carc) <= 5 and carc.isalnum()
