"""An independent model of one patient's account, for the auditor (test_ledger_auditor.py).

Written from DESIGN.md and docs/ledger.md, not from the product: it imports nothing of
medledger. It keeps every money column of every procedure as plain dicts of cents, the journal
as plain records, the approval requests and drafts, and predicts for each action either the
entries it posts, the approval request it files, or the error code it is refused with. The
machine compares the product with it after every step, so a rule the product gets wrong (or a
refusal it makes up) shows as a disagreement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# Columns (docs/ledger.md "Columns and entries").
CHARGE, PAYER_PAID, CONTRACTUAL = "charge", "payer_paid", "contractual"
PR, WRITTEN_OFF, CANCELLED = "pr", "written_off", "cancelled"
PAID, REFUNDED = "patient_paid", "refunded"
#: Columns that settle a charge; what they leave is the insurance balance (cancelled PR is not
#: among them: it goes back to the insurance balance).
SETTLING = (PAYER_PAID, CONTRACTUAL, PR, WRITTEN_OFF)
PR_CARC_COLUMNS = (PR, WRITTEN_OFF, CANCELLED, PAID, REFUNDED)
#: Copay, coinsurance, deductible, then other PR CARCs by number.
ORDER = ("3", "2", "1")

Cols = dict[tuple[str, str], int]
#: (procedure, column, CARC, payment) -> signed cents.
Entry = tuple[int, str, str, int | None, int]


class Refused(Exception):
    """The model's prediction that the product refuses, with the error code it must give."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def carc_key(carc: str) -> tuple[int, str]:
    return (ORDER.index(carc), "") if carc in ORDER else (len(ORDER), carc.zfill(4))


@dataclass
class Procedure:
    id: int
    day: int  # date of service, as an ordinal: oldest first is (day, id)
    cols: Cols = field(default_factory=dict)

    def get(self, column: str, carc: str = "") -> int:
        return self.cols.get((column, carc), 0)

    def total(self, column: str) -> int:
        return sum(v for (c, _), v in self.cols.items() if c == column)

    def carcs(self) -> list[str]:
        seen = {carc for (c, carc), v in self.cols.items() if carc and c in PR_CARC_COLUMNS and v}
        return sorted(seen, key=carc_key)

    def assigned(self, carc: str) -> int:
        return self.get(PR, carc) + self.get(WRITTEN_OFF, carc) + self.get(CANCELLED, carc)

    def paid(self, carc: str) -> int:
        return self.get(PAID, carc) - self.get(REFUNDED, carc)

    def open(self, carc: str) -> int:
        return self.get(PR, carc) - self.paid(carc)

    def pr_paid(self) -> int:
        return sum(self.paid(carc) for carc in self.carcs())

    def insurance(self) -> int:
        return self.get(CHARGE) - sum(self.total(c) for c in SETTLING)

    def sound(self) -> bool:
        """The DESIGN.md identities, checked on this model's own numbers."""
        if self.insurance() < 0:
            return False
        for carc in self.carcs():
            if min(self.get(PR, carc), self.get(WRITTEN_OFF, carc), self.get(CANCELLED, carc)) < 0:
                return False
            if not 0 <= self.paid(carc) <= self.get(PR, carc):
                return False
        return all(
            0 <= self.get(REFUNDED, carc) <= self.get(PAID, carc) for carc in ("", *self.carcs())
        )

    def plus(self, entries: Iterable[Entry]) -> Procedure:
        cols = dict(self.cols)
        for pid, column, carc, _, cents in entries:
            if pid == self.id:
                cols[(column, carc)] = cols.get((column, carc), 0) + cents
        return Procedure(self.id, self.day, {k: v for k, v in cols.items() if v})


