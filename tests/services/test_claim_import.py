"""Importing 837 claim files: what the samples register, re-imports, replacements and voids,
all or nothing, and who may import. On SQLite and PostgreSQL (the ``engine`` fixture)."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from medledger.services import accounts
from medledger.services.actor import Actor
from medledger.services.authorization import Forbidden
from medledger.services.claim_import import ClaimFileRefused, import_claims
from medledger.services.era_import import import_era
from medledger.services.verification import verify_organisation
from medledger.storage.tables import (
    coverages,
    encounters,
    ledger_entries,
    patients,
    procedures,
    submitted_claims,
)
from medledger.storage.unit_of_work import Database, UnitOfWork
from medledger.x12 import writer as w
from medledger.x12.claim_writer import claims_text, submitted_claim, submitted_line
from tests import builders
from tests.x12.test_x12_claims import CLAIM_SAMPLES

DAY = date(2026, 3, 2)
TABLES = (patients, encounters, procedures, coverages, submitted_claims, ledger_entries)


def counts(engine, actor) -> dict[str, int]:
    with builders.reading(engine, actor.organisation_id) as connection:
        return {
            table.name: connection.execute(
                select(func.count()).where(table.c.organisation_id == actor.organisation_id)
            ).scalar_one()
            for table in TABLES
        }


def sample(engine, actor, name: str, **options):
    return import_claims(Database(engine), actor, CLAIM_SAMPLES / name, **options)


def text_of(*claims, control_number: int = 1) -> bytes:
    interchange = w.Interchange(datetime(2026, 3, 3, 9, 30), control_number)
    return claims_text(claims, interchange).encode()


def load(engine, actor, data: bytes, name: str = "claims.837", **options):
    return import_claims(Database(engine), actor, io.BytesIO(data), file_name=name, **options)


def office_visit(frequency: str = "1", lines=None, number: str = "PCN-1"):
    return submitted_claim(
        number,
        lines
        or [
            submitted_line("99213", 12000, DAY, control_number="L1"),
            submitted_line("81002", 1500, DAY, control_number="L2"),
        ],
        patient=("LEE", "ANN"),
        member_id="W100",
        frequency_code=frequency,
    )


def charges_of(engine, actor, number: str) -> list[tuple[str, int]]:
    """The encounter's procedures as (code, standing charge) in line order."""
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        encounter = uow.registry.encounter_by_control_number(number)
    account = accounts.encounter_account(Database(engine), actor, encounter.id)
    rows = sorted(account.procedures, key=lambda p: p.procedure.line_number)
    return [(p.procedure.code, p.balance.charge) for p in rows]


# -- the samples ------------------------------------------------------------------------------

#: What five sample files hold, counted by hand in the file: patients, encounters (one per
#: CLM), procedures (one per LX), and the charges (CLM02).
SAMPLE_COUNTS = {
    # one dependent (TED SMITH) under his mother's policy; 4 SV1 lines
    "LinuxForHealth__x12__837_005010X222A2_demo.example1.837": (1, 1, 4, 10000),
    # two subscribers (DOE, SMITH), a claim each: 2 + 1 SV2 lines
    "LinuxForHealth__x12__837_005010X223A3_two-claims-single-provider.837i": (2, 2, 3, 13995),
    # 4010 institutional, the patient is the subscriber; 5 SV2 lines
    "LinuxForHealth__x12__837_004010X096A1_institutional-ppo-repriced.837": (1, 1, 5, 259369),
    # 4010 professional, the patient is the subscriber
    "LinuxForHealth__x12__837_004010X098A1_patient-is-subscriber.837": (1, 1, 4, 10000),
    # drugs (LIN/CTP after the SV1s): 6 lines
    "LinuxForHealth__x12__837_005010X222A2_demo.drug.example10.2.837": (1, 1, 6, 223293),
}


@pytest.mark.parametrize("name", sorted(SAMPLE_COUNTS))
def test_a_sample_registers_what_it_holds(engine, database, actor, name):
    patients_held, encounters_held, procedures_held, charge_cents = SAMPLE_COUNTS[name]
    summary = sample(engine, actor, name)
    found = counts(engine, actor)
    assert (found["patients"], found["encounters"], found["procedures"]) == (
        patients_held,
        encounters_held,
        procedures_held,
    )
    assert summary.imported == encounters_held
    assert summary.lines == procedures_held
    assert not summary.held
    assert summary.charge_cents == charge_cents
    assert verify_organisation(database, actor.organisation_id).ok


