"""Which procedure a payer's service line is about.

The rule (docs/era-import.md):

1. the line item control number the practice billed with, when the payer echoes it back;
2. otherwise code, modifiers, date of service and charge, in three tiers, each over the
   procedures still unmatched: the same modifiers in the same order; the same modifiers in
   another order; some modifiers dropped (payers often drop or reorder them).

Within a tier a line takes the one candidate, or the first of several that are alike in every
billed respect (two identical lab draws: either is the same posting). Candidates that differ are
ambiguous, and the line stays unmatched rather than being guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from medledger.domain.claim_advice import LineAdvice
from medledger.domain.money import format_cents
from medledger.domain.review import UNMATCHED_LINE, ClaimHeld


@dataclass(frozen=True, slots=True)
class BilledProcedure:
    """A procedure as billed: what matching compares a payer's line with."""

    procedure_id: int
    code: str
    modifiers: tuple[str, ...]
    date_of_service: date
    charge_cents: int
    line_item_control_number: str | None

    def billed_as(self) -> tuple[str, tuple[str, ...], date, int]:
        return (self.code, self.modifiers, self.date_of_service, self.charge_cents)


ModifierTier = Callable[[tuple[str, ...], tuple[str, ...]], bool]

#: The modifier tiers, strictest first: (line's modifiers, procedure's modifiers) -> acceptable.
TIERS: tuple[ModifierTier, ...] = (
    lambda paid, billed: paid == billed,
    lambda paid, billed: sorted(paid) == sorted(billed),
    lambda paid, billed: set(paid) < set(billed),
)


def match_lines(lines: Sequence[LineAdvice], procedures: Sequence[BilledProcedure]) -> list[int]:
    """The procedure of each line, in line order; ``ClaimHeld`` (unmatched line) otherwise.

    ``procedures`` are the encounter's, in line-number order. No procedure takes two lines.
    """
    matched: list[int | None] = [None] * len(lines)
    taken: set[int] = set()
    by_control = {p.line_item_control_number: p for p in procedures if p.line_item_control_number}
    for index, line in enumerate(lines):
        found = by_control.get(line.line_item_control_number or "")
        if found is not None and found.procedure_id not in taken:
            matched[index] = found.procedure_id
            taken.add(found.procedure_id)
    ambiguous: set[int] = set()
    for tier in TIERS:
        for index, line in enumerate(lines):
            if matched[index] is not None or index in ambiguous:
                continue  # an ambiguous line is never retried with a looser tier: that guesses
            candidates = [
                p for p in procedures if p.procedure_id not in taken and _fits(line, p, tier)
            ]
            if not candidates:
                continue
            if any(c.billed_as() != candidates[0].billed_as() for c in candidates):
                ambiguous.add(index)
                continue
            matched[index] = candidates[0].procedure_id
            taken.add(candidates[0].procedure_id)
    for index, procedure_id in enumerate(matched):
        if procedure_id is None:
            raise ClaimHeld(UNMATCHED_LINE, _unmatched(lines[index], index in ambiguous))
    return [procedure_id for procedure_id in matched if procedure_id is not None]


def match_by_control_numbers(
    lines: Sequence[LineAdvice], control_numbers: Mapping[str, int]
) -> list[int] | None:
    """``match_lines``'s answer when its first rule matches every line: each line echoes a
    control number of ``control_numbers`` (procedure by line item control number, the later of
    two alike winning, as there) and no two lines name the same procedure. None otherwise.

    Most claims of a practice that bills with line item control numbers are matched here
    without building a ``BilledProcedure`` per procedure. Property-tested against
    ``match_lines`` (tests/domain/test_era_rules.py).
    """
    found: list[int] = []
    for line in lines:
        procedure_id = control_numbers.get(line.line_item_control_number or "")
        if procedure_id is None or procedure_id in found:
            return None
        found.append(procedure_id)
    return found


def _fits(line: LineAdvice, procedure: BilledProcedure, tier: ModifierTier) -> bool:
    return (
        procedure.code == line.code
        and procedure.charge_cents == abs(line.charge_cents)  # a reversal negates its charges
        and (line.service_date is None or procedure.date_of_service == line.service_date)
        and tier(line.modifiers, procedure.modifiers)
    )


def _unmatched(line: LineAdvice, ambiguous: bool) -> str:
    billed = ":".join((line.code, *line.modifiers))
    when = f" on {line.service_date}" if line.service_date else ""
    what = f"line {billed}{when} charging {format_cents(abs(line.charge_cents))}"
    if ambiguous:
        return f"{what} fits several procedures of the encounter that differ; match it by hand"
    return f"{what} matches no procedure of the encounter"
