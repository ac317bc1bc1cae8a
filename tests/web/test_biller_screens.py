"""What a biller hits in the posting tool and the patient's History (issue 19): every refusal
shown beside its field, no typed value lost, several previews on one procedure adding up, and a
write-off removed in part shown as what still stands.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from medledger.services.ledger_requests import WriteOffRequest
from medledger.services.write_offs import remove_write_off, submit_write_offs
from medledger.storage.unit_of_work import Database
from tests import builders
from tests.web.scenarios import eft0425
from tests.web.screen import cell, figure, starting


def _open_write_off_pr(page):
    page.get_by_role("link", name="Posting tool").click()
    page.get_by_role("link", name="EFT0425").click()
    page.get_by_role("button", name="Actions for 99213 of Okafor, Jane").click()
    page.get_by_role("menuitem", name="Write Off PR").filter(visible=True).click()
    return page.get_by_role("dialog", name="Write Off PR")


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("abc", "is not"),
        ("-5", "must be greater than zero"),
        ("0", "give an amount for at least one PR CARC"),
        ("12.345", "decimal"),
        ("", "give an amount for at least one PR CARC"),
    ],
)
def test_the_write_off_pr_dialog_says_why_an_amount_is_refused(
    page, engine, actor, staff, typed, said
):
    eft0425(engine, actor)
    staff("billing_manager").into(page)
    window = _open_write_off_pr(page)
    window.get_by_label("Deductible (PR-1)").fill("")
    window.get_by_label("Copay (PR-3)").fill("")
    coinsurance = window.get_by_label("Coinsurance (PR-2)")
    coinsurance.fill(typed)
    window.get_by_role("button", name="Write Off PR").click()

    alert = window.get_by_role("alert")
    expect(alert).to_contain_text(said)
    expect(coinsurance).to_have_attribute("aria-invalid", "true")
    expect(coinsurance).to_have_accessible_description(alert.inner_text())
    expect(coinsurance).to_have_value(typed)
    expect(page.get_by_text("preview to post")).to_have_count(0)


def test_a_write_off_removed_in_part_shows_what_still_stands(page, engine, actor, staff):
    patient_id = builders.patient(engine, actor, "Garcia")
    encounter_id, (office,) = builders.visit(engine, actor, patient_id, ["150.00"])
    builders.adjudicate(
        engine,
        actor,
        encounter_id,
        {office: (15000, 6000, {"CO-45": 4000, "PR-1": 3000, "PR-2": 1500})},
    )
    database = Database(engine)
    request = WriteOffRequest("small_balance", procedure_id=office, amounts={"1": "20.00"})
    (write_off,) = submit_write_offs(database, actor, [request], None).transaction_ids
    part = remove_write_off(database, actor, write_off, reason="posted_in_error", amount="5.00")
    staff("billing_manager").into(page)

    page.goto(f"/patients/{patient_id}")
    page.get_by_role("button", name="View Details of 99213").click()
    lines = page.get_by_role("table", name="Ledger lines of 99213")
    line = lines.get_by_role("row").filter(has_text=f"#{write_off}").first
    said = f"15.00 of 20.00 still written off; 5.00 removed by #{part}"
    expect(line).to_contain_text(said)
    expect(line).not_to_contain_text("undone")
    expect(line).not_to_have_class("line-write_off undone")

    page.get_by_role("link", name="History").click()
    history = page.get_by_role("region", name="History").get_by_role("table")
    row = history.locator(f"#line-{write_off}")
    expect(row).to_contain_text(said)
    expect(row).not_to_contain_text("undone")
    expect(row.get_by_role("button", name=starting("Undo"))).to_be_visible()

    # Removing the rest: now it is undone, by both removals.
    rest = remove_write_off(database, actor, write_off, reason="posted_in_error")
    page.reload()
    expect(row).to_contain_text(f"undone by #{part}, #{rest}")
    expect(row).not_to_contain_text("still written off")
    expect(row).to_have_class("line-write_off undone")


def _preview_coinsurance(page, amount: str):
    """A Write Off PR preview of ``amount`` of the office visit's coinsurance (15.00)."""
    window = _open_write_off_pr(page)
    window.get_by_label("Deductible (PR-1)").fill("")
    window.get_by_label("Copay (PR-3)").fill("")
    window.get_by_label("Coinsurance (PR-2)").fill(amount)
    window.get_by_role("button", name="Write Off PR").click()
    expect(window).to_be_hidden()


