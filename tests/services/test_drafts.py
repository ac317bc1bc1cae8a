"""The posting tool: draft a write-off on a payment item, preview, edit, undo, post once."""

from __future__ import annotations

import pytest

from medledger.domain import errors
from medledger.services import accounts, approvals, drafts, history
from medledger.services.payments import record_payment
from medledger.services.posting_tool import PostOutcome, post_previews
from medledger.services.registration import actor_for, add_user
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


def test_preview_edit_undo_and_post(database, actor, remittance):
    patient_id, encounter_id, procedure_id, items, remittance_id = remittance
    item_id = items[("procedure", procedure_id)]
    before = accounts.procedure_account(database, actor, procedure_id).balance

    draft = drafts.create_draft(
        database,
        actor,
        payment_item_id=item_id,
        amounts={"1": "30.00"},
        reason="financial_hardship",
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
    assert accounts.procedure_account(database, actor, procedure_id).balance == before  # not posted

    edited = drafts.update_draft(
        database, actor, draft.id, amounts={"1": "20.00", "3": "10.00"}, note="plan"
    )
    assert edited.preview.procedure["copay"].after_cents == 0 and edited.note == "plan"
    assert [d.id for d in drafts.preview_drafts(database, actor, remittance_id)] == [draft.id]

    (transaction_id,) = drafts.post_draft(database, actor, draft.id).transaction_ids
    assert drafts.post_draft(database, actor, draft.id).transaction_ids == (transaction_id,)
    view = history.transaction(database, actor, transaction_id)
    assert view.kind == "write_off" and view.note == "plan"
    assert accounts.procedure_account(database, actor, procedure_id).balance.patient_balance == 1000
    with pytest.raises(errors.DraftClosed):
        drafts.update_draft(database, actor, draft.id, note="too late")

    undone = drafts.create_draft(
        database, actor, payment_item_id=item_id, amounts={"1": "5.00"}, reason="small_balance"
    )
    drafts.discard_draft(database, actor, undone.id)
    assert drafts.preview_drafts(database, actor, remittance_id) == []
    with pytest.raises(errors.DraftClosed):
        drafts.post_draft(database, actor, undone.id)


def test_claim_level_item_cannot_be_drafted(database, actor, remittance):
    _, encounter_id, _, items, _ = remittance
    with pytest.raises(errors.ClaimLevelItem):
        drafts.create_draft(
            database,
            actor,
            payment_item_id=items[("claim", None)],
            amounts={"1": "1.00"},
            reason="small_balance",
        )


def test_draft_goes_stale_when_a_payment_arrives(database, actor, remittance):
    patient_id, encounter_id, procedure_id, items, _ = remittance
    draft = drafts.create_draft(
        database,
        actor,
        payment_item_id=items[("procedure", procedure_id)],
        amounts={"1": "30.00"},
        reason="bad_debt",
    )
    record_payment(database, actor, patient_id, "35.00", encounter_id=encounter_id)
    assert isinstance(
        drafts.get_draft(database, actor, draft.id).problem, errors.PaidPRMustBeRefundedFirst
    )
    with pytest.raises(errors.StaleDraft) as refused:
        drafts.post_draft(database, actor, draft.id)
    assert refused.value.details["cause"] == "already-paid-refund-first"
    assert accounts.procedure_account(database, actor, procedure_id).balance.other_adjustments == 0


def test_invalid_draft_is_refused_at_creation(database, actor, remittance):
    _, _, procedure_id, items, _ = remittance
    with pytest.raises(errors.ExceedsOpenPR):
        drafts.create_draft(
            database,
            actor,
            payment_item_id=items[("procedure", procedure_id)],
            amounts={"1": "30.01"},
            reason="bad_debt",
        )


@pytest.fixture
def biller_and_manager(database, actor):
    add_user(database, actor, "small", "Small Limit", "biller", "20.00")
    add_user(database, actor, "boss", "Boss", "billing_manager", None)
    return (
        actor_for(database, actor.organisation_id, "small", "test"),
        actor_for(database, actor.organisation_id, "boss", "test"),
    )


def test_a_draft_above_the_posters_limit_waits_for_a_manager_who_posts_it(
    database, actor, remittance, biller_and_manager
):
    _, _, procedure_id, items, remittance_id = remittance
    biller, manager = biller_and_manager
    draft = drafts.create_draft(database, biller, payment_item_id=items[("procedure", procedure_id)],
        amounts={"1": "30.00"}, reason="custom", custom_reason="hospice", note="per call",
    )  # fmt: skip

    outcome = drafts.post_draft(database, biller, draft.id)
    assert outcome.transaction_ids == () and outcome.approval.draft_id == draft.id
    assert outcome.approval.total_cents == 3000
    (request,) = outcome.approval.requests
    assert (request.procedure_id, request.amounts, request.custom_reason) == (
        procedure_id, {"1": 3000}, "hospice",
    )  # fmt: skip
    waiting = drafts.get_draft(database, biller, draft.id)
    assert (waiting.status, waiting.approval_id) == ("waiting", outcome.approval.id)
    assert waiting.preview is not None  # the row still shows what it would do
    assert drafts.post_draft(database, biller, draft.id).approval.id == outcome.approval.id
    with pytest.raises(errors.DraftClosed, match="waiting for a billing manager"):
        drafts.update_draft(database, biller, draft.id, note="changed")
    with pytest.raises(errors.DraftClosed, match="waiting"):
        drafts.discard_draft(database, biller, draft.id)
    assert post_previews(database, biller, remittance_id) == PostOutcome()  # nothing to post
    assert accounts.procedure_account(database, actor, procedure_id).balance.other_adjustments == 0

    approved = approvals.approve(database, manager, outcome.approval.id)
    (transaction_id,) = approved.transaction_ids
    posted = drafts.get_draft(database, biller, draft.id)
    assert (posted.status, posted.posted_transaction_id) == ("posted", transaction_id)
    view = history.transaction(database, actor, transaction_id)
    assert (view.reason_text, view.note) == ("hospice", "per call")
    assert (
        accounts.procedure_account(database, actor, procedure_id).balance.other_adjustments == 3000
    )


def test_a_rejected_draft_goes_back_to_its_biller_open(database, remittance, biller_and_manager):
    _, _, procedure_id, items, remittance_id = remittance
    biller, manager = biller_and_manager
    draft = drafts.create_draft(database, biller, payment_item_id=items[("procedure", procedure_id)],
        amounts={"1": "25.00"}, reason="small_balance",
    )  # fmt: skip
    outcome = post_previews(database, biller, remittance_id)
    assert outcome.posted == {} and list(outcome.waiting) == [draft.id]
    approvals.reject(database, manager, outcome.waiting[draft.id], "ask the patient first")
    again = drafts.get_draft(database, biller, draft.id)
    assert (again.status, again.approval_id) == ("open", None)
    lowered = drafts.update_draft(database, biller, draft.id, amounts={"1": "15.00"})
    assert lowered.problem is None
    assert list(post_previews(database, biller, remittance_id).posted) == [draft.id]


def test_several_drafts_on_one_procedure_add_up(database, actor, remittance):
    """A second draft is checked and previewed after the first; editing either keeps them
    fitting together; Post posts both."""
    _, _, procedure_id, items, remittance_id = remittance
    item_id = items[("procedure", procedure_id)]

    def draft(amounts):
        return drafts.create_draft(database, actor, payment_item_id=item_id, amounts=amounts,
                                   reason="small_balance")  # fmt: skip

    first = draft({"1": "20.00"})
    with pytest.raises(errors.ExceedsOpenPR, match=rf"\(10.00\), after .*\(#{first.id}\)"):
        draft({"1": "15.00"})
    second = draft({"1": "10.00", "3": "10.00"})
    deductible = second.preview.procedure["deductible"]
    assert (deductible.before_cents, deductible.after_cents) == (1000, 0)
    balance = second.preview.encounter["patient_balance"]
    assert (balance.before_cents, balance.after_cents) == (2000, 0)
    with pytest.raises(errors.ExceedsOpenPR):
        drafts.update_draft(database, actor, first.id, amounts={"1": "25.00"})
    drafts.update_draft(database, actor, first.id, amounts={"1": "19.00"})

    outcome = post_previews(database, actor, remittance_id)
    assert len(outcome.posted) == 2 and not outcome.refused
    assert accounts.procedure_account(database, actor, procedure_id).balance.open_pr("1") == 100
