"""The rest of the front office in a real browser: a biller's write-off or cancellation above their
limit waits for a manager's approval; Cancel PR with its restrictions explained the same way as Write Off's; what
the front desk may not do says why; an 835 file is imported from the upload page, and a new
practice's 837 then the 835 answering it."""

from __future__ import annotations

import re

import pytest
from bench.claims import generate
from playwright.sync_api import expect

from medledger.services.adjudication import post_estimate
from tests import builders
from tests.era_builders import claims_of, practice_for
from tests.web.scenarios import garcia
from tests.web.screen import figure, starting
from tests.x12.x12_testkit import SAMPLES

ERA = "albmarin__badX12__tests_files_edi_X221-dollars-and-data-sent-separate.edi"


def _log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_write_off_above_the_limit_waits_for_a_manager(page, engine, actor, staff, shoot):
    patient_id = garcia(engine, actor)
    biller, manager = staff("biller", "10.00"), staff("billing_manager")

    biller.into(page)
    page.goto(f"/patients/{patient_id}")
    page.get_by_role("button", name="View Details of 99213").click()
    page.get_by_role("button", name="Write Off", exact=True).click()
    window = page.get_by_role("dialog", name="Write off patient responsibility")
    window.get_by_label("Amount to write off").fill("20")
    window.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("status")).to_have_text(
        re.compile(
            r"20\.00 is above your write-off limit: it waits for a billing manager in "
            r"approval request #\d+\."
        )
    )
    expect(page.get_by_text(re.compile(r"Pending approval #\d+")).first).to_be_visible()
    expect(page.get_by_label("Outstanding balance")).to_have_text("60.00")
    _log_out(page)

    manager.into(page)
    page.get_by_role("link", name="Approvals").click()
    requests = page.get_by_role("table", name="Approval requests")
    waiting = requests.get_by_role("row").filter(has_text="99213")
    assert figure(requests, waiting, "Amount") == "20.00"
    expect(waiting).to_contain_text("Biller")
    shoot(page, "approvals")
    waiting.get_by_role("button", name=starting("Approve")).click()
    expect(page.get_by_role("status")).to_contain_text("approved and posted")
    page.goto(f"/patients/{patient_id}")
    expect(page.get_by_label("Outstanding balance")).to_have_text("40.00")


def test_cancel_pr_and_what_the_front_desk_may_not_do(page, engine, database, actor, staff):
    patient_id = garcia(engine, actor)
    encounter_id, (estimated,) = builders.visit(
        engine, actor, patient_id, ["90.00"], codes=["99212"]
    )
    post_estimate(database, actor, estimated, {"3": "25.00"}, note="copay at check-in")
    staff("front_desk").into(page)
    page.goto(f"/patients/{patient_id}")
    expect(page.get_by_label("Outstanding balance")).to_have_text("85.00")

    # The front desk may look and take payments, not write off: the button says so.
    page.get_by_role("button", name="View Details of 99213").click()
    write_off = page.get_by_role("button", name="Write Off", exact=True)
    expect(write_off).to_be_disabled()
    expect(write_off).to_have_accessible_description("a front desk may not write off")
    _log_out(page)

    staff("billing_manager").into(page)
    page.goto(f"/patients/{patient_id}")
    # PR from the payer's remittance cannot be cancelled; the reason is on the button.
    page.get_by_role("button", name="View Details of 99213").click()
    cancel = page.get_by_role("region", name="Details of 99213").get_by_role(
        "button", name="Cancel PR"
    )
    expect(cancel).to_be_disabled()
    cancel.hover()
    expect(page.get_by_role("tooltip").filter(visible=True)).to_contain_text(
        "this PR came from the payer's remittance and cannot be cancelled"
    )
    # An estimated copay can be cancelled: it goes back to the insurance balance.
    page.get_by_role("button", name="View Details of 99212").click()
    page.get_by_role("region", name="Details of 99212").get_by_role(
        "button", name="Cancel PR"
    ).click()
    window = page.get_by_role("dialog", name="Cancel patient responsibility")
    expect(window.get_by_label("Amount to cancel")).to_have_value("25.00")
    window.get_by_label("Reason", exact=True).select_option(label="Estimate was wrong")
    window.get_by_role("button", name="Cancel PR").click()
    expect(page.get_by_role("status")).to_have_text("PR cancelled.")
    expect(page.get_by_label("Outstanding balance")).to_have_text("60.00")
    charges = page.get_by_role("table", name=starting("Visit")).filter(has_text="99212")
    row = charges.get_by_role("row", name=starting("99212"))
    assert figure(charges, row, "Pt. balance") == "0.00"
    assert encounter_id


