"""Seed 000, "Write Off PR (Procedure Only Action)" in the posting tool, clicked through in a real
browser: the Payment Items Table, the Actions menu (Write Off PR only on procedure rows with PR,
otherwise disabled with the reason), the dialog with a reason and an amount per PR CARC, the
yellow preview row with crossed-out values for the procedure and the visit, editing its values
and note in place, undo, and Post — after which the item keeps the payer's original amounts and
shows the write-off as its own line, and the patient's balance has changed.
"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.web.scenarios import eft0425
from tests.web.screen import cell, figure, starting


def test_write_off_pr_in_the_posting_tool(page, engine, actor, staff, shoot):
    okafor, _ = eft0425(engine, actor)
    staff("billing_manager").into(page)

    # Locate the remittance in the Payment Items Table.
    page.get_by_role("link", name="Posting tool").click()
    page.get_by_role("link", name="EFT0425").click()
    items = page.get_by_role("table", name="Payment Items Table")
    office = items.get_by_role("row", name=starting("99213")).first
    assert figure(items, office, "Coinsurance") == "15.00"
    assert figure(items, office, "Allowed") == "110.00"
    assert figure(items, office, "Pt. balance") == "50.00"
    post = page.get_by_role("button", name="Post", exact=True)
    expect(post).to_be_disabled()

    # Write Off PR is a procedure-only action: disabled on the claim row and on a row without PR,
    # each with its reason on hover.
    page.get_by_role("button", name=starting("Actions for claim")).first.click()
    claim_item = (
        page.get_by_role("menu").filter(visible=True).get_by_role("menuitem", name="Write Off PR")
    )
    expect(claim_item).to_be_disabled()
    claim_item.hover()
    expect(page.get_by_role("tooltip").filter(visible=True)).to_have_text(
        "write-offs apply to procedure-level payment items only; open the claim and pick one of its procedures"
    )
    shoot(page, "posting-tool-actions")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Actions for 36415 of Okafor, Jane").click()
    draw_item = (
        page.get_by_role("menu").filter(visible=True).get_by_role("menuitem", name="Write Off PR")
    )
    expect(draw_item).to_have_accessible_description(
        "no patient responsibility is assigned to this procedure"
    )
    page.keyboard.press("Escape")

    # Open the Actions menu of the procedure with PR (by keyboard) and select Write Off PR.
    actions = page.get_by_role("button", name="Actions for 99213 of Okafor, Jane")
    actions.focus()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("menuitem", name="Write Off PR").filter(visible=True)).to_be_focused()
    page.keyboard.press("Enter")

    # A reason, and an amount for each PR CARC; an amount over the open PR is refused inline.
    window = page.get_by_role("dialog", name="Write Off PR")
    expect(window.get_by_label("Reason", exact=True)).to_be_focused()
    window.get_by_label("Reason", exact=True).select_option(label="Bad debt / uncollectible")
    window.get_by_label("Deductible (PR-1)").fill("")
    window.get_by_label("Coinsurance (PR-2)").fill("16")
    window.get_by_label("Copay (PR-3)").fill("$5")
    window.get_by_role("button", name="Write Off PR").click()
    expect(window.get_by_text("exceeds the open PR of CARC 2 (15.00)")).to_be_visible()
    expect(window.get_by_label("Coinsurance (PR-2)")).to_have_attribute("aria-invalid", "true")
    expect(window.get_by_label("Copay (PR-3)")).to_have_value("$5")
    expect(window.get_by_label("Reason", exact=True)).to_have_value("bad_debt")
    window.get_by_label("Coinsurance (PR-2)").fill("15")
    shoot(page, "posting-tool-dialog")
    window.get_by_role("button", name="Write Off PR").click()
    expect(page.get_by_role("dialog")).to_be_hidden()

    # The yellow preview row: crossed-out values with the new ones beside them, for the
    # procedure and for the visit.
    preview = items.get_by_role("row", name="Write-off preview of 99213")
    coinsurance = cell(items, preview, "Coinsurance")
    expect(coinsurance).to_have_css("background-color", "rgb(255, 245, 194)")  # yellow
    expect(coinsurance.get_by_role("deletion")).to_have_text("15.00")
    expect(coinsurance.get_by_role("insertion")).to_have_text("0.00")
    expect(cell(items, preview, "Other adj.").get_by_role("insertion")).to_have_text("20.00")
    expect(cell(items, preview, "Pt. balance").get_by_role("deletion")).to_have_text("50.00")
    expect(cell(items, preview, "Pt. balance").get_by_role("insertion")).to_have_text("30.00")
    visit = items.get_by_role("row", name="Visit after the write-off")
    expect(cell(items, visit, "Pt. balance").get_by_role("deletion")).to_have_text("60.00")
    expect(cell(items, visit, "Pt. balance").get_by_role("insertion")).to_have_text("40.00")
    expect(page.get_by_text("1 preview to post")).to_be_visible()

    # Click a value cell to edit it in place; Enter saves, and the preview follows.
    preview.get_by_role("button", name=starting("Edit coinsurance write-off")).click()
    field = preview.get_by_role("textbox", name="Write off Coinsurance (PR-2)")
    expect(field).to_be_focused()
    expect(field).to_have_value("15.00")
    page.keyboard.type("12.5")
    page.keyboard.press("Enter")
    expect(coinsurance.get_by_role("insertion")).to_have_text("2.50")
    expect(cell(items, preview, "Pt. balance").get_by_role("insertion")).to_have_text("32.50")
    # ... and Escape leaves a cell as it was.
    preview.get_by_role("button", name=starting("Edit copay write-off")).click()
    expect(preview.get_by_role("textbox", name="Write off Copay (PR-3)")).to_be_focused()
    page.keyboard.type("1")
    page.keyboard.press("Escape")
    expect(cell(items, preview, "Copay").get_by_role("insertion")).to_have_text("0.00")
    # The note cell too.
    preview.get_by_role("button", name=starting("Edit note")).click()
    expect(preview.get_by_role("textbox", name="Note of the write-off")).to_be_focused()
    page.keyboard.type("sent to collections")
    page.keyboard.press("Enter")
    expect(cell(items, preview, "Note")).to_contain_text("sent to collections")
    shoot(page, "posting-tool-preview")

    # The undo button in the right-most column removes the preview; nothing was posted.
    preview.get_by_role("button", name="Undo write-off preview").click()
    expect(preview).to_have_count(0)
    expect(post).to_be_disabled()
    assert figure(items, office, "Pt. balance") == "50.00"

    # Preview again (the dialog offers the open amounts), then Post.
    actions.click()
    page.get_by_role("menuitem", name="Write Off PR").filter(visible=True).click()
    window.get_by_label("Deductible (PR-1)").fill("")
    window.get_by_label("Note").fill("sent to collections")
    window.get_by_role("button", name="Write Off PR").click()
    expect(preview).to_be_visible()
    post.click()
    expect(page.get_by_role("status")).to_have_text("Posted 1 write-off.")
    expect(preview).to_have_count(0)

    # The original amounts stay; the write-off is a separate line.
    assert figure(items, office, "Coinsurance") == "15.00"
    assert figure(items, office, "Pt. balance") == "50.00"
    line = items.get_by_role("row", name=starting("Write-off #"))
    assert figure(items, line, "Coinsurance") == "-15.00"
    assert figure(items, line, "Copay") == "-5.00"
    assert figure(items, line, "Other adj.") == "20.00"
    assert figure(items, line, "Pt. balance") == "-20.00"
    expect(cell(items, line, "Note")).to_contain_text("Small balance · sent to collections")
    page.mouse.move(0, 400)  # away from Post, whose tooltip would cover the table
    shoot(page, "posting-tool-posted")

    # The patient's balance is new in the profile and the work list.
    page.get_by_role("link", name="Okafor, Jane").click()
    expect(page.get_by_label("Outstanding balance")).to_have_text("40.00")
    page.get_by_role("link", name="Work list").click()
    owing = page.get_by_role("table").filter(has_text="Open PR")
    assert figure(owing, owing.get_by_role("row", name=starting("Okafor")), "Balance") == "40.00"
    assert okafor


def test_a_preview_above_the_billers_limit_waits_for_a_manager(page, engine, actor, staff):
    eft0425(engine, actor)
    biller, manager = staff("biller", "10.00"), staff("billing_manager")
    biller.into(page)
    page.get_by_role("link", name="Posting tool").click()
    page.get_by_role("link", name="EFT0425").click()
    page.get_by_role("button", name="Actions for 99213 of Okafor, Jane").click()
    page.get_by_role("menuitem", name="Write Off PR").filter(visible=True).click()
    window = page.get_by_role("dialog", name="Write Off PR")
    window.get_by_label("Deductible (PR-1)").fill("30")
    window.get_by_label("Coinsurance (PR-2)").fill("")
    window.get_by_label("Copay (PR-3)").fill("")
    window.get_by_role("button", name="Write Off PR").click()

    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.get_by_role("status")).to_have_text(
        "Posted 0 write-offs. 1 above your limit sent for approval."
    )
    items = page.get_by_role("table", name="Payment Items Table")
    preview = items.get_by_role("row", name="Write-off preview of 99213")
    expect(cell(items, preview, "Note")).to_contain_text("Waiting for approval (request #")
    expect(preview.get_by_role("button", name="Undo write-off preview")).to_have_count(0)
    expect(page.get_by_role("button", name="Post", exact=True)).to_be_disabled()

    page.get_by_role("button", name="Log out").click()
    manager.into(page)
    page.get_by_role("link", name="Approvals").click()
    page.get_by_role("button", name=starting("Approve")).click()
    expect(page.get_by_role("status")).to_contain_text("approved and posted")
    page.get_by_role("link", name="Posting tool").click()
    page.get_by_role("link", name="EFT0425").click()
    expect(preview).to_have_count(0)
    line = items.get_by_role("row", name=starting("Write-off #"))
    assert figure(items, line, "Deductible") == "-30.00"
