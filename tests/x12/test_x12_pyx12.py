"""Cross-check with pyx12 (an independent X12 reader), when it is installed.

pyx12 4.0.0 runs on Python 3.11; it is not a project dependency, so this module is skipped
without it (``pip install pyx12==4.0.0`` to run it). For every sample we accept, both readers
must see the same number of segments and the same CLP/SVC/CAS/PLB amounts.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from medledger.x12 import Adjustment, iter_segments
from tests.x12.test_x12_samples import EXPECTED, Parses, load
from tests.x12.x12_testkit import SAMPLES

pyx12_x12file = pytest.importorskip("pyx12.x12file")

# pyx12 reads only interchanges: a bare ST..SE file it refuses at its first line.
ACCEPTED = sorted(
    name
    for name, outcome in EXPECTED.items()
    if isinstance(outcome, Parses) and (SAMPLES / name).read_bytes().startswith(b"ISA")
)


def cents(value: str | None) -> int:
    assert value is not None
    return int(Decimal(value) * 100)


def pyx12_amounts(name: str) -> tuple[int, list[tuple[str, tuple[int, ...]]]]:
    wanted = {
        "CLP": (3, 4),
        "SVC": (2, 3),
        "CAS": (3, 6, 9, 12, 15, 18),
        "PLB": (4, 6, 8, 10, 12, 14),
    }
    count = 0
    amounts: list[tuple[str, tuple[int, ...]]] = []
    with open(SAMPLES / name, encoding="utf-8", newline="") as stream:
        for segment in pyx12_x12file.X12Reader(stream):
            count += 1
            sid = segment.get_seg_id()
            if sid in wanted:
                values = (segment.get_value(f"{sid}{n:02d}") for n in wanted[sid])
                amounts.append((sid, tuple(cents(v) for v in values if v)))
    return count, amounts


def our_amounts(name: str) -> tuple[int, list[tuple[str, tuple[int, ...]]]]:
    with open(SAMPLES / name, "rb") as stream:
        count = sum(1 for _ in iter_segments(stream))
    amounts: list[tuple[str, tuple[int, ...]]] = []
    for remittance in load(name):
        for claim in remittance.claims:
            amounts.append(("CLP", (claim.charge_cents, claim.paid_cents)))
            amounts.extend(_cas(claim.adjustments))
            for line in claim.lines:
                amounts.append(("SVC", (line.charge_cents, line.paid_cents)))
                amounts.extend(_cas(line.adjustments))
        if remittance.provider_adjustments:
            amounts.append(("PLB", tuple(p.amount_cents for p in remittance.provider_adjustments)))
    return count, amounts


def _cas(adjustments: tuple[Adjustment, ...]) -> list[tuple[str, tuple[int, ...]]]:
    return [("CAS", tuple(a.amount_cents for a in adjustments))] if adjustments else []


def flatten(amounts: list[tuple[str, tuple[int, ...]]]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for sid, values in amounts:
        out.setdefault(sid, []).extend(values)
    return {sid: sorted(v) for sid, v in out.items()}


pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"no sample folder {SAMPLES}")


@pytest.mark.parametrize("name", ACCEPTED)
def test_same_segments_and_amounts_as_pyx12(name: str) -> None:
    theirs_count, theirs = pyx12_amounts(name)
    ours_count, ours = our_amounts(name)
    assert ours_count == theirs_count
    assert flatten(ours) == flatten(theirs)
    assert [a for a in ours if a[0] == "CLP"] == [a for a in theirs if a[0] == "CLP"]


@pytest.mark.parametrize(
    "name",
    ["slott56__TigerShark__tests_835-example.txt", "slott56__TigerShark__tests_835-example-2.txt"],
)
def test_pyx12_also_reads_tigershark_segment_ids_as_tilde_gs(name: str) -> None:
    """Our refusal of the TigerShark files matches pyx12's reading of the same ISA."""
    with open(SAMPLES / name, encoding="utf-8", newline="") as stream:
        reader = pyx12_x12file.X12Reader(stream)
        ids = [segment.get_seg_id() for segment in reader]
        errors = reader.pop_errors()
    assert ids[1] == "~GS"
    assert any('"~GS" is invalid' in error[2] for error in errors)
