"""Build small, exactly known 835 files for the x12 tests.

The body below is written once with '*' and ':' and re-emitted with any delimiters, so every
separator variant is the same remittance and must parse to the same records. SE01, GE01 and
IEA01 are computed, so a test that breaks one of them does so on purpose.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path

from medledger.x12 import Remittance, check, read_remittances

#: The public 835 samples (tests/x12/samples, copied with their SOURCES.md and licenses from the
#: project's shared corpus, so a checkout anywhere tests them); MEDLEDGER_ERA_SAMPLES for others.
SAMPLES = Path(os.environ.get("MEDLEDGER_ERA_SAMPLES", Path(__file__).resolve().parent / "samples"))
DATA = Path(__file__).resolve().parent / "data"

# A balanced 835: two service lines with claim- and line-level CAS, a denied claim, a reversal,
# a claim without lines, and a PLB with a recoupment (WO) and interest (L6).
# sum(CLP04) = 700 + 0 - 200 + 500 = 1000.00; sum(PLB) = 10.00 - 0.50 = 9.50; BPR02 = 990.50.
VALID_BODY: tuple[str, ...] = (
    "BPR*I*990.50*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*20240105",
    "TRN*1*EFT0001*1512345678",
    "REF*EV*RECEIVER",
    "DTM*405*20240104",
    "N1*PR*ACME HEALTH PLAN*XV*PAYER01",
    "N3*1 MAIN ST",
    "N4*ANYTOWN*OH*45209",
    "PER*BL*EDI*TE*8005551212",
    "N1*PE*GOOD CLINIC*XX*1234567893",
    "REF*TJ*123456789",
    "LX*1",
    "TS3*1234567893*11*20241231*4*2000.00",
    "CLP*PCN001*1*1000.00*700.00*150.00*12*PAYERCLM1*11*1",
    "CAS*CO*45*100.00",
    "NM1*QC*1*DOE*JANE****MI*MEMBER01",
    "NM1*82*1*SMITH*JOHN****XX*1111111112",
    "MOA***MA01",
    "DTM*232*20231201",
    "DTM*233*20231202",
    "AMT*AU*1000.00",
    "SVC*HC:99213:25*600.00*450.00**1",
    "DTM*472*20231201",
    "CAS*CO*45*50.00",
    "CAS*PR*1*100.00*1",
    "REF*6R*LINE1",
    "AMT*B6*550.00",
    "LQ*HE*N130",
    "SVC*HC:85025*400.00*350.00**1",
    "DTM*150*20231201",
    "DTM*151*20231202",
    "CAS*PR*2*50.00",
    "REF*6R*LINE2",
    "CLP*PCN002*4*500.00*0**12*PAYERCLM2",
    "CAS*CO*50*500.00",
    "NM1*QC*1*ROE*RICHARD",
    "CLP*PCN003*22*-200.00*-200.00**12*PAYERCLM3",
    "NM1*QC*1*DOE*JANE****MI*MEMBER01",
    "CLP*PCN004*1*700.00*500.00*0*12*PAYERCLM4",
    "CAS*CO*45*200.00",
    "NM1*QC*1*POE*EDGAR",
    "PLB*1234567893*20241231*WO:OLDCLAIM*10.00*L6*-0.50",
)


def body_position(prefix: str) -> int:
    """File segment number of the first VALID_BODY segment starting with ``prefix``."""
    for index, segment in enumerate(VALID_BODY):
        if segment.startswith(prefix):
            return index + 4  # ISA, GS, ST come first
    raise KeyError(prefix)


def isa(
    *,
    element: str = "*",
    component: str = ":",
    terminator: str = "~",
    repetition: str = "^",
    version: str = "00501",
    control: str = "000000001",
) -> str:
    fields = (
        "00",
        " " * 10,
        "00",
        " " * 10,
        "ZZ",
        "SENDER".ljust(15),
        "ZZ",
        "RECEIVER".ljust(15),
        "240102",
        "1200",
        repetition if version >= "00402" else "U",
        version,
        control,
        "0",
        "T",
        component,
    )
    return "ISA" + element + element.join(fields) + terminator


def build(
    transaction_sets: Sequence[Sequence[str]] = (VALID_BODY,),
    *,
    element: str = "*",
    component: str = ":",
    terminator: str = "~",
    repetition: str = "^",
    newline: str = "",
    control: str = "000000001",
    st01: str = "835",
    gs01: str = "HP",
) -> str:
    """One interchange, one group, one ST..SE per body, with correct counts and control numbers."""
    segments = [f"GS*{gs01}*SENDER*RECEIVER*20240102*1200*17*X*005010X221A1"]
    for number, body in enumerate(transaction_sets, start=1):
        control_number = f"{number:04d}"
        segments.append(f"ST*{st01}*{control_number}")
        segments.extend(body)
        segments.append(f"SE*{len(body) + 2}*{control_number}")
    segments.append(f"GE*{len(transaction_sets)}*17")
    segments.append(f"IEA*1*{control}")
    translated = [s.replace("*", element).replace(":", component) for s in segments]
    head = isa(
        element=element,
        component=component,
        terminator=terminator,
        repetition=repetition,
        control=control,
    )
    return head + newline + "".join(s + terminator + newline for s in translated)


def parse_text(text: str) -> list[Remittance]:
    return list(read_remittances(io.StringIO(text, newline="")))


def parse_and_check(text: str) -> list[Remittance]:
    remittances = parse_text(text)
    for remittance in remittances:
        check(remittance)
    return remittances


def replace_segment(text: str, old: str, new: str) -> str:
    """Replace one exact segment text (which must occur exactly once)."""
    assert text.count(old) == 1, (old, text.count(old))
    return text.replace(old, new)
