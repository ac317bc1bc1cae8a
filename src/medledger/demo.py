"""The demo practice: a few hundred patients with half a year of plausible billing.

Everything is posted through the services, in the order it would happen at a practice (check-in
estimates and copays, then the payers' weekly remittances, then statement payments, write-offs, a
refund and a cancellation), so the demo exercises the same rules as real use and ``verify`` must
pass on it. Patients, visits and charges arrive as the practice's own X12 837 claims (one per
visit, written in memory by ``x12.claim_writer`` and imported by ``import_claims``), and the
remittances as X12 835 files (``x12.writer``, ``import_era``): the path of a real practice's files. One ``random.Random(seed)``
drives every choice and dates count back from ``today``, so a seed always gives the same practice.

Payer amounts are built to reconcile exactly, in cents, per line:
``charge = paid + CO-45 (charge − allowed) + CO-253 (sequestration) + PR (1 / 2 / 3 / 96)``.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine

from medledger.services.accounts import PatientAccount, encounter_account, patient_account
from medledger.services.actor import Actor
from medledger.services.adjudication import post_estimate
from medledger.services.auth import hash_password, set_password
from medledger.services.cancellations import cancel_pr
from medledger.services.claim_import import import_claims
from medledger.services.era_import import import_era
from medledger.services.history import transaction
from medledger.services.ledger_requests import CancellationRequest, WriteOffRequest
from medledger.services.payments import record_payment, refund_payment
from medledger.services.registration import (
    actor_for,
    add_payer,
    add_user,
    create_organisation,
)
from medledger.services.write_offs import submit_write_offs
from medledger.storage.unit_of_work import Database, UnitOfWork
from medledger.x12 import Claim, ServiceLine
from medledger.x12 import writer as x12_writer
from medledger.x12.claim_records import SubmittedLine
from medledger.x12.claim_writer import claims_text, submitted_claim, submitted_line

DEMO_NAME = "Demo Family Practice"
#: Every demo user (admin, manager, biller, frontdesk) logs in with this; a demo is not a secret.
DEMO_PASSWORD = "medledger-demo"

#: The practice's fee schedule, in cents per unit.
FEES = {
    "99203": 20000, "99213": 15000, "99214": 22000, "36415": 2500, "85025": 4500,
    "80053": 6500, "93000": 8000, "90471": 3500, "90686": 4000, "97110": 9500, "71046": 12000,
}  # fmt: skip
#: Office visits: where a copay plan puts the copay.
VISIT_CODES = frozenset({"99203", "99213", "99214"})
#: Typical visits of a family practice, with weights.
VISITS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (30, ("99213",)),
    (15, ("99213", "36415", "85025")),
    (12, ("99214", "36415", "80053", "85025")),
    (8, ("99214", "93000")),
    (8, ("90686", "90471")),
    (6, ("99213", "71046")),
    (6, ("97110",)),  # therapeutic exercise, billed per 15 minutes: 2-4 units
)
NEW_PATIENT_VISIT = ("99203", "36415", "85025")

FIRST_NAMES = (  # noqa: SIM905 (a list literal would run to 60 lines)
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy "
    "Matthew Betty Anthony Margaret Mark Sandra Donald Ashley Steven Kimberly Paul Emily Andrew "
    "Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Melissa George Deborah Timothy "
    "Stephanie Maria Jose Wei Priya Aaliyah Mohammed Sofia Diego Mei Olivia Liam Noah Emma"
).split()
LAST_NAMES = (  # noqa: SIM905
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
    "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Patel Kim Chen "
    "O'Brien Murphy Cohen Schmidt Novak Kowalski Okafor Haddad Yamamoto"
).split()


@dataclass(frozen=True)
class PayerProfile:
    """How one payer adjudicates: its contracted share of charges and the plans it sells."""

    code: str
    name: str
    allowed_bp: tuple[int, int]  # allowed amount as basis points of the charge, low..high
    medicare: bool = False


PAYERS = (
    PayerProfile("60054", "Aetna", (6200, 7800)),
    PayerProfile("87726", "UnitedHealthcare", (6000, 7500)),
    PayerProfile("00621", "Blue Cross Blue Shield of Illinois", (6500, 8000)),
    PayerProfile("12202", "Medicare Part B", (5500, 6200), medicare=True),
)
PAYMENT_METHODS = (("card", 60), ("check", 20), ("cash", 10), ("ach", 10))


@dataclass
class Coverage:
    """A patient's plan: copay on office visits, or deductible then coinsurance."""

    payer: PayerProfile
    payer_id: int
    copay: int  # cents; 0 for plans without a copay
    deductible_left: int  # cents still to meet this year; adjudication uses it up
    coinsurance_pct: int


