"""The 835 reader: records, the envelope checks, loop order and every element-level refusal."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import replace

import pytest

from medledger.x12 import (
    BadAmount,
    BadCode,
    BadDate,
    MalformedEnvelope,
    MalformedSegment,
    NotAnERA,
    TruncatedFile,
    X12Error,
    X12Warning,
    read_remittances,
)
from tests.x12.x12_testkit import (
    VALID_BODY,
    body_position,
    build,
    parse_and_check,
    parse_text,
    replace_segment,
)

VALID = build()


def refusal(text: str) -> X12Error:
    with pytest.raises(X12Error) as caught:
        parse_and_check(text)
    return caught.value


def with_body(*replacements: tuple[str, str]) -> str:
    body = list(VALID_BODY)
    for old, new in replacements:
        body[body.index(old)] = new
    return build((body,))


# -- records -----------------------------------------------------------------------------------


def test_remittance_fields() -> None:
    (r,) = parse_and_check(VALID)
    assert (r.control_number, r.position) == ("0001", 3)
    assert (r.handling_code, r.payment_amount_cents, r.credit_debit_flag) == ("I", 99050, "C")
    assert (r.payment_method, r.payment_date) == ("ACH", dt.date(2024, 1, 5))
    assert (r.trace_number, r.payer_id) == ("EFT0001", "1512345678")
    assert (r.payer_name, r.payer_identifier) == ("ACME HEALTH PLAN", "PAYER01")
    assert (r.payee_name, r.payee_id_qualifier, r.payee_id) == ("GOOD CLINIC", "XX", "1234567893")
    assert (r.interchange_control_number, r.group_control_number) == ("000000001", "17")
    assert r.version == "005010X221A1"
    assert [c.patient_control_number for c in r.claims] == ["PCN001", "PCN002", "PCN003", "PCN004"]
    wo, l6 = r.provider_adjustments
    assert (wo.provider_id, wo.fiscal_period_date) == ("1234567893", dt.date(2024, 12, 31))
    assert (wo.reason_code, wo.reference, wo.amount_cents) == ("WO", "OLDCLAIM", 1000)
    assert (l6.reason_code, l6.reference, l6.amount_cents) == ("L6", None, -50)
    assert wo.position == l6.position == body_position("PLB")


def test_claim_and_line_fields() -> None:
    (r,) = parse_and_check(VALID)
    claim = r.claims[0]
    assert claim.position == body_position("CLP*PCN001")
    assert (claim.status_code, claim.charge_cents, claim.paid_cents) == ("1", 100000, 70000)
    assert claim.patient_responsibility_cents == 15000
    assert (claim.claim_filing_indicator, claim.payer_claim_control_number) == ("12", "PAYERCLM1")
    assert (claim.patient_last_name, claim.patient_first_name, claim.patient_member_id) == (
        "DOE",
        "JANE",
        "MEMBER01",
    )
    assert (claim.statement_date_from, claim.statement_date_to) == (
        dt.date(2023, 12, 1),
        dt.date(2023, 12, 2),
    )
    assert [(a.group_code, a.carc, a.amount_cents) for a in claim.adjustments] == [
        ("CO", "45", 10000)
    ]
    first, second = claim.lines
    assert (first.code_qualifier, first.procedure_code, first.modifiers) == ("HC", "99213", ("25",))
    assert (first.charge_cents, first.paid_cents, first.allowed_cents) == (60000, 45000, 55000)
    assert (first.units, first.revenue_code, first.original_procedure_code) == ("1", None, None)
    assert first.service_date_from == first.service_date_to == dt.date(2023, 12, 1)
    assert (first.line_item_control_number, first.remark_codes) == ("LINE1", ("N130",))
    assert [(a.group_code, a.carc, a.amount_cents, a.quantity) for a in first.adjustments] == [
        ("CO", "45", 5000, None),
        ("PR", "1", 10000, "1"),
    ]
    assert first.position == body_position("SVC*HC:99213")
    assert (second.service_date_from, second.service_date_to) == (
        dt.date(2023, 12, 1),
        dt.date(2023, 12, 2),
    )
    assert len(claim.all_adjustments) == 4
    reversal = r.claims[2]
    assert (reversal.status_code, reversal.charge_cents, reversal.paid_cents) == (
        "22",
        -20000,
        -20000,
    )
    assert (reversal.patient_member_id, r.claims[1].patient_member_id) == ("MEMBER01", None)


def test_records_are_frozen() -> None:
    (r,) = parse_and_check(VALID)
    with pytest.raises(AttributeError):
        r.claims[0].paid_cents = 1  # type: ignore[misc]


def test_cas_with_six_triples_and_quantities() -> None:
    cas = "CAS*PR*1*10.00*1*2*20.00**3*30.00*2*45*40.00**94*-5.00**253*5.00"
    text = with_body(
        ("CAS*PR*2*50.00", cas),
        ("SVC*HC:85025*400.00*350.00**1", "SVC*HC:85025*400.00*300.00**1"),
        (
            "CLP*PCN001*1*1000.00*700.00*150.00*12*PAYERCLM1*11*1",
            "CLP*PCN001*1*1000.00*650.00*150.00*12*PAYERCLM1*11*1",
        ),
        (VALID_BODY[0], VALID_BODY[0].replace("990.50", "940.50")),
    )
    (r,) = parse_and_check(text)
    adjustments = r.claims[0].lines[1].adjustments
    assert [(a.carc, a.amount_cents, a.quantity) for a in adjustments] == [
        ("1", 1000, "1"),
        ("2", 2000, None),
        ("3", 3000, "2"),
        ("45", 4000, None),
        ("94", -500, None),
        ("253", 500, None),
    ]
    assert {a.group_code for a in adjustments} == {"PR"}


def test_svc01_with_four_modifiers_a_description_and_svc06() -> None:
    svc = "SVC*HC:97530:GP:59:UB:KX:THERAPY*400.00*350.00*0431*2*HC:97110*3"
    (r,) = parse_and_check(with_body(("SVC*HC:85025*400.00*350.00**1", svc)))
    line = r.claims[0].lines[1]
    assert line.modifiers == ("GP", "59", "UB", "KX")
    assert (line.revenue_code, line.units) == ("0431", "2")
    assert (line.original_code_qualifier, line.original_procedure_code) == ("HC", "97110")


def test_dtm_range_format_rd8() -> None:
    text = with_body(("DTM*472*20231201", "DTM*472****RD8*20231201-20231205"))
    (r,) = parse_and_check(text)
    line = r.claims[0].lines[0]
    assert (line.service_date_from, line.service_date_to) == (
        dt.date(2023, 12, 1),
        dt.date(2023, 12, 5),
    )


def test_segments_not_needed_are_skipped() -> None:
    extra_header = ("CUR*PR*USD", "RDM*BM*JANE DOE", "PER*CX*TE*8005551212", "N2*ADDITIONAL NAME")
    extra_claim = (
        "MIA*0***138.40",
        "NM1*IL*1*DOE*JOHN****MI*SUB01",
        "NM1*TT*2*CROSSOVER PLAN*****PI*99",
        "REF*1L*GROUP1",
        "DTM*050*20231210",
        "DTM*036*20241231",
        "PER*CX*CLAIMS*TE*8005551212",
        "QTY*CA*2",
    )
    extra_line = ("QTY*ZK*1", "REF*LU*11", "AMT*KH*5.00", "DTM*405*20231201", "REF*1B*44280")
    body = list(VALID_BODY)
    body[9:9] = extra_header
    at = body.index("MOA***MA01")
    body[at:at] = extra_claim
    at = body.index("LQ*HE*N130")
    body[at:at] = extra_line
    body.insert(body.index("LX*1") + 2, "TS2*2178.45*1919.71")
    assert summary(build((body,))) == summary(VALID)


def summary(text: str) -> list[object]:
    """Everything but the positions (which move when segments are inserted)."""
    (r,) = parse_and_check(text)
    out: list[object] = [r.payer_name, r.payee_id, r.trace_number, r.payment_amount_cents]
    for claim in r.claims:
        out.append(replace(claim, position=0, lines=()))
        out.extend(replace(line, position=0) for line in claim.lines)
    out.extend(replace(p, position=0) for p in r.provider_adjustments)
    return out


def test_4010_cr_group_and_no_repetition_separator() -> None:
    body = list(VALID_BODY)
    body[body.index("CAS*PR*2*50.00")] = "CAS*CR*2*50.00"
    text = build((body,)).replace("*^*00501*", "*U*00401*")
    (r,) = parse_and_check(text)
    assert r.claims[0].lines[1].adjustments[0].group_code == "CR"


def test_several_transaction_sets_and_groups() -> None:
    one = build((VALID_BODY, VALID_BODY))
    first, second = parse_and_check(one)
    assert (first.control_number, second.control_number) == ("0001", "0002")
    assert second.position == 3 + len(VALID_BODY) + 2
    group = one[one.index("GS*") : one.index("IEA*")]
    two_groups = one.replace("IEA*1*", "IEA*2*").replace(group, group + group)
    assert len(parse_and_check(two_groups)) == 4


def test_remittances_stream_out_before_the_trailer_is_checked() -> None:
    """Streaming: a set is yielded at its SE; a later envelope error is raised after it."""
    text = build((VALID_BODY, VALID_BODY)).replace("GE*2*17~", "GE*2*17~GE*2*17~")
    remittances = read_remittances(io.StringIO(text))
    assert next(remittances).control_number == "0001"
    assert next(remittances).control_number == "0002"
    with pytest.raises(MalformedEnvelope, match="GE out of place: expected GS or IEA"):
        next(remittances)


# -- envelope ----------------------------------------------------------------------------------

SEGMENT_COUNT = len(VALID_BODY) + 6


@pytest.mark.parametrize("kept", range(1, SEGMENT_COUNT))
def test_truncated_after_any_segment(kept: int) -> None:
    """Cut after segment ``kept``: always refused, naming the last segment that is there."""
    pieces = VALID.split("~")
    text = "~".join(pieces[:kept]) + "~"
    error = refusal(text)
    assert isinstance(error, TruncatedFile), error
    assert error.position == kept
    assert f"the file ends after segment {kept} (" in str(error)


@pytest.mark.parametrize(
    ("missing", "fragment"),
    [
        ("IEA*1*000000001~", "without GS or IEA in the interchange begun at segment 1"),
        ("GE*1*17~IEA*1*000000001~", "without ST or GE in the group begun at segment 2"),
    ],
)
def test_missing_trailers(missing: str, fragment: str) -> None:
    error = refusal(VALID.replace(missing, ""))
    assert isinstance(error, TruncatedFile)
    assert fragment in str(error)


def test_missing_se() -> None:
    text = VALID.replace(f"SE*{len(VALID_BODY) + 2}*0001~", "")
    error = refusal(text)
    assert isinstance(error, MalformedEnvelope)
    assert error.segment_id == "GE"
    assert "GE out of place: expected SE closing transaction set '0001' begun at segment 3" in str(
        error
    )


SE = f"SE*{len(VALID_BODY) + 2}*0001~"


@pytest.mark.parametrize(
    ("old", "new", "error_type", "segment_id", "fragment"),
    [
        (SE, "SE*X*0001~", MalformedEnvelope, "SE", "SE01 'X' is not a count"),
        (
            "ST*835*0001~",
            "ST*837*0001~",
            NotAnERA,
            "ST",
            "ST01 '837': the transaction set is not an 835",
        ),
        ("GS*HP*", "GS*HC*", NotAnERA, "GS", "GS01 'HC'"),
        (
            "GS*HP*SENDER*RECEIVER*20240102*1200*17*",
            "GS*HP*SENDER*RECEIVER*20240102*1200**",
            MalformedSegment,
            "GS",
            "GS06 (group control number) is missing",
        ),
        (
            "ST*835*0001~",
            "ST*835~",
            MalformedSegment,
            "ST",
            "ST02 (transaction set control number) is missing",
        ),
        (
            "IEA*1*000000001~",
            "IEA*1*000000001~TRN*1*2*3~",
            MalformedEnvelope,
            "TRN",
            "TRN segment outside a transaction set (expected ISA)",
        ),
        (
            "GE*1*17~",
            "N1*PR*X~GE*1*17~",
            MalformedEnvelope,
            "N1",
            "N1 segment outside a transaction set (expected ST or GE",
        ),
        (
            "ST*835*0001~",
            "GS*HP*A*B*20240102*1200*18*X*005010X221A1~ST*835*0001~",
            MalformedEnvelope,
            "GS",
            "GS out of place",
        ),
        (
            "GS*HP*",
            "IEA*0*000000001~GE*0*17~GS*HP*",
            MalformedEnvelope,
            "GE",
            "GE out of place: expected ISA",
        ),
    ],
)
def test_envelope_refusals(
    old: str, new: str, error_type: type[X12Error], segment_id: str, fragment: str
) -> None:
    error = refusal(VALID.replace(old, new, 1))
    assert type(error) is error_type, error
    assert error.segment_id == segment_id
    assert fragment in str(error), str(error)


@pytest.mark.parametrize(
    ("old", "new", "warning"),
    [
        (SE, "SE*12*0001~", "segment 45 (SE): SE01 says 12 segments but transaction set '0001' "
         "(ST at segment 3) has 43"),
        (SE, f"SE*{len(VALID_BODY) + 2}*0002~",
         "segment 45 (SE): SE02 '0002' does not match ST02 '0001'"),
        ("GE*1*17~", "GE*2*17~",
         "segment 46 (GE): GE01 says 2 transaction sets but the group (GS at segment 2) has 1"),
        ("GE*1*17~", "GE*1*18~", "segment 46 (GE): GE02 '18' does not match GS06 '17'"),
        ("IEA*1*000000001~", "IEA*2*000000001~",
         "segment 47 (IEA): IEA01 says 2 functional groups but the interchange (ISA at segment "
         "1) has 1"),
        ("IEA*1*000000001~", "IEA*1*000000002~",
         "segment 47 (IEA): IEA02 '000000002' does not match ISA13 '000000001'"),
    ],
)  # fmt: skip
def test_counts_and_control_numbers_off_are_warnings(old: str, new: str, warning: str) -> None:
    """A count or control number that does not match: the meaning is clear, the file is read
    to the same remittance, and the mismatch is reported with its segment."""
    warnings: list[X12Warning] = []
    (remittance,) = read_remittances(io.StringIO(VALID.replace(old, new, 1)), warnings=warnings)
    (expected,) = parse_text(VALID)
    assert remittance == expected
    assert [str(w) for w in warnings] == [warning]


def test_isa_inside_an_open_interchange() -> None:
    text = VALID.replace("GE*1*17~", "GE*1*17~" + VALID[:106])
    error = refusal(text)
    assert isinstance(error, MalformedEnvelope)
    assert "ISA out of place: expected GS or IEA" in str(error)


# -- loops and elements ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "error_type", "fragment"),
    [
        (
            "CLP*PCN001*1*1000.00*700.00*150.00*12*PAYERCLM1*11*1",
            "CLP*PCN001*1*1000.00*ABC*150.00*12*PAYERCLM1*11*1",
            BadAmount,
            "CLP04 'ABC' is not a decimal amount",
        ),
        (
            "CLP*PCN001*1*1000.00*700.00*150.00*12*PAYERCLM1*11*1",
            "CLP*PCN001*1*12.345*700.00*150.00*12*PAYERCLM1*11*1",
            BadAmount,
            "CLP03 '12.345' has more than two decimals",
        ),
        (
            "CLP*PCN001*1*1000.00*700.00*150.00*12*PAYERCLM1*11*1",
            "CLP*PCN001*1*10000000000.00*700.00*150.00*12*PAYERCLM1*11*1",
            BadAmount,
            "CLP03 '10000000000.00' is above the largest amount, 9999999999.99",
        ),
        (
            "CAS*CO*45*100.00",
            "CAS*CO*45*-92233720368547758.07",
            BadAmount,
            "CAS03 '-92233720368547758.07' is above the largest amount, 9999999999.99",
        ),
        (
            "CLP*PCN001*1*1000.00*700.00*150.00*12*PAYERCLM1*11*1",
            "CLP*PCN001*1*1000.00**150.00*12*PAYERCLM1*11*1",
            BadAmount,
            "CLP04 is empty",
        ),
        (
            "CLP*PCN001*1*1000.00*700.00*150.00*12*PAYERCLM1*11*1",
            "CLP*PCN001**1000.00*700.00",
            MalformedSegment,
            "CLP02 (claim status code) is missing",
        ),
        (
            "CLP*PCN001*1*1000.00*700.00*150.00*12*PAYERCLM1*11*1",
            "CLP*PCN001*A1*1000.00*700.00",
            BadCode,
            "CLP02 'A1' is not a claim status code",
        ),
        (
            "CLP*PCN001*1*1000.00*700.00*150.00*12*PAYERCLM1*11*1",
            "CLP**1*1000.00*700.00",
            MalformedSegment,
            "CLP01 (patient control number) is missing",
        ),
        (
            "CAS*CO*45*100.00",
            "CAS*XX*45*100.00",
            BadCode,
            "CAS01 'XX' is not a known claim adjustment group code (CO, CR, OA, PI, PR)",
        ),
        ("CAS*CO*45*100.00", "CAS*co*45*100.00", BadCode, "CAS01 'co'"),
        (
            "CAS*CO*45*100.00",
            "CAS**45*100.00",
            MalformedSegment,
            "CAS01 (claim adjustment group code) is missing",
        ),
        (
            "CAS*CO*45*100.00",
            "CAS*CO*45*1O0.00",
            BadAmount,
            "CAS03 '1O0.00' is not a decimal amount",
        ),
        (
            "CAS*CO*45*100.00",
            "CAS*CO*45*100.001",
            BadAmount,
            "CAS03 '100.001' has more than two decimals",
        ),
        (
            "CAS*CO*45*100.00",
            "CAS*CO**100.00",
            MalformedSegment,
            "CAS02 (adjustment reason code) is missing",
        ),
        ("CAS*CO*45*100.00", "CAS*CO*45", BadAmount, "CAS03 is empty"),
        (
            "CAS*CO*45*100.00",
            "CAS*CO*45*50.00**45*25.00***25.00",
            MalformedSegment,
            "CAS08 (adjustment reason code) is missing",
        ),
        (
            "CAS*CO*45*100.00",
            "CAS*CO*4 5*100.00",
            BadCode,
            "CAS02 '4 5' is not an adjustment reason code",
        ),
        ("CAS*CO*45*100.00", "CAS*CO", MalformedSegment, "CAS holds no adjustment"),
        (
            "CAS*CO*45*100.00",
            "CAS*CO*45*100.00" + "**1*0" * 6,
            MalformedSegment,
            "CAS has 21 elements; at most 19",
        ),
        (
            "SVC*HC:99213:25*600.00*450.00**1",
            "SVC*HC*600.00*450.00**1",
            MalformedSegment,
            "SVC01 'HC' is not a composite 'qualifier:code'",
        ),
        (
            "SVC*HC:99213:25*600.00*450.00**1",
            "SVC*HC>99213*600.00*450.00**1",
            MalformedSegment,
            "SVC01 'HC>99213' is not a composite",
        ),
        (
            "SVC*HC:99213:25*600.00*450.00**1",
            "SVC*:99213*600.00*450.00**1",
            MalformedSegment,
            "SVC01 ':99213' is not a composite",
        ),
        (
            "SVC*HC:99213:25*600.00*450.00**1",
            "SVC*HC:99213:1:2:3:4:5:6:7*600.00*450.00",
            MalformedSegment,
            "has more than 8 components",
        ),
        (
            "SVC*HC:99213:25*600.00*450.00**1",
            "SVC*HC:99213*600.00*450.00**1*HC",
            MalformedSegment,
            "SVC06 'HC' is not a composite",
        ),
        (
            "SVC*HC:99213:25*600.00*450.00**1",
            "SVC*HC:99213*6OO*450.00**1",
            BadAmount,
            "SVC02 '6OO'",
        ),
        (
            "DTM*472*20231201",
            "DTM*472*20231301",
            BadDate,
            "DTM02 '20231301' is not a valid CCYYMMDD date",
        ),
        ("DTM*472*20231201", "DTM*472*231201", BadDate, "DTM02 '231201'"),
        ("DTM*472*20231201", "DTM*472****RD8*20231201", BadDate, "DTM06 ''"),
        ("DTM*232*20231201", "DTM*232*2023-12-01", BadDate, "DTM02 '2023-12-01'"),
        (
            "DTM*151*20231202",
            "DTM*472*20231202",
            MalformedSegment,
            "a second service start date (DTM*472/150)",
        ),
        ("REF*6R*LINE2", "REF*6R*LINE2~REF*6R*AGAIN", MalformedSegment, "a second REF*6R"),
        ("AMT*B6*550.00", "AMT*B6*550.00~AMT*B6*1.00", MalformedSegment, "a second AMT*B6"),
        ("AMT*B6*550.00", "AMT*B6*55O", BadAmount, "AMT02 '55O'"),
        ("LQ*HE*N130", "LQ*HE", MalformedSegment, "LQ02 (remark code) is missing"),
        (
            "DTM*233*20231202",
            "DTM*233*20231202~DTM*233*20231203",
            MalformedSegment,
            "a second DTM*233",
        ),
        (
            "NM1*QC*1*DOE*JANE****MI*MEMBER01",
            "NM1*IL*1*DOE*JANE",
            MalformedSegment,
            "claim 'PCN001' has no patient name (NM1*QC)",
        ),
        (
            "NM1*QC*1*DOE*JANE****MI*MEMBER01",
            "NM1*QC*1**JANE",
            MalformedSegment,
            "NM103 (patient last name) is missing",
        ),
        (
            "NM1*82*1*SMITH*JOHN****XX*1111111112",
            "NM1*QC*1*SMITH*JOHN",
            MalformedSegment,
            "a second patient name (NM1*QC)",
        ),
        (
            "PLB*1234567893*20241231*WO:OLDCLAIM*10.00*L6*-0.50",
            "PLB*1234567893*20241231*WO:OLDCLAIM*10.00*L6",
            BadAmount,
            "PLB06 is empty",
        ),
        (
            "PLB*1234567893*20241231*WO:OLDCLAIM*10.00*L6*-0.50",
            "PLB*1234567893*20241231*:OLDCLAIM*10.00",
            BadCode,
            "PLB03 ':OLDCLAIM' does not begin with an adjustment reason code",
        ),
        (
            "PLB*1234567893*20241231*WO:OLDCLAIM*10.00*L6*-0.50",
            "PLB*1234567893*20241331*WO*10.00",
            BadDate,
            "PLB02 '20241331'",
        ),
        (
            "PLB*1234567893*20241231*WO:OLDCLAIM*10.00*L6*-0.50",
            "PLB**20241231*WO*10.00",
            MalformedSegment,
            "PLB01 (provider identifier) is missing",
        ),
        (
            "PLB*1234567893*20241231*WO:OLDCLAIM*10.00*L6*-0.50",
            "PLB*1234567893*20241231",
            MalformedSegment,
            "PLB holds no adjustment",
        ),
        (
            "PLB*1234567893*20241231*WO:OLDCLAIM*10.00*L6*-0.50",
            "PLB*1*20241231" + "*WO*1.00" * 7,
            MalformedSegment,
            "PLB has 16 elements; at most 14",
        ),
        (
            "PLB*1234567893*20241231*WO:OLDCLAIM*10.00*L6*-0.50",
            "PLB*1234567893*20241231*WO:OLDCLAIM*10.00*L6*-0.50~CLP*X*1*1*1",
            MalformedSegment,
            "CLP after PLB: only PLB may follow PLB",
        ),
    ],
)
def test_element_and_loop_refusals(
    old: str, new: str, error_type: type[X12Error], fragment: str
) -> None:
    text = VALID.replace(old + "~", new + "~", 1)
    assert text != VALID
    error = refusal(text)
    assert type(error) is error_type, error
    assert fragment in str(error), str(error)
    assert error.position is not None
    first_changed = text[: text.index(new)].count("~") + 1
    assert error.position >= min(first_changed, body_position("CLP*PCN001")), error


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        (VALID_BODY[0], "TRN*1*X*Y", "segment 4 (TRN): expected BPR right after ST, found TRN"),
        (
            VALID_BODY[0],
            VALID_BODY[0].replace("*I*", "*Q*", 1),
            "BPR01 'Q' is not a known transaction handling code",
        ),
        (VALID_BODY[0], VALID_BODY[0].replace("990.50", "-990.50"), "BPR02 is negative"),
        (
            VALID_BODY[0],
            VALID_BODY[0].replace("*C*ACH", "*X*ACH"),
            "BPR03 'X' is not a known credit/debit flag",
        ),
        (
            VALID_BODY[0],
            VALID_BODY[0].replace("*ACH*", "*CASH*"),
            "BPR04 'CASH' is not a known payment method",
        ),
        ("TRN*1*EFT0001*1512345678", "REF*F2*X", "segment 14 (LX): the 835 header has no TRN"),
        (
            "TRN*1*EFT0001*1512345678",
            "TRN*1**1512345678",
            "TRN02 (check or EFT trace number) is missing",
        ),
        ("TRN*1*EFT0001*1512345678", "TRN*1*EFT0001", "TRN03 (payer identifier) is missing"),
        ("REF*EV*RECEIVER", "TRN*1*AGAIN*1", "segment 6 (TRN): a second TRN in the same loop"),
        (
            "REF*EV*RECEIVER",
            "BPR*I*1*C*CHK************20240101",
            "a second BPR in one transaction set",
        ),
        ("N1*PR*ACME HEALTH PLAN*XV*PAYER01", "N1*XX*SOMEONE", "the 835 header has no N1*PR"),
        ("N1*PE*GOOD CLINIC*XX*1234567893", "N1*ZZ*SOMEONE", "the 835 header has no N1*PE"),
        ("N1*PE*GOOD CLINIC*XX*1234567893", "N1*PR*AGAIN", "a second N1*PR"),
        ("N1*PR*ACME HEALTH PLAN*XV*PAYER01", "N1*PR", "N102 (payer name) is missing"),
        ("REF*TJ*123456789", "CAS*CO*45*1.00", "CAS is not allowed in the 835 header"),
        ("LX*1", "N7*SOMETHING", "N7 is not a segment of the 835 transaction set"),
        ("TS3*1234567893*11*20241231*4*2000.00", "CAS*CO*45*1.00", "CAS before the first CLP"),
        ("MOA***MA01", "TS3*1*11*20241231*1*1.00", "TS3 must follow LX"),
        ("MOA***MA01", "LQ*HE*N1", "LQ is not allowed in a claim (loop 2100)"),
        ("LQ*HE*N130", "MIA*0", "MIA is not allowed in a service line (loop 2110)"),
        (
            "LQ*HE*N130",
            "N3*1 MAIN ST",
            "N3 belongs to the 835 header (table 1) but claim detail has begun",
        ),
        ("LQ*HE*N130", "TRN*1*2*3", "TRN belongs to the 835 header"),
    ],
)
def test_header_and_order_refusals(old: str, new: str, fragment: str) -> None:
    error = refusal(with_body((old, new)))
    assert isinstance(error, MalformedSegment), error
    assert fragment in str(error), str(error)


def test_transaction_set_with_only_header_and_plb() -> None:
    """A notification (BPR H, 0.00) that only moves a balance forward: no claims at all."""
    bpr = "BPR*H*0*C*NON************20240105"
    plb = "PLB*1234567893*20241231*WO:X*10.00*FB:Y*-10.00"
    (r,) = parse_and_check(build(((bpr, *VALID_BODY[1:10], plb),)))
    assert r.claims == ()
    assert [p.amount_cents for p in r.provider_adjustments] == [1000, -1000]


def test_transaction_set_with_header_only_needs_the_header() -> None:
    error = refusal(build((VALID_BODY[:4],)))
    assert "the 835 header has no N1*PR" in str(error)
    assert error.segment_id == "SE"
    error = refusal(build(((),)))
    assert "the transaction set has no BPR" in str(error)


def test_unknown_segment_in_a_header_is_refused_with_its_position() -> None:
    text = replace_segment(VALID, "REF*EV*RECEIVER~", "ZZ*EV*RECEIVER~")
    error = refusal(text)
    assert str(error) == "segment 6 (ZZ): ZZ is not a segment of the 835 transaction set"


def test_newline_inside_a_value_is_escaped_in_messages() -> None:
    text = build(terminator="~").replace(
        "CLP*PCN001*1*1000.00*700.00", "CLP*PCN001*1*1000.00*7\n00"
    )
    error = refusal(text)
    assert "\n" not in str(error)
    assert "'7\\n00'" in str(error)


def test_parse_text_helper_returns_unchecked_remittances() -> None:
    unbalanced = VALID.replace("*990.50*", "*1.00*")
    assert len(parse_text(unbalanced)) == 1


BPR, PRODUCTION = VALID_BODY[0], "DTM*405*20240104"
NO_BPR16 = "segment 4 (BPR): BPR16 (payment date) is missing"
BAD_BPR16 = "segment 4 (BPR): BPR16 '20240230' is not a valid CCYYMMDD date"


@pytest.mark.parametrize(
    ("bpr16", "production", "paid_on", "warning"),
    [
        ("*20240105", PRODUCTION, dt.date(2024, 1, 5), None),
        ("*20240230", PRODUCTION, dt.date(2024, 1, 4),
         f"{BAD_BPR16}: the payment date is the production date DTM*405, 2024-01-04"),
        ("", PRODUCTION, dt.date(2024, 1, 4),
         f"{NO_BPR16}: the payment date is the production date DTM*405, 2024-01-04"),
        ("", "REF*F2*NO-DATE", dt.date(2024, 1, 2),
         f"{NO_BPR16}: the payment date is the group's date GS04, 2024-01-02"),
        ("*20240230", "REF*F2*NO-DATE", dt.date(2024, 1, 2),
         f"{BAD_BPR16}: the payment date is the group's date GS04, 2024-01-02"),
    ],
)  # fmt: skip
def test_payment_date_is_bpr16_else_the_production_date_else_the_group_date(
    bpr16: str, production: str, paid_on: dt.date, warning: str | None
) -> None:
    text = with_body((BPR, BPR.replace("*20240105", bpr16)), (PRODUCTION, production))
    (remittance,) = parse_and_check(text)
    assert remittance.payment_date == paid_on
    assert [str(w) for w in remittance.warnings] == ([] if warning is None else [warning])


@pytest.mark.parametrize("bpr16", ["", "*20240230"])
def test_no_payment_date_anywhere_is_refused(bpr16: str) -> None:
    """A bare ST..SE has no GS04: without BPR16 or DTM*405 there is no date to post on."""
    body = [BPR.replace("*20240105", bpr16), *(s for s in VALID_BODY[1:] if s != PRODUCTION)]
    text = "ST*835*0001~" + "~".join(body) + f"~SE*{len(body) + 2}*0001~"
    error = refusal(text)
    assert isinstance(error, MalformedSegment), error
    assert (error.position, error.segment_id) == (2, "BPR")
    assert "and there is no production date (DTM*405) or group date (GS04) to take instead" in str(
        error
    )
