"""A biller works the review queue in the browser: a claim an 835 import held (its control number
had a typo) is found by the patient's MRN and posted to the visit; another is dismissed with a
reason, and a dismissal without one is refused inline."""

from __future__ import annotations

from playwright.sync_api import expect

from medledger.services import accounts
from medledger.x12 import writer as w
from tests.era_builders import import_text
from tests.services.test_era_import import LAB, LAB_PAID, OFFICE, OFFICE_PAID, era, visit
from tests.web.screen import starting


def test_a_held_claim_is_posted_to_the_visit_the_biller_finds(
    page, engine, database, actor, staff, shoot
):
    office, lab = visit(engine, actor, "PCN-7", OFFICE, LAB)
    account = accounts.procedure_account(database, actor, lab)
    mrn = accounts.patient_account(database, actor, account.procedure.patient_id).patient.mrn
    summary = import_text(engine, actor, era(w.claim("PCN-77", [OFFICE_PAID, LAB_PAID])))
    assert summary.held_claims == 1

    staff("biller").into(page)
    page.get_by_role("link", name="Held claims").click()
    queue = page.get_by_role("table", name="Held claims")
    expect(queue.get_by_role("row").filter(has_text="PCN-77")).to_contain_text("No encounter has")
    queue.get_by_role("link", name="PCN-77").click()

    expect(page.get_by_text("No encounter has this claim's control number")).to_be_visible()
    page.get_by_label("Find the patient").fill(mrn)
    page.get_by_role("button", name="Search").click()
    visit_choice = page.get_by_role("radio", name=starting("Jane"))
    expect(visit_choice).to_be_checked()  # the only candidate is chosen for the biller
    page.get_by_label("Procedure for line 2 on visit PCN-7").select_option(str(lab))
    page.get_by_role("button", name="Post to the ledger").click()
    expect(page.get_by_role("alert")).to_have_text(starting("choose a procedure for every line"))
    expect(page.get_by_label("Procedure for line 2 on visit PCN-7")).to_have_value(str(lab))
    page.get_by_label("Procedure for line 1 on visit PCN-7").select_option(str(office))
    shoot(page, "held-claim")
    page.get_by_role("button", name="Post to the ledger").click()

    expect(page.get_by_role("status")).to_have_text("Posted to the ledger.")
    claim = page.get_by_role("table", name="Claim")
    expect(claim.get_by_role("row", name=starting("Resolution"))).to_contain_text(
        "Posted to encounter"
    )
    assert accounts.procedure_account(database, actor, lab).balance.payer_paid == 3000
    assert accounts.procedure_account(database, actor, office).balance.payer_paid == 10000
    page.get_by_role("link", name="Held claims").first.click()
    expect(page.get_by_role("table", name="Held claims")).to_contain_text("No claims are held now")


def test_a_held_claim_is_dismissed_only_with_a_reason(page, engine, actor, staff):
    import_text(engine, actor, era(w.claim("NOBODY-1", [LAB_PAID]), trace="EFT-9"))
    staff("biller").into(page)
    page.goto("/held-claims")
    page.get_by_role("link", name="NOBODY-1").click()

    page.get_by_role("button", name="Dismiss").click()
    expect(page.get_by_text("say why the held claim is dismissed")).to_be_visible()
    page.get_by_label("Why dismiss it").fill("Not our patient; payer told by phone")
    page.get_by_role("button", name="Dismiss").click()

    expect(page.get_by_role("status")).to_have_text("Dismissed.")
    resolution = page.get_by_role("table", name="Claim").get_by_role(
        "row", name=starting("Resolution")
    )
    expect(resolution).to_contain_text("Not our patient")
    page.goto("/held-claims?all=true")
    expect(page.get_by_role("table", name="Held claims")).to_contain_text("Dismissed")