def test_the_dependent_is_registered_with_the_demographics_and_coverage_of_the_claim(engine, actor):
    sample(engine, actor, "LinuxForHealth__x12__837_004010X098A1_patient-is-dependent.837")
    with builders.reading(engine, actor.organisation_id) as connection:
        (patient,) = connection.execute(
            select(patients).where(patients.c.organisation_id == actor.organisation_id)
        ).all()
        (coverage,) = connection.execute(
            select(coverages).where(coverages.c.patient_id == patient.id)
        ).all()
        (encounter,) = connection.execute(
            select(encounters).where(encounters.c.patient_id == patient.id)
        ).all()
    assert (patient.last_name, patient.first_name, patient.birth_date, patient.sex) == (
        "SMITH", "TED", date(1973, 5, 1), "M",
    )  # fmt: skip
    assert (patient.member_id, patient.city, patient.postal_code) == (
        "JS01111223333", "MIAMI", "33413",
    )  # fmt: skip
    assert (coverage.coverage_order, coverage.member_id) == ("primary", "11223333")
    assert (encounter.patient_control_number, encounter.place_of_service) == ("26463774", "11")
    assert encounter.diagnosis_codes == "0340,V7389"
    assert encounter.date_of_service == date(1998, 10, 3)


def test_the_same_patient_in_two_files_is_registered_once(engine, actor):
    # The 5010 and the demo file bill the same claim of TED SMITH, born 1973-05-01.
    sample(engine, actor, "LinuxForHealth__x12__837_005010X222A2_demo.example1.837")
    again = sample(engine, actor, "LinuxForHealth__x12__demo-file_demo.837")
    assert (again.patients_added, again.patients_matched) == (0, 1)
    assert counts(engine, actor)["patients"] == 1


# -- re-imports ---------------------------------------------------------------------------------


def test_importing_a_file_again_posts_nothing(engine, actor):
    name = "LinuxForHealth__x12__837_005010X223A3_two-claims-single-provider.837i"
    sample(engine, actor, name)
    before = counts(engine, actor)
    again = sample(engine, actor, name)
    assert again.already_imported
    assert (again.claims, again.imported, again.charge_cents) == (2, 0, 0)
    assert counts(engine, actor) == before


def test_the_same_claims_in_another_file_post_nothing(engine, actor):
    load(engine, actor, text_of(office_visit()))
    before = counts(engine, actor)
    again = load(engine, actor, text_of(office_visit(), control_number=2), "resent.837")
    assert not again.already_imported
    assert (again.unchanged, again.imported, again.charge_cents) == (1, 0, 0)
    assert counts(engine, actor)["ledger_entries"] == before["ledger_entries"]


def test_a_second_original_with_other_content_is_held(engine, actor):
    load(engine, actor, text_of(office_visit()))
    other = office_visit(lines=[submitted_line("99214", 21000, DAY)])
    summary = load(engine, actor, text_of(other, control_number=2), "other.837")
    ((number, reason),) = summary.held
    assert number == "PCN-1"
    assert "sent as a replacement (CLM05-3 = 7)" in reason
    assert charges_of(engine, actor, "PCN-1") == [("99213", 12000), ("81002", 1500)]


# -- replacements and voids ---------------------------------------------------------------------

CORRECTED = [
    submitted_line("99214", 21000, DAY, control_number="L1"),
    submitted_line("81002", 1500, DAY, control_number="L2"),
]


def test_a_replacement_takes_back_unposted_lines_and_charges_its_own(engine, database, actor):
    load(engine, actor, text_of(office_visit()))
    summary = load(engine, actor, text_of(office_visit("7", CORRECTED), control_number=2))
    assert (summary.replaced, summary.held) == (1, [])
    assert summary.charge_cents == 21000 + 1500 - 12000 - 1500
    assert charges_of(engine, actor, "PCN-1") == [
        ("99213", 0), ("81002", 0), ("99214", 21000), ("81002", 1500),
    ]  # fmt: skip
    assert verify_organisation(database, actor.organisation_id).ok


