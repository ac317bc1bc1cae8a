"""Registering by hand: a patient with demographics and coverages, a visit with its charges, and
the void of a charge entered in error — each checked, each refused with a reason, on both
databases."""

from __future__ import annotations

from datetime import date

import pytest

from medledger.domain.charge_void import MoneyMovedOnCharge, NothingToVoid
from medledger.domain.errors import AlreadyExists, InvalidInput, NotFound
from medledger.domain.registration import PatientDetails
from medledger.services import accounts
from medledger.services.actor import Actor
from medledger.services.charge_voids import void_charge
from medledger.services.posting import dry_run
from medledger.services.registration import (
    CoverageInput,
    CoverageKey,
    ProcedureInput,
    VisitDetails,
    actor_for,
    add_encounter,
    add_user,
    register_patient,
    update_patient,
)
from medledger.storage.unit_of_work import Database, UnitOfWork
from tests import builders

ANN = PatientDetails(
    "Ann", "Smith", date(1970, 5, 1), "f", "MEM-1", "1 Main St", None, "Springfield", "IL", "62701"
)


def desk(engine, actor) -> Actor:
    """A front-desk user of the organisation: the role that registers patients and visits."""
    add_user(Database(engine), actor, "desk", "Desk", "front_desk")
    return actor_for(Database(engine), actor.organisation_id, "desk", "test")


def test_a_front_desk_user_registers_a_patient_with_coverages(engine, database, actor):
    front = desk(engine, actor)
    record = register_patient(database, front, " R-1 ", ANN,
        [CoverageInput("BCBS", "primary", payer_name="Blue Cross"), CoverageInput("MCR", "secondary", "1EG4")],
    )  # fmt: skip
    row = record.patient
    assert (row.mrn, row.first_name, row.last_name, row.sex, row.member_id, row.city) == (
        "R-1", "Ann", "Smith", "F", "MEM-1", "Springfield",
    )  # fmt: skip
    assert [(c.order, c.payer_code, c.payer_name, c.member_id) for c in record.coverages] == [
        ("primary", "BCBS", "Blue Cross", "MEM-1"),
        ("secondary", "MCR", "MCR", "1EG4"),
    ]


def test_the_same_person_or_mrn_is_refused_and_nothing_is_written(engine, database, actor):
    register_patient(database, actor, "R-2", ANN)
    with pytest.raises(AlreadyExists, match="MRN 'R-2' exists already"):
        register_patient(database, actor, "R-2", PatientDetails("Bob", "Jones"))
    twin = PatientDetails("ANN", "smith", date(1970, 5, 1), member_id="MEM-1")
    with pytest.raises(AlreadyExists, match=r"registered already \(MRN R-2\)"):
        register_patient(database, actor, "R-3", twin, [CoverageInput("NEWPAYER")])
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        assert uow.registry.find_patient("R-3") is None
        assert uow.registry.payer_by_code("NEWPAYER") is None


@pytest.mark.parametrize(
    ("details", "message"),
    [
        (PatientDetails("Ann", " "), "last name is required"),
        (PatientDetails("Ann", "Smith", sex="X"), "sex must be one of F, M, U"),
        (PatientDetails("Ann", "Smith", date(2999, 1, 1)), "birth_date must lie between"),
        (PatientDetails("Ann", "S" * 101), "last name is longer than 100 characters"),
        (PatientDetails("Ann", "Smith", postal_code="1" * 16), "postal code is longer than 15"),
    ],
)
def test_bad_details_are_refused_naming_the_field(database, actor, details, message):
    with pytest.raises(InvalidInput, match=message):
        register_patient(database, actor, "R-BAD", details)
    with pytest.raises(InvalidInput, match="coverage order must be one of"):
        register_patient(database, actor, "R-BAD", ANN, [CoverageInput("P1", "fourth")])


def test_a_dry_run_checks_and_writes_nothing(engine, database, actor):
    record = register_patient(database, actor, "R-DRY", ANN, [CoverageInput("P1")], dry_run=True)
    assert record.patient.mrn == "R-DRY" and len(record.coverages) == 1
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        assert uow.registry.find_patient("R-DRY") is None


def test_an_update_changes_what_is_given_and_adds_coverages(database, actor):
    patient_id = register_patient(database, actor, "R-4", ANN).patient.id
    record = update_patient(database, actor, patient_id, PatientDetails(last_name="Smith-Jones", city="Chicago"),
        [CoverageInput("AET", "primary", "W123")], mrn="R-4B",
    )  # fmt: skip
    row = record.patient
    assert (row.mrn, row.first_name, row.last_name, row.city, row.member_id) == (
        "R-4B", "Ann", "Smith-Jones", "Chicago", "MEM-1",
    )  # fmt: skip
    assert [(c.payer_code, c.member_id) for c in record.coverages] == [("AET", "W123")]
    other = register_patient(database, actor, "R-5", PatientDetails("Bo", "Li")).patient.id
    with pytest.raises(AlreadyExists, match="MRN 'R-4B' exists already"):
        update_patient(database, actor, other, PatientDetails(), mrn="R-4B")