@dataclass
class DemoSummary:
    organisation_id: int
    patients: int = 0
    encounters: int = 0
    procedures: int = 0
    remittances: int = 0
    estimates: int = 0
    payments: int = 0
    write_offs: int = 0
    refunds: int = 0
    cancellations: int = 0
    held_claims: int = 0
    total_pr_cents: int = 0
    outstanding_cents: int = 0
    credit_cents: int = 0


Track = Callable[[Sequence[Any], str], Iterable[Any]]


def _no_progress(items: Sequence[Any], _label: str) -> Iterable[Any]:
    return items


@dataclass
class _Practice:
    """The generator's state: the engine (and the services' Database over it), the staff
    acting, and what has been posted so far."""

    engine: Engine
    database: Database
    rng: random.Random
    today: date
    front: Actor
    biller: Actor
    manager: Actor
    summary: DemoSummary
    fee_schedules: dict[str, dict[str, int]] = field(default_factory=dict)
    batches: dict[tuple[date, str], list[Claim]] = field(default_factory=dict)
    payer_ids: dict[str, int] = field(default_factory=dict)
    patient_ids: list[int] = field(default_factory=list)
    open_estimates: list[int] = field(default_factory=list)  # unpaid, not yet adjudicated
    files: int = 0  # 835 files imported, numbering their interchanges
    claim_files: int = 0  # 837 files imported, numbering theirs


def load_demo(
    engine: Engine,
    *,
    patients: int = 300,
    seed: int = 7,
    today: date | None = None,
    track: Track = _no_progress,
) -> DemoSummary:
    """Create the demo organisation and post its history; ``track`` reports progress."""
    practice = _staffed_practice(engine, random.Random(seed), today or date.today())
    for index in track(range(patients), "patients and visits"):
        _register_patient(practice, index)
    batches = sorted(practice.batches)
    for key in track(batches, "payer remittances"):
        _post_remittance(practice, *key, keyed_wrong=key == batches[-1])
    _patient_activity(practice, track)
    _summarise(practice)
    return practice.summary


def _staffed_practice(engine: Engine, rng: random.Random, today: date) -> _Practice:
    database = Database(engine)
    admin = create_organisation(database, DEMO_NAME)
    org = admin.organisation_id

    hashed = hash_password(DEMO_PASSWORD)

    def staff(username: str, name: str, role: str, limit: str | None = None) -> Actor:
        add_user(database, admin, username, name, role, limit, hashed)
        return actor_for(database, org, username, "demo")

    set_password(database, admin, "admin", DEMO_PASSWORD)

    practice = _Practice(
        engine,
        database,
        rng,
        today,
        front=staff("frontdesk", "Carla Diaz", "front_desk"),
        biller=staff("biller", "Morgan Lee", "biller", "100.00"),
        manager=staff("manager", "Priya Shah", "billing_manager"),
        summary=DemoSummary(org),
    )
    for payer in PAYERS:
        practice.payer_ids[payer.code] = add_payer(database, admin, payer.code, payer.name)
        low, high = payer.allowed_bp
        practice.fee_schedules[payer.code] = {
            code: fee * rng.randint(low, high) // 10000 for code, fee in FEES.items()
        }
    return practice


