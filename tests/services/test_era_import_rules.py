"""The 835 import's rules for real-world files: who the payer is, which claim statuses post,
where a warning is kept, and that a damaged file never posts in part."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import update

from medledger.domain.review import PREDETERMINATION, UNKNOWN_CLAIM_STATUS
from medledger.services import accounts
from medledger.services.adjudication import DuplicateRemittance
from medledger.services.era_import import EraRefused
from medledger.services.remittance_views import list_remittances
from medledger.services.review_queue import held_claims
from medledger.storage.tables import payers
from medledger.x12 import writer as w
from tests.era_builders import era_bytes, import_text, table_counts
from tests.services.test_era_import import (
    LAB,
    LAB_PAID,
    OFFICE,
    OFFICE_PAID,
    PAID_ON,
    assert_verified,
    era,
    svc,
    visit,
)


def test_two_payers_sharing_a_trn03_are_two_remittances(engine, database, actor):
    """The TR3 examples reuse TRN*1*12345*1512345678 for different payers: same trace number,
    same TRN03, other names. Each is its own payer, and each file imports."""
    office, lab = visit(engine, actor, "PCN-P1", OFFICE, LAB)
    first = import_text(engine, actor, era(w.claim("PCN-P1", [OFFICE_PAID]), trace="12345",
                                           payer="INSURANCE COMPANY OF TIMBUCKTU"))  # fmt: skip
    second = import_text(engine, actor, era(w.claim("PCN-P1", [LAB_PAID]), trace="12345",
                                            payer="DELTA DENTAL OF ABC"))  # fmt: skip
    assert (first.remittances, second.remittances) == (1, 1)
    assert accounts.procedure_account(database, actor, lab).balance.payer_paid == 3000
    again = import_text(engine, actor, era(w.claim("PCN-P1", [LAB_PAID]), trace="12345",
                                           payer="DELTA DENTAL OF ABC"))  # fmt: skip
    assert (again.already_imported, again.claims_posted) == (1, 0)
    assert_verified(engine, actor)


def test_a_payer_recorded_by_trn03_alone_is_still_recognised(engine, raw_engine, actor):
    """Payers imported before the payer code held the identification have TRN03 as their code:
    the same name under that TRN03 is the same payer, so an old file is still already imported."""
    visit(engine, actor, "PCN-P2", OFFICE)
    data = era(w.claim("PCN-P2", [OFFICE_PAID]), trace="EFT-OLD")
    import_text(engine, actor, data)
    with raw_engine.begin() as connection:  # as it was stored before (the app may not)
        connection.execute(
            update(payers)
            .where(payers.c.organisation_id == actor.organisation_id)
            .values(payer_code="1512345678")
        )
    before = table_counts(engine, actor.organisation_id)
    again = import_text(engine, actor, data)
    assert (again.already_imported, again.remittances) == (1, 0)
    assert table_counts(engine, actor.organisation_id) == before


@pytest.mark.parametrize(
    ("status", "reason", "detail"),
    [
        ("25", PREDETERMINATION, "claim status 25 (predetermination pricing only)"),
        ("5", UNKNOWN_CLAIM_STATUS, "claim status '5' is not one that posts"),
        ("0", UNKNOWN_CLAIM_STATUS, "claim status '0' is not one that posts"),
        ("99", UNKNOWN_CLAIM_STATUS, "claim status '99' is not one that posts"),
    ],
)
def test_a_claim_status_that_posts_no_money_is_held(
    engine, database, actor, status, reason, detail
):
    (office,) = visit(engine, actor, f"PCN-S{status}", OFFICE)
    line = svc("99213", 15000, 0, ("CO", "45", 15000), mods=("25",))
    summary = import_text(engine, actor, era(w.claim(f"PCN-S{status}", [line], status_code=status),
                                             trace=f"EFT-S{status}"))  # fmt: skip
    assert (summary.claims_posted, summary.held) == (0, {reason: 1})
    [item] = held_claims(database, actor)
    assert detail in item.detail and item.claim.status_code == status
    balance = accounts.procedure_account(database, actor, office).balance
    assert (balance.payer_paid, balance.contractual) == (0, 0)


@pytest.mark.parametrize("status", ["1", "19", "23"])
def test_posting_statuses_post(engine, database, actor, status):
    (office,) = visit(engine, actor, f"PCN-T{status}", OFFICE)
    summary = import_text(engine, actor, era(w.claim(f"PCN-T{status}", [OFFICE_PAID],
                                                     status_code=status), trace=f"EFT-T{status}"))  # fmt: skip
    assert (summary.claims_posted, summary.held_claims) == (1, 0)
    assert accounts.procedure_account(database, actor, office).balance.payer_paid == 10000


def test_a_set_warning_stays_on_its_remittance_and_a_file_warning_on_all(engine, database, actor):
    """Two sets in one file: the first without BPR16 (its payment date is GS04), and IEA02 not
    repeating ISA13. The date warning belongs to the first remittance; the IEA02 one to both."""
    visit(engine, actor, "PCN-W", OFFICE, LAB)
    sets = [
        w.remittance(
            [w.claim("PCN-W", [OFFICE_PAID])], trace_number="EFT-W1", payment_date=PAID_ON
        ),
        w.remittance([w.claim("PCN-W", [LAB_PAID])], trace_number="EFT-W2", payment_date=PAID_ON),
    ]
    text = era_bytes(sets).decode()
    first_bpr = text.index("BPR*")
    end = text.index("~", first_bpr)
    text = text[:first_bpr] + text[first_bpr:end].rsplit("*", 1)[0] + "*" + text[end:]
    head, _, tail = text.rpartition("IEA*1*")
    text = head + "IEA*1*999999999" + tail[tail.index("~") :]
    summary = import_text(engine, actor, text.encode())
    assert summary.remittances == 2
    date_warning = next(w for w in summary.warnings if "BPR16" in w)
    assert (
        "BPR16 (payment date) is missing: the payment date is the group's date GS04" in date_warning
    )
    iea = next(w for w in summary.warnings if "IEA02" in w)
    second, first = list_remittances(database, actor)[:2]  # the newest first
    assert (first.trace_number, second.trace_number) == ("EFT-W1", "EFT-W2")
    assert first.warnings == [iea, date_warning]
    assert second.warnings == [iea]


def test_damaged_copies_of_a_file_post_whole_or_not_at_all(engine, actor):
    """Random edits of a balanced file: each import either posts every claim or is refused and
    writes nothing; none ends in another exception."""
    visit(engine, actor, "PCN-M", OFFICE, LAB)
    good = era(w.claim("PCN-M", [OFFICE_PAID, LAB_PAID]), trace="EFT-M").decode()
    rng = random.Random(17)
    for number in range(40):
        text = good.replace("EFT-M", f"EFT-M{number}")
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(text))
            text = text[:at] + rng.choice("*:~0123456789.-AZ\n") + text[at + rng.randint(0, 2) :]
        before = table_counts(engine, actor.organisation_id)
        try:
            summary = import_text(engine, actor, text.encode())
        except (EraRefused, DuplicateRemittance):  # damaged, or now another set's trace number
            assert table_counts(engine, actor.organisation_id) == before
        else:
            posted_or_held = summary.claims_posted + summary.held_claims
            assert posted_or_held == summary.claims or summary.already_imported
    assert_verified(engine, actor)
