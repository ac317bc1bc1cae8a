"""Importing generated 835 files, one branch of the importer each, on SQLite and PostgreSQL.

Every file here is written by ``x12.writer`` and imported through ``import_era``, the path a
payer's file takes. After each import ``verify`` recomputes every balance from the journal.
"""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest

from medledger.domain import errors
from medledger.domain.columns import Column
from medledger.domain.review import (
    BALANCE_WOULD_GO_NEGATIVE,
    DUPLICATE_CLAIM,
    REVERSAL_WITHOUT_ORIGINAL,
    SECONDARY_BEFORE_PRIMARY,
    UNMATCHED_CLAIM,
    UNMATCHED_LINE,
)
from medledger.services import accounts
from medledger.services.adjudication import DuplicateRemittance, post_estimate
from medledger.services.era_import import EraRefused, import_era
from medledger.services.payments import record_payment
from medledger.services.registration import ProcedureInput, add_encounter
from medledger.services.review_queue import held_claims
from medledger.services.verification import verify_organisation
from medledger.storage.tables import provider_adjustments, remittances
from medledger.storage.unit_of_work import Database, UnitOfWork
from medledger.x12 import writer as w
from tests import builders
from tests.era_builders import era_bytes, import_text, table_counts

DOS = date(2024, 3, 1)
PAID_ON = date(2024, 3, 22)


def visit(engine, actor, pcn: str, *lines: ProcedureInput) -> list[int]:
    """An encounter with control number ``pcn``; returns its procedure ids in line order."""
    encounter_id = add_encounter(
        Database(engine), actor, builders.patient(engine, actor), pcn, DOS, lines
    )
    account = accounts.encounter_account(Database(engine), actor, encounter_id)
    return [p.procedure.id for p in account.procedures]


def svc(code: str, charge: int, paid: int, *cas: tuple[str, str, int], mods=(), control=None):
    adjustments = [w.adjustment(group, carc, cents) for group, carc, cents in cas]
    return w.service_line(code, charge, paid, adjustments, modifiers=mods, service_date=DOS,
                          control_number=control)  # fmt: skip


def era(*claims, trace: str = "EFT-1", payer: str = "ACME HEALTH", payer_id: str = "1512345678",
        plb=()) -> bytes:  # fmt: skip
    remittance = w.remittance(list(claims), trace_number=trace, payment_date=PAID_ON,
                              payer_name=payer, payer_id=payer_id, provider_adjustments=plb)  # fmt: skip
    return era_bytes([remittance])


def columns(engine, actor, procedure_id: int) -> dict[tuple[str, str], int]:
    balance = accounts.procedure_account(Database(engine), actor, procedure_id).balance
    return {(column.value, carc): cents for (column, carc), cents in balance.amounts.items()}


def assert_verified(engine, actor) -> None:
    report = verify_organisation(Database(engine), actor.organisation_id)
    assert report.ok, report.differences


OFFICE = ProcedureInput("99213", 15000, ("25",))
LAB = ProcedureInput("85025", 4500)
OFFICE_PAID = svc("99213", 15000, 10000, ("CO", "45", 2500), ("PR", "2", 2500), mods=("25",))
LAB_PAID = svc("85025", 4500, 3000, ("CO", "45", 1000), ("PR", "1", 500))


def test_a_matched_claim_posts_with_its_payment_items_and_summary(engine, actor):
    office, lab = visit(engine, actor, "PCN-A", OFFICE, LAB)
    summary = import_text(engine, actor, era(w.claim("PCN-A", [OFFICE_PAID, LAB_PAID])))
    assert (summary.remittances, summary.claims, summary.claims_posted) == (1, 1, 1)
    assert (summary.lines, summary.lines_posted, summary.held_claims) == (2, 2, 0)
    assert summary.paid_cents == 13000 and summary.pr_by_carc == {"2": 2500, "1": 500}
    assert columns(engine, actor, office) == {
        ("charge", ""): 15000, ("payer_paid", ""): 10000, ("contractual", "45"): 2500,
        ("pr", "2"): 2500,
    }  # fmt: skip
    assert columns(engine, actor, lab) == {
        ("charge", ""): 4500, ("payer_paid", ""): 3000, ("contractual", "45"): 1000,
        ("pr", "1"): 500,
    }  # fmt: skip
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        (remittance,) = uow.remittances.list()
        assert (remittance.source, remittance.payment_cents) == ("era", 13000)
        assert remittance.file_name == "test.835" and len(remittance.content_hash) == 64
        items = uow.remittances.items(remittance.id)
        assert [i.level for i in items] == ["claim", "procedure", "procedure"]
        assert items[0].payer_claim_control_number == "ICNPCN-A"
        transaction = uow.ledger.find_by_key(f"remittance:{remittance.payer_id}:EFT-1")
        assert (transaction.kind, transaction.source) == ("adjudication", "era")
        assert uow.registry.procedure(office).pr_source == "remittance"
        assert uow.registry.payer(remittance.payer_id).name == "ACME HEALTH"
    assert_verified(engine, actor)