def _register_patient(practice: _Practice, index: int) -> None:
    """A patient, registered by the claim of their first visit (837), and their visits."""
    rng, today = practice.rng, practice.today
    age = rng.randint(*rng.choices(((1, 17), (18, 64), (65, 92)), weights=(20, 55, 25))[0])
    birth = today - timedelta(days=age * 365 + rng.randint(0, 364))
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    patient = _Patient(first, last, birth, f"M{index + 1:08d}")
    practice.summary.patients += 1
    coverage = _coverage(practice, age)
    days_ago = sorted(
        (rng.randint(3, 180) for _ in range(rng.choice((1, 1, 2, 2, 3)))), reverse=True
    )
    for number, days in enumerate(days_ago, start=1):
        new_patient = number == 1 and rng.random() < 0.25
        on = today - timedelta(days=days)
        patient_id = _visit(practice, patient, index, number, on, coverage, new_patient)
    practice.patient_ids.append(patient_id)


@dataclass(frozen=True)
class _Patient:
    """Who the claims are for (their 837 registers them; their 835 names them)."""

    first_name: str
    last_name: str
    birth_date: date
    member_id: str


def _coverage(practice: _Practice, age: int) -> Coverage:
    rng = practice.rng
    commercial = [p for p in PAYERS if not p.medicare]
    if age >= 65 and rng.random() < 0.9:
        payer = PAYERS[-1]
        return Coverage(payer, practice.payer_ids[payer.code], 0, rng.choice((0, 25700)), 20)
    payer = rng.choice(commercial)
    copay = rng.choice((2000, 2500, 3000, 4000)) if rng.random() < 0.6 else 0
    deductible = rng.choice((0, 0, 25000, 50000, 100000, 150000, 300000))
    coinsurance = rng.choice((10, 20, 20, 20, 30))
    return Coverage(payer, practice.payer_ids[payer.code], copay, deductible, coinsurance)


def _visit(
    practice: _Practice,
    patient: _Patient,
    index: int,
    number: int,
    on: date,
    coverage: Coverage,
    new_patient: bool,
) -> int:
    """One encounter: its claim (837), check-in copay, and the payer's answer if it has come by
    today. Returns the patient's id."""
    rng, front = practice.rng, practice.front
    codes = NEW_PATIENT_VISIT if new_patient else rng.choices(VISITS, [w for w, _ in VISITS])[0][1]
    pcn = f"DEMO{index + 1:05d}{number:02d}"
    billed = []
    for n, code in enumerate(codes, start=1):
        units = rng.randint(2, 4) if code == "97110" else 1
        billed.append(
            submitted_line(code, FEES[code] * units, on, units=units, control_number=f"{pcn}-{n}")
        )
    encounter_id, patient_id = _claim_filed(practice, pcn, patient, coverage, billed, on)
    procedures = [
        p.procedure for p in encounter_account(practice.database, front, encounter_id).procedures
    ]
    practice.summary.encounters += 1
    practice.summary.procedures += len(procedures)

    answered_on = on + timedelta(days=rng.randint(12, 40))
    visit = next((p for p in procedures if p.code in VISIT_CODES), None)
    if coverage.copay and visit is not None and rng.random() < 0.6:
        post_estimate(
            practice.database, front, visit.id, {"3": coverage.copay}, note="copay at check-in"
        )
        practice.summary.estimates += 1
        if rng.random() < 0.75:
            record_payment(practice.database, front, patient_id, coverage.copay, encounter_id=encounter_id,
                method=_method(rng), received_on=on, note="copay at check-in",
            )  # fmt: skip
            practice.summary.payments += 1
        elif answered_on > practice.today:
            practice.open_estimates.append(visit.id)
    if answered_on > practice.today:
        return patient_id  # the payer has not answered yet
    lines = [_adjudicate(practice, coverage, p, on) for p in procedures]
    claim = x12_writer.claim(
        pcn, lines, patient=(patient.last_name.upper(), patient.first_name.upper()),
        member_id=patient.member_id,
    )  # fmt: skip
    friday = answered_on + timedelta(days=(4 - answered_on.weekday()) % 7)
    practice.batches.setdefault((min(friday, practice.today), coverage.payer.code), []).append(
        claim
    )
    return patient_id


