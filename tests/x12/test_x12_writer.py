"""The 835 writer (the reader's inverse), streaming with ``read_era``, and the content hash."""

from __future__ import annotations

import dataclasses
import hashlib
import io
from datetime import date, datetime
from pathlib import Path

import pytest

from medledger.domain.adjudication import Adjustment as LedgerAdjustment
from medledger.domain.claim_advice import LineAdvice
from medledger.x12 import (
    Claim,
    Delimiters,
    Remittance,
    RemittanceHeader,
    X12Error,
    check,
    read_era,
    read_remittances,
)
from medledger.x12 import writer as w
from medledger.x12.mapping import claim_advice
from medledger.x12.tokens import SegmentReader
from medledger.x12.writer import UnwritableValue
from tests.x12.x12_testkit import SAMPLES, VALID_BODY, build

WHEN = datetime(2024, 1, 9, 12, 0)


def sample_remittances() -> list[Remittance]:
    visit = w.claim(
        "PCN1",
        [
            w.service_line("99213", 15000, 10000, [w.adjustment("CO", "45", 2500),
                           w.adjustment("PR", "2", 2500)], modifiers=["25"],
                           service_date=date(2024, 1, 2), control_number="PCN1-1",
                           allowed_cents=12500, remark_codes=["N130"]),
            w.service_line("85025", 4500, 0, [w.adjustment("PR", "1", 4500)]),
        ],
        adjustments=[w.adjustment("CO", "A2", 500)],
        patient=("O'BRIEN", "MARY"),
        member_id="M123",
    )  # fmt: skip
    denial = w.claim("PCN2", [w.service_line("97110", 9500, 0, [w.adjustment("CO", "50", 9500)])],
                     status_code="4")  # fmt: skip
    reversal = w.claim("PCN3", status_code="22", charge_cents=-5000, paid_cents=-4000,
                       adjustments=[w.adjustment("CO", "45", -1000)])  # fmt: skip
    plb = [w.provider_adjustment("WO", 1000, reference="OLD1"), w.provider_adjustment("L6", -50)]
    first = w.remittance([visit, denial, reversal], trace_number="EFT1",
                         payment_date=date(2024, 1, 9), provider_adjustments=plb)  # fmt: skip
    second = w.remittance([w.claim("PCN4", [w.service_line("99214", 22000, 22000)])],
                          trace_number="CHK2", payment_date=date(2024, 1, 10),
                          payer_name="OTHER PLAN", payer_id="1999999999")  # fmt: skip
    return [first, second]


def without_positions(claim: Claim) -> Claim:
    lines = tuple(dataclasses.replace(line, position=0) for line in claim.lines)
    return dataclasses.replace(claim, position=0, lines=lines)


def test_what_is_written_reads_back_the_same_and_balances():
    written = sample_remittances()
    read = list(read_remittances(io.StringIO(w.era_text(written, w.Interchange(WHEN)))))
    assert len(read) == 2
    for mine, theirs in zip(written, read, strict=True):
        check(theirs)
        assert [without_positions(c) for c in theirs.claims] == list(mine.claims)
        assert theirs.provider_adjustments == tuple(
            dataclasses.replace(p, position=theirs.provider_adjustments[0].position)
            for p in mine.provider_adjustments
        )
        assert (theirs.trace_number, theirs.payment_amount_cents) == (
            mine.trace_number,
            mine.payment_amount_cents,
        )
    # claims pay 100.00 - 5.00 (claim-level CO-A2), 0 and -40.00; less PLB 10.00 - 0.50
    assert read[0].net_payment_cents == 9500 + 0 - 4000 - 950


def test_written_files_are_valid_5010_for_pyx12():
    pyx12 = pytest.importorskip("pyx12.x12n_document")
    params = pytest.importorskip("pyx12.params")
    text = w.era_text(sample_remittances(), w.Interchange(WHEN))
    assert pyx12.x12n_document(
        param=params.params(), src_file=io.StringIO(text), fd_997=None, fd_html=None,
        fd_xmldoc=None,
    )  # fmt: skip


@pytest.mark.parametrize(
    "delimiters",
    [Delimiters("|", "^", "\n", "!"), Delimiters("\x1d", "\x1f", "\x1c", "\x1e")],
)
def test_any_delimiters_and_the_content_hash_ignores_them(delimiters):
    plain = list(
        read_remittances(io.StringIO(w.era_text(sample_remittances(), w.Interchange(WHEN))))
    )
    other = w.Interchange(datetime(2025, 5, 5, 5, 5), 77, delimiters=delimiters, newline="")
    again = list(read_remittances(io.StringIO(w.era_text(sample_remittances(), other))))
    assert [r.content_hash for r in again] == [r.content_hash for r in plain]
    assert [r.claims for r in again] == [r.claims for r in plain]


def test_the_content_hash_changes_with_the_content():
    changed = build([[s.replace("CAS*CO*45*100.00", "CAS*CO*45*100.01") for s in VALID_BODY]])
    (original,) = read_remittances(io.StringIO(build()))
    (modified,) = read_remittances(io.StringIO(changed))
    assert original.content_hash != modified.content_hash


