"""Concurrent writers never write off more than is open, a repeated key posts once, and a
claim file imported by several at once registers its claims once."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

import pytest
from bench.claims import generate

from medledger.domain import errors
from medledger.services import accounts
from medledger.services.claim_import import import_claims
from medledger.services.verification import verify_organisation
from medledger.storage.unit_of_work import UnitOfWork
from tests import builders

THREADS = 16


@pytest.fixture
def open_pr(engine, actor):
    """$30.00 of open coinsurance on one procedure."""
    patient_id = builders.patient(engine, actor)
    encounter_id, (procedure_id,) = builders.visit(engine, actor, patient_id, ["100.00"])
    builders.adjudicate(engine, actor, encounter_id, {procedure_id: (10000, 7000, {"PR-2": 3000})})
    return procedure_id


def run_together(count, action):
    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(action, n) for n in range(count)]
    outcomes = []
    for future in futures:
        try:
            outcomes.append(future.result())
        except errors.LedgerError as error:
            outcomes.append(error)
    return outcomes


def test_sixteen_writers_on_one_procedure_never_exceed_open_pr(engine, database, actor, open_pr):
    outcomes = run_together(
        THREADS,
        lambda n: builders.write_off(
            engine, actor, open_pr, amounts={"2": "5.00"}, reason="small_balance"
        ),
    )
    posted = [o for o in outcomes if isinstance(o, int)]
    refused = [o for o in outcomes if isinstance(o, errors.LedgerError)]
    assert len(posted) == 6 and len(refused) == THREADS - 6
    assert all(isinstance(o, errors.ExceedsOpenPR | errors.AlreadyFullyWrittenOff) for o in refused)
    balance = accounts.procedure_account(database, actor, open_pr).balance
    assert balance.other_adjustments == 3000 and balance.pr_net == 0
    assert verify_organisation(database, actor.organisation_id).ok


def test_sixteen_repeats_of_one_key_post_once(engine, database, actor, open_pr):
    outcomes = run_together(
        THREADS,
        lambda n: builders.write_off(
            engine, actor, open_pr, total="7.00", reason="small_balance", idempotency_key="once"
        ),
    )
    assert len(set(outcomes)) == 1 and isinstance(outcomes[0], int)
    assert accounts.procedure_account(database, actor, open_pr).balance.other_adjustments == 700


def test_one_claim_file_imported_at_once_by_four_is_registered_once(engine, database, actor):
    data = generate(5).claims_837.encode()
    summaries = run_together(
        4, lambda n: import_claims(database, actor, io.BytesIO(data), file_name=f"copy-{n}.837")
    )
    assert sorted(s.already_imported for s in summaries) == [False, True, True, True]
    assert sum(s.imported for s in summaries) == 5
    with UnitOfWork(engine, actor.organisation_id, write=False) as uow:
        assert len(uow.registry.search_patients(limit=100)) == 5
    assert verify_organisation(database, actor.organisation_id).ok