def test_unmatched_claims_and_lines_are_held_and_the_rest_posts(engine, database, actor):
    (office,) = visit(engine, actor, "PCN-B", OFFICE)
    visit(engine, actor, "PCN-C", LAB)
    data = era(
        w.claim("PCN-B", [OFFICE_PAID]),
        w.claim("NOT-OURS", [LAB_PAID]),
        w.claim("PCN-C", [svc("85025", 4600, 4600)]),  # charge differs from the procedure's
    )
    summary = import_text(engine, actor, data)
    assert summary.claims_posted == 1
    assert summary.held == {UNMATCHED_CLAIM: 1, UNMATCHED_LINE: 1}
    held = {item.claim.patient_control_number: item for item in held_claims(database, actor)}
    assert held["NOT-OURS"].reason == UNMATCHED_CLAIM
    assert "no encounter has patient control number NOT-OURS" in held["NOT-OURS"].detail
    assert held["PCN-C"].reason == UNMATCHED_LINE
    assert "85025 on 2024-03-01 charging 46.00 matches no procedure" in held["PCN-C"].detail
    assert held["PCN-C"].claim.lines[0].charge_cents == 4600  # kept as the payer sent it
    assert columns(engine, actor, office)[("payer_paid", "")] == 10000
    assert_verified(engine, actor)


@pytest.mark.parametrize("paid_modifiers", [("59", "GP"), ("GP",), ()])
def test_lines_with_reordered_or_dropped_modifiers_are_found(engine, actor, paid_modifiers):
    therapy, office = visit(
        engine, actor, "PCN-D", ProcedureInput("97110", 28500, ("GP", "59"), units=3), OFFICE
    )
    paid = svc("97110", 28500, 20000, ("CO", "45", 8500), mods=paid_modifiers)
    summary = import_text(engine, actor, era(w.claim("PCN-D", [paid, OFFICE_PAID])))
    assert summary.claims_posted == 1
    assert columns(engine, actor, therapy)[("payer_paid", "")] == 20000
    assert columns(engine, actor, office)[("payer_paid", "")] == 10000


def test_line_item_control_number_matches_whatever_the_payer_calls_the_line(engine, actor):
    (office,) = visit(
        engine, actor, "PCN-E", ProcedureInput("99214", 22000, line_item_control_number="E-1")
    )
    rebundled = svc("99213", 22000, 15000, ("CO", "45", 7000), control="E-1")
    assert import_text(engine, actor, era(w.claim("PCN-E", [rebundled]))).claims_posted == 1
    assert columns(engine, actor, office)[("contractual", "45")] == 7000


def test_reimporting_a_file_posts_nothing(engine, actor):
    visit(engine, actor, "PCN-F", OFFICE, LAB)
    data = era(w.claim("PCN-F", [OFFICE_PAID, LAB_PAID]))
    import_text(engine, actor, data)
    before = table_counts(engine, actor.organisation_id)
    again = import_text(engine, actor, data, "renamed.835")
    assert (again.already_imported, again.remittances, again.claims_posted) == (1, 0, 0)
    assert again.claims == 1 and not again.held
    assert table_counts(engine, actor.organisation_id) == before