@dataclass
class Transaction:
    kind: str  # write_off, cancellation, estimate, payment, refund, credit, adjudication, reversal
    user: str
    entries: list[Entry]
    reversals: list[Entry] = field(default_factory=list)
    reversed: bool = False  # a reversal (whole or a partial removal) links to it

    def standing(self) -> dict[tuple[int, str, str, int | None], int]:
        sums: dict[tuple[int, str, str, int | None], int] = {}
        for pid, column, carc, payment, cents in (*self.entries, *self.reversals):
            key = (pid, column, carc, payment)
            sums[key] = sums.get(key, 0) + cents
        return {k: v for k, v in sums.items() if v}

    def written_off_left(self) -> dict[tuple[int, str], int]:
        left: dict[tuple[int, str], int] = {}
        for (pid, column, carc, _), cents in self.standing().items():
            if column == WRITTEN_OFF:
                left[(pid, carc)] = left.get((pid, carc), 0) + cents
        return {k: v for k, v in left.items() if v > 0}


@dataclass(frozen=True)
class WriteOff:
    """A write-off as asked: ``procedure`` with ``amounts`` per CARC, or a ``total`` over the
    procedures of ``scope`` (a procedure, an encounter, the patient)."""

    scope: tuple[int, ...]
    amounts: Mapping[str, int] | None = None
    total: int | None = None


@dataclass(frozen=True)
class Cancel:
    """A cancellation as asked: ``total`` of procedure ``pid``'s PR, or (None) all of it."""

    pid: int
    total: int | None = None


@dataclass
class Approval:
    requester: str
    request: WriteOff | Cancel
    held: dict[tuple[int, str], int]
    draft: int | None
    status: str = "pending"


@dataclass
class Draft:
    user: str
    procedure: int
    amounts: dict[str, int]
    status: str = "open"
    transaction: int | None = None


@dataclass(frozen=True)
class Filed:
    """The prediction that a request waits for approval, holding ``held``."""

    held: dict[tuple[int, str], int]


