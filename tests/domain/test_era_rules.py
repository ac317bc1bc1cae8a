"""The pure rules behind the 835 import: line matching, hold reasons, claim-level spreading and
coordination of benefits, each on plain values."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from medledger.domain.adjudication import (
    Adjustment,
    PayerResult,
    plan_adjudication,
    plan_payer_only,
    spread_claim_level,
    without_prior_payer,
)
from medledger.domain.balance import Balance, identity_violations
from medledger.domain.claim_advice import LineAdvice
from medledger.domain.columns import Column
from medledger.domain.errors import LedgerError
from medledger.domain.matching import BilledProcedure, match_by_control_numbers, match_lines
from medledger.domain.review import (
    DUPLICATE_CLAIM,
    REVERSAL_WITHOUT_ORIGINAL,
    SECONDARY_BEFORE_PRIMARY,
    UNMATCHED_LINE,
    ClaimHeld,
    PostedClaim,
    check_claim_history,
)

DOS = date(2024, 3, 1)


def billed(pid: int, code: str, charge: int, *mods: str, control: str | None = None,
           on: date = DOS) -> BilledProcedure:  # fmt: skip
    return BilledProcedure(pid, code, mods, on, charge, control)


def line(code: str, charge: int, *mods: str, control: str | None = None,
         on: date | None = DOS) -> LineAdvice:  # fmt: skip
    return LineAdvice(code, mods, on, control, charge, charge)


# -- matching ---------------------------------------------------------------------------------


def test_control_number_wins_over_everything_else():
    procedures = [billed(1, "99213", 100, control="A-1"), billed(2, "99214", 200, control="A-2")]
    # The payer reports another code and charge, but echoes the line item control number.
    assert match_lines([line("99215", 999, control="A-2")], procedures) == [2]


def test_code_modifiers_date_and_charge_when_there_is_no_control_number():
    procedures = [billed(1, "99213", 100, "25"), billed(2, "85025", 45), billed(3, "36415", 25)]
    lines = [line("36415", 25), line("99213", 100, "25"), line("85025", 45)]
    assert match_lines(lines, procedures) == [3, 1, 2]


@pytest.mark.parametrize(
    "paid_modifiers",
    [("59", "25"), ("25",), ("59",), ()],
    ids=["reordered", "one dropped", "other dropped", "all dropped"],
)
def test_reordered_or_dropped_modifiers_still_match_when_unambiguous(paid_modifiers):
    procedures = [billed(1, "97110", 300, "25", "59"), billed(2, "99213", 100)]
    assert match_lines([line("97110", 300, *paid_modifiers)], procedures) == [1]


def test_exact_modifiers_are_preferred_over_a_tolerant_match():
    procedures = [billed(1, "97110", 300, "GP", "59"), billed(2, "97110", 300, "GP")]
    lines = [line("97110", 300, "GP"), line("97110", 300, "GP")]
    # The exact line takes procedure 2, the second (a dropped 59) takes procedure 1.
    assert match_lines(lines, procedures) == [2, 1]


def test_identical_procedures_are_taken_in_order():
    procedures = [billed(1, "36415", 25), billed(2, "36415", 25)]
    assert match_lines([line("36415", 25), line("36415", 25)], procedures) == [1, 2]


def test_ambiguous_dropped_modifiers_are_never_guessed():
    procedures = [billed(1, "97110", 300, "GP", "59"), billed(2, "97110", 300, "GP", "KX")]
    with pytest.raises(ClaimHeld) as held:
        match_lines([line("97110", 300, "GP")], procedures)
    assert held.value.reason == UNMATCHED_LINE
    assert "fits several procedures" in held.value.message


@pytest.mark.parametrize(
    ("paid", "why"),
    [
        (line("99213", 101), "charge differs"),
        (line("99213", 100, on=date(2024, 3, 2)), "date differs"),
        (line("99214", 100), "code differs"),
        (line("99213", 100, "76"), "a modifier was added"),
    ],
)
def test_unmatched_lines_are_held_with_what_the_payer_sent(paid, why):
    with pytest.raises(ClaimHeld) as held:
        match_lines([paid], [billed(1, "99213", 100)])
    assert held.value.reason == UNMATCHED_LINE, why
    assert "matches no procedure" in held.value.message


def test_a_line_without_a_date_matches_on_the_rest():
    assert match_lines([line("99213", 100, on=None)], [billed(1, "99213", 100)]) == [1]


def test_one_procedure_never_takes_two_lines():
    with pytest.raises(ClaimHeld):
        match_lines([line("99213", 100), line("99213", 100)], [billed(1, "99213", 100)])


# -- hold reasons from the encounter's posted claims ------------------------------------------


_CONTROLS = st.sampled_from(["A-1", "A-2", "A-3", ""]) | st.none()
_PROCEDURES = st.lists(
    st.tuples(st.sampled_from(["99213", "85025"]), st.sampled_from([100, 45]), _CONTROLS),
    min_size=1,
    max_size=4,
)
_LINES = st.lists(
    st.tuples(st.sampled_from(["99213", "85025", "36415"]), st.sampled_from([100, 45]), _CONTROLS),
    max_size=4,
)


@settings(max_examples=400)
@given(_PROCEDURES, _LINES)
def test_matching_by_control_numbers_alone_answers_as_match_lines(procedures, lines):
    """The fast path answers only where ``match_lines``'s first rule matches every line, and
    then with the same procedures; else ``match_lines`` decides (or holds the claim)."""
    billed_procedures = [
        billed(pid, code, charge, control=control)
        for pid, (code, charge, control) in enumerate(procedures, start=1)
    ]
    paid = [line(code, charge, control=control) for code, charge, control in lines]
    controls = {p.line_item_control_number: p.procedure_id for p in billed_procedures
                if p.line_item_control_number}  # fmt: skip
    fast = match_by_control_numbers(paid, controls)
    event(f"fast path {'answers' if fast is not None else 'passes'}")
    if fast is not None:
        assert fast == match_lines(paid, billed_procedures)
        assert all(ln.line_item_control_number for ln in paid)


def posted(payer: int, status: str, charge: int, paid: int, number: str | None = "ICN1"):
    return PostedClaim(payer, f"TRN{payer}", status, charge, paid, number)


def reason(claim: PostedClaim, history: list[PostedClaim]) -> str | None:
    try:
        check_claim_history(claim, history)
    except ClaimHeld as held:
        return held.reason
    return None


def test_the_same_claim_payment_twice_is_a_duplicate():
    first = posted(1, "1", 10000, 7000)
    assert reason(posted(1, "1", 10000, 7000), [first]) == DUPLICATE_CLAIM
    assert reason(posted(1, "1", 10000, 6000), [first]) is None  # another payment: a correction


def test_a_reversal_needs_a_standing_payment_to_reverse():
    first = posted(1, "1", 10000, 7000)
    reversal = posted(1, "22", -10000, -7000)
    assert reason(reversal, []) == REVERSAL_WITHOUT_ORIGINAL
    assert reason(reversal, [first]) is None
    assert reason(reversal, [first, reversal]) == REVERSAL_WITHOUT_ORIGINAL
    # After a reversal the payer may pay the claim again: not a duplicate.
    assert reason(posted(1, "1", 10000, 7000), [first, reversal]) is None


def test_a_secondary_claim_needs_another_payers_primary_claim():
    secondary = posted(2, "2", 10000, 1500)
    assert reason(secondary, []) == SECONDARY_BEFORE_PRIMARY
    assert reason(secondary, [posted(2, "1", 10000, 7000)]) == SECONDARY_BEFORE_PRIMARY
    assert reason(secondary, [posted(1, "1", 10000, 7000)]) is None
    assert reason(secondary, [posted(1, "4", 10000, 0)]) is None  # the primary denied it
    reversed_primary = [posted(1, "1", 10000, 7000), posted(1, "22", -10000, -7000)]
    assert reason(secondary, reversed_primary) == SECONDARY_BEFORE_PRIMARY
    tertiary = posted(3, "3", 10000, 500)
    assert reason(tertiary, [posted(1, "1", 10000, 7000)]) == SECONDARY_BEFORE_PRIMARY
    assert reason(tertiary, [posted(1, "1", 10000, 7000), secondary]) is None


# -- claim-level amounts and coordination of benefits -----------------------------------------

CHARGED = Balance.of({(Column.CHARGE, ""): 80000})


def test_claim_level_adjustment_taken_out_of_the_line_payment():
    """TR3 'dollars and data sent separately': the line pays 500.00 and PR-1 300.00, the claim
    pays 450.00 with a claim-level CO-A2 50.00: the procedure keeps paid 450, CO-A2 50."""
    results = {1: PayerResult(50000, (Adjustment("PR", "1", 30000),))}
    spread = spread_claim_level([(1, 80000)], results, {1: CHARGED}, -5000,
                                [Adjustment("CO", "A2", 5000)])  # fmt: skip
    assert spread == {
        1: PayerResult(45000, (Adjustment("PR", "1", 30000), Adjustment("CO", "A2", 5000)))
    }


def test_claim_level_amounts_fill_procedures_oldest_first_up_to_what_is_open():
    charged = {pid: Balance.of({(Column.CHARGE, ""): cents}) for pid, cents in ((1, 100), (2, 300))}
    spread = spread_claim_level([(1, 100), (2, 300)], {}, charged, 250,
                                [Adjustment("CO", "45", 150)])  # fmt: skip
    assert spread == {
        1: PayerResult(100, ()),
        2: PayerResult(150, (Adjustment("CO", "45", 150),)),
    }


def test_a_negative_claim_level_amount_comes_off_the_procedures_that_hold_it():
    held = {
        1: Balance.of({(Column.CHARGE, ""): 100, (Column.CONTRACTUAL, "45"): 0}),
        2: Balance.of({(Column.CHARGE, ""): 300, (Column.CONTRACTUAL, "45"): 150}),
    }
    spread = spread_claim_level([(1, 0), (2, 0)], {}, held, 0, [Adjustment("CO", "45", -150)])
    assert spread == {2: PayerResult(0, (Adjustment("CO", "45", -150),))}


def test_a_secondary_payer_replaces_the_primary_pr_and_its_oa23_is_not_posted():
    """TR3 'secondary payment with higher fee schedule': charge 541, the primary left PR 25;
    the secondary says OA-23 516 (the primary's share), pays 34 with OA-94 -9."""
    after_primary = Balance.of(
        {(Column.CHARGE, ""): 54100, (Column.PAYER_PAID, ""): 51600, (Column.PR, "2"): 2500}
    )
    adjustments = (Adjustment("OA", "23", 51600), Adjustment("OA", "94", -900))
    result = PayerResult(3400, without_prior_payer(adjustments))
    entries = plan_adjudication(
        7, after_primary, result, pr_from_remittance=True, payments={}, crossover=True
    )
    after = after_primary.plus(entries)
    assert after.payer_paid == 55000 and after.pr_net == 0
    assert after.amount(Column.PAYER_OA, "94") == -900 and after.amount(Column.PAYER_OA, "23") == 0
    assert after.insurance_balance == 0 and not identity_violations(after)


# -- the payer-only fast path, against the general rule ------------------------------------------

_CARCS = st.sampled_from(["", "1", "2", "45", "23", "B7", "bad carc"])
_CENTS = st.integers(-3000, 30000)
_ANY_KEY = st.tuples(st.sampled_from(list(Column)), _CARCS)
_PAYER_KEY = st.tuples(
    st.sampled_from([Column.CHARGE, Column.PAYER_PAID, Column.CONTRACTUAL, Column.PAYER_OA]),
    _CARCS,
)
_BALANCES = st.one_of(
    st.dictionaries(_PAYER_KEY, _CENTS, max_size=4),
    st.dictionaries(_ANY_KEY, _CENTS, max_size=5),
    st.builds(lambda charge: {(Column.CHARGE, ""): charge}, st.integers(0, 40000)),
).map(Balance.of)
_RESULTS = st.builds(
    PayerResult,
    st.integers(-2000, 30000),
    st.lists(
        st.builds(Adjustment, st.sampled_from(["CO", "PR", "OA", "PI", "CR", "XX"]), _CARCS,
                  _CENTS),
        max_size=4,
    ).map(tuple),
)  # fmt: skip


@settings(max_examples=1500)
@given(_BALANCES, _RESULTS, st.booleans(), st.booleans())
def test_payer_only_plans_exactly_what_the_general_rule_plans(
    balance: Balance, result: PayerResult, pr_from_remittance: bool, crossover: bool
) -> None:
    """Where the fast path answers, the general rule plans the same entries in the same order and
    the balance after is the same, key order included; where the general rule refuses, the fast
    path leaves it to it."""
    plain = plan_payer_only(9, balance, result, {})
    try:
        entries = plan_adjudication(
            9, balance, result, pr_from_remittance=pr_from_remittance, payments={},
            crossover=crossover,
        )  # fmt: skip
    except LedgerError:
        event("general rule refuses")
        assert plain is None
        return
    event("general rule plans" if plain is None else "fast path plans")
    if plain is None:
        return
    planned, after = plain
    assert planned == entries
    assert list(after.amounts.items()) == list(balance.plus(entries).amounts.items())


def test_payer_only_takes_the_plain_posting_of_a_charge() -> None:
    """The case an import posts thousands of times: a charge, paid with CO and PR."""
    charged = Balance.of({(Column.CHARGE, ""): 22000})
    result = PayerResult(12000, (Adjustment("CO", "45", 7000), Adjustment("PR", "2", 3000)))
    plain = plan_payer_only(4, charged, result, {})
    assert plain is not None
    assert plain[0] == plan_adjudication(4, charged, result, pr_from_remittance=False, payments={})
    assert plain[1].insurance_balance == 0 and plain[1].open_pr("2") == 3000
    # Patient money held on the procedure is re-applied by the general rule: not this path's.
    assert plan_payer_only(4, charged, result, {1: {"": 500}}) is None


@given(st.lists(st.tuples(st.integers(0, 5000), _RESULTS), min_size=1, max_size=4))
def test_spreading_nothing_keeps_the_line_results(lines: list[tuple[int, PayerResult]]) -> None:
    """With no claim-level payment or adjustment, spreading gives the line results back in the
    procedures' order (so the planner skips it then)."""
    procedures = [(pid, open_cents) for pid, (open_cents, _) in enumerate(lines, start=1)]
    results = {pid: result for pid, (_, result) in reversed(list(enumerate(lines, start=1)))}
    balances = {pid: Balance() for pid, _ in procedures}
    spread = spread_claim_level(procedures, results, balances, 0, [])
    assert list(spread.items()) == [(pid, results[pid]) for pid, _ in procedures]