def test_values_holding_a_delimiter_are_refused():
    bad = w.remittance([w.claim("PCN*1", [w.service_line("99213", 100, 100)])],
                       trace_number="T", payment_date=date(2024, 1, 1))  # fmt: skip
    with pytest.raises(UnwritableValue, match="'PCN\\*1' holds a delimiter"):
        w.era_text([bad], w.Interchange(WHEN))


def test_read_era_streams_claims_then_their_transaction_set():
    items = list(read_era(io.StringIO(w.era_text(sample_remittances(), w.Interchange(WHEN)))))
    kinds = [type(item).__name__ for item in items]
    assert kinds == ["Claim", "Claim", "Claim", "Remittance", "Claim", "Remittance"]
    assert all(item.claims == () for item in items if isinstance(item, Remittance))


def test_read_era_with_headers_gives_each_set_header_before_its_claims():
    text = w.era_text(sample_remittances(), w.Interchange(WHEN))
    items = list(read_era(io.StringIO(text), headers=True))
    kinds = [type(item).__name__ for item in items]
    assert kinds == ["RemittanceHeader", "Claim", "Claim", "Claim", "Remittance",
                     "RemittanceHeader", "Claim", "Remittance"]  # fmt: skip
    headers = [item for item in items if isinstance(item, RemittanceHeader)]
    sets = [item for item in items if isinstance(item, Remittance)]
    for header, remittance in zip(headers, sets, strict=True):
        assert (header.trace_number, header.payer_name, header.net_payment_cents) == (
            remittance.trace_number, remittance.payer_name, remittance.net_payment_cents
        )  # fmt: skip
        assert header.position == remittance.position
    assert headers[0].header_hash != headers[1].header_hash
    # A set without detail still gives its header, before its Remittance.
    empty = w.era_text([w.remittance([], trace_number="NIL", payment_date=WHEN.date())],
                       w.Interchange(WHEN))  # fmt: skip
    kinds = [type(item).__name__ for item in read_era(io.StringIO(empty), headers=True)]
    assert kinds == ["RemittanceHeader", "Remittance"]


def test_mapping_gives_the_billed_code_and_ledger_adjustments():
    text = build([[s.replace("SVC*HC:85025*400.00*350.00**1", "SVC*HC:85027*400.00*350.00**1*HC:85025")
                   for s in VALID_BODY]])  # fmt: skip
    (remittance,) = read_remittances(io.StringIO(text))
    advice = claim_advice(remittance.claims[0])
    assert advice.patient_control_number == "PCN001" and advice.patient_name == "JANE DOE"
    assert advice.adjustments == (LedgerAdjustment("CO", "45", 10000),)
    first, second = advice.lines
    assert first == LineAdvice(
        "99213", ("25",), date(2023, 12, 1), "LINE1", 60000, 45000,
        (LedgerAdjustment("CO", "45", 5000), LedgerAdjustment("PR", "1", 10000)), 55000,
    )  # fmt: skip
    assert second.code == "85025"  # as billed (SVC06), not as the payer adjudicated it


def _readable(path: Path) -> bool:
    try:
        list(read_era(io.BytesIO(path.read_bytes())))
    except X12Error:
        return False
    return True


READABLE_SAMPLES = [p for p in sorted(SAMPLES.iterdir()) if p.suffix != ".md" and _readable(p)]


@pytest.mark.parametrize("path", READABLE_SAMPLES, ids=lambda p: p.name[-40:])
def test_the_hashes_are_the_stored_definition_segment_by_segment(path):
    """Stored hashes tell a re-sent remittance from a changed one, so the reader's (which
    hashes a claim's segments at a time) must stay exactly this definition: each segment from
    BPR to the one before SE as id and elements joined by 0x1D, component separator as 0x1F;
    the header's hash stops at the last header segment."""
    expected: list[tuple[str, str]] = []
    reader = SegmentReader(io.BytesIO(path.read_bytes()))
    digest = header = None
    for segment in reader:
        sid = segment.segment_id
        if sid == "ST":
            digest, header, in_header = hashlib.sha256(), None, True
        elif sid == "SE":
            expected.append(
                (header.hexdigest() if header else digest.hexdigest(), digest.hexdigest())
            )
            digest = None
        elif digest is not None:
            component = reader.delimiters.component
            text = (sid + "\x1d" + "\x1d".join(segment.elements)).replace(component, "\x1f")
            if in_header and sid in ("LX", "CLP", "PLB"):
                header, in_header = digest.copy(), False
            digest.update(text.encode())
    items = list(read_era(io.BytesIO(path.read_bytes()), headers=True))
    headers = [item.header_hash for item in items if isinstance(item, RemittanceHeader)]
    contents = [item.content_hash for item in items if isinstance(item, Remittance)]
    assert list(zip(headers, contents, strict=True)) == expected
