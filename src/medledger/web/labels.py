"""The words the screens use for figures, CARCs and ledger lines, in one place so that the patient
profile, the posting tool and the history call every column the same."""

from __future__ import annotations

from medledger.domain.columns import Column, pr_category

#: What every table calls a figure (domain.preview.figures, and the payer's allowed amount).
FIGURE_LABELS = {
    "charge": "Charge",
    "allowed": "Allowed",
    "payer_paid": "Ins. paid",
    "contractual": "Contractual",
    "payer_other": "Payer adj.",
    "deductible": "Deductible",
    "coinsurance": "Coinsurance",
    "copay": "Copay",
    "other_pr": "Other PR",
    "other_adjustments": "Other adj.",
    "patient_paid": "Pt. paid",
    "patient_balance": "Pt. balance",
}

#: The columns of a charge in the patient's Charges tab.
CHARGE_FIGURES = tuple(key for key in FIGURE_LABELS if key != "allowed")

#: The Payment Items Table's value columns: the payer's figures, PR by category, write-offs
#: ("Other adjustments", where the seed moves written-off PR) and the patient balance.
ITEM_FIGURES = tuple(key for key in FIGURE_LABELS if key != "patient_paid")

#: The PR figures whose cells of a preview row edit the write-off amounts.
PR_FIGURES = ("deductible", "coinsurance", "copay", "other_pr")

_CATEGORY_NAMES = {
    "deductible": "Deductible",
    "coinsurance": "Coinsurance",
    "copay": "Copay",
    "other": "Other PR",
}

KIND_LABELS = {
    "charge": "Charge",
    "estimate": "Estimated PR",
    "adjudication": "Remittance",
    "payment": "Patient payment",
    "refund": "Refund",
    "credit_application": "Credit applied",
    "write_off": "Write-off",
    "cancellation": "PR cancelled",
    "reversal": "Reversal",
}

COLUMN_LABELS = {
    Column.CHARGE: "charge",
    Column.PAYER_PAID: "insurance paid",
    Column.CONTRACTUAL: "contractual",
    Column.PAYER_OA: "payer OA",
    Column.PAYER_PI: "payer PI",
    Column.PAYER_CR: "payer correction",
    Column.PR: "PR",
    Column.WRITTEN_OFF: "other adjustments (written off)",
    Column.CANCELLED: "cancelled",
    Column.PATIENT_PAID: "patient paid",
    Column.REFUNDED: "refunded",
}


def carc_label(carc: str) -> str:
    """ "Coinsurance (PR-2)"; other PR CARCs keep their number: "Other PR (PR-96)"."""
    return f"{_CATEGORY_NAMES[pr_category(carc)]} (PR-{carc})"


def figure_carcs(figure: str, carcs: list[str]) -> list[str]:
    """The CARCs among ``carcs`` that a PR figure column ("coinsurance", "other_pr") shows."""
    category = "other" if figure == "other_pr" else figure
    return [carc for carc in carcs if pr_category(carc) == category]


#: CLP02, the payer's claim status, in words.
CLAIM_STATUS = {
    "1": "Processed as primary",
    "2": "Processed as secondary",
    "3": "Processed as tertiary",
    "4": "Denied",
    "19": "Primary, forwarded",
    "20": "Secondary, forwarded",
    "21": "Tertiary, forwarded",
    "22": "Reversal of a previous payment",
    "23": "Not our claim, forwarded",
}
