"""A billing manager reads the month's reports: write-offs by reason, collections by method and
payer activity; a period with nothing in it says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from medledger.services import accounts
from tests import builders
from tests.web.scenarios import garcia, nguyen_who_paid
from tests.web.screen import figure, starting


def test_the_months_reports(page, engine, database, actor, staff, shoot):
    patient_id = garcia(engine, actor)
    nguyen_who_paid(engine, actor)
    charge = accounts.patient_account(database, actor, patient_id).encounters[0].procedures[1]
    builders.write_off(engine, actor, charge.procedure.id, total="10.00", reason="bad_debt")

    staff("billing_manager").into(page)
    page.get_by_role("link", name="Reports").click()
    expect(page).to_have_title(starting("Reports"))
    adjustments = page.get_by_role("table", name="Write-offs and cancellations")
    bad_debt = adjustments.get_by_role("row", name=starting("Write-off"))
    assert figure(adjustments, bad_debt, "Net amount") == "10.00"
    collections = page.get_by_role("table", name="Collections")
    assert (
        figure(collections, collections.get_by_role("row", name=starting("Card")), "Net") == "20.00"
    )
    payers = page.get_by_role("table", name="Payer activity")
    payer = payers.get_by_role("row", name=starting("United Healthcare"))
    assert figure(payers, payer, "Paid") == "150.00"
    assert figure(payers, payer, "PR assigned") == "80.00"
    aging = page.get_by_role("table", name="Aging")
    owing = aging.get_by_role("row", name=starting("Garcia"))
    assert figure(aging, owing, "Total") == "50.00"  # 60.00 of PR less the 10.00 written off
    assert figure(aging, aging.get_by_role("row", name="All patients"), "Total") == "50.00"
    shoot(page, "reports")

    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    page.get_by_label("From").fill(tomorrow.isoformat())
    page.get_by_label("To").fill(tomorrow.isoformat())
    page.get_by_role("button", name="Show").click()
    expect(adjustments).to_contain_text("None in this period.")
    expect(payers).to_contain_text("None in this period.")
