"""Every public 835 sample in tests/x12/samples: imported and reconciled to the cent, or refused.

For a sample the reader accepts, the practice its claims are about is registered first (one
encounter per patient control number, one procedure per line, built from the file's own claims;
secondary and tertiary claims get their earlier payers' claims imported before them). After the
import every procedure's balance is what the file says: the payer's payment and each adjustment
in its column and CARC, to the cent. A sample the reader refuses is refused by the importer for
the same reason, at the same segment, and writes nothing.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from medledger.domain.adjudication import GROUP_COLUMNS, PRIOR_PAYER_CARC, coordinates_benefits
from medledger.domain.columns import Column
from medledger.domain.review import BALANCE_WOULD_GO_NEGATIVE, UNMATCHED_CLAIM, UNMATCHED_LINE
from medledger.services import accounts
from medledger.services.era_import import EraRefused, import_era
from medledger.services.review_queue import held_claims, resolve_held_claim
from medledger.services.verification import verify_organisation
from medledger.storage.unit_of_work import Database
from medledger.x12 import Adjustment, Claim
from tests.era_builders import Practice, claims_of, practice_for, prior_paid, table_counts
from tests.x12.test_x12_samples import EXPECTED, Parses, Refused
from tests.x12.x12_testkit import SAMPLES

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"no sample folder {SAMPLES}")

ACCEPTED = sorted(name for name, outcome in EXPECTED.items() if isinstance(outcome, Parses))
REFUSED = sorted(name for name, outcome in EXPECTED.items() if isinstance(outcome, Refused))
#: Nine claims of different patients under one patient control number (a made-up sample).
SHARED_PCN = "albmarin__badX12__tests_files_edi_X221-multiple-claims-single-check.edi"

Key = tuple[Column, str]


def expected(paid: int, adjustments: tuple[Adjustment, ...], claim: Claim) -> Counter[Key]:
    """The payer columns a claim (or one of its lines) must leave: what the file says, plus (for
    a secondary payer) what the earlier payers paid, which it restates as OA-23 and the ledger
    already holds."""
    columns: Counter[Key] = Counter()
    prior = prior_paid(adjustments) if coordinates_benefits(claim.status_code) else 0
    columns[(Column.PAYER_PAID, "")] += paid + prior
    for a in adjustments:
        if prior and a.group_code == "OA" and a.carc == PRIOR_PAYER_CARC:
            continue
        columns[(GROUP_COLUMNS[a.group_code], a.carc)] += a.amount_cents
    return +columns


def payer_columns(engine, actor, procedure_ids: list[int]) -> Counter[Key]:
    total: Counter[Key] = Counter()
    for procedure_id in procedure_ids:
        balance = accounts.procedure_account(Database(engine), actor, procedure_id).balance
        for (column, carc), cents in balance.amounts.items():
            if column not in (Column.CHARGE, Column.PATIENT_PAID, Column.REFUNDED):
                total[(column, carc)] += cents
    return +total


def assert_reconciled(engine, actor, claim: Claim, procedure_ids: list[int]) -> None:
    """Per procedure when the claim is all in its lines; per encounter when it has claim-level
    amounts (which the ledger spreads over the procedures); either way to the cent."""
    itemised = (
        claim.lines
        and not claim.adjustments
        and (claim.paid_cents == sum(line.paid_cents for line in claim.lines))
    )
    if itemised:
        for line, procedure_id in zip(claim.lines, procedure_ids, strict=True):
            assert payer_columns(engine, actor, [procedure_id]) == expected(
                line.paid_cents, line.adjustments, claim
            ), (claim.patient_control_number, line.procedure_code)
    else:
        assert payer_columns(engine, actor, procedure_ids) == expected(
            claim.paid_cents, claim.all_adjustments, claim
        ), claim.patient_control_number
    for procedure_id in procedure_ids:
        assert (
            accounts.procedure_account(
                Database(engine), actor, procedure_id
            ).balance.insurance_balance
            == 0
        )


def billable(claim: Claim) -> bool:
    """Whether the practice can have billed the claim: a drug line billed by its 11-digit NDC
    (SVC01 N4) is no procedure code the ledger holds (10 characters at most)."""
    return all(line.code_qualifier != "N4" for line in claim.lines)


@pytest.mark.parametrize("name", [n for n in ACCEPTED if n != SHARED_PCN])
def test_accepted_sample_imports_and_reconciles(engine, database, actor, name):
    everything = claims_of(SAMPLES / name)
    claims = [claim for claim in everything if billable(claim)]
    practice = practice_for(engine, actor, claims)
    summary = import_era(database, actor, SAMPLES / name)
    unknown = len(everything) - len(claims)
    assert (summary.claims, summary.claims_posted) == (len(everything), len(claims))
    assert summary.held == ({UNMATCHED_CLAIM: unknown} if unknown else {})
    assert summary.lines == sum(len(c.lines) for c in everything)
    assert summary.paid_cents == sum(c.paid_cents for c in claims)
    assert len(summary.warnings) == len(EXPECTED[name].warnings)
    for claim in claims:
        assert_reconciled(engine, actor, claim, practice.procedures[claim.patient_control_number])
    report = verify_organisation(database, actor.organisation_id)
    assert report.ok, report.differences
    again = import_era(database, actor, SAMPLES / name)
    assert again.already_imported == summary.remittances and again.claims_posted == 0


def test_claims_sharing_one_patient_control_number_are_held_then_resolved_by_hand(
    engine, database, actor
):
    """The sample's nine claims (nine patients) all say PCN 7722337: the first matches the
    encounter registered under it; the others cannot be told apart by the rules and are held.
    A biller posts each to its own patient's encounter; then all nine reconcile."""
    claims = claims_of(SAMPLES / SHARED_PCN)
    practice = practice_for(engine, actor, claims[:1])
    summary = import_era(database, actor, SAMPLES / SHARED_PCN)
    assert (summary.claims, summary.claims_posted) == (9, 1)
    assert summary.held == {UNMATCHED_LINE: 5, BALANCE_WOULD_GO_NEGATIVE: 3}
    by_position = {claim.position: claim for claim in claims}
    for item in held_claims(database, actor):
        claim = by_position[item.claim.position]
        own = dataclasses.replace(claim, patient_control_number=f"7722337-{claim.position}")
        registered: Practice = practice_for(engine, actor, [own])
        encounter_id = registered.encounters[own.patient_control_number]
        resolve_held_claim(database, actor, item.id, encounter_id)
        assert_reconciled(engine, actor, claim, registered.procedures[own.patient_control_number])
    assert held_claims(database, actor) == []
    assert_reconciled(engine, actor, claims[0], practice.procedures["7722337"])
    assert verify_organisation(database, actor.organisation_id).ok


@pytest.mark.parametrize("name", REFUSED)
def test_refused_sample_is_refused_for_the_readers_reason(engine, database, actor, name):
    outcome = EXPECTED[name]
    assert isinstance(outcome, Refused)
    before = table_counts(engine, actor.organisation_id)
    with pytest.raises(EraRefused) as refused:
        import_era(database, actor, SAMPLES / name, file_name=name)
    error = refused.value
    assert error.message.startswith(f"{name}: ")
    assert outcome.fragment in error.message
    assert (error.details["position"], error.details["segment_id"]) == (
        outcome.position,
        outcome.segment_id,
    )
    assert isinstance(error.__cause__, outcome.error)
    assert table_counts(engine, actor.organisation_id) == before
