"""What a biller hits in the posting tool and the patient's History (issue 19): every refusal
shown beside its field, no typed value lost, several previews on one procedure adding up, and a
write-off removed in part shown as what still stands.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web.scenarios import eft0425


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
