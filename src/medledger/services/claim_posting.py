"""Planning claims against the ledger as it stands: the one path every payer result takes.

A remittance keyed by hand (``post_remittance``), an imported 835 and a held claim a biller posts
later all plan their claims here, so they obey the same rules (domain/adjudication.py): line
results per procedure, claim-level amounts spread over the claim's procedures, coordination of
benefits for secondary claims, estimates replaced, identities checked.

``ClaimPlanner`` loads what it needs for many encounters at once (their procedures, balances and
patient money: three queries, locking the procedures) and then plans claim after claim, each
seeing the ones before it, so a claim and its reversal in one file plan correctly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from medledger.domain.adjudication import (
    Adjustment,
    PayerResult,
    coordinates_benefits,
    open_to_payer,
    plan_adjudication,
    plan_payer_only,
    replaces_pr,
    spread_claim_level,
    without_prior_payer,
)
from medledger.domain.balance import Balance, Entry
from medledger.domain.columns import Column
from medledger.domain.errors import InvalidInput, NotFound
from medledger.storage.remittance_store import PaymentItem
from medledger.storage.unit_of_work import Record, UnitOfWork


@dataclass(frozen=True, slots=True)
class LineResult:
    """A procedure-level payment item: what the payer did with one procedure."""

    procedure_id: int
    charge_cents: int
    paid_cents: int
    adjustments: tuple[Adjustment, ...] = ()
    allowed_cents: int | None = None


@dataclass(frozen=True, slots=True)
class ClaimResult:
    """A claim-level payment item (one encounter) with its lines.

    paid_cents is the claim's payment; where it differs from the lines' payments, the difference
    is claim-level money (spread like claim-level adjustments).
    """

    encounter_id: int
    status_code: str
    charge_cents: int
    paid_cents: int
    lines: tuple[LineResult, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()
    payer_claim_number: str | None = None

    def payment_item(self) -> PaymentItem:
        """The claim as the payer sent it, for the remittance's payment items."""
        return PaymentItem(
            self.encounter_id,
            None,
            self.status_code,
            self.charge_cents,
            self.paid_cents,
            self.adjustments,
            payer_claim_control_number=self.payer_claim_number,
            lines=tuple(
                PaymentItem(self.encounter_id, line.procedure_id, None, line.charge_cents,
                            line.paid_cents, line.adjustments, line.allowed_cents)
                for line in self.lines
            ),
        )  # fmt: skip


#: Which of a claim's adjustments post: all, or (a secondary claim) all but OA-23.
Posted = Callable[[Sequence[Adjustment]], tuple[Adjustment, ...]]


def _standing(uow: UnitOfWork, rows: list[Record]) -> list[Record]:
    """The procedures a payer's answer is matched to: those no replacement or void claim took
    back (837 import), unless that took back all of an encounter's (then a payer's answer to the
    voided claim, a reversal say, still finds its lines)."""
    voided = uow.claims.voided_among(row.id for row in rows)
    if not voided:
        return rows
    standing = {row.encounter_id for row in rows if row.id not in voided}
    return [row for row in rows if row.id not in voided or row.encounter_id not in standing]