def test_a_cancellation_above_the_limit_waits_for_a_manager(page, engine, database, actor, staff):
    patient_id = garcia(engine, actor)
    _, (estimated,) = builders.visit(engine, actor, patient_id, ["90.00"], codes=["99212"])
    post_estimate(database, actor, estimated, {"3": "25.00"}, note="copay at check-in")
    biller, manager = staff("biller", "10.00"), staff("billing_manager")

    biller.into(page)
    page.goto(f"/patients/{patient_id}")
    page.get_by_role("button", name="View Details of 99212").click()
    details = page.get_by_role("region", name="Details of 99212")
    details.get_by_role("button", name="Cancel PR").click()
    window = page.get_by_role("dialog", name="Cancel patient responsibility")
    window.get_by_label("Reason", exact=True).select_option(label="Estimate was wrong")
    window.get_by_role("button", name="Cancel PR").click()
    expect(page.get_by_role("status")).to_have_text(
        re.compile(
            r"25\.00 is above your write-off limit: the cancellation waits for a billing manager "
            r"in approval request #\d+\."
        )
    )
    expect(page.get_by_text(re.compile(r"Pending approval #\d+")).first).to_be_visible()
    expect(page.get_by_label("Outstanding balance")).to_have_text("85.00")  # nothing cancelled
    # All of the copay is held: Cancel PR says which request it waits in.
    cancel = details.get_by_role("button", name="Cancel PR")
    expect(cancel).to_be_disabled()
    cancel.hover()
    expect(page.get_by_role("tooltip").filter(visible=True)).to_contain_text("waits for approval")
    _log_out(page)

    manager.into(page)
    page.get_by_role("link", name="Approvals").click()
    requests = page.get_by_role("table", name="Approval requests")
    waiting = requests.get_by_role("row").filter(has_text="99212")
    assert figure(requests, waiting, "Kind") == "Cancellation"
    assert figure(requests, waiting, "Amount") == "25.00"
    waiting.get_by_role("button", name=starting("Approve")).click()
    expect(page.get_by_role("status")).to_contain_text("approved and posted")
    page.goto(f"/patients/{patient_id}")
    expect(page.get_by_label("Outstanding balance")).to_have_text("60.00")


@pytest.mark.skipif(not (SAMPLES / ERA).exists(), reason=f"no sample {SAMPLES / ERA}")
def test_import_an_835_file(page, engine, actor, staff, shoot):
    practice_for(engine, actor, claims_of(SAMPLES / ERA))
    staff("biller").into(page)
    page.get_by_role("link", name="Import 835").click()
    page.get_by_label("835 file").set_input_files(str(SAMPLES / ERA))

    page.get_by_label("Check only").check()
    page.get_by_role("button", name="Import").click()
    summary = page.get_by_role("table", name="Import summary")
    expect(page.get_by_text("A dry run: nothing was posted.")).to_be_visible()

    page.get_by_label("Check only").uncheck()
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("A dry run: nothing was posted.")).to_be_hidden()
    expect(summary.get_by_role("row", name=starting("Claims posted"))).to_contain_text("2 of 2")
    expect(summary.get_by_role("row", name=starting("Claims held"))).to_contain_text("0")
    shoot(page, "import")

    page.get_by_role("button", name="Import").click()  # the same file again posts nothing twice
    expect(summary.get_by_role("row", name=starting("Already imported"))).to_contain_text("1")
    page.get_by_role("link", name="Posting tool").click()
    expect(page.get_by_role("table", name="Remittances").get_by_role("row")).to_have_count(2)


def test_import_an_837_file_then_its_835(page, engine, actor, staff, tmp_path, shoot):
    pair = generate(3)
    claims, remittance = tmp_path / "march.837", tmp_path / "march.835"
    claims.write_text(pair.claims_837)
    remittance.write_text(pair.remittance_835)
    staff("biller").into(page)
    page.get_by_role("link", name="Import 837").click()
    page.get_by_label("837 file").set_input_files(str(claims))
    page.get_by_role("button", name="Import").click()
    summary = page.get_by_role("table", name="Import summary")
    expect(summary.get_by_role("row", name=starting("New visits registered"))).to_contain_text("3")
    expect(summary.get_by_role("row", name=starting("Claims held"))).to_contain_text("0")
    shoot(page, "import-837")

    page.get_by_role("link", name="Import 835").click()
    page.get_by_label("835 file").set_input_files(str(remittance))
    page.get_by_role("button", name="Import").click()
    summary = page.get_by_role("table", name="Import summary")
    expect(summary.get_by_role("row", name=starting("Claims posted"))).to_contain_text("3 of 3")
    expect(summary.get_by_role("row", name=starting("Claims held"))).to_contain_text("0")
