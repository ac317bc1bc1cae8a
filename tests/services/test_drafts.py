"""The posting tool: draft a write-off on a payment item, preview, edit, undo, post once."""

from __future__ import annotations

import pytest

from medledger.domain import errors
from medledger.services import accounts, drafts, history
from medledger.services.payments import record_payment
from medledger.storage.unit_of_work import UnitOfWork
from tests import builders


@pytest.fixture
def remittance(engine, actor):
    """Two procedures on one claim; the first has deductible 30 and copay 10."""
    patient_id = builders.patient(engine, actor)
    encounter_id, (first, second) = builders.visit(engine, actor, patient_id, ["150.00", "25.00"])
    transaction_id = builders.adjudicate(
        engine,
        actor,
        encounter_id,
        {
            first: (15000, 7000, {"CO-45": 4000, "PR-1": 3000, "PR-3": 1000}),
            second: (2500, 2000, {"CO-45": 500}),
        },
    )
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        remittance_id = uow.ledger.transaction(transaction_id).remittance_id
        items = {(i.level, i.procedure_id): i.id for i in uow.remittances.items(remittance_id)}
    return patient_id, encounter_id, first, items, remittance_id


def test_preview_edit_undo_and_post(engine, actor, remittance):
    patient_id, encounter_id, procedure_id, items, remittance_id = remittance
    item_id = items[("procedure", procedure_id)]
    before = accounts.procedure_account(engine, actor, procedure_id).balance

    draft = drafts.create_draft(
        engine, actor, payment_item_id=item_id, amounts={"1": "30.00"}, reason="financial_hardship"
    )
    assert draft.problem is None
    row = draft.preview.procedure
    assert (row["deductible"].before_cents, row["deductible"].after_cents) == (3000, 0)
    assert (row["other_adjustments"].before_cents, row["other_adjustments"].after_cents) == (
        0,
        3000,
    )
    assert not row["charge"].changed
    assert draft.preview.encounter["patient_balance"].after_cents == 1000
    assert accounts.procedure_account(engine, actor, procedure_id).balance == before  # not posted

    edited = drafts.update_draft(
        engine, actor, draft.id, amounts={"1": "20.00", "3": "10.00"}, note="plan"
    )
    assert edited.preview.procedure["copay"].after_cents == 0 and edited.note == "plan"
    assert [d.id for d in drafts.open_drafts(engine, actor, remittance_id)] == [draft.id]

    transaction_id = drafts.post_draft(engine, actor, draft.id)
    assert drafts.post_draft(engine, actor, draft.id) == transaction_id  # Post pressed twice
    view = history.transaction(engine, actor, transaction_id)
    assert view.kind == "write_off" and view.note == "plan"
    assert accounts.procedure_account(engine, actor, procedure_id).balance.patient_balance == 1000
    with pytest.raises(errors.DraftClosed):
        drafts.update_draft(engine, actor, draft.id, note="too late")

    undone = drafts.create_draft(
        engine, actor, payment_item_id=item_id, amounts={"1": "5.00"}, reason="small_balance"
    )
    drafts.discard_draft(engine, actor, undone.id)
    assert drafts.open_drafts(engine, actor, remittance_id) == []
    with pytest.raises(errors.DraftClosed):
        drafts.post_draft(engine, actor, undone.id)


def test_claim_level_item_cannot_be_drafted(engine, actor, remittance):
    _, encounter_id, _, items, _ = remittance
    with pytest.raises(errors.ClaimLevelItem):
        drafts.create_draft(
            engine,
            actor,
            payment_item_id=items[("claim", None)],
            amounts={"1": "1.00"},
            reason="small_balance",
        )


def test_draft_goes_stale_when_a_payment_arrives(engine, actor, remittance):
    patient_id, encounter_id, procedure_id, items, _ = remittance
    draft = drafts.create_draft(
        engine,
        actor,
        payment_item_id=items[("procedure", procedure_id)],
        amounts={"1": "30.00"},
        reason="bad_debt",
    )
    record_payment(engine, actor, patient_id, "35.00", encounter_id=encounter_id)
    assert isinstance(
        drafts.get_draft(engine, actor, draft.id).problem, errors.PaidPRMustBeRefundedFirst
    )
    with pytest.raises(errors.StaleDraft) as refused:
        drafts.post_draft(engine, actor, draft.id)
    assert refused.value.details["cause"] == "already-paid-refund-first"
    assert accounts.procedure_account(engine, actor, procedure_id).balance.other_adjustments == 0


def test_invalid_draft_is_refused_at_creation(engine, actor, remittance):
    _, _, procedure_id, items, _ = remittance
    with pytest.raises(errors.ExceedsOpenPR):
        drafts.create_draft(
            engine,
            actor,
            payment_item_id=items[("procedure", procedure_id)],
            amounts={"1": "30.01"},
            reason="bad_debt",
        )