class ClaimPlanner:
    """Plans claims on loaded encounters; ``plan`` either returns a claim's entries and applies
    them to what the planner knows, or raises and leaves it as it was."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._procedures: dict[int, list[Record]] = {}
        self._balances: dict[int, Balance] = {}
        self._holdings: dict[int, dict[int, dict[str, int]]] = {}
        self._pr_sources: dict[int, str] = {}
        #: Procedures whose PR now comes from a remittance (to record on the procedure rows).
        self.adjudicated: set[int] = set()

    def load(self, encounter_ids: Iterable[int]) -> None:
        """Load (and lock) the procedures of these encounters with their balances."""
        wanted = sorted(set(encounter_ids) - set(self._procedures))
        if not wanted:
            return
        rows = _standing(self._uow, self._uow.registry.procedures_of_encounters(wanted))
        ids = [row.id for row in rows]
        self._uow.ledger.lock_procedures(ids)
        self._balances.update(self._uow.ledger.balances(ids))
        self._holdings.update(self._uow.ledger.holdings_on_procedures(ids))
        for encounter_id in wanted:
            self._procedures[encounter_id] = []
        for row in rows:
            self._procedures[row.encounter_id].append(row)
            self._pr_sources[row.id] = row.pr_source
        for encounter_id in wanted:
            if not self._procedures[encounter_id]:  # every encounter has a procedure
                raise NotFound("encounter", encounter_id)

    def procedures_of(self, encounter_id: int) -> list[Record]:
        """A loaded encounter's procedures, oldest first."""
        return self._procedures[encounter_id]

    def plan(self, claim: ClaimResult) -> list[Entry]:
        """The entries posting one claim (``LedgerError`` when a rule refuses it)."""
        procedures = self._procedures[claim.encounter_id]
        crossover = coordinates_benefits(claim.status_code)
        posted: Posted = without_prior_payer if crossover else tuple
        results = self._line_results(claim, {p.id for p in procedures}, posted)
        unspread = claim.paid_cents - sum(line.paid_cents for line in claim.lines)
        if unspread or claim.adjustments:
            results = self._spread(claim, procedures, results, unspread, crossover, posted)
        planned: list[tuple[int, list[Entry], Balance | None]] = []
        for procedure in procedures:  # oldest first, as spreading orders them
            procedure_id = procedure.id
            result = results.get(procedure_id)
            if result is None:
                continue
            balance, payments = self._balances[procedure_id], self._holdings.get(procedure_id, {})
            plain = plan_payer_only(procedure_id, balance, result, payments)
            if plain is not None:
                planned.append((procedure_id, *plain))
                continue
            own = plan_adjudication(
                procedure_id,
                balance,
                result,
                pr_from_remittance=self._pr_sources[procedure_id] == "remittance",
                payments=payments,
                crossover=crossover,
            )
            planned.append((procedure_id, own, None))
        entries: list[Entry] = []
        for procedure_id, own, after in planned:
            self._apply(procedure_id, own, after)
            entries += own
        return entries

    def _spread(
        self,
        claim: ClaimResult,
        procedures: Sequence[Record],
        results: dict[int, PayerResult],
        unspread_cents: int,
        crossover: bool,
        posted: Posted,
    ) -> dict[int, PayerResult]:
        """The line results with the claim-level amounts spread over the claim's procedures."""
        replaces = {
            p.id: replaces_pr(
                pr_from_remittance=self._pr_sources[p.id] == "remittance", crossover=crossover
            )
            for p in procedures
        }
        return spread_claim_level(
            [
                (p.id, open_to_payer(self._balances[p.id], replaces=replaces[p.id]))
                for p in procedures
            ],
            results,
            self._balances,
            unspread_cents,
            posted(claim.adjustments),
        )

    @staticmethod
    def _line_results(claim: ClaimResult, own: set[int], posted: Posted) -> dict[int, PayerResult]:
        results: dict[int, PayerResult] = {}
        for line in claim.lines:
            if line.procedure_id not in own:
                raise InvalidInput(
                    f"procedure {line.procedure_id} is not part of encounter {claim.encounter_id}"
                )
            if line.procedure_id in results:
                raise InvalidInput(f"procedure {line.procedure_id} appears twice in one claim")
            results[line.procedure_id] = PayerResult(line.paid_cents, posted(line.adjustments))
        return results

    def _apply(self, procedure_id: int, entries: Sequence[Entry], after: Balance | None) -> None:
        """Take one procedure's planned entries into what the planner knows (``after``: its
        balance with them, when the planner already has it)."""
        if not entries:  # a $0 decision leaves the procedure as it was
            return
        balance = self._balances[procedure_id]
        self._balances[procedure_id] = balance.plus(entries) if after is None else after
        held = self._holdings.setdefault(procedure_id, {})
        for entry in entries:
            if entry.payment_id is not None:
                sign = 1 if entry.column == Column.PATIENT_PAID else -1
                carcs = held.setdefault(entry.payment_id, {})
                carcs[entry.carc] = carcs.get(entry.carc, 0) + sign * entry.amount_cents
        self._pr_sources[procedure_id] = "remittance"
        self.adjudicated.add(procedure_id)