def test_the_same_trace_number_with_other_content_refuses_the_file(engine, actor):
    visit(engine, actor, "PCN-G", OFFICE, LAB)
    import_text(engine, actor, era(w.claim("PCN-G", [OFFICE_PAID])))
    before = table_counts(engine, actor.organisation_id)
    with pytest.raises(DuplicateRemittance, match="EFT-1 of ACME HEALTH was already imported"):
        import_text(engine, actor, era(w.claim("PCN-G", [LAB_PAID])))
    assert table_counts(engine, actor.organisation_id) == before


def test_a_claim_already_posted_from_another_file_is_a_duplicate(engine, database, actor):
    (office,) = visit(engine, actor, "PCN-H", OFFICE)
    import_text(engine, actor, era(w.claim("PCN-H", [OFFICE_PAID]), trace="EFT-1"))
    resent = import_text(engine, actor, era(w.claim("PCN-H", [OFFICE_PAID]), trace="EFT-2"))
    assert resent.held == {DUPLICATE_CLAIM: 1} and resent.remittances == 1
    (item,) = held_claims(database, actor)
    assert "already posted from the remittance with trace number EFT-1" in item.detail
    assert columns(engine, actor, office)[("payer_paid", "")] == 10000


def test_a_reversal_takes_the_payment_back_and_a_corrected_claim_posts(engine, actor):
    office, lab = visit(engine, actor, "PCN-I", OFFICE, LAB)
    import_text(engine, actor, era(w.claim("PCN-I", [OFFICE_PAID, LAB_PAID]), trace="EFT-1"))
    reversal = w.claim(
        "PCN-I",
        [svc("99213", -15000, -10000, ("CO", "45", -2500), ("PR", "2", -2500), mods=("25",)),
         svc("85025", -4500, -3000, ("CO", "45", -1000), ("PR", "1", -500))],
        status_code="22",
    )  # fmt: skip
    corrected = w.claim(
        "PCN-I",
        [svc("99213", 15000, 11000, ("CO", "45", 2500), ("PR", "2", 1500), mods=("25",)),
         LAB_PAID],
        payer_claim_number="ICN-PCN-I-2",
    )  # fmt: skip
    summary = import_text(engine, actor, era(reversal, corrected, trace="EFT-2"))
    assert (summary.claims_posted, summary.held_claims) == (2, 0)
    assert summary.paid_cents == -13000 + 14000
    assert columns(engine, actor, office) == {
        ("charge", ""): 15000, ("payer_paid", ""): 11000, ("contractual", "45"): 2500,
        ("pr", "2"): 1500,
    }  # fmt: skip
    assert columns(engine, actor, lab)[("payer_paid", "")] == 3000
    assert_verified(engine, actor)


def test_a_reversal_of_nothing_posted_is_held(engine, actor):
    visit(engine, actor, "PCN-J", OFFICE)
    reversal = w.claim("PCN-J", [svc("99213", -15000, -10000, ("CO", "45", -5000), mods=("25",))],
                       status_code="22")  # fmt: skip
    assert import_text(engine, actor, era(reversal)).held == {REVERSAL_WITHOUT_ORIGINAL: 1}


def test_a_reversal_of_written_off_pr_is_held_until_the_write_off_is_removed(
    engine, database, actor
):
    (office,) = visit(engine, actor, "PCN-K", OFFICE)
    import_text(engine, actor, era(w.claim("PCN-K", [OFFICE_PAID]), trace="EFT-1"))
    builders.write_off(engine, actor, office, total="25.00", reason="small_balance")
    reversal = w.claim(
        "PCN-K", [svc("99213", -15000, -10000, ("CO", "45", -2500), ("PR", "2", -2500), mods=("25",))],
        status_code="22",
    )  # fmt: skip
    summary = import_text(engine, actor, era(reversal, trace="EFT-2"))
    assert summary.held == {BALANCE_WOULD_GO_NEGATIVE: 1}
    (item,) = held_claims(database, actor)
    assert "pr for CARC 2 is negative" in item.detail
    assert columns(engine, actor, office)[("payer_paid", "")] == 10000
    assert_verified(engine, actor)


