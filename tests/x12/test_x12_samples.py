"""Every public sample in tests/x12/samples has an explicit expected outcome here.

A sample either parses and balances, and the test pins numbers read from the file by hand, or it
is refused with a specific reason. ``test_every_sample_has_an_expected_outcome`` fails when a new
file appears in the folder without a row in ``EXPECTED``, so nothing slips through unjudged.

The second half repairs the *first* defect of some refused samples (in memory only) to show the
defect behind it: this is how each refusal was judged to be the file's fault, not the rule's.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest

from medledger.x12 import (
    MalformedSegment,
    NotAnERA,
    ReconciliationError,
    Remittance,
    X12Error,
    X12Warning,
    check,
    read_remittances,
)
from tests.x12.x12_testkit import SAMPLES

NOT_SAMPLES = {"SOURCES.md", "carc.tsv"}


def by_group_carc(remittance: Remittance) -> Counter[tuple[str, str]]:
    totals: Counter[tuple[str, str]] = Counter()
    for claim in remittance.claims:
        for adjustment in claim.all_adjustments:
            totals[adjustment.group_code, adjustment.carc] += adjustment.amount_cents
    return totals


@dataclass(frozen=True)
class Parses:
    """Read and balanced; ``warnings``: a fragment of each warning the file deserves, in order."""

    verify: Callable[[list[Remittance]], None]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Refused:
    """Refused whole: for its money (``ReconciliationError``, with the cents) or for a defect a
    billing clerk would agree with; ``warnings`` as for ``Parses`` (found before the refusal)."""

    error: type[X12Error]
    position: int | None
    segment_id: str | None
    fragment: str
    difference_cents: int | None = None
    warnings: tuple[str, ...] = ()


# -- accepted samples: numbers read from the files ----------------------------------------------


def medicare_part_a(remittances: list[Remittance]) -> None:
    """TR3 example 'dollars and data sent together' (institutional, no SVC, PLB CV:CP -1.27)."""
    (r,) = remittances
    assert (r.control_number, r.payment_amount_cents, r.credit_debit_flag) == (
        "1234",
        15000000,
        "C",
    )
    assert (r.payment_method, r.payment_date) == ("ACH", dt.date(2002, 9, 13))
    assert (r.trace_number, r.payer_id) == ("12345", "1512345678")
    assert r.payer_name == "INSURANCE COMPANY OF TIMBUCKTU"
    assert (r.payee_name, r.payee_id_qualifier, r.payee_id) == (
        "REGIONAL HOPE HOSPITAL",
        "XX",
        "6543210903",
    )
    assert [c.patient_control_number for c in r.claims] == ["666123", "777777"]
    first, second = r.claims
    assert (first.charge_cents, first.paid_cents, first.lines) == (21136697, 13801840, ())
    assert (first.patient_last_name, first.patient_first_name) == ("JONES", "SAM")
    assert first.patient_member_id == "666666666A"
    assert (first.statement_date_from, first.statement_date_to) == (
        dt.date(2002, 8, 16),
        dt.date(2002, 8, 24),
    )
    assert first.claim_filing_indicator == "MA"
    assert second.paid_cents == 1198033
    assert second.adjustments[0].amount_cents == 301967
    assert by_group_carc(r) == {("CO", "45"): 7334857 + 301967}
    (plb,) = r.provider_adjustments
    assert (plb.provider_id, plb.fiscal_period_date) == ("6543210903", dt.date(2002, 12, 31))
    assert (plb.reason_code, plb.reference, plb.amount_cents) == ("CV", "CP", -127)


def dollars_and_data_separate(remittances: list[Remittance]) -> None:
    (r,) = remittances
    assert (r.control_number, r.payment_amount_cents, r.payment_date) == (
        "112233",
        94500,
        dt.date(2002, 3, 16),
    )
    assert (r.trace_number, r.payer_name, r.payee_id) == (
        "71700666555",
        "RUSHMORE LIFE",
        "5544667733",
    )
    budd, settle = r.claims
    assert (budd.charge_cents, budd.paid_cents, budd.patient_responsibility_cents) == (
        80000,
        45000,
        30000,
    )
    (line,) = budd.lines
    assert (line.code_qualifier, line.procedure_code, line.charge_cents, line.paid_cents) == (
        "HC",
        "99211",
        80000,
        50000,
    )
    assert (line.service_date_from, line.service_date_to) == (
        dt.date(2002, 3, 1),
        dt.date(2002, 3, 4),
    )
    assert settle.paid_cents == 49500
    assert by_group_carc(r) == {("PR", "1"): 90000, ("CO", "A2"): 10500, ("CO", "45"): 5000}


def managed_care(remittances: list[Remittance]) -> None:
    """The albmarin TR3 example again, but BPR16 '20002316' is no date (DTM*405 is taken)."""
    (r,) = remittances
    assert r.payment_date == dt.date(2002, 3, 14)
    assert r.trace_number == "7170066655"  # one digit shorter than the albmarin copy's
    dollars_and_data_separate(
        [replace(r, payment_date=dt.date(2002, 3, 16), trace_number="71700666555")]
    )


def era_sample_dental(remittances: list[Remittance]) -> None:
    (r,) = remittances
    assert (r.payment_amount_cents, r.payment_method, r.payer_name) == (
        13200,
        "CHK",
        "DELTA DENTAL OF ABC",
    )
    (claim,) = r.claims
    assert [line.procedure_code for line in claim.lines] == [
        "D0120",
        "D0220",
        "D0230",
        "D0274",
        "D1110",
    ]
    assert {line.code_qualifier for line in claim.lines} == {"AD"}
    assert [line.allowed_cents for line in claim.lines] == [2500, 1400, 1000, 3400, 4900]
    assert by_group_carc(r) == {("CO", "131"): 9400}


def multiple_claims_single_check(remittances: list[Remittance]) -> None:
    (r,) = remittances
    assert r.payment_amount_cents == 81080
    assert len(r.claims) == 9
    assert sum(len(c.lines) for c in r.claims) == 33
    assert [c.paid_cents for c in r.claims] == [
        13200,
        7400,
        10800,
        1400,
        1680,
        13200,
        10800,
        8200,
        14400,
    ]
    # PR*3 co-payments equal the patient responsibility the claims report in CLP05.
    assert by_group_carc(r)["PR", "3"] == 97020
    assert sum(c.patient_responsibility_cents or 0 for c in r.claims) == 97020
    assert by_group_carc(r)["CO", "131"] == 103800


def secondary_higher_fee_schedule(remittances: list[Remittance]) -> None:
    (r,) = remittances
    (claim,) = r.claims
    assert (claim.status_code, claim.charge_cents, claim.paid_cents) == ("2", 54100, 3400)
    (line,) = claim.lines
    assert (line.procedure_code, line.units, line.allowed_cents) == ("55669", "1", 55000)
    # OA*94 is negative (processed in excess of charges): it increases the payment.
    assert [(a.carc, a.amount_cents) for a in line.adjustments] == [("23", 51600), ("94", -900)]


def secondary_payments(remittances: list[Remittance]) -> None:
    (r,) = remittances
    assert r.payment_amount_cents == 122200
    townsend, baki = r.claims
    assert townsend.lines == ()
    assert [(a.group_code, a.carc, a.amount_cents) for a in townsend.adjustments] == [
        ("OA", "23", 941164)
    ]
    first, second = baki.lines
    assert (first.procedure_code, first.modifiers) == ("12345", ("26",))
    assert (second.procedure_code, second.modifiers, second.revenue_code) == (
        "66543",
        ("26",),
        "220",
    )
    # One CAS with two triples: PR*1 150.00 and PR*2 70.00.
    assert [(a.group_code, a.carc, a.amount_cents) for a in second.adjustments] == [
        ("PR", "1", 15000),
        ("PR", "2", 7000),
        ("CO", "42", 8500),
    ]
    assert baki.patient_responsibility_cents == 22000


def tertiary_payments(remittances: list[Remittance]) -> None:
    (r,) = remittances
    (claim,) = r.claims
    assert (claim.status_code, claim.charge_cents, claim.paid_cents) == ("3", 176650, 18750)
    assert by_group_carc(r) == {("OA", "23"): 157900}


def pyx12_mult_loops(remittances: list[Remittance]) -> None:
    """Notification-only 835 (BPR H/0/NON): a denied claim, every line adjusted to zero."""
    (r,) = remittances
    assert (r.handling_code, r.payment_amount_cents, r.payment_method) == ("H", 0, "NON")
    (claim,) = r.claims
    assert (claim.status_code, claim.charge_cents, claim.paid_cents) == ("4", 91539, 0)
    assert [line.units for line in claim.lines] == ["68", "16", "36"]
    assert {line.remark_codes for line in claim.lines} == {("N14",)}
    assert by_group_carc(r) == {("CO", "16"): 50004, ("OA", "A7"): 41535}


def medicaid_therapy(remittances: list[Remittance]) -> None:
    """Modifiers, revenue-code lines, NDC, SVC04/SVC06, REF*6R: all from one Medicaid sample."""
    (r,) = remittances
    assert (r.payment_amount_cents, len(r.claims)) == (54600, 3)
    assert (r.interchange_control_number, r.group_control_number) == ("", "")
    lines = [line for claim in r.claims for line in claim.lines]
    assert len(lines) == 7
    assert (lines[0].procedure_code, lines[0].modifiers, lines[0].units) == (
        "97530",
        ("59", "GO", "UB"),
        "4",
    )
    assert (lines[1].code_qualifier, lines[1].procedure_code) == ("NU", "0441")
    assert lines[1].line_item_control_number == "A1B2C3-1"
    fourth = lines[3]
    assert fourth.modifiers == ("GP", "59", "UB", "KX")
    assert (fourth.revenue_code, fourth.units) == ("0431", "2")
    assert (fourth.original_code_qualifier, fourth.original_procedure_code) == ("HC", "97110")
    assert (lines[5].code_qualifier, lines[5].procedure_code) == ("N4", "00093505601")
    assert lines[6].code_qualifier == "HP"
    assert by_group_carc(r) == {("CO", "45"): 27400}


BARE_ST = "segment 1 (ST): no ISA interchange header: the file begins with a bare ST"
RYANCO_ISA = (
    "segment 1 (ISA): ISA fields off the fixed width: ISA08 'RECEIVERID    ' is 14 characters, "
    "not 15; ISA13 '0000000001' is 10 characters, not 9"
)
TIGERSHARK_TERMINATOR = (
    "segment 1 (ISA): a line break follows the ISA header and '~' begins the next line"
)
# The made-up content of the ryanco samples: GS01 '1212' names no functional group.
RYANCO_GS01 = "GS01 '1212': the functional group is not HP"
# The third line 'SVC*HC:59426*742*742' was added without changing the claim totals.
SVC_742 = "its service lines charge 2842.00 (sum of SVC02) but the claim charges 2100.00"

EXPECTED: dict[str, Parses | Refused] = {
    "LinuxForHealth__x12__demo-file_demo.835": Parses(medicare_part_a),
    "LinuxForHealth__x12__src_tests_resources_835_005010X221A1_medicare-part-a.835": Parses(
        medicare_part_a
    ),
    "albmarin__badX12__tests_files_edi_X221-dollars-and-data-sent-together.edi": Parses(
        medicare_part_a
    ),
    "albmarin__badX12__tests_files_edi_X221-dollars-and-data-sent-separate.edi": Parses(
        dollars_and_data_separate
    ),
    "albmarin__badX12__tests_files_edi_X221-era-sample.edi": Parses(era_sample_dental),
    "albmarin__badX12__tests_files_edi_X221-multiple-claims-single-check.edi": Parses(
        multiple_claims_single_check
    ),
    "albmarin__badX12__tests_files_edi_X221-secondary-payment-with-higher-fee-schedule.edi": (
        Parses(secondary_higher_fee_schedule)
    ),
    "albmarin__badX12__tests_files_edi_X221-secondary-payments.edi": Parses(secondary_payments),
    "albmarin__badX12__tests_files_edi_X221-tertiary-payments.edi": Parses(tertiary_payments),
    "azoner__pyx12__pyx12_tests_835_mult_loops.txt": Parses(pyx12_mult_loops),
    # BPR has 15 elements (the date landed in BPR15, so DTM*405 gives it), and SVC01 is
    # written with '>' (or without its code) although ISA16 declares ':': guessing another
    # separator would be guessing which amounts are whose. The albmarin copies read.
    "LinuxForHealth__x12__src_tests_resources_835_005010X221A1_cob-contractural-adjustment.835": (
        Refused(
            MalformedSegment,
            21,
            "SVC",
            "SVC01 'HC>55669' is not a composite 'qualifier:code'",
        )
    ),
    "LinuxForHealth__x12__src_tests_resources_835_005010X221A1_secondary-payment.835": Refused(
        MalformedSegment,
        29,
        "SVC",
        "SVC01 'HC>12345>26' is not a composite",
    ),
    # The procedure code slid out of SVC01 ('SVC*HC*24599.00*...'): amounts are shifted.
    "LinuxForHealth__x12__src_tests_resources_835_005010X221A1_tertiary-payment.835": Refused(
        MalformedSegment, 20, "SVC", "SVC01 'HC' is not a composite"
    ),
    "LinuxForHealth__x12__src_tests_resources_835_005010X221A1_managed-care.835": Parses(
        managed_care,
        (
            "BPR16 '20002316' is not a valid CCYYMMDD date: the payment date is the production "
            "date DTM*405, 2002-03-14",
        ),
    ),
    # Acknowledgements, not remittances (and cut short after AK1).
    "LinuxForHealth__x12__src_tests_resources_835_005010X221A1_medicare-part-a.835.997": Refused(
        NotAnERA, 2, "GS", "GS01 'FA'"
    ),
    "albmarin__badX12__tests_files_edi_X221-multiple-claims-single-check.edi.997": Refused(
        NotAnERA, 2, "GS", "GS01 'FA'"
    ),
    "albmarin__badX12__tests_files_errors_error_validation.edi": Refused(
        NotAnERA, 2, "GS", "GS01 'HPO'"
    ),
    # Claims balance, but the check (BPR02 5950.21) is not sum(CLP04) - sum(PLB) = 467.69.
    "azoner__pyx12__test_files_835_simple.txt": Refused(
        ReconciliationError, 4, "BPR", "BPR02 pays 5950.21", difference_cents=-548252
    ),
    # Header loops (N1*PR, N1*PE, LX...) repeated after the claim detail.
    "azoner__pyx12__test_files_bad_header_looping.txt": Refused(
        MalformedSegment, 41, "N1", "N1 belongs to the 835 header (table 1)"
    ),
    # Bare ST..SE extracts: read, then refused for money (they are excerpts of larger checks).
    "diasks2__era_835_parser__spec_example_1.835": Refused(
        ReconciliationError,
        2,
        "BPR",
        "BPR02 pays 15096.46",
        -964542,
        (BARE_ST, "segment 24 (SE): SE01 says 21 segments but transaction set '1234'"),
    ),
    "diasks2__era_835_parser__spec_example_2.835": Refused(
        ReconciliationError, 16, "CLP", SVC_742, 74200, (BARE_ST,)
    ),
    "diasks2__era_835_parser__spec_example_3.835": Refused(
        ReconciliationError, 16, "CLP", SVC_742, 74200, (BARE_ST,)
    ),
    "diasks2__era_835_parser__spec_example_4.835": Refused(
        ReconciliationError, 15, "CLP", SVC_742, 74200, (BARE_ST,)
    ),
    "diasks2__era_835_parser__spec_example_5.835": Refused(
        ReconciliationError, 15, "CLP", SVC_742, 74200, (BARE_ST,)
    ),
    # BPR H/0 but the claim pays 150.00.
    "diasks2__era_835_parser__spec_example_6.835": Refused(
        ReconciliationError, 2, "BPR", "BPR02 pays 0.00", 15000, (BARE_ST,)
    ),
    "diasks2__era_835_parser__spec_example_7.835": Refused(
        ReconciliationError, 2, "BPR", "BPR02 pays 0.00", -165279, (BARE_ST,)
    ),
    "diasks2__era_835_parser__spec_example_8.835": Parses(medicaid_therapy, (BARE_ST,)),
    "ryanco__x12-parser__src_test_resources_example835NoISA.txt": Refused(
        NotAnERA, 1, "GS", RYANCO_GS01, warnings=("segment 1 (GS): no ISA interchange header",)
    ),
    "ryanco__x12-parser__src_test_resources_example835One.txt": Refused(
        NotAnERA, 2, "GS", RYANCO_GS01, warnings=(RYANCO_ISA,)
    ),
    "ryanco__x12-parser__src_test_resources_example835SpecialCharsOne.txt": Refused(
        NotAnERA, 2, "GS", RYANCO_GS01, warnings=(RYANCO_ISA,)
    ),
    # Element separator 'Ö' (two bytes in UTF-8), declared by the ISA and used throughout.
    "ryanco__x12-parser__src_test_resources_example835nonasciielemsep.txt": Refused(
        NotAnERA, 2, "GS", RYANCO_GS01, warnings=(RYANCO_ISA,)
    ),
    # '|' and '^' delimiters, '~' written at the start of each line; read, but the check
    # (BPR02) is not what the claims pay less the PLB.
    "slott56__TigerShark__tests_835-example.txt": Refused(
        ReconciliationError, 4, "BPR", "BPR02 pays 12345.67", 21619, (TIGERSHARK_TERMINATOR,)
    ),
    "slott56__TigerShark__tests_835-example-2.txt": Refused(
        ReconciliationError, 4, "BPR", "BPR02 pays 12345.67", -1214565, (TIGERSHARK_TERMINATOR,)
    ),
}

needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"no sample folder {SAMPLES}")


def load(name: str, warnings: list[X12Warning] | None = None) -> list[Remittance]:
    """Parse and reconcile a sample from bytes, as an importer would read an upload; the
    file's warnings, then each remittance's own, go to ``warnings``."""
    with open(SAMPLES / name, "rb") as stream:
        remittances = list(read_remittances(stream, warnings=warnings))
    for remittance in remittances:
        if warnings is not None:
            warnings += remittance.warnings
        check(remittance)
    return remittances


def sample_text(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


def assert_warned(warnings: list[X12Warning], fragments: tuple[str, ...]) -> None:
    """The first warnings are the expected ones, in order (a refusal may cut the rest short)."""
    assert len(warnings) >= len(fragments), warnings
    for warning, fragment in zip(warnings, fragments, strict=False):
        assert fragment in str(warning), (warning, fragment)


@needs_samples
def test_every_sample_has_an_expected_outcome() -> None:
    present = {p.name for p in SAMPLES.iterdir() if p.is_file()} - NOT_SAMPLES
    assert present == set(EXPECTED), "add a row to EXPECTED for every new sample file"


@needs_samples
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample(name: str) -> None:
    expected = EXPECTED[name]
    warnings: list[X12Warning] = []
    if isinstance(expected, Parses):
        expected.verify(load(name, warnings))
        assert_warned(warnings, expected.warnings)
        assert len(warnings) == len(expected.warnings), warnings
        return
    with pytest.raises(expected.error) as caught:
        load(name, warnings)
    error = caught.value
    assert (error.position, error.segment_id) == (expected.position, expected.segment_id), error
    assert expected.fragment in str(error)
    assert_warned(warnings, expected.warnings)
    if expected.difference_cents is not None:
        assert isinstance(error, ReconciliationError)
        assert error.difference_cents == expected.difference_cents


@needs_samples
def test_acknowledgements_are_never_parsed_as_eras() -> None:
    acks = [name for name in EXPECTED if name.endswith(".997")]
    assert len(acks) == 2
    for name in acks:
        assert isinstance(EXPECTED[name], Refused)
        assert EXPECTED[name].error is NotAnERA  # type: ignore[union-attr]


# -- the defect behind the first one ------------------------------------------------------------

TIGERSHARK = sorted(name for name in EXPECTED if name.startswith("slott56__TigerShark"))


@needs_samples
@pytest.mark.parametrize("name", TIGERSHARK)
def test_tigershark_with_terminators_at_line_ends_reads_the_same(name: str) -> None:
    """'~' at the end of each line (the usual layout) instead of at its start: the same file,
    refused for the same money, without the warning about where its terminators are."""
    expected = EXPECTED[name]
    assert isinstance(expected, Refused)
    moved = sample_text(name).replace("\n~", "~\n").rstrip("\n") + "~\n"
    warnings: list[X12Warning] = []
    remittances = list(read_remittances(io.StringIO(moved, newline=""), warnings=warnings))
    with pytest.raises(ReconciliationError) as caught:
        check(remittances[0])
    assert caught.value.difference_cents == expected.difference_cents
    assert not any("terminator" in str(w) for w in warnings)
    with open(SAMPLES / name, "rb") as stream:
        assert list(read_remittances(stream)) == remittances