class LedgerModel:
    """One patient's procedures, journal, payments, approval requests and drafts."""

    def __init__(self, procedures: Mapping[int, int], limits: Mapping[str, int | None]) -> None:
        """procedures: id -> date of service (ordinal); limits: user -> write-off limit."""
        self.procedures = {pid: Procedure(pid, day) for pid, day in procedures.items()}
        self.limits = dict(limits)
        self.transactions: dict[int, Transaction] = {}
        self.approvals: dict[int, Approval] = {}
        self.drafts: dict[int, Draft] = {}

    # -- reading ---------------------------------------------------------------------------
    def oldest_first(self, ids: Iterable[int]) -> list[int]:
        return sorted(ids, key=lambda pid: (self.procedures[pid].day, pid))

    def holdings(self, payment: int) -> dict[tuple[int, str], int]:
        sums: dict[tuple[int, str], int] = {}
        for tx in self.transactions.values():
            for (pay, pid, carc), cents in self._money_moved(tx.entries).items():
                if pay == payment:
                    sums[(pid, carc)] = sums.get((pid, carc), 0) + cents
        return {k: v for k, v in sums.items() if v}

    def payments_on(self, pid: int) -> dict[int, dict[str, int]]:
        payments = {pay for tx in self.transactions.values() for (_, _, _, pay, _) in tx.entries}
        result = {}
        for payment in sorted(p for p in payments if p is not None):
            own = {carc: v for (p, carc), v in self.holdings(payment).items() if p == pid}
            if own:
                result[payment] = own
        return result

    def pr_source(self, pid: int) -> str:
        kinds = {
            tx.kind
            for tx in self.transactions.values()
            if not tx.reversed and any(e[0] == pid for e in tx.entries)
        }
        if "adjudication" in kinds:
            return "remittance"
        return "estimate" if "estimate" in kinds else "none"

    def held(self, besides: int | None = None) -> dict[tuple[int, str], int]:
        held: dict[tuple[int, str], int] = {}
        for number, approval in self.approvals.items():
            if approval.status == "pending" and number != besides:
                for key, cents in approval.held.items():
                    held[key] = held.get(key, 0) + cents
        return held

    def used(self, user: str) -> int:
        """What ``user`` wrote off or cancelled on the account (removals give nothing back)."""
        return sum(
            cents
            for tx in self.transactions.values()
            if tx.user == user and tx.kind in ("write_off", "cancellation")
            for (_, column, _, _, cents) in tx.entries
            if column in (WRITTEN_OFF, CANCELLED)
        )

    # -- write-offs --------------------------------------------------------------------------
    def _available(self, pid: int, held: Mapping[tuple[int, str], int]) -> dict[str, int] | str:
        """Open PR a write-off may take per CARC, or the code of why none (one ladder at every
        level: nothing assigned, held by a request, paid, written off, cancelled)."""
        p = self.procedures[pid]
        if not any(p.assigned(carc) for carc in p.carcs()):
            return "no-patient-responsibility"
        free = {c: p.open(c) - held.get((pid, c), 0) for c in p.carcs()}
        free = {c: v for c, v in free.items() if v > 0}
        if free:
            return free
        if sum(p.open(c) for c in p.carcs()):
            return "approval-pending"
        if p.pr_paid():
            return "already-paid-refund-first"
        if p.total(WRITTEN_OFF):
            return "already-written-off"
        return "no-patient-responsibility"

    def plan_draft(self, pid: int, amounts: Mapping[str, int]) -> list[Entry]:
        """A new draft on ``pid``, checked after the procedure's open drafts, oldest first, each
        that still fits taken as posted (posted together, they must all fit)."""
        saved = self.procedures[pid]
        try:
            for _, draft in sorted(self.drafts.items()):
                if draft.status != "open" or draft.procedure != pid:
                    continue
                try:
                    taken = self.plan_write_off(WriteOff((pid,), draft.amounts), {})
                except Refused:
                    continue
                self.procedures[pid] = self.procedures[pid].plus(taken)
            return self.plan_write_off(WriteOff((pid,), amounts), self.held())
        finally:
            self.procedures[pid] = saved

    def plan_write_off(self, request: WriteOff, held: Mapping[tuple[int, str], int]) -> list[Entry]:
        if request.amounts is not None:
            (pid,) = request.scope
            split = {pid: self._per_carc(pid, request.amounts, held)}
        else:
            assert request.total is not None
            split = self._split_total(request.total, self.oldest_first(request.scope), held)
        entries: list[Entry] = []
        for pid, amounts in split.items():
            for carc, cents in amounts.items():
                entries += [(pid, PR, carc, None, -cents), (pid, WRITTEN_OFF, carc, None, cents)]
        return entries

    def _per_carc(
        self, pid: int, amounts: Mapping[str, int], held: Mapping[tuple[int, str], int]
    ) -> dict[str, int]:
        available = self._available(pid, held)
        if isinstance(available, str):
            raise Refused(available)
        p = self.procedures[pid]
        for carc, cents in amounts.items():
            if not p.assigned(carc):
                raise Refused("not-patient-responsibility")
            if cents > p.open(carc):
                raise Refused(
                    "already-paid-refund-first" if cents <= p.get(PR, carc) else "exceeds-open-pr"
                )
            if cents > p.open(carc) - held.get((pid, carc), 0):
                raise Refused("approval-pending")
        return dict(amounts)

    def _split_total(
        self, total: int, pids: list[int], held: Mapping[tuple[int, str], int]
    ) -> dict[int, dict[str, int]]:
        answers = [self._available(pid, held) for pid in pids]
        granted = sum(sum(a.values()) for a in answers if isinstance(a, dict))
        if not granted:
            reasons = [a for a in answers if isinstance(a, str)]
            raise Refused(
                "already-paid-refund-first"
                if "already-paid-refund-first" in reasons
                else reasons[0]
            )
        if total > granted:
            paid = sum(self.procedures[pid].pr_paid() for pid in pids)
            if paid and total <= granted + paid:
                raise Refused("already-paid-refund-first")
            if any(key[0] in pids for key in held):
                raise Refused("approval-pending")
            raise Refused("exceeds-open-pr")
        split: dict[int, dict[str, int]] = {}
        remaining = total
        for pid, answer in zip(pids, answers, strict=True):
            if not isinstance(answer, dict):
                continue
            for carc in sorted(answer, key=carc_key):
                take = min(remaining, answer[carc])
                if take > 0:
                    split.setdefault(pid, {})[carc] = take
                    remaining -= take
        return split

    def submit(self, user: str, request: WriteOff, draft: int | None = None) -> list[Entry] | Filed:
        """A write-off by ``user``: the entries it posts, or the approval request it files."""
        try:
            entries = self.plan_write_off(request, self.held())
        except Refused as refused:
            raise Refused("stale-draft" if draft is not None else refused.code) from None
        return self._within_limit(user, entries)

    def _within_limit(self, user: str, entries: list[Entry]) -> list[Entry] | Filed:
        """``entries`` if what ``user`` took off PR (written off and cancelled, this request
        included) stays within their limit; else the request waits whole for approval, unless a
        pending request already holds one of its (procedure, CARC)."""
        limit = self.limits[user]
        tally: dict[tuple[int, str], int] = {}
        for pid, column, carc, _, cents in entries:
            if column in (WRITTEN_OFF, CANCELLED):
                tally[(pid, carc)] = tally.get((pid, carc), 0) + cents
        if limit is None or self.used(user) + sum(tally.values()) <= limit:
            return entries
        if any(key in self.held() for key in tally):
            raise Refused("approval-pending")
        return Filed(tally)

    def approve(self, number: int) -> list[Entry]:
        approval = self.approvals[number]
        if approval.status != "pending":
            raise Refused("approval-decided")
        if isinstance(approval.request, Cancel):
            return self.cancel(approval.request, self.held(besides=number))
        try:
            return self.plan_write_off(approval.request, self.held(besides=number))
        except Refused as refused:
            raise Refused("stale-draft" if approval.draft is not None else refused.code) from None

    def remove_write_off(self, number: int, amount: int | None) -> list[Entry]:
        tx = self.transactions[number]
        if tx.kind != "write_off":
            raise Refused("not-a-write-off")
        left = tx.written_off_left()
        if amount is not None and amount > sum(left.values()):
            raise Refused("reversal-exceeds-original")  # "only 0.00 is left" when none is
        if not left:
            raise Refused("not-reversible")
        if amount is None:
            wanted = left
        else:
            wanted, remaining = {}, amount
            for key in sorted(left, key=lambda k: (k[0], carc_key(k[1]))):
                take = min(remaining, left[key])
                if take:
                    wanted[key], remaining = take, remaining - take
        entries: list[Entry] = []
        for (pid, carc), cents in wanted.items():
            entries += [(pid, WRITTEN_OFF, carc, None, -cents), (pid, PR, carc, None, cents)]
        self._require_sound(entries, "not-reversible")
        return entries

    # -- cancel, estimate ----------------------------------------------------------------------
    def request_cancel(self, user: str, request: Cancel) -> list[Entry] | Filed:
        """A cancellation by ``user``: the entries it posts, or the approval request it files
        (one limit with write-offs)."""
        return self._within_limit(user, self.cancel(request, self.held()))

    def cancel(self, request: Cancel, held: Mapping[tuple[int, str], int]) -> list[Entry]:
        """Cancel estimated PR that no pending request holds (``held``)."""
        pid, total = request.pid, request.total
        p = self.procedures[pid]
        if not p.total(PR):
            raise Refused("no-patient-responsibility")
        if self.pr_source(pid) == "remittance":
            raise Refused("remittance-pr-not-cancellable")
        if p.pr_paid():
            raise Refused("already-paid-refund-first")
        if p.total(WRITTEN_OFF):
            raise Refused("written-off-remove-first")
        free = {carc: p.get(PR, carc) - held.get((pid, carc), 0) for carc in p.carcs()}
        free = {carc: cents for carc, cents in free.items() if cents > 0}
        if not free:
            raise Refused("approval-pending")
        if total is None:
            wanted = free
        else:
            if total > sum(free.values()):
                held_here = any(key[0] == pid for key in held)
                raise Refused("approval-pending" if held_here else "exceeds-open-pr")
            wanted, remaining = {}, total
            for carc in sorted(free, key=carc_key):
                take = min(remaining, free[carc])
                if take > 0:
                    wanted[carc], remaining = take, remaining - take
        entries: list[Entry] = []
        for carc, cents in wanted.items():
            entries += [(pid, PR, carc, None, -cents), (pid, CANCELLED, carc, None, cents)]
        return entries

    def estimate(self, pid: int, amounts: Mapping[str, int]) -> list[Entry]:
        if self.pr_source(pid) == "remittance":
            raise Refused("invalid-input")
        entries: list[Entry] = [(pid, PR, carc, None, cents) for carc, cents in amounts.items()]
        if self.procedures[pid].plus(entries).insurance() < 0:
            raise Refused("adjudication-exceeds-charge")
        return entries

    # -- patient money ---------------------------------------------------------------------------
    def _allocate(self, cents: int, pids: Iterable[int], cols: Mapping[int, Procedure]) -> dict:
        plan: dict[tuple[int, str], int] = {}
        remaining = cents
        for pid in pids:
            p = cols[pid]
            for carc in p.carcs():
                take = min(remaining, p.open(carc))
                if take > 0:
                    plan[(pid, carc)] = take
                    remaining -= take
        return plan

    def pay(self, payment: int, cents: int) -> list[Entry]:
        """A payment on the patient: oldest PR first; the rest is credit on the last procedure
        it paid, or on the newest procedure."""
        pids = self.oldest_first(self.procedures)
        plan = self._allocate(cents, pids, self.procedures)
        entries: list[Entry] = [(pid, PAID, carc, payment, v) for (pid, carc), v in plan.items()]
        if cents > sum(plan.values()):
            at = list(plan)[-1][0] if plan else pids[-1]
            entries.append((at, PAID, "", payment, cents - sum(plan.values())))
        return entries

    def refund(self, payment: int, cents: int | None) -> list[Entry]:
        holdings = {k: v for k, v in self.holdings(payment).items() if v > 0}
        refundable = sum(holdings.values())
        if cents is None:
            if not refundable:
                raise Refused("invalid-input")
            cents = refundable
        if cents > refundable:
            raise Refused("refund-exceeds-payment")
        newest_first = sorted(holdings, key=lambda k: (k[0], carc_key(k[1])), reverse=True)
        order = sorted(newest_first, key=lambda k: k[1] != "")  # credit first
        entries: list[Entry] = []
        for pid, carc in order:
            take = min(cents, holdings[(pid, carc)])
            if take > 0:
                entries.append((pid, REFUNDED, carc, payment, take))
                cents -= take
        return entries

    def apply_credit(self, payment: int) -> list[Entry]:
        credit = {pid: v for (pid, carc), v in sorted(self.holdings(payment).items()) if not carc}
        credit = {pid: v for pid, v in credit.items() if v > 0}
        available = sum(credit.values())
        if available <= 0:
            raise Refused("credit-exceeded")
        plan = self._allocate(available, self.oldest_first(self.procedures), self.procedures)
        if not plan:
            raise Refused("invalid-input")
        entries: list[Entry] = []
        to_take = sum(plan.values())
        for pid, cents in credit.items():
            take = min(to_take, cents)
            if take > 0:
                entries.append((pid, PAID, "", payment, -take))
                to_take -= take
        entries += [(pid, PAID, carc, payment, v) for (pid, carc), v in plan.items()]
        return entries

    # -- payer ----------------------------------------------------------------------------------
    def adjudicate(self, lines: Mapping[int, tuple[int, int, Mapping[str, int]]]) -> list[Entry]:
        """A primary payer's remittance: per procedure (paid, CO-45, PR per CARC). Its PR
        replaces an estimate: the estimate's PR, write-offs and cancellations go to zero, money
        paid on it becomes credit, the payer's amounts post, then each payment's credit on the
        procedure (oldest payment first) pays the new PR."""
        entries: list[Entry] = []
        for pid, (paid, co, pr) in lines.items():
            p = self.procedures[pid]
            own: list[Entry] = []
            payments = self.payments_on(pid)
            if self.pr_source(pid) != "remittance" and p.carcs():
                for column in (PR, WRITTEN_OFF, CANCELLED):
                    own += [
                        (pid, column, c, None, -p.get(column, c))
                        for c in p.carcs()
                        if p.get(column, c)
                    ]
                for payment, held in payments.items():
                    for carc, cents in held.items():
                        if carc and cents > 0:
                            own += [
                                (pid, PAID, carc, payment, -cents),
                                (pid, PAID, "", payment, cents),
                            ]
            if paid:
                own.append((pid, PAYER_PAID, "", None, paid))
            if co:
                own.append((pid, CONTRACTUAL, "45", None, co))
            own += [(pid, PR, carc, None, cents) for carc, cents in pr.items() if cents]
            after = p.plus(own)
            if after.insurance() < 0:
                raise Refused("adjudication-exceeds-charge")
            for payment in sorted(payments):
                credit = payments[payment].get("", 0) + sum(
                    e[4] for e in own if e[3] == payment and e[1] == PAID and e[2] == ""
                )
                plan = self._allocate(credit, [pid], {pid: after})
                moved = sum(plan.values())
                if moved:
                    move = [(pid, PAID, "", payment, -moved)]
                    move += [(pid, PAID, carc, payment, v) for (_, carc), v in plan.items()]
                    after = after.plus(move)
                    own += move
            entries += own
        return entries

    # -- reversal ---------------------------------------------------------------------------------
    def reverse(self, number: int) -> list[Entry]:
        tx = self.transactions[number]
        if tx.kind == "reversal":
            raise Refused("not-reversible")
        standing = tx.standing()
        if not standing:
            raise Refused("not-reversible")
        entries = [(pid, col, carc, pay, -v) for (pid, col, carc, pay), v in standing.items()]
        for (payment, pid, carc), cents in self._money_moved(entries).items():
            if self.holdings(payment).get((pid, carc), 0) + cents < 0:
                raise Refused("not-reversible")  # more than the payment holds there now
        self._require_sound(entries, "not-reversible")
        return entries

    @staticmethod
    def _money_moved(entries: Iterable[Entry]) -> dict[tuple[int, int, str], int]:
        """What entries add to each payment's holding per (payment, procedure, CARC)."""
        moved: dict[tuple[int, int, str], int] = {}
        for pid, column, carc, payment, cents in entries:
            if payment is not None and column in (PAID, REFUNDED):
                key = (payment, pid, carc)
                moved[key] = moved.get(key, 0) + (cents if column == PAID else -cents)
        return moved

    def _require_sound(self, entries: list[Entry], code: str) -> None:
        for pid in {e[0] for e in entries}:
            if not self.procedures[pid].plus(entries).sound():
                raise Refused(code)

    # -- changing the model ------------------------------------------------------------------------
    def post(self, number: int, kind: str, user: str, entries: list[Entry]) -> None:
        self.transactions[number] = Transaction(kind, user, list(entries))
        self._apply(entries)

    def post_reversal(self, number: int, of: int, user: str, entries: list[Entry]) -> None:
        original = self.transactions[of]
        original.reversals += entries
        original.reversed = True
        self.post(number, "reversal", user, entries)

    def _apply(self, entries: list[Entry]) -> None:
        for pid in {e[0] for e in entries}:
            self.procedures[pid] = self.procedures[pid].plus(entries)
            assert self.procedures[pid].sound(), f"the model broke procedure {pid}"
        for payment in {e[3] for e in entries if e[3] is not None}:
            assert min(self.holdings(payment).values(), default=0) >= 0, f"payment {payment}"