def test_paying_a_charge_twice_is_held_as_exceeding_it(engine, database, actor):
    (office,) = visit(engine, actor, "PCN-L", OFFICE)
    import_text(engine, actor, era(w.claim("PCN-L", [OFFICE_PAID]), trace="EFT-1"))
    other_payer = era(w.claim("PCN-L", [OFFICE_PAID]), trace="CHK-9", payer="OTHER",
                      payer_id="1999999999")  # fmt: skip
    assert import_text(engine, actor, other_payer).held == {BALANCE_WOULD_GO_NEGATIVE: 1}
    (item,) = held_claims(database, actor)
    assert "exceed the charge by 150.00" in item.detail


def test_a_denial_posts_its_adjustments_as_they_are(engine, database, actor):
    office, lab = visit(engine, actor, "PCN-M", OFFICE, LAB)
    denial = w.claim(
        "PCN-M",
        [svc("99213", 15000, 0, ("CO", "50", 15000), mods=("25",)),
         svc("85025", 4500, 0, ("PR", "96", 4000), ("OA", "18", 500))],
        status_code="4",
    )  # fmt: skip
    summary = import_text(engine, actor, era(denial))
    assert summary.claims_posted == 1 and summary.paid_cents == 0
    assert summary.pr_by_carc == {"96": 4000}
    assert columns(engine, actor, office) == {("charge", ""): 15000, ("contractual", "50"): 15000}
    assert columns(engine, actor, lab) == {
        ("charge", ""): 4500,
        ("pr", "96"): 4000,
        ("payer_oa", "18"): 500,
    }
    # Denied is not written off: the PR is the patient's, and a write-off is the practice's act.
    lab_balance = accounts.procedure_account(database, actor, lab).balance
    assert lab_balance.patient_balance == 4000 and lab_balance.other_adjustments == 0
    assert_verified(engine, actor)


def test_a_secondary_claim_waits_for_the_primary_and_then_replaces_its_pr(engine, database, actor):
    (office,) = visit(engine, actor, "PCN-N", OFFICE)
    secondary = w.claim(
        "PCN-N",
        [svc("99213", 15000, 3000, ("OA", "23", 12500), ("OA", "94", -500), mods=("25",))],
        status_code="2",
    )  # fmt: skip
    early = import_text(engine, actor, era(secondary, trace="SEC-1", payer="SECOND",
                                           payer_id="1888888888"))  # fmt: skip
    assert early.held == {SECONDARY_BEFORE_PRIMARY: 1}
    import_text(engine, actor, era(w.claim("PCN-N", [OFFICE_PAID]), trace="PRI-1"))
    record_payment(database, actor, accounts.procedure_account(database, actor, office)
                   .procedure.patient_id, "10.00")  # fmt: skip
    again = import_text(engine, actor, era(secondary, trace="SEC-2", payer="SECOND",
                                           payer_id="1888888888"))  # fmt: skip
    assert again.claims_posted == 1
    balance = accounts.procedure_account(database, actor, office).balance
    # Primary 100.00 paid + 25.00 CO; secondary 30.00 paid, OA-94 -5.00; PR 25.00 replaced.
    assert (balance.payer_paid, balance.contractual, balance.payer_other) == (13000, 2500, -500)
    assert balance.pr_net == 0 and balance.insurance_balance == 0
    assert balance.credit == 1000  # the 10.00 the patient paid toward that PR is now credit
    assert_verified(engine, actor)


def test_an_imported_remittance_replaces_the_estimate_and_reapplies_the_copay(
    engine, database, actor
):
    (office,) = visit(engine, actor, "PCN-O", OFFICE)
    patient_id = accounts.procedure_account(database, actor, office).procedure.patient_id
    post_estimate(database, actor, office, {"3": "30.00"})
    record_payment(database, actor, patient_id, "30.00")
    copay = svc("99213", 15000, 9000, ("CO", "45", 3500), ("PR", "3", 2500), mods=("25",))
    import_text(engine, actor, era(w.claim("PCN-O", [copay])))
    balance = accounts.procedure_account(database, actor, office).balance
    assert balance.amount(Column.PR, "3") == 2500 and balance.paid_applied("3") == 2500
    assert balance.credit == 500
    assert_verified(engine, actor)