def _claim_filed(
    practice: _Practice,
    pcn: str,
    patient: _Patient,
    coverage: Coverage,
    lines: list[SubmittedLine],
    on: date,
) -> tuple[int, int]:
    """The visit's claim, written as an 837 and imported like the practice's own file: its
    encounter's and patient's ids."""
    claim = submitted_claim(
        pcn, lines, patient=(patient.last_name, patient.first_name),
        birth_date=patient.birth_date, sex=None, member_id=patient.member_id,
        payer=(coverage.payer.name.upper(), coverage.payer.code),
    )  # fmt: skip
    practice.claim_files += 1
    interchange = x12_writer.Interchange(
        datetime.combine(on, time(17, 0)), control_number=practice.claim_files
    )
    text = claims_text([claim], interchange, practice=DEMO_NAME.upper())
    summary = import_claims(
        practice.database, practice.biller, io.BytesIO(text.encode()), file_name=f"{pcn}.837"
    )
    assert summary.imported == 1, summary
    with UnitOfWork(practice.engine, practice.biller.organisation_id, write=False) as uow:
        encounter = uow.registry.encounter_by_control_number(pcn)
    assert encounter is not None
    return int(encounter.id), int(encounter.patient_id)


def _adjudicate(practice: _Practice, coverage: Coverage, procedure: Any, on: date) -> ServiceLine:
    """The payer's line: allowed from its fee schedule, PR by the plan, the rest paid."""
    charge = procedure.charge_cents
    pr: dict[str, int] = {}
    if procedure.code not in VISIT_CODES and practice.rng.random() < 0.02:
        pr["96"] = charge  # not covered: the whole charge is the patient's
        allowed = charge
    else:
        allowed = practice.fee_schedules[coverage.payer.code][procedure.code] * procedure.units
        if coverage.copay and procedure.code in VISIT_CODES:
            pr["3"] = min(coverage.copay, allowed)
        else:
            deductible = min(coverage.deductible_left, allowed)
            coverage.deductible_left -= deductible
            pr["1"] = deductible
            pr["2"] = (allowed - deductible) * coverage.coinsurance_pct // 100
    paid = allowed - sum(pr.values())
    sequestration = paid * 2 // 100 if coverage.payer.medicare else 0
    adjustments = [("CO", "45", charge - allowed), ("CO", "253", sequestration)]
    adjustments += [("PR", carc, cents) for carc, cents in pr.items()]
    return x12_writer.service_line(
        procedure.code,
        charge,
        paid - sequestration,
        [x12_writer.adjustment(group, carc, cents) for group, carc, cents in adjustments if cents],
        service_date=on,
        control_number=procedure.line_item_control_number,
        allowed_cents=allowed,
        units=str(procedure.units),
    )


def _post_remittance(
    practice: _Practice, friday: date, payer_code: str, *, keyed_wrong: bool = False
) -> None:
    """The payer's weekly 835, written in memory and imported like any payer's file.

    ``keyed_wrong``: the payer keyed the first claim's control number wrong, so the import holds
    it for review (the Held claims page), where a biller finds the visit and posts it.
    """
    payer = next(p for p in PAYERS if p.code == payer_code)
    claims = list(practice.batches[(friday, payer_code)])
    if keyed_wrong:
        claims[0] = replace(
            claims[0], patient_control_number=claims[0].patient_control_number + "X"
        )
    remittance = x12_writer.remittance(
        claims,
        trace_number=f"EFT{payer_code}{friday:%y%m%d}",
        payment_date=friday,
        payer_name=payer.name.upper(),
        payer_id=f"1{payer_code:0>9}",
        payer_identifier=payer_code,
        payee_name=DEMO_NAME.upper(),
        payment_method="ACH",
    )
    practice.files += 1
    interchange = x12_writer.Interchange(
        datetime.combine(friday, time(6, 0)), control_number=practice.files
    )
    text = x12_writer.era_text([remittance], interchange)
    summary = import_era(
        practice.database,
        practice.biller,
        io.BytesIO(text.encode()),
        file_name=f"{payer_code}-{friday:%Y%m%d}.835",
    )
    assert summary.claims_posted == summary.claims - keyed_wrong, summary  # the others match
    practice.summary.remittances += summary.remittances
    practice.summary.held_claims += summary.held_claims


