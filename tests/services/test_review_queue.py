"""The review queue: held claims listed, posted by hand, or dismissed with a reason."""

from __future__ import annotations

import uuid

import pytest

from medledger.domain import errors
from medledger.domain.review import (
    DUPLICATE_CLAIM,
    SECONDARY_BEFORE_PRIMARY,
    UNMATCHED_CLAIM,
    UNMATCHED_LINE,
    ClaimHeld,
)
from medledger.services import accounts, history
from medledger.services.actor import Actor
from medledger.services.registration import ProcedureInput, create_organisation
from medledger.services.review_queue import (
    AlreadyResolved,
    dismiss_held_claim,
    encounter_choices,
    held_claim,
    held_claims,
    resolve_held_claim,
)
from medledger.services.verification import verify_organisation
from medledger.storage.unit_of_work import Database, UnitOfWork
from medledger.x12 import writer as w
from tests.era_builders import import_text
from tests.services.test_era_import import LAB, LAB_PAID, OFFICE, OFFICE_PAID, era, svc, visit


def encounter_of(engine, actor, procedure_id: int) -> int:
    return accounts.procedure_account(Database(engine), actor, procedure_id).procedure.encounter_id


def test_an_unmatched_claim_is_posted_to_the_encounter_a_biller_chooses(engine, database, actor):
    office, lab = visit(engine, actor, "PCN-1", OFFICE, LAB)
    import_text(engine, actor, era(w.claim("TYPO-1", [OFFICE_PAID, LAB_PAID])))
    (item,) = held_claims(database, actor)
    assert (item.reason, item.payer, item.trace_number) == (UNMATCHED_CLAIM, "ACME HEALTH", "EFT-1")
    assert item.label.startswith("No encounter") and item.resolution is None
    transaction_id = resolve_held_claim(
        database, actor, item.id, encounter_of(engine, actor, office)
    )
    view = history.transaction(database, actor, transaction_id)
    assert view.kind == "adjudication" and view.remittance_id is not None
    assert accounts.procedure_account(database, actor, lab).balance.payer_paid == 3000
    assert held_claims(database, actor) == []
    done = held_claim(database, actor, item.id)
    assert (done.resolution, done.transaction_id) == ("posted", transaction_id)
    with pytest.raises(AlreadyResolved):
        resolve_held_claim(database, actor, item.id, encounter_of(engine, actor, office))
    with pytest.raises(AlreadyResolved):
        dismiss_held_claim(database, actor, item.id, "changed my mind")
    assert verify_organisation(database, actor.organisation_id).ok


def test_an_unmatched_line_is_posted_with_its_procedures_given_by_hand(engine, database, actor):
    office, lab = visit(engine, actor, "PCN-2", OFFICE, LAB)
    recoded = svc("85027", 4500, 3000, ("CO", "45", 1000), ("PR", "1", 500))  # not what was billed
    import_text(engine, actor, era(w.claim("PCN-2", [OFFICE_PAID, recoded])))
    (item,) = held_claims(database, actor)
    assert item.reason == UNMATCHED_LINE
    encounter_id = encounter_of(engine, actor, office)
    with pytest.raises(ClaimHeld, match="85027"):
        resolve_held_claim(database, actor, item.id, encounter_id)  # the rules still do not match
    with pytest.raises(errors.InvalidInput, match="give one procedure for each"):
        resolve_held_claim(database, actor, item.id, encounter_id, [office])
    resolve_held_claim(database, actor, item.id, encounter_id, [office, lab])
    assert accounts.procedure_account(database, actor, lab).balance.payer_paid == 3000