def test_provider_level_adjustments_are_kept_with_the_remittance(engine, actor):
    visit(engine, actor, "PCN-P", OFFICE)
    plb = [
        w.provider_adjustment("WO", 4000, reference="OLDCLAIM"),
        w.provider_adjustment("L6", -125),
    ]
    summary = import_text(engine, actor, era(w.claim("PCN-P", [OFFICE_PAID]), plb=plb))
    assert summary.provider_adjustment_cents == 3875
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        (remittance,) = uow.remittances.list()
        assert remittance.payment_cents == 10000 - 3875
        rows = uow.connection.execute(
            provider_adjustments.select().where(
                provider_adjustments.c.remittance_id == remittance.id
            )
        ).all()
    assert [(r.reason_code, r.reference, r.amount_cents) for r in rows] == [
        ("WO", "OLDCLAIM", 4000),
        ("L6", None, -125),
    ]


def test_several_transaction_sets_and_groups_in_one_file(engine, actor):
    visit(engine, actor, "PCN-Q", OFFICE)
    visit(engine, actor, "PCN-R", LAB)
    first = w.remittance([w.claim("PCN-Q", [OFFICE_PAID])], trace_number="ONE",
                         payment_date=PAID_ON)  # fmt: skip
    second = w.remittance([w.claim("PCN-R", [LAB_PAID])], trace_number="TWO",
                          payment_date=PAID_ON, payer_name="OTHER", payer_id="1999999999")  # fmt: skip
    text = era_bytes([first, second]).decode()
    group = text[text.index("GS*") : text.index("IEA*")]
    body = group[group.index("ST*") : group.index("GE*")]
    sets = body.split("ST*835*")
    one, two = "ST*835*" + sets[1], "ST*835*" + sets[2]
    split = group.replace(body, one).replace("GE*2*", "GE*1*") + group.replace(body, two).replace(
        "GE*2*", "GE*1*"
    )
    two_groups = text.replace(group, split).replace("IEA*1*", "IEA*2*")
    summary = import_text(engine, actor, two_groups.encode())
    assert (summary.remittances, summary.claims_posted) == (2, 2)
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        assert sorted(r.trace_number for r in uow.remittances.list()) == ["ONE", "TWO"]


def test_dry_run_reports_what_would_post_and_writes_nothing(engine, actor):
    visit(engine, actor, "PCN-S", OFFICE, LAB)
    data = era(w.claim("PCN-S", [OFFICE_PAID, LAB_PAID]), w.claim("NOPE", [LAB_PAID]))
    before = table_counts(engine, actor.organisation_id)
    dry = import_text(engine, actor, data, dry_run=True)
    assert table_counts(engine, actor.organisation_id) == before
    real = import_text(engine, actor, data)
    assert (dry.claims_posted, dry.held, dry.paid_cents) == (
        real.claims_posted,
        real.held,
        real.paid_cents,
    )
    assert dry.dry_run and not real.dry_run


@pytest.mark.parametrize(
    ("damage", "fragment"),
    [
        (lambda t: t.replace("CAS*CO*45*10.00", "CAS*CO*45*10.01"), "difference"),
        (lambda t: t.replace("CAS*CO*45*10.00", "CAS*XX*45*10.00"), "is not a known claim adj"),
        (lambda t: t.replace(":85025*45.00*30.00", ":85025*45.00*3O.00"), "SVC03 '3O.00' is not"),
        (
            lambda t: t.replace(":85025*45.00*30.00", ":85025*45.00*30.001"),
            "more than two decimals",
        ),
        (lambda t: t[: t.index("IEA*")], "without GS or IEA"),
        (lambda t: t.replace("ST*835*0002", "ST*837*0002"), "is not an 835"),
    ],
)
def test_a_bad_file_is_refused_whole_and_nothing_is_written(engine, actor, damage, fragment):
    """The good first transaction set is not posted either: the file is refused whole."""
    visit(engine, actor, "PCN-T", OFFICE)
    visit(engine, actor, "PCN-U", LAB)
    good = w.remittance([w.claim("PCN-T", [OFFICE_PAID])], trace_number="ONE", payment_date=PAID_ON)
    later = w.remittance([w.claim("PCN-U", [LAB_PAID])], trace_number="TWO", payment_date=PAID_ON)
    text = damage(era_bytes([good, later]).decode())
    before = table_counts(engine, actor.organisation_id)
    with pytest.raises(EraRefused) as refused:
        import_text(engine, actor, text.encode(), "bad.835")
    message = refused.value.message
    assert message.startswith("bad.835: segment ") and fragment in message, message
    assert "\n" not in message
    assert table_counts(engine, actor.organisation_id) == before


