"""Seed 001, "How to Write Off PR", clicked through in a real browser as a billing manager would.

Navigate to the patient's profile; View Details on the charge; Write Off; enter any part of the
PR; pick a reason (or a custom one); Confirm; the write-off is listed in the charge view and the
outstanding balance changes everywhere. Troubleshooting: a disabled Write Off explains itself on
hover (paid PR: refund first, with a link to do it); Write Off again shows the red Remove Write
Off; and any line can be undone from the history.
"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.web.scenarios import garcia, nguyen_who_paid
from tests.web.screen import figure, starting


def _outstanding(page):
    return page.get_by_label("Outstanding balance")


def test_write_off_from_the_patient_profile(page, engine, actor, staff, shoot):
    garcia(engine, actor)
    staff("billing_manager").into(page)

    # The work list shows who owes what.
    owing = page.get_by_role("table").filter(has_text="Open PR")
    listed = owing.get_by_role("row", name=starting("Garcia"))
    assert figure(owing, listed, "Balance") == "60.00"
    shoot(page, "work-list")

    # Navigate to the patient's profile (search: "/" jumps to the search box).
    page.keyboard.press("/")
    expect(page.get_by_role("searchbox", name="Search patients")).to_be_focused()
    page.keyboard.type("garcia")
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Garcia, Jane").click()
    expect(_outstanding(page)).to_have_text("60.00")

    # Click View Details on the charge in the Charges tab.
    charges = page.get_by_role("table", name=starting("Visit"))
    visit_row = charges.get_by_role("row", name=starting("99213"))
    page.get_by_role("button", name="View Details of 99213").click()
    details = page.get_by_role("region", name="Details of 99213")
    expect(details).to_be_visible()
    expect(details.get_by_role("button", name="Cancel PR")).to_be_disabled()

    # Click Write Off: the window opens with the amount field focused and the unpaid PR shown.
    details.get_by_role("button", name="Write Off", exact=True).click()
    window = page.get_by_role("dialog", name="Write off patient responsibility")
    amount = window.get_by_label("Amount to write off")
    expect(amount).to_be_focused()
    expect(window).to_contain_text("Unpaid PR 50.00")

    # A custom reason; a mistyped amount is refused next to the field and nothing else is lost.
    window.get_by_label("Reason", exact=True).select_option(label="Custom…")
    window.get_by_role("textbox", name="Custom reason").fill("Payment plan agreed")
    window.get_by_label("Note").fill("spoke with patient")
    amount.fill("12.5.0")
    window.get_by_role("button", name="Confirm").click()
    expect(window.locator("#err-amount")).to_contain_text("is not a decimal amount")
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(window.get_by_role("textbox", name="Custom reason")).to_have_value("Payment plan agreed")
    expect(window.get_by_label("Note")).to_have_value("spoke with patient")
    shoot(page, "write-off-window")

    # Any part of the PR, typed as people type it; Confirm.
    amount.fill("$12.5")
    window.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("dialog")).to_be_hidden()

    # The write-off is listed in the charge view and the balance is new in every place.
    expect(page.get_by_role("status")).to_have_text("Wrote off 12.50.")
    expect(_outstanding(page)).to_have_text("47.50")
    assert figure(charges, visit_row, "Pt. balance") == "37.50"
    assert figure(charges, visit_row, "Other adj.") == "12.50"
    assert figure(charges, visit_row, "Copay") == "0.00"  # copay first, then coinsurance
    assert figure(charges, visit_row, "Coinsurance") == "7.50"
    total = charges.get_by_role("row", name="Visit total")
    assert figure(charges, total, "Pt. balance") == "47.50"
    lines = details.get_by_role("table", name="Ledger lines of 99213")
    write_off = lines.get_by_role("row").filter(has_text="Write-off")
    expect(write_off).to_contain_text("Payment plan agreed · spoke with patient")
    assert figure(lines, write_off, "Pt. balance") == "-12.50"
    shoot(page, "patient-charges")

    page.get_by_role("link", name="Work list").click()
    assert figure(owing, listed, "Balance") == "47.50"
    page.go_back()

    # Oops: Write Off again shows the red Remove Write Off; everything returns to what it was.
    page.get_by_role("button", name="View Details of 99213").click()
    page.get_by_role("region", name="Details of 99213").get_by_role(
        "button", name="Write Off", exact=True
    ).click()
    remove = window.get_by_role("button", name="Remove Write Off")
    expect(remove).to_have_css("background-color", "rgb(196, 35, 28)")
    shoot(page, "remove-write-off")
    remove.click()
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(_outstanding(page)).to_have_text("60.00")
    assert figure(charges, visit_row, "Pt. balance") == "50.00"
    assert figure(charges, total, "Pt. balance") == "60.00"

    # Escape closes the window without doing anything.
    page.get_by_role("region", name="Details of 99213").get_by_role(
        "button", name="Write Off", exact=True
    ).click()
    expect(window).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()

    # The history keeps the original lines, the write-off and its removal; undo works there too.
    page.get_by_role("link", name="History").click()
    history = page.get_by_role("region", name="History").get_by_role("table")
    expect(history.get_by_role("row").filter(has_text="Payment plan agreed")).to_contain_text(
        "undone"
    )
    expect(history.get_by_role("row").filter(has_text="Reversal")).to_contain_text(
        "Posted in error"
    )
    payment = page.get_by_role("link", name="Payments & refunds")
    payment.click()
    page.get_by_label("Amount").fill("10")
    page.get_by_role("button", name="Record payment").click()
    expect(_outstanding(page)).to_have_text("50.00")
    page.get_by_role("link", name="History").click()
    page.get_by_role("row").filter(has_text="Patient payment").get_by_role(
        "button", name="Undo"
    ).click()
    undo = page.get_by_role("dialog", name=starting("Undo patient payment"))
    undo.get_by_role("button", name="Undo").click()
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(_outstanding(page)).to_have_text("60.00")
    shoot(page, "patient-history")


def test_disabled_write_off_explains_itself_and_links_to_the_refund(
    page, engine, actor, staff, shoot
):
    patient_id = nguyen_who_paid(engine, actor)
    staff("billing_manager").into(page)
    page.goto(f"/patients/{patient_id}")
    page.get_by_role("button", name="View Details of 99213").click()
    details = page.get_by_role("region", name="Details of 99213")

    write_off = details.get_by_role("button", name="Write Off", exact=True)
    expect(write_off).to_be_disabled()
    write_off.hover()
    tooltip = page.get_by_role("tooltip").filter(has_text="already paid")
    expect(tooltip).to_be_visible()
    expect(tooltip).to_have_text(
        "the PR is already paid (20.00); refund the payment first Refund a payment"
    )
    expect(write_off).to_have_accessible_description(
        "the PR is already paid (20.00); refund the payment first Refund a payment"
    )
    shoot(page, "disabled-write-off")

    # The tooltip's link leads to the refund; after it, Write Off is offered again.
    tooltip.get_by_role("link", name="Refund a payment").click()
    page.get_by_role("button", name="Refund payment of 20.00").click()
    refund = page.get_by_role("dialog", name="Refund a payment")
    expect(refund.get_by_label("Amount to refund")).to_have_value("20.00")
    refund.get_by_role("button", name="Refund", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Refund recorded.")
    expect(_outstanding(page)).to_have_text("20.00")

    page.get_by_role("link", name="Charges").click()
    page.get_by_role("button", name="View Details of 99213").click()
    write_off = page.get_by_role("region", name="Details of 99213").get_by_role(
        "button", name="Write Off", exact=True
    )
    expect(write_off).to_be_enabled()
