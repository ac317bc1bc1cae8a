"""The 837 reader: every public sample read or refused for a reason true of the file, and the
reader's discipline on files built here (layout, envelope counts, CLM02, loops).

The samples (tests/x12/claim_samples, LinuxForHealth/x12, see SOURCES.md) are the 837P and 837I
examples of the implementation guides and 4010 files. Eight are refused, each for what it is:
seven write composites with '>' while their ISA16 declares ':', and one gives CLM05-3 as '1.00'.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

import pytest

from medledger.x12.claim_writer import claims_text, submitted_claim, submitted_line
from medledger.x12.claims import read_claims
from medledger.x12.errors import MalformedEnvelope, MalformedSegment, NotAClaimFile, X12Error
from medledger.x12.writer import Interchange

CLAIM_SAMPLES = Path(__file__).resolve().parent / "claim_samples"


@dataclass(frozen=True)
class Reads:
    claims: int
    lines: int
    charge_cents: int  # the CLM02 amounts, summed


@dataclass(frozen=True)
class Refused:
    position: int
    segment_id: str
    message: str  # how the refusal begins


EXPECTED: dict[str, Reads | Refused] = {
    "LinuxForHealth__x12__837_004010X096A1_automobile-accident.837": Reads(1, 4, 54500),
    "LinuxForHealth__x12__837_004010X096A1_homeowners.837": Reads(1, 3, 45000),
    "LinuxForHealth__x12__837_004010X096A1_institutional-ppo-repriced.837": Reads(1, 5, 259369),
    "LinuxForHealth__x12__837_004010X096A1_institutional.837": Reads(1, 2, 8993),
    "LinuxForHealth__x12__837_004010X096A1_workers-compensation.837": Reads(1, 3, 35000),
    "LinuxForHealth__x12__837_004010X098A1_coordination-of-benefits.837": Reads(1, 3, 7904),
    "LinuxForHealth__x12__837_004010X098A1_dependent-commercial-insurance-01.837": Refused(
        28, "CLM", "CLM05-3 '1.00' is not a claim frequency "
    ),
    "LinuxForHealth__x12__837_004010X098A1_dependent-commercial-insurance-02.837": Reads(
        1, 4, 40500
    ),
    "LinuxForHealth__x12__837_004010X098A1_dependent-commercial-insurance-03.837": Reads(
        1, 2, 18500
    ),
    "LinuxForHealth__x12__837_004010X098A1_patient-is-dependent.837": Reads(1, 4, 10000),
    "LinuxForHealth__x12__837_004010X098A1_patient-is-subscriber.837": Reads(1, 4, 10000),
    "LinuxForHealth__x12__837_005010X222A2_demo.ambulance.example5.837": Reads(1, 4, 76650),
    "LinuxForHealth__x12__837_005010X222A2_demo.autoaccident.837": Reads(1, 2, 18500),
    "LinuxForHealth__x12__837_005010X222A2_demo.cob.2ndary.example4.837": Refused(
        21, "CLM", "CLM05 '11>B>1' is not a composite 'facil"
    ),
    "LinuxForHealth__x12__837_005010X222A2_demo.cob.example3.A.837": Reads(1, 3, 7904),
    "LinuxForHealth__x12__837_005010X222A2_demo.cob.example3.B.837": Reads(1, 3, 7904),
    "LinuxForHealth__x12__837_005010X222A2_demo.cob.example3.C.837": Reads(1, 3, 7904),
    "LinuxForHealth__x12__837_005010X222A2_demo.cob.example4.837": Reads(1, 1, 12000),
    "LinuxForHealth__x12__837_005010X222A2_demo.drug.example10.1.837": Reads(1, 2, 10337),
    "LinuxForHealth__x12__837_005010X222A2_demo.drug.example10.2.837": Reads(1, 6, 223293),
    "LinuxForHealth__x12__837_005010X222A2_demo.drug.example10.3.837": Reads(1, 6, 223293),
    "LinuxForHealth__x12__837_005010X222A2_demo.example1.837": Reads(1, 4, 10000),
    "LinuxForHealth__x12__837_005010X222A2_demo.example11.837": Refused(
        21, "CLM", "CLM05 '11>B>1' is not a composite 'facil"
    ),
    "LinuxForHealth__x12__837_005010X222A2_demo.example12.837": Refused(
        26, "CLM", "CLM05 '23>B>1' is not a composite 'facil"
    ),
    "LinuxForHealth__x12__837_005010X222A2_demo.example2.837": Reads(1, 4, 10000),
    "LinuxForHealth__x12__837_005010X222A2_demo.example6.837": Refused(
        21, "CLM", "CLM05 '11>B>1' is not a composite 'facil"
    ),
    "LinuxForHealth__x12__837_005010X222A2_demo.example7.837": Reads(1, 2, 52024),
    "LinuxForHealth__x12__837_005010X222A2_demo.example8.837": Reads(1, 1, 7500),
    "LinuxForHealth__x12__837_005010X222A2_demo.example9.837": Refused(
        20, "CLM", "CLM05 '22>B>1' is not a composite 'facil"
    ),
    "LinuxForHealth__x12__837_005010X223A3_institutional-claim.837i": Reads(1, 2, 8993),
    "LinuxForHealth__x12__837_005010X223A3_out-of-network-repriced-claim.837i": Refused(
        20, "CLM", "CLM05 '13>A>1' is not a composite 'facil"
    ),
    "LinuxForHealth__x12__837_005010X223A3_ppo-repriced-claim.837i": Refused(
        26, "CLM", "CLM05 '13>A>1' is not a composite 'facil"
    ),
    "LinuxForHealth__x12__837_005010X223A3_two-claims-single-provider.837i": Reads(2, 3, 13995),
    "LinuxForHealth__x12__demo-file_demo.837": Reads(1, 4, 10000),
    "LinuxForHealth__x12__demo-file_demo.837i": Reads(1, 2, 8993),
}


def test_every_sample_has_an_expected_outcome():
    assert sorted(p.name for p in CLAIM_SAMPLES.glob("*.837*")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_sample_is_read_or_refused_for_what_it_is(name):
    expected = EXPECTED[name]
    with open(CLAIM_SAMPLES / name, "rb") as stream:
        if isinstance(expected, Refused):
            with pytest.raises(X12Error) as refused:
                list(read_claims(stream))
            error = refused.value
            assert (error.position, error.segment_id) == (expected.position, expected.segment_id)
            assert error.message.startswith(expected.message)
            return
        claims = list(read_claims(stream))
    assert len(claims) == expected.claims
    assert sum(len(claim.lines) for claim in claims) == expected.lines
    assert sum(claim.charge_cents for claim in claims) == expected.charge_cents


def _read(name: str) -> list:
    with open(CLAIM_SAMPLES / name, "rb") as stream:
        return list(read_claims(stream))


def test_a_dependent_is_the_patient_and_the_subscriber_holds_the_coverage():
    (claim,) = _read("LinuxForHealth__x12__837_004010X098A1_patient-is-dependent.837")
    assert (claim.patient.last_name, claim.patient.first_name) == ("SMITH", "TED")
    assert claim.patient.birth_date == date(1973, 5, 1)
    assert claim.patient.sex == "M"
    assert claim.patient.member_id == "JS01111223333"  # 4010: the dependent's own id
    assert claim.subscriber_member_id == "11223333"
    assert (claim.payer_name, claim.payer_id) == ("KEY INSURANCE COMPANY", "999996666")
    assert claim.coverage_order == "primary"
    assert claim.patient_control_number == "26463774"
    assert claim.place_of_service == "11"
    assert claim.diagnosis_codes == ("0340", "V7389")
    assert claim.rendering_provider == "KILDARE, BEN (999996666)"
    assert [line.procedure_code for line in claim.lines] == ["99213", "87072", "99214", "86663"]
    assert claim.lines[2].service_date_from == date(1998, 10, 10)
    assert claim.service_date == date(1998, 10, 3)


def test_the_subscriber_is_the_patient_without_a_patient_level():
    (claim,) = _read("LinuxForHealth__x12__837_005010X223A3_institutional-claim.837i")
    assert (claim.patient.last_name, claim.patient.first_name) == ("DOE", "JON")
    assert claim.patient.member_id == "030005074A"
    assert claim.patient.city == "CENTERVILLE"
    assert claim.rendering_provider == "JONES, JOHN"  # the attending physician (NM1*71)
    assert [(line.revenue_code, line.procedure_code, line.units) for line in claim.lines] == [
        ("0305", "85025", 1),
        ("0730", "93005", 3),
    ]
    assert claim.coverage_order == "primary"  # the SBR*S of loop 2320 is another payer's


def test_a_secondary_claim_says_so():
    (claim,) = _read("LinuxForHealth__x12__837_005010X222A2_demo.cob.example3.B.837")
    assert claim.coverage_order == "secondary"


# -- files built here -----------------------------------------------------------------------

DAY = date(2026, 3, 2)


def _file(**options) -> str:
    claim = submitted_claim(
        "PCN-1",
        [
            submitted_line("99213", 12000, DAY, control_number="L1"),
            submitted_line("81002", 1550, DAY, modifiers=("QW",)),
        ],
        **options,
    )
    return claims_text([claim], Interchange(datetime(2026, 3, 3, 9, 30)))


def test_the_writer_and_the_reader_agree():
    (claim,) = read_claims(io.StringIO(_file(frequency_code="7", payer_claim_control_number="X9")))
    assert claim.charge_cents == 13550
    assert claim.frequency_code == "7"
    assert claim.payer_claim_control_number == "X9"
    assert [line.line_item_control_number for line in claim.lines] == ["L1", None]
    assert claim.lines[1].modifiers == ("QW",)


def test_line_breaks_indentation_and_a_byte_order_mark_are_tolerated():
    text = _file()
    laid_out = "\ufeff" + text.replace("~\n", "~\r\n    ")
    assert list(read_claims(io.BytesIO(laid_out.encode()))) == list(read_claims(io.StringIO(text)))


def test_lines_that_do_not_add_up_to_clm02_refuse_the_file():
    text = _file().replace("CLM*PCN-1*135.50", "CLM*PCN-1*135.00")
    with pytest.raises(
        MalformedSegment,
        match=r"CLM02 says 135.00 but its 2 service lines add up to 135.50 \(0.50 more\)",
    ) as refused:
        list(read_claims(io.StringIO(text)))
    assert refused.value.segment_id == "CLM"


def test_a_wrong_segment_count_refuses_the_file():
    text = _file()
    count = text.split("SE*")[1].split("*")[0]
    text = text.replace(f"SE*{count}*", f"SE*{int(count) + 1}*")
    with pytest.raises(MalformedEnvelope, match=f"SE01 says {int(count) + 1} segments"):
        list(read_claims(io.StringIO(text)))


def test_a_wrong_group_count_refuses_the_file():
    with pytest.raises(MalformedEnvelope, match="GE01 says 2 transaction sets"):
        list(read_claims(io.StringIO(_file().replace("GE*1*", "GE*2*"))))


def test_an_835_is_not_a_claim_file():
    text = _file().replace("GS*HC*", "GS*HP*")
    with pytest.raises(NotAClaimFile, match="GS01 'HP': the functional group is not HC"):
        list(read_claims(io.StringIO(text)))


def test_a_4010_interchange_header_is_read():
    text = _file().replace("*^*00501*", "*U*00401*")
    assert len(list(read_claims(io.StringIO(text)))) == 1


def test_a_line_without_a_date_or_a_claim_date_is_refused():
    undated = replace(submitted_line("99213", 12000, DAY), service_date_from=None)
    claim = submitted_claim("PCN-1", [submitted_line("81002", 1550, DAY), undated])
    text = claims_text([claim], Interchange(datetime(2026, 3, 3, 9, 30)))
    with pytest.raises(MalformedSegment, match="has a line without a service date"):
        list(read_claims(io.StringIO(text)))


def test_fractional_units_are_refused():
    text = _file().replace("*UN*1***1~\nDTP", "*UN*1.5***1~\nDTP", 1)
    with pytest.raises(MalformedSegment, match=r"SV104 '1\.5' is not a whole number of units"):
        list(read_claims(io.StringIO(text)))


def test_a_segment_that_is_no_837_segment_is_refused():
    text = _file().replace("HI*ABK:Z0000~", "CLP*X*1*1*1~")
    with pytest.raises(MalformedSegment, match="CLP is not a segment of the 837"):
        list(read_claims(io.StringIO(text)))
