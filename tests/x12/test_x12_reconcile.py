"""Balancing at line, claim and transaction level (TR3 1.10.2), with positions and differences."""

from __future__ import annotations

import pytest

from medledger.x12 import ReconciliationError, Remittance, check, imbalances
from tests.x12.x12_testkit import VALID_BODY, body_position, build, parse_text


def with_body(*replacements: tuple[str, str], extra: tuple[str, ...] = ()) -> Remittance:
    body = list(VALID_BODY)
    for old, new in replacements:
        body[body.index(old)] = new
    if extra:
        at = body.index("CLP*PCN002*4*500.00*0**12*PAYERCLM2")
        body[at:at] = extra
    (remittance,) = parse_text(build((body,)))
    return remittance


def test_the_valid_file_balances() -> None:
    (remittance,) = parse_text(build())
    check(remittance)
    assert imbalances(remittance) == []


def test_line_imbalance() -> None:
    remittance = with_body(
        ("SVC*HC:99213:25*600.00*450.00**1", "SVC*HC:99213:25*600.00*449.99**1"),
    )
    with pytest.raises(ReconciliationError) as caught:
        check(remittance)
    error = caught.value
    assert (error.position, error.segment_id, error.difference_cents) == (
        body_position("SVC*HC:99213"),
        "SVC",
        1,
    )
    assert "line HC:99213: SVC02 600.00 - adjustments 150.00 != SVC03 449.99" in str(error)
    assert len(imbalances(remittance)) == 1


def test_claim_imbalance() -> None:
    remittance = with_body(
        ("CLP*PCN004*1*700.00*500.00*0*12*PAYERCLM4", "CLP*PCN004*1*700.00*500.01*0*12*PAYERCLM4"),
        (VALID_BODY[0], VALID_BODY[0].replace("990.50", "990.51")),
    )
    with pytest.raises(ReconciliationError) as caught:
        check(remittance)
    error = caught.value
    assert (error.position, error.segment_id, error.difference_cents) == (
        body_position("CLP*PCN004"),
        "CLP",
        -1,
    )
    assert "claim 'PCN004': CLP03 700.00" in str(error)


def test_claim_level_cas_counts_with_line_level_cas() -> None:
    """PCN001: 1000.00 - (claim CO*45 100.00 + line CAS 200.00) = 700.00 although lines pay 800."""
    (remittance,) = parse_text(build())
    claim = remittance.claims[0]
    assert sum(line.paid_cents for line in claim.lines) == 80000
    assert claim.paid_cents == 70000
    check(remittance)


def test_lines_that_charge_more_than_their_claim() -> None:
    remittance = with_body(
        extra=("SVC*HC:99999*742.00*742.00**1",),
    )
    with pytest.raises(ReconciliationError) as caught:
        check(remittance)
    error = caught.value
    assert (error.position, error.segment_id, error.difference_cents) == (
        body_position("CLP*PCN001"),
        "CLP",
        74200,
    )
    assert "service lines charge 1742.00" in str(error)


def test_partial_line_detail_is_allowed() -> None:
    """TR3: institutional claims may itemise only some lines; unreported lines are paid as billed."""
    body = (
        *VALID_BODY[:10],
        "LX*1",
        "CLP*INPT1*1*1000.00*900.00**12*PAYER1",
        "NM1*QC*1*DOE*JOHN",
        "SVC*NU:0300*600.00*500.00**1",
        "CAS*CO*45*100.00",
        "PLB*1234567893*20241231*WO:OLDCLAIM*10.00*L6*-0.50",
    )
    body = (body[0].replace("990.50", "890.50"), *body[1:])
    (remittance,) = parse_text(build((body,)))
    check(remittance)


def test_transaction_imbalance_and_difference_sign() -> None:
    remittance = with_body((VALID_BODY[0], VALID_BODY[0].replace("990.50", "1000.50")))
    with pytest.raises(ReconciliationError) as caught:
        check(remittance)
    error = caught.value
    assert (error.position, error.segment_id, error.difference_cents) == (4, "BPR", -1000)
    assert "sum of CLP04 1000.00 - sum of PLB 9.50 = 990.50 but BPR02 pays 1000.50" in str(error)


def test_provider_adjustments_reduce_the_payment() -> None:
    (remittance,) = parse_text(build())
    assert sum(p.amount_cents for p in remittance.provider_adjustments) == 950
    assert sum(c.paid_cents for c in remittance.claims) - 950 == remittance.payment_amount_cents


def test_debit_remittance() -> None:
    """BPR03 'D': the provider owes; sum(CLP04) - sum(PLB) must equal minus BPR02."""
    body = (
        "BPR*D*150.00*D*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*20240105",
        *VALID_BODY[1:10],
        "CLP*PCN003*22*-200.00*-200.00**12*PAYERCLM3",
        "NM1*QC*1*DOE*JANE",
        "CLP*PCN005*1*100.00*50.00**12*PAYERCLM5",
        "CAS*PR*1*50.00",
        "NM1*QC*1*DOE*JANE",
    )
    (remittance,) = parse_text(build((body,)))
    assert remittance.net_payment_cents == -15000
    check(remittance)
    credit = body[0].replace("*D*ACH", "*C*ACH")
    (wrong,) = parse_text(build(((credit, *body[1:]),)))
    with pytest.raises(ReconciliationError) as caught:
        check(wrong)
    assert caught.value.difference_cents == -30000


def test_all_imbalances_are_listed_in_file_order() -> None:
    remittance = with_body(
        ("SVC*HC:85025*400.00*350.00**1", "SVC*HC:85025*400.00*340.00**1"),
        (VALID_BODY[0], VALID_BODY[0].replace("990.50", "990.00")),
    )
    found = imbalances(remittance)
    assert [(e.segment_id, e.difference_cents) for e in found] == [("SVC", 1000), ("BPR", 50)]
