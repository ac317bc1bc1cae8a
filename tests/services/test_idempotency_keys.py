"""A client's idempotency key names one whole request, made by one user.

The same key with the same request answers with the first result; with anything else (another
batch, another amount, another user) it is refused and nothing posts. A client's key lives in a
namespace of its own, so it cannot collide with the keys the services make (``draft:12``).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from medledger.domain import errors
from medledger.domain.idempotency import MAX_KEY_LENGTH, client_key
from medledger.services import ledger_requests, write_offs
from medledger.services.payments import record_payment
from medledger.services.registration import actor_for, add_user
from medledger.storage.tables import ledger_transactions
from medledger.storage.unit_of_work import Database
from tests import builders


@pytest.fixture
def two_procedures(engine, actor):
    """Two procedures with $30 of open PR each (deductible 20, copay 10)."""
    patient_id = builders.patient(engine, actor)
    encounter_id, procedures = builders.visit(engine, actor, patient_id, ["100.00", "100.00"])
    builders.adjudicate(
        engine, actor, encounter_id,
        {p: (10000, 7000, {"PR-1": 2000, "PR-3": 1000}) for p in procedures},
    )  # fmt: skip
    return patient_id, procedures


def _transactions(engine, actor) -> int:
    with builders.reading(engine, actor.organisation_id) as connection:
        return connection.scalar(
            select(func.count()).where(
                ledger_transactions.c.organisation_id == actor.organisation_id
            )
        )


def _submit(engine, actor, requests, key) -> tuple[int, ...]:
    return write_offs.submit_write_offs(Database(engine), actor, requests, key).transaction_ids


def _write_off(procedure_id: int) -> ledger_requests.WriteOffRequest:
    return ledger_requests.WriteOffRequest("small_balance", procedure_id=procedure_id, total="5.00")


def test_a_key_used_for_one_write_off_cannot_post_a_second_one_with_it(
    engine, actor, two_procedures
):
    _, (first, second) = two_procedures
    key = client_key("K")
    posted = _submit(engine, actor, [_write_off(first)], key)
    before = _transactions(engine, actor)
    with pytest.raises(errors.IdempotencyConflict, match="different request"):
        _submit(engine, actor, [_write_off(first), _write_off(second)], key)
    assert _transactions(engine, actor) == before
    assert _submit(engine, actor, [_write_off(first)], key) == posted


def test_a_key_used_for_a_batch_cannot_answer_for_part_of_it(engine, actor, two_procedures):
    _, (first, second) = two_procedures
    key = client_key("K")
    both = _submit(engine, actor, [_write_off(first), _write_off(second)], key)
    with pytest.raises(errors.IdempotencyConflict):
        _submit(engine, actor, [_write_off(first)], key)
    again = _submit(engine, actor, [_write_off(first), _write_off(second)], key)
    assert again == both


def test_the_same_key_from_another_user_is_another_request(engine, database, actor, two_procedures):
    patient_id, _ = two_procedures
    add_user(database, actor, "desk", "Desk", "front_desk", None, None)
    desk = actor_for(database, actor.organisation_id, "desk", "test")
    key = client_key("pay-1")
    first = record_payment(database, actor, patient_id, "10.00", idempotency_key=key)
    assert record_payment(database, actor, patient_id, "10.00", idempotency_key=key) == first
    before = _transactions(engine, actor)
    with pytest.raises(errors.IdempotencyConflict):
        record_payment(database, desk, patient_id, "10.00", idempotency_key=key)
    assert _transactions(engine, actor) == before


def test_a_client_key_never_meets_a_key_the_services_make(engine, actor, two_procedures):
    """A client sending ``draft:1`` gets its own key, not draft 1's."""
    assert client_key("draft:1") != "draft:1"
    assert client_key("draft:1").startswith("client:")
    assert len(client_key("x" * MAX_KEY_LENGTH)) == len(client_key("x"))  # fits the column


@pytest.mark.parametrize(
    "given", ["", "x" * (MAX_KEY_LENGTH + 1), "clé", "tab\there", "line\n", "\x00", "１"]
)
def test_keys_are_1_to_200_printable_ascii_characters(given):
    with pytest.raises(errors.InvalidIdempotencyKey, match="1 to 200 printable ASCII"):
        client_key(given)


def test_a_key_of_200_printable_characters_is_taken():
    assert client_key(" !~" + "k" * (MAX_KEY_LENGTH - 3)).startswith("client:")