def test_a_typed_preview_cell_is_saved_on_leaving_it_and_post_waits(page, engine, actor, staff):
    eft0425(engine, actor)
    staff("billing_manager").into(page)
    _preview_coinsurance(page, "15")
    items = page.get_by_role("table", name="Payment Items Table")
    preview = items.get_by_role("row", name="Write-off preview of 99213")
    coinsurance = cell(items, preview, "Coinsurance")
    expect(coinsurance.get_by_role("insertion")).to_have_text("0.00")
    field = preview.get_by_role("textbox", name="Write off Coinsurance (PR-2)")

    # Tab out of the cell saves it.
    preview.get_by_role("button", name=starting("Edit coinsurance write-off")).click()
    expect(field).to_be_focused()
    page.keyboard.type("10")
    page.keyboard.press("Tab")
    expect(coinsurance.get_by_role("insertion")).to_have_text("5.00")

    # Post while a cell is still open posts nothing and says why; the typed value is saved.
    preview.get_by_role("button", name=starting("Edit coinsurance write-off")).click()
    expect(field).to_be_focused()
    page.keyboard.type("12.00")
    post = page.get_by_role("button", name="Post", exact=True)
    post.click()
    expect(page.get_by_role("alert")).to_contain_text("a preview cell was still being edited")
    expect(coinsurance.get_by_role("insertion")).to_have_text("3.00")
    expect(page.get_by_text("1 preview to post")).to_be_visible()

    post.click()
    expect(page.get_by_role("status")).to_have_text("Posted 1 write-off.")
    line = items.get_by_role("row", name=starting("Write-off #"))
    assert figure(items, line, "Coinsurance") == "-12.00"


def test_several_previews_on_one_procedure_add_up_and_all_post(page, engine, actor, staff):
    eft0425(engine, actor)
    staff("billing_manager").into(page)
    _preview_coinsurance(page, "10")
    items = page.get_by_role("table", name="Payment Items Table")
    previews = items.get_by_role("row", name="Write-off preview of 99213")
    visits = items.get_by_role("row", name="Visit after the write-off")

    # A second preview starts from the first one's "after": 10.00 more is refused, saying why.
    window = _open_write_off_pr(page)
    window.get_by_label("Deductible (PR-1)").fill("")
    window.get_by_label("Copay (PR-3)").fill("5")
    window.get_by_label("Coinsurance (PR-2)").fill("10")
    window.get_by_role("button", name="Write Off PR").click()
    expect(window.get_by_role("alert")).to_contain_text(
        "exceeds the open PR of CARC 2 (5.00), after the other preview of this procedure"
    )
    window.get_by_label("Coinsurance (PR-2)").fill("5")
    window.get_by_role("button", name="Write Off PR").click()
    expect(window).to_be_hidden()
    expect(previews).to_have_count(2)
    first, second = previews.nth(0), previews.nth(1)
    for row, before, after in ((first, "15.00", "5.00"), (second, "5.00", "0.00")):
        expect(cell(items, row, "Coinsurance").get_by_role("deletion")).to_have_text(before)
        expect(cell(items, row, "Coinsurance").get_by_role("insertion")).to_have_text(after)
    expect(cell(items, second, "Pt. balance").get_by_role("deletion")).to_have_text("40.00")
    expect(cell(items, second, "Pt. balance").get_by_role("insertion")).to_have_text("30.00")
    # The visit total adds them: 60.00 less 10.00, then less 10.00 more.
    expect(cell(items, visits.nth(0), "Pt. balance").get_by_role("insertion")).to_have_text("50.00")
    expect(cell(items, visits.nth(1), "Pt. balance").get_by_role("deletion")).to_have_text("50.00")
    expect(cell(items, visits.nth(1), "Pt. balance").get_by_role("insertion")).to_have_text("40.00")
    expect(page.get_by_text("2 previews to post")).to_be_visible()

    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Posted 2 write-offs.")
    expect(previews).to_have_count(0)
    lines = items.get_by_role("row", name=starting("Write-off #"))
    expect(lines).to_have_count(2)
    assert [figure(items, lines.nth(i), "Coinsurance") for i in (0, 1)] == ["-10.00", "-5.00"]
    assert figure(items, lines.nth(1), "Copay") == "-5.00"
    page.get_by_role("link", name="Okafor, Jane").click()
    expect(page.get_by_label("Outstanding balance")).to_have_text("40.00")
