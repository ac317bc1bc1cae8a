"""A matching pair of files: an 837 of N claims and the 835 that pays them.

    .venv/bin/python -m bench.claims --claims 1000 --out /tmp/pair
    # writes /tmp/pair/claims.837 and /tmp/pair/remittance.835

The practice's claims (one patient each, one to three service lines with their line item
control numbers) and the payer's answer to every line: allowed 80 % of the charge, the rest a
contractual adjustment (CO-45), 20 % of the allowed amount the patient's coinsurance (PR-2), the
remainder paid. Imported in that order into a new organisation, the 835 posts every claim (none
held) and leaves each patient their coinsurance to pay. Tests, the benchmark and anyone trying
medledger without a practice of their own use it; the same seed writes the same files.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from medledger.x12 import writer as w
from medledger.x12.claim_records import SubmittedClaim
from medledger.x12.claim_writer import claims_text, submitted_claim, submitted_line

PAYER = ("ACME HEALTH PLAN", "ACME01")
#: Procedure codes and charges (cents) the generated visits are billed with.
SERVICES = (("99213", 15000), ("99214", 21000), ("85025", 4500), ("81002", 1500), ("93000", 6500))
LAST_NAMES = ("GARCIA", "NGUYEN", "SMITH", "OKAFOR", "MULLER", "ROSSI", "TANAKA", "COHEN")
FIRST_NAMES = ("ANA", "BEN", "CHLOE", "DAVID", "EMMA", "FARID", "GRACE", "HUGO")
WRITTEN = datetime(2026, 3, 1, 9, 0)


@dataclass(frozen=True)
class Pair:
    """The 837 and 835 texts, and the figures a test checks against."""

    claims_837: str
    remittance_835: str
    claims: int
    lines: int
    charge_cents: int
    paid_cents: int
    coinsurance_cents: int


def generate(count: int, *, seed: int = 16, first_day: date = date(2026, 2, 2)) -> Pair:
    """``count`` claims and the remittance paying them."""
    chosen = random.Random(seed)
    claims = [_claim(number, chosen, first_day) for number in range(1, count + 1)]
    answers = [_answer(claim) for claim in claims]
    remittance = w.remittance(
        answers,
        trace_number=f"EFT{seed:04d}{count:07d}",
        payment_date=first_day + timedelta(days=30),
        payer_name=PAYER[0],
        payer_identifier=PAYER[1],
    )
    lines = [line for claim in claims for line in claim.lines]
    return Pair(
        claims_837=claims_text(claims, w.Interchange(WRITTEN, 1)),
        remittance_835=w.era_text([remittance], w.Interchange(WRITTEN + timedelta(days=30), 2)),
        claims=len(claims),
        lines=len(lines),
        charge_cents=sum(line.charge_cents for line in lines),
        paid_cents=sum(answer.paid_cents for answer in answers),
        coinsurance_cents=sum(_coinsurance(line.charge_cents) for line in lines),
    )


def _claim(number: int, chosen: random.Random, first_day: date) -> SubmittedClaim:
    day = first_day + timedelta(days=number % 20)
    services = chosen.sample(SERVICES, chosen.randint(1, 3))
    return submitted_claim(
        f"C{number:07d}",
        [
            submitted_line(code, charge, day, control_number=f"C{number:07d}-{line}")
            for line, (code, charge) in enumerate(services, start=1)
        ],
        patient=(LAST_NAMES[number % len(LAST_NAMES)], FIRST_NAMES[number // 8 % 8]),
        birth_date=date(1950, 1, 1) + timedelta(days=number * 97 % 20000),
        member_id=f"M{number:09d}",
        payer=PAYER,
    )


def _allowed(charge_cents: int) -> int:
    return charge_cents * 8 // 10


def _coinsurance(charge_cents: int) -> int:
    return _allowed(charge_cents) // 5


def _answer(claim: SubmittedClaim) -> w.Claim:
    """The payer's claim payment: every line allowed, adjusted and paid (see the module doc)."""
    lines = []
    for line in claim.lines:
        allowed, coinsurance = _allowed(line.charge_cents), _coinsurance(line.charge_cents)
        lines.append(
            w.service_line(
                line.procedure_code,
                line.charge_cents,
                allowed - coinsurance,
                [
                    w.adjustment("CO", "45", line.charge_cents - allowed),
                    w.adjustment("PR", "2", coinsurance),
                ],
                service_date=line.service_date_from,
                control_number=line.line_item_control_number,
                allowed_cents=allowed,
            )
        )
    patient = claim.patient
    return w.claim(
        claim.patient_control_number,
        lines,
        patient=(patient.last_name, patient.first_name),
        member_id=patient.member_id,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=100)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    pair = generate(args.claims, seed=args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "claims.837").write_text(pair.claims_837)
    (args.out / "remittance.835").write_text(pair.remittance_835)
    print(
        f"{pair.claims} claims, {pair.lines} lines: {args.out / 'claims.837'}, "
        f"{args.out / 'remittance.835'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