def paid_by_the_payer(engine, actor) -> None:
    """The payer's 835 for PCN-1: the office visit paid, the lab test denied to the patient."""
    answer = w.claim(
        "PCN-1",
        [
            w.service_line("99213", 12000, 9000, [w.adjustment("CO", "45", 3000)],
                           service_date=DAY, control_number="L1"),
            w.service_line("81002", 1500, 0, [w.adjustment("PR", "1", 1500)],
                           service_date=DAY, control_number="L2"),
        ],
        patient=("LEE", "ANN"),
    )  # fmt: skip
    remittance = w.remittance(
        [answer], trace_number="EFT-9", payment_date=DAY, payer_identifier="ACME01"
    )
    text = w.era_text([remittance], w.Interchange(datetime(2026, 4, 1), 5)).encode()
    era = import_era(Database(engine), actor, io.BytesIO(text), file_name="paid.835")
    assert era.claims_posted == 1


def test_a_replacement_of_a_paid_claim_is_held_and_changes_nothing(engine, actor):
    load(engine, actor, text_of(office_visit()))
    paid_by_the_payer(engine, actor)
    before = counts(engine, actor)
    summary = load(engine, actor, text_of(office_visit("7", CORRECTED), control_number=2))
    ((number, reason),) = summary.held
    assert "money is posted against its earlier lines" in reason
    assert charges_of(engine, actor, "PCN-1") == [("99213", 12000), ("81002", 1500)]
    after = counts(engine, actor)
    assert after["submitted_claims"] == before["submitted_claims"] + 1
    assert {k: v for k, v in after.items() if k != "submitted_claims"} == {
        k: v for k, v in before.items() if k != "submitted_claims"
    }
    with builders.reading(engine, actor.organisation_id) as connection:
        held = connection.execute(
            select(submitted_claims).where(submitted_claims.c.status == "held",
                                           submitted_claims.c.organisation_id == actor.organisation_id)
        ).one()  # fmt: skip
    assert held.held_reason == reason


def test_a_void_takes_back_unposted_charges(engine, database, actor):
    load(engine, actor, text_of(office_visit()))
    summary = load(engine, actor, text_of(office_visit("8"), control_number=2))
    assert (summary.voided, summary.charge_cents) == (1, -13500)
    assert charges_of(engine, actor, "PCN-1") == [("99213", 0), ("81002", 0)]
    again = load(engine, actor, text_of(office_visit("8"), control_number=3))
    assert (again.unchanged, again.charge_cents) == (1, 0)
    assert verify_organisation(database, actor.organisation_id).ok


def test_a_void_of_a_paid_claim_is_held(engine, actor):
    load(engine, actor, text_of(office_visit()))
    paid_by_the_payer(engine, actor)
    summary = load(engine, actor, text_of(office_visit("8"), control_number=2))
    ((_, reason),) = summary.held
    assert reason.startswith("void of claim PCN-1: money is posted against its earlier lines")
    assert charges_of(engine, actor, "PCN-1") == [("99213", 12000), ("81002", 1500)]


def test_a_replacement_without_an_earlier_claim_is_held(engine, actor):
    summary = load(engine, actor, text_of(office_visit("7")))
    assert summary.held == [("PCN-1", "replacement claim PCN-1: no claim PCN-1 is in the ledger")]
    assert counts(engine, actor)["encounters"] == 0


def test_a_payers_answer_after_a_replacement_matches_the_new_lines(engine, database, actor):
    load(engine, actor, text_of(office_visit()))
    lines = [replace(line, line_item_control_number="R1") for line in CORRECTED[:1]]
    load(engine, actor, text_of(office_visit("7", lines), control_number=2))
    answer = w.claim(
        "PCN-1",
        [w.service_line("99214", 21000, 16000, [w.adjustment("CO", "45", 5000)],
                        service_date=DAY, control_number="R1")],
        patient=("LEE", "ANN"),
    )  # fmt: skip
    remittance = w.remittance([answer], trace_number="EFT-10", payment_date=DAY)
    text = w.era_text([remittance], w.Interchange(datetime(2026, 4, 1), 6)).encode()
    era = import_era(database, actor, io.BytesIO(text), file_name="paid.835")
    assert (era.claims_posted, era.held_claims) == (1, 0)


# -- all or nothing, dry runs, roles --------------------------------------------------------


