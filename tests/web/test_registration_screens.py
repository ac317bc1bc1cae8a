"""A front-desk user registers a new patient and a visit in the browser, with the keyboard, and
sees the charges on the patient's Charges tab; then voids a charge entered in error."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.web.screen import starting


def charged(row) -> str:
    """The charge of a charge row: its first figure (the code's column is headed Charge too)."""
    return row.locator("td").first.inner_text().strip()


def test_front_desk_registers_a_patient_and_a_visit_with_the_keyboard(page, staff, shoot):
    staff("front_desk").into(page)
    page.get_by_role("link", name="New patient").click()
    expect(page.get_by_role("heading", name="New patient")).to_be_visible()

    # The MRN field has the focus; Tab walks the fields in reading order.
    expect(page.get_by_label("MRN")).to_be_focused()
    page.keyboard.type("R-100")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Last name")).to_be_focused()
    page.keyboard.type("Okafor")
    page.keyboard.press("Tab")
    page.keyboard.type("Ada")
    page.get_by_label("Birth date").fill("1984-07-09")
    page.get_by_label("Insurance member id").fill("MEM-100")
    page.get_by_label("Insurance payer").fill("BCBS")
    shoot(page, "new-patient")
    page.get_by_label("Insurance payer").press("Enter")  # Enter submits

    expect(page.get_by_role("heading", name="Okafor, Ada")).to_be_visible()
    expect(page.locator("#patient-stamps")).to_contain_text("Registered by Front Desk on ")
    expect(page.get_by_text("No charges yet.")).to_be_visible()
    page.get_by_role("link", name="Add visit").click()
    expect(page.get_by_label("Date of service")).to_be_focused()
    page.get_by_label("Date of service").fill("2026-03-02")
    page.get_by_label("Code of procedure 1").fill("99213")
    page.keyboard.press("Tab")
    page.keyboard.type("25")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # units: 1 when left blank
    page.keyboard.type("150.005")
    page.get_by_label("Code of procedure 2").fill("85025")
    page.get_by_label("Charge of procedure 2").fill("45.00")
    page.get_by_label("Diagnosis codes").fill("J06.9")
    page.get_by_label("Diagnosis codes").press("Enter")

    # A mistyped charge is refused beside its field; everything typed stays.
    charge = page.get_by_label("Charge of procedure 1")
    expect(charge).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#err-line-1-charge")).to_contain_text("150.005")
    expect(page.get_by_label("Code of procedure 2")).to_have_value("85025")
    charge.fill("150.00")
    shoot(page, "add-visit")
    charge.press("Enter")

    charges = page.get_by_role("table", name=starting("Visit 2026-03-02"))
    office = charges.get_by_role("row", name=starting("99213-25"))
    assert charged(office) == "150.00"
    lab = charges.get_by_role("row", name=starting("85025"))
    assert charged(lab) == "45.00"

    # The lab was entered in error: Void charge takes it back.
    page.get_by_role("button", name="View Details of 85025").click()
    page.get_by_role("region", name="Details of 85025").get_by_role(
        "button", name="Void charge"
    ).click()
    window = page.get_by_role("dialog", name="Void charge")
    window.get_by_label("Note").fill("ordered, not drawn")
    window.get_by_role("button", name="Void charge").click()
    expect(page.get_by_role("status")).to_have_text("Charge voided.")
    expect(lab.locator("td").first).to_have_text("0.00")
    details = page.get_by_role("region", name="Details of 85025")
    expect(details.get_by_role("button", name="Void charge")).to_have_attribute(
        "aria-disabled", "true"
    )


def test_a_csv_with_a_bad_row_lists_it_and_the_corrected_file_imports(page, staff, tmp_path):
    from tests.services.test_csv_import import GOOD

    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_text(GOOD.replace("97110,,3,285.00", "97110,,3,2.8.5"))
    good.write_text(GOOD)
    staff("front_desk").into(page)
    page.get_by_role("link", name="Import CSV").click()
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Import").click()
    problems = page.get_by_role("table", name="Problems in the file")
    expect(problems.get_by_role("row")).to_have_count(2)  # the heading and the one bad row
    row = problems.get_by_role("row").nth(1)
    expect(row.locator("td").nth(0)).to_have_text("3")
    expect(row.locator("td").nth(1)).to_have_text("charge")
    expect(row.locator("td").nth(2)).to_contain_text("2.8.5")

    page.get_by_label("CSV file").set_input_files(str(good))
    page.get_by_role("button", name="Import").click()
    summary = page.get_by_role("table", name="Import summary")
    expect(summary.get_by_role("row", name=starting("Visits registered"))).to_contain_text("2")
    expect(summary.get_by_role("row", name=starting("Charges registered"))).to_contain_text(
        "515.00"
    )


def test_front_desk_edits_a_patient_from_their_page_with_the_keyboard(page, staff, database, actor):
    from datetime import date

    from medledger.domain.registration import PatientDetails
    from medledger.services.registration import CoverageInput, register_patient

    details = PatientDetails("Ada", "Okafor", date(1984, 7, 9), "F", "MEM-7", city="Springfield")
    record = register_patient(database, actor, "R-200", details, [CoverageInput("BCBS")])
    staff("front_desk").into(page)
    page.goto(f"/patients/{record.patient.id}")
    expect(page.locator("#patient-stamps")).not_to_contain_text("last changed")
    page.get_by_role("link", name="Edit patient").click()
    expect(page.get_by_role("heading", name="Edit patient")).to_be_visible()
    expect(page.get_by_label("Coverages")).to_contain_text("Primary: BCBS (BCBS)")

    # The form holds the patient as stored, the MRN field first with the focus.
    expect(page.get_by_label("MRN")).to_be_focused()
    expect(page.get_by_label("MRN")).to_have_value("R-200")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Last name")).to_have_value("Okafor")
    page.keyboard.press("Control+A")
    page.keyboard.type("Okafor-Reed")
    page.get_by_label("Birth date").fill("2099-01-01")
    page.get_by_label("City").fill("")  # emptied, not left as it was
    page.get_by_label("City").press("Enter")

    # A birth date in the future is refused beside its field; what was typed stays.
    birth = page.get_by_label("Birth date")
    expect(birth).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#err-birth_date")).to_contain_text("birth date is in the future")
    expect(page.get_by_label("Last name")).to_have_value("Okafor-Reed")
    birth.fill("1984-07-10")
    page.get_by_label("Coverage order").select_option("secondary")
    page.get_by_label("Add insurance payer").fill("MCR")
    page.get_by_label("Add insurance payer").press("Enter")

    expect(page.get_by_role("heading", name="Okafor-Reed, Ada")).to_be_visible()
    expect(page.get_by_text("born 1984-07-10")).to_be_visible()
    expect(page.locator("#patient-stamps")).to_contain_text("last changed by Front Desk on ")
    page.get_by_role("link", name="Edit patient").click()
    expect(page.get_by_label("City")).to_have_value("")
    expect(page.get_by_label("Coverages")).to_contain_text("Secondary: MCR (MCR)")

    # A coverage held is edited (its member id) or removed, from the same form.
    page.get_by_label("Member id for Secondary: MCR (MCR)").fill("1EG4-TE5")
    page.get_by_label("Remove Primary: BCBS (BCBS)").check()
    page.get_by_label("Member id for Secondary: MCR (MCR)").press("Enter")
    expect(page.get_by_role("heading", name="Okafor-Reed, Ada")).to_be_visible()
    page.get_by_role("link", name="Edit patient").click()
    coverages = page.get_by_label("Coverages")
    expect(coverages.get_by_role("listitem")).to_have_count(1)
    expect(coverages).to_contain_text("Secondary: MCR (MCR)")
    expect(page.get_by_label("Member id for Secondary: MCR (MCR)")).to_have_value("1EG4-TE5")