def test_a_secondary_claim_held_before_its_primary_posts_once_the_primary_is_in(
    engine, database, actor
):
    (office,) = visit(engine, actor, "PCN-3", OFFICE)
    secondary = w.claim("PCN-3", [svc("99213", 15000, 2500, ("OA", "23", 12500), mods=("25",))],
                        status_code="2")  # fmt: skip
    import_text(engine, actor, era(secondary, trace="SEC", payer="SECOND", payer_id="1888888888"))
    (item,) = held_claims(database, actor)
    assert item.reason == SECONDARY_BEFORE_PRIMARY
    with pytest.raises(ClaimHeld, match="no earlier payer"):
        resolve_held_claim(database, actor, item.id, encounter_of(engine, actor, office))
    assert held_claim(database, actor, item.id).resolution is None
    import_text(engine, actor, era(w.claim("PCN-3", [OFFICE_PAID]), trace="PRI"))
    resolve_held_claim(database, actor, item.id, encounter_of(engine, actor, office))
    balance = accounts.procedure_account(database, actor, office).balance
    assert (balance.payer_paid, balance.pr_net, balance.insurance_balance) == (12500, 0, 0)


def test_a_duplicate_is_dismissed_with_a_reason_and_who_did_it(engine, database, actor):
    visit(engine, actor, "PCN-4", OFFICE)
    import_text(engine, actor, era(w.claim("PCN-4", [OFFICE_PAID]), trace="EFT-1"))
    import_text(engine, actor, era(w.claim("PCN-4", [OFFICE_PAID]), trace="EFT-2"))
    (item,) = held_claims(database, actor)
    assert item.reason == DUPLICATE_CLAIM
    with pytest.raises(errors.InvalidInput):
        dismiss_held_claim(database, actor, item.id, "  ")
    dismiss_held_claim(database, actor, item.id, "payer sent the check twice; returned")
    done = held_claims(database, actor, include_resolved=True)[0]
    assert (done.resolution, done.note) == ("dismissed", "payer sent the check twice; returned")
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        assert uow.reviews.item(item.id).resolved_by == actor.user_id


def test_held_claims_of_another_organisation_are_not_found(engine, database, actor):
    import_text(engine, actor, era(w.claim("NOBODY", [OFFICE_PAID])))
    (item,) = held_claims(database, actor)
    stranger = create_organisation(database, f"Other {uuid.uuid4().hex[:6]}")
    other = Actor(stranger.organisation_id, stranger.user_id, "test", "admin")
    assert held_claims(database, other) == []
    with pytest.raises(errors.NotFound):
        held_claim(database, other, item.id)
    with pytest.raises(errors.NotFound):
        dismiss_held_claim(database, other, item.id, "not ours")
    (office,) = visit(engine, actor, "PCN-5", ProcedureInput("99213", 15000, ("25",)))
    with pytest.raises(errors.NotFound):
        resolve_held_claim(database, other, item.id, encounter_of(engine, actor, office))


def test_the_encounters_a_held_claim_could_go_to(engine, database, actor):
    office, lab = visit(engine, actor, "PCN-C", OFFICE, LAB)
    import_text(engine, actor, era(w.claim("PCN-C", [svc("99999", 100, 0, ("CO", "45", 100))])))
    (item,) = held_claims(database, actor)
    (named,) = encounter_choices(database, actor, item.id)
    assert named.named_by_claim and [p.id for p in named.procedures] == [office, lab]
    mrn = accounts.patient_account(database, actor, named.patient_id).patient.mrn
    (same,) = encounter_choices(database, actor, item.id, mrn)  # found twice, listed once
    assert same.encounter_id == named.encounter_id
    other = create_organisation(database, f"Elsewhere {uuid.uuid4().hex[:6]}")
    visit(engine, other, "PCN-C", OFFICE)  # another practice's Jane Doe, same control number
    ours = {p.patient.id for p in accounts.search_patients(database, actor, "Doe")}
    choices = encounter_choices(database, actor, item.id, "Doe")
    assert {c.patient_id for c in choices} <= ours and len(choices) >= 1
    with pytest.raises(errors.NotFound):
        encounter_choices(database, other, item.id)