def _patient_activity(practice: _Practice, track: Track) -> None:
    """After the remittances: one wrong estimate is cancelled, statements go out and are paid (in
    full, in part, a few too much: one overpayment is refunded), then the billing team writes off
    the largest unpaid balances as hardship and the small ones as not worth collecting."""
    for procedure_id in practice.open_estimates[:1]:
        request = CancellationRequest(
            procedure_id, "estimate_wrong", note="preventive visit: no copay applies"
        )
        cancel_pr(practice.database, practice.manager, request)
        practice.summary.cancellations += 1
    _statement_payments(practice, track)
    _write_offs(practice)


def _statement_payments(practice: _Practice, track: Track) -> None:
    rng, summary = practice.rng, practice.summary
    owing = [pid for pid, account in _accounts(practice) if account.balance.patient_balance > 0]
    rng.shuffle(owing)
    over = owing[: max(2, len(owing) * 3 // 100)]
    full = set(owing[len(over) : len(owing) * 50 // 100])
    partial = set(owing[len(owing) * 50 // 100 : len(owing) * 70 // 100])
    for patient_id in track(owing, "statement payments"):
        balance = patient_account(
            practice.database, practice.front, patient_id
        ).balance.patient_balance
        if patient_id in over:
            amount = balance + rng.choice((500, 1000, 2000))
        elif patient_id in full or (patient_id in partial and balance < 2000):
            amount = balance
        elif patient_id in partial:
            amount = balance // 2 // 500 * 500
        else:
            continue
        posted = record_payment(
            practice.database, practice.front, patient_id, amount, method=_method(rng)
        )
        summary.payments += 1
        if patient_id == over[0]:
            payment_id = (
                transaction(practice.database, practice.front, posted).entries[0].payment_id
            )
            assert payment_id is not None  # a payment's entries name it
            refund_payment(practice.database, practice.manager, payment_id, amount - balance,
                           note="patient asked for the overpayment back")  # fmt: skip
            summary.refunds += 1


def _write_offs(practice: _Practice) -> None:
    unpaid = sorted(
        ((account.balance.patient_balance, pid) for pid, account in _accounts(practice)),
        reverse=True,
    )
    hardship = max(1, len(unpaid) // 100)
    for rank, (balance, patient_id) in enumerate(unpaid):
        if rank < hardship and balance > 1000:
            actor, reason, note = practice.manager, "financial_hardship", "sliding scale approved"
        elif 0 < balance <= 1000:
            actor, reason, note = practice.biller, "small_balance", None
        else:
            continue
        request = WriteOffRequest(reason, patient_id=patient_id, total=balance, note=note)
        submit_write_offs(practice.database, actor, [request], None)
        practice.summary.write_offs += 1


def _accounts(practice: _Practice) -> list[tuple[int, PatientAccount]]:
    return [
        (pid, patient_account(practice.database, practice.biller, pid))
        for pid in practice.patient_ids
    ]


def _summarise(practice: _Practice) -> None:
    summary = practice.summary
    for _, account in _accounts(practice):
        balance = account.balance
        summary.total_pr_cents += balance.pr_net
        summary.outstanding_cents += max(balance.patient_balance, 0)
        summary.credit_cents += balance.credit


def _method(rng: random.Random) -> str:
    return rng.choices([m for m, _ in PAYMENT_METHODS], weights=[w for _, w in PAYMENT_METHODS])[0]