def test_a_refused_file_writes_nothing_and_says_where(engine, actor):
    second = submitted_claim("PCN-2", [submitted_line("99213", 12000, DAY)])
    data = text_of(office_visit(), second).replace(b"CLM*PCN-2*120.00", b"CLM*PCN-2*121.00")
    with pytest.raises(ClaimFileRefused) as refused:
        load(engine, actor, data, "bad.837")
    assert refused.value.message.startswith("bad.837: segment ")
    assert "CLM02 says 121.00 but its 1 service lines add up to 120.00" in refused.value.message
    assert counts(engine, actor) == dict.fromkeys(counts(engine, actor), 0)


def test_an_ndc_given_as_the_procedure_is_refused_alike_on_both_engines(engine, actor):
    """An 837 line's procedure is an HCPCS/CPT code (SV101 HC); its drug's 11-digit NDC goes in
    LIN03. A file giving the NDC in SV101 (N4), or a code longer than the ledger's 10
    characters, is refused by the reader — before any row — so SQLite, whose VARCHAR takes any
    length, and PostgreSQL answer the same."""
    ndc = text_of(office_visit(lines=[submitted_line("99213", 12000, DAY)])).replace(
        b"SV1*HC:99213", b"SV1*N4:00093505601"
    )
    with pytest.raises(ClaimFileRefused, match=r"SV101 gives NDC '00093505601' \(qualifier N4\)"):
        load(engine, actor, ndc, "ndc.837")
    long = ndc.replace(b"N4:00093505601", b"HC:00093505601")
    with pytest.raises(ClaimFileRefused, match="'00093505601' is longer than 10 characters"):
        load(engine, actor, long, "long.837")
    other = ndc.replace(b"N4:00093505601", b"NU:0450")
    with pytest.raises(ClaimFileRefused, match="SV101 qualifier 'NU' is not a procedure code"):
        load(engine, actor, other, "nu.837")
    assert counts(engine, actor) == dict.fromkeys(counts(engine, actor), 0)


def test_a_drug_line_registers_its_hcpcs_code_not_its_ndc(engine, actor):
    sample(engine, actor, "LinuxForHealth__x12__837_005010X222A2_demo.drug.example10.2.837")
    with builders.reading(engine, actor.organisation_id) as connection:
        codes = connection.execute(
            select(procedures.c.code).where(procedures.c.organisation_id == actor.organisation_id)
        ).scalars()
        assert sorted(codes) == ["S5000"] * 4 + ["S5001", "S9500"]


def test_a_sample_refused_by_the_reader_writes_nothing(engine, actor):
    with pytest.raises(ClaimFileRefused, match="is not a claim frequency code"):
        sample(
            engine,
            actor,
            "LinuxForHealth__x12__837_004010X098A1_dependent-commercial-insurance-01.837",
        )
    assert counts(engine, actor)["patients"] == 0


def test_a_dry_run_writes_nothing(engine, actor):
    summary = load(engine, actor, text_of(office_visit()), dry_run=True)
    assert (summary.dry_run, summary.imported, summary.charge_cents) == (True, 1, 13500)
    assert counts(engine, actor)["encounters"] == 0


def test_a_file_reports_its_progress_in_bytes_up_to_its_size(engine, actor, tmp_path):
    path = tmp_path / "claims.837"
    path.write_bytes(text_of(office_visit()))
    seen: list[tuple[str, int, int]] = []
    summary = import_claims(Database(engine), actor, path, progress=lambda *p: seen.append(p))
    assert summary.imported == 1
    size = path.stat().st_size
    assert {phase for phase, _, _ in seen} == {"importing"}
    assert [done for _, done, _ in seen] == sorted(done for _, done, _ in seen)
    assert seen[-1] == ("importing", size, size)


def test_the_front_desk_may_not_import_claims(engine, actor):
    desk = Actor(actor.organisation_id, actor.user_id, "test", "front_desk")
    with pytest.raises(Forbidden):
        load(engine, desk, text_of(office_visit()))


def test_claims_of_one_organisation_do_not_reach_another(engine, database, actor):
    from medledger.services.registration import create_organisation

    load(engine, actor, text_of(office_visit()))
    other = create_organisation(database, "Elsewhere")
    other = Actor(other.organisation_id, other.user_id, "test", "admin")
    summary = load(engine, other, text_of(office_visit("8")))
    assert summary.held == [("PCN-1", "void of claim PCN-1: no claim PCN-1 is in the ledger")]
    assert charges_of(engine, actor, "PCN-1") == [("99213", 12000), ("81002", 1500)]