def test_an_update_empties_the_details_named_but_never_the_last_name(database, actor):
    patient_id = register_patient(database, actor, "R-7", ANN).patient.id
    record = update_patient(
        database, actor, patient_id, PatientDetails(), clear=("city", "birth_date", "first_name")
    )
    row = record.patient
    assert (row.city, row.birth_date, row.first_name, row.postal_code) == (None, None, "", "62701")
    again = update_patient(database, actor, patient_id, PatientDetails(), clear=("city",))
    assert again.changed == record.changed  # nothing differed: nothing written
    with pytest.raises(InvalidInput, match="last name is required"):
        update_patient(database, actor, patient_id, PatientDetails(), clear=("last_name",))
    with pytest.raises(InvalidInput, match="a patient has no detail 'mrn'"):
        update_patient(database, actor, patient_id, PatientDetails(), clear=("mrn",))


def test_a_coverage_held_is_edited_or_removed_and_the_patient_shows_who(engine, database, actor):
    coverages = [CoverageInput("BCBS"), CoverageInput("MCR", "secondary", "1EG4")]
    patient_id = register_patient(database, actor, "R-8", ANN, coverages).patient.id
    front = desk(engine, actor)
    record = update_patient(database, front, patient_id, PatientDetails(),
        [CoverageInput("MCR", "secondary", "1EG4-TE5")], remove_coverages=[CoverageKey("BCBS", "primary")],
    )  # fmt: skip
    assert [(c.order, c.payer_code, c.member_id) for c in record.coverages] == [
        ("secondary", "MCR", "1EG4-TE5")
    ]
    assert record.changed is not None and record.changed.user_name == "Desk"
    # The same payer in another order: removed, then added back as primary.
    moved = update_patient(database, actor, patient_id, PatientDetails(), [CoverageInput("MCR")],
        remove_coverages=[CoverageKey("MCR", "secondary")],
    )  # fmt: skip
    assert [(c.order, c.payer_code, c.member_id) for c in moved.coverages] == [
        ("primary", "MCR", "MEM-1")
    ]
    assert moved.changed is not None and moved.changed.user_name == "Administrator"
    # A coverage given again without a member id, or with the one it holds, changes nothing.
    same = update_patient(database, front, patient_id, PatientDetails(), [CoverageInput("MCR")])
    assert same.changed == moved.changed and same.coverages == moved.coverages


@pytest.mark.parametrize(
    "key",
    [CoverageKey("BCBS", "primary"), CoverageKey("MCR", "secondary"), CoverageKey("MCR", "4th")],
)
def test_removing_a_coverage_not_held_is_refused_and_nothing_is_written(database, actor, key):
    patient_id = register_patient(database, actor, "R-9", ANN, [CoverageInput("MCR")]).patient.id
    with pytest.raises(InvalidInput) as refused:
        update_patient(database, actor, patient_id, PatientDetails(city="Chicago"),
            [CoverageInput("AET")], remove_coverages=[key],
        )  # fmt: skip
    assert refused.value.details["field"] in {"remove_coverages", "coverage_order"}
    with UnitOfWork(database.engine, actor.organisation_id, write=False) as uow:
        assert uow.registry.patient(patient_id).city == "Springfield"
        assert uow.registry.payer_by_code("AET") is None


def test_a_coverage_of_another_organisations_patient_cannot_be_removed(database, actor):
    from medledger.services.registration import create_organisation

    patient_id = register_patient(database, actor, "R-10", ANN, [CoverageInput("MCR")]).patient.id
    other = create_organisation(database, "Elsewhere")
    register_patient(database, other, "R-10", ANN, [CoverageInput("MCR")])
    with pytest.raises(NotFound):
        update_patient(database, other, patient_id, PatientDetails(),
            remove_coverages=[CoverageKey("MCR", "primary")],
        )  # fmt: skip
    assert len(update_patient(database, actor, patient_id, PatientDetails()).coverages) == 1


def test_another_organisations_patient_cannot_be_updated(database, actor):
    from medledger.services.registration import create_organisation

    patient_id = register_patient(database, actor, "R-6", ANN).patient.id
    other = create_organisation(database, "Elsewhere")
    with pytest.raises(NotFound):
        update_patient(database, other, patient_id, PatientDetails(city="X"))