def test_files_without_remittances_are_refused(engine, actor):
    text = era_bytes([]).decode()
    with pytest.raises(EraRefused, match="holds no 835 transaction set"):
        import_text(engine, actor, text.encode())


def test_paths_and_unseekable_streams_import_with_progress(engine, database, actor, tmp_path):
    visit(engine, actor, "PCN-V", OFFICE)
    path = tmp_path / "era.835"
    path.write_bytes(era(w.claim("PCN-V", [OFFICE_PAID])))
    seen: list[tuple[str, int, int]] = []
    summary = import_era(database, actor, path, progress=lambda *p: seen.append(p))
    assert summary.claims_posted == 1 and summary.file_name == str(path)
    size = path.stat().st_size
    assert {phase for phase, _, _ in seen} == {"importing"}
    assert seen[-1] == ("importing", size, size)

    class Pipe(io.RawIOBase):
        """A stream that cannot seek, like stdin."""

        def __init__(self, data: bytes) -> None:
            self.data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            return self.data.read(size)

    visit(engine, actor, "PCN-W", LAB)
    piped = import_era(database, actor, Pipe(era(w.claim("PCN-W", [LAB_PAID]), trace="EFT-2")))
    assert piped.claims_posted == 1


def test_the_same_file_imported_four_times_at_once_posts_once(engine, actor):
    """The import writes as it reads: concurrent imports of one remittance must serialise on it
    (PostgreSQL's advisory lock, SQLite's single writer) so that one posts and the others find
    it imported."""
    office, _ = visit(engine, actor, "PCN-C1", OFFICE, LAB)
    data = era(w.claim("PCN-C1", [OFFICE_PAID, LAB_PAID]))
    with ThreadPoolExecutor(max_workers=4) as pool:
        summaries = list(pool.map(lambda _: import_text(engine, actor, data), range(4)))
    assert sorted(s.remittances for s in summaries) == [0, 0, 0, 1]
    assert sorted(s.already_imported for s in summaries) == [0, 1, 1, 1]
    assert columns(engine, actor, office)[("payer_paid", "")] == 10000
    assert_verified(engine, actor)


def test_importing_needs_the_right_to_post_remittances(engine, actor):
    from medledger.services.actor import Actor

    front_desk = Actor(actor.organisation_id, actor.user_id, "test", "front_desk")
    with pytest.raises(errors.LedgerError, match="may not post remittance"):
        import_text(engine, front_desk, era(w.claim("X", [OFFICE_PAID])))


def test_every_import_of_the_file_leaves_remittance_rows_scoped_to_the_organisation(
    engine, raw_engine, actor
):
    visit(engine, actor, "PCN-X", OFFICE)
    import_text(engine, actor, era(w.claim("PCN-X", [OFFICE_PAID])))
    with raw_engine.connect() as connection:  # every organisation's rows
        organisations = {
            row.organisation_id
            for row in connection.execute(
                remittances.select().where(remittances.c.trace_number == "EFT-1")
            )
        }
    assert actor.organisation_id in organisations


def test_batches_larger_than_one_in_list_are_read_in_chunks(engine, actor, monkeypatch):
    """PostgreSQL takes at most 65,535 parameters per statement: IN lists go in chunks."""
    from medledger.storage import bulk

    monkeypatch.setattr(bulk, "IN_LIST_LIMIT", 2)
    claims = []
    for n in range(5):
        visit(engine, actor, f"PCN-CH{n}", OFFICE, LAB)
        claims.append(w.claim(f"PCN-CH{n}", [OFFICE_PAID, LAB_PAID]))
    summary = import_text(engine, actor, era(*claims))
    assert (summary.claims_posted, summary.held_claims) == (5, 0)
    assert_verified(engine, actor)