def test_a_visit_without_a_control_number_gets_one_and_is_charged(engine, database, actor):
    front = desk(engine, actor)
    patient_id = register_patient(database, front, "R-7", ANN, [CoverageInput("P7")]).patient.id
    encounter_id = add_encounter(database, front, patient_id, None, date(2026, 3, 2),
        [ProcedureInput("99213", "150.00", ("25",)), ProcedureInput("97110", "95.00", units=3)],
        details=VisitDetails("11", "Dr Who", ("J06.9", "r05")),
    )  # fmt: skip
    account = accounts.encounter_account(database, actor, encounter_id)
    row = account.encounter
    assert row.patient_control_number.startswith("V") and len(row.patient_control_number) == 13
    assert (row.place_of_service, row.rendering_provider, row.diagnosis_codes) == (
        "11", "Dr Who", "J069,R05",
    )  # fmt: skip
    assert account.balance.charge == 24500
    assert [(p.procedure.code, p.procedure.modifiers, p.procedure.units) for p in account.procedures] == [
        ("99213", "25", 1), ("97110", "", 3),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (ProcedureInput("", "10.00"), "code is required"),
        (ProcedureInput("99213", "10.00", ("LONG",)), "modifiers are up to 4 codes"),
        (ProcedureInput("99213", "10.00", units=0), "units must be a whole number"),
        (ProcedureInput("99213", "-1.00"), "charges cannot be negative"),
        (ProcedureInput("99213", "12.345"), "12.345"),
    ],
)
def test_a_bad_line_is_refused_and_nothing_is_written(engine, database, actor, line, message):
    patient_id = builders.patient(engine, actor)
    with pytest.raises(Exception, match=message):
        add_encounter(database, actor, patient_id, "PCN-BAD", date(2026, 3, 2), [line])
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        assert uow.registry.encounter_by_control_number("PCN-BAD") is None


def test_a_control_number_in_use_is_refused(engine, database, actor):
    patient_id = builders.patient(engine, actor)
    add_encounter(
        database, actor, patient_id, "PCN-1", date(2026, 3, 2), [ProcedureInput("99213", "1.00")]
    )
    with pytest.raises(AlreadyExists, match="patient control number 'PCN-1'"):
        add_encounter(
            database,
            actor,
            patient_id,
            "PCN-1",
            date(2026, 3, 3),
            [ProcedureInput("99214", "2.00")],
        )


def test_a_dry_run_visit_shows_the_charges_and_writes_nothing(engine, database, actor):
    patient_id = builders.patient(engine, actor)
    with dry_run() as effect:
        add_encounter(
            database,
            actor,
            patient_id,
            "PCN-DRY",
            date(2026, 3, 2),
            [ProcedureInput("99213", "80.00")],
        )
    assert effect.kinds == ["charge"] and [e.amount_cents for e in effect.entries] == [8000]
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        assert uow.registry.encounter_by_control_number("PCN-DRY") is None


def test_a_charge_entered_in_error_is_voided_by_a_ledger_entry(engine, database, actor):
    front = desk(engine, actor)
    patient_id = builders.patient(engine, actor)
    _, (office, lab) = builders.visit(engine, actor, patient_id, ["150.00", "45.00"])
    transaction_id = void_charge(database, front, lab, note="wrong code")
    account = accounts.patient_account(database, actor, patient_id)
    assert account.balance.charge == 15000
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        header = uow.ledger.transaction(transaction_id)
        assert (header.kind, header.reason_code, header.user_id) == (
            "charge",
            "entered_in_error",
            front.user_id,
        )
        assert uow.claims.voided_among([office, lab]) == {lab}
        assert [
            row.id
            for row in uow.claims.standing_procedures(uow.registry.procedure(lab).encounter_id)
        ] == [office]
    with pytest.raises(NothingToVoid):
        void_charge(database, front, lab)


def test_a_charge_with_money_moved_against_it_cannot_be_voided(engine, database, actor):
    patient_id = builders.patient(engine, actor)
    encounter_id, (office,) = builders.visit(engine, actor, patient_id, ["150.00"])
    builders.adjudicate(
        engine, actor, encounter_id, {office: (15000, 6000, {"CO-45": 4000, "PR-1": 5000})}
    )
    permission = accounts.procedure_account(database, actor, office).void_charge
    assert not permission.allowed and isinstance(permission.reason, MoneyMovedOnCharge)
    with pytest.raises(MoneyMovedOnCharge, match="money has moved against this charge"):
        void_charge(database, actor, office)
    assert accounts.procedure_account(database, actor, office).balance.charge == 15000


def test_a_dry_run_void_writes_nothing(engine, database, actor):
    patient_id = builders.patient(engine, actor)
    _, (office,) = builders.visit(engine, actor, patient_id, ["150.00"])
    with dry_run() as effect:
        void_charge(database, actor, office)
    assert [e.amount_cents for e in effect.entries] == [-15000]
    assert accounts.procedure_account(database, actor, office).void_charge.allowed
