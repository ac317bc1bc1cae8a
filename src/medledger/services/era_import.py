"""Import X12 835 remittance files (ERA) into the ledger: all or nothing, reconciled to the cent.

One pass over the file, inside one database transaction, so memory stays flat however large it
is and nothing is read twice. The reader (``x12.read_era``) streams the file claim by claim;
each claim is reconciled as it closes, and each transaction set at its SE. Per transaction set:
its payer (found, or created, by its identifier), one remittance and one ledger transaction,
written when its header closes. Its claims go in batches, each batch's encounters, procedures,
balances and claim history loaded in a few queries and its rows written in a few statements. A
claim that cannot post is held in the review queue with its reason (domain/review.py); the
others post.

All or nothing comes from the transaction: a file that is malformed or does not balance
anywhere, even in its last segment, raises ``EraRefused`` (file, segment number, problem) and
the transaction rolls back; it commits only once the whole file has been read and reconciled.

Where the file is off but its meaning is clear (the reader's ``X12Warning``: an ISA field's width,
SE01 or IEA02 not matching, no ISA at all), it imports, and each warning is kept on every
remittance the file posted and listed in the summary: never dropped silently. Money is never
such a case: a file that does not balance is refused whole.

A transaction set already imported (same payer, trace number and content) posts nothing and is
counted as such; the same trace number with other content refuses the file. ``dry_run`` does
everything, then rolls back: the summary says what would have been posted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from medledger.domain.balance import Entry
from medledger.domain.claim_advice import ClaimAdvice
from medledger.domain.errors import LedgerError
from medledger.domain.matching import BilledProcedure, match_by_control_numbers, match_lines
from medledger.domain.review import (
    BALANCE_WOULD_GO_NEGATIVE,
    UNMATCHED_CLAIM,
    ClaimHeld,
    PostedClaim,
    check_claim_history,
    check_claim_status,
)
from medledger.domain.transaction import TransactionHeader, TransactionKind
from medledger.services.actor import Actor
from medledger.services.adjudication import DuplicateRemittance
from medledger.services.authorization import authorize
from medledger.services.claim_posting import ClaimPlanner, ClaimResult, LineResult
from medledger.services.file_input import Progress, Source, name_of, opened
from medledger.services.full_collections import batch_written, full_collections_deferred
from medledger.storage.unit_of_work import Record, UnitOfWork, UnitOfWorkFactory
from medledger.x12 import (
    Claim,
    Remittance,
    RemittanceHeader,
    X12Error,
    X12Warning,
    claim_imbalances,
    payment_imbalances,
    read_era,
)
from medledger.x12.mapping import claim_advice

#: Claims planned and written together: large enough for few statements, small enough that a
#: batch's rows stay a few megabytes.
BATCH_CLAIMS = 2000


class EraRefused(LedgerError):
    """The file is malformed or does not reconcile: nothing of it is posted."""

    code = "era-refused"


@dataclass
class ImportSummary:
    """What an import posted (or, in a dry run, would have posted).

    remittances: transaction sets posted; already_imported: sets skipped because the same payer,
    trace number and content were imported before. claims, lines: in the file; claims_posted,
    lines_posted: of those, posted now. paid_cents: claim payments posted; pr_by_carc: the PR
    they assign, by CARC; held: claims held for review, by reason; provider_adjustment_cents:
    the PLB amounts recorded with the posted remittances.
    """

    file_name: str
    dry_run: bool = False
    remittances: int = 0
    already_imported: int = 0
    claims: int = 0
    lines: int = 0
    claims_posted: int = 0
    lines_posted: int = 0
    paid_cents: int = 0
    pr_by_carc: Counter[str] = field(default_factory=Counter)
    held: Counter[str] = field(default_factory=Counter)
    provider_adjustment_cents: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def held_claims(self) -> int:
        return sum(self.held.values())


def import_era(
    database: UnitOfWorkFactory,
    actor: Actor,
    source: Source,
    *,
    file_name: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import one 835 file (a path, or a text or binary stream); see the module docstring."""
    authorize(actor, "post_remittance")
    name = name_of(source, file_name, "ERA")
    actor = replace(actor, source="era")
    summary = ImportSummary(name, dry_run)
    with (
        full_collections_deferred(),
        opened(source, progress) as stream,
        database.unit_of_work(actor.organisation_id) as uow,
    ):
        target: _TransactionSet | None = None
        posted: list[_TransactionSet] = []  # the sets this file posted
        file_warnings: list[str] = []  # about the envelope: they concern every set
        batch: list[Claim] = []
        claims_paid = 0
        try:
            for item in read_era(stream, headers=True):
                if isinstance(item, Claim):
                    _raise_first(claim_imbalances(item))
                    claims_paid += item.paid_cents
                    batch.append(item)
                    if len(batch) >= BATCH_CLAIMS:
                        assert target is not None  # the reader yields the header first
                        target.post(batch)
                        batch = []
                elif isinstance(item, RemittanceHeader):
                    target = _TransactionSet(uow, actor, name, item, summary)
                    summary.warnings += [str(warning) for warning in item.warnings]
                    if target.existing is None:
                        posted.append(target)
                elif isinstance(item, X12Warning):
                    file_warnings.append(str(item))
                    summary.warnings.append(str(item))
                else:
                    _raise_first(payment_imbalances(item, claims_paid))
                    assert target is not None
                    target.post(batch)
                    target.finish(item)
                    batch, claims_paid = [], 0
        except X12Error as error:
            raise EraRefused(
                f"{name}: {error}", position=error.position, segment_id=error.segment_id
            ) from error
        if target is None:
            raise EraRefused(f"{name}: the file holds no 835 transaction set")
        for posted_set in posted:
            own = [str(warning) for warning in posted_set.header.warnings]
            uow.remittances.set_warnings([posted_set.remittance_id], file_warnings + own)
        if not dry_run:
            uow.commit()
    return summary


def _raise_first(errors: Sequence[X12Error]) -> None:
    if errors:
        raise errors[0]


class _TransactionSet:
    """Posts one 835 transaction set: its remittance and ledger transaction are written when its
    header closes (unless it was imported before), its claims batch by batch, its PLB and
    content hash at its SE."""

    def __init__(
        self,
        uow: UnitOfWork,
        actor: Actor,
        name: str,
        header: RemittanceHeader,
        summary: ImportSummary,
    ) -> None:
        self.uow = uow
        self.name = name
        self.header = header
        self.summary = summary
        self.payer_id = _payer(uow, actor, header)
        self.existing = uow.remittances.find(self.payer_id, header.trace_number)
        if self.existing is not None:
            return
        self.remittance_id = uow.remittances.add(
            self.payer_id,
            header.trace_number,
            header.net_payment_cents,
            header.payment_date,
            "era",
            name[-255:],
            None,  # the content hash, known at SE (``finish``)
        )
        self.transaction_id = uow.ledger.open_transaction(
            TransactionHeader(
                kind=TransactionKind.ADJUDICATION,
                user_id=actor.user_id,
                source=actor.source,
                idempotency_key=f"remittance:{self.payer_id}:{header.trace_number}",
                # The remittance row carries the content hash; the transaction, written before
                # the content is known, the hash of the header that identifies the payment.
                request_hash=header.header_hash,
                note=f"ERA {Path(name).name}, trace {header.trace_number}",
                remittance_id=self.remittance_id,
            )
        )

    def finish(self, remittance: Remittance) -> None:
        """At SE: a set imported before must have the same content; a new one gets its content
        hash and its PLB amounts."""
        if self.existing is not None:
            if self.existing.content_hash != remittance.content_hash:
                raise DuplicateRemittance(
                    f"{self.name}: trace number {remittance.trace_number} of {remittance.payer_name} "
                    f"was already imported with different content (from {self.existing.file_name or 'a manual entry'})",
                    trace_number=remittance.trace_number,
                )
            self.summary.already_imported += 1
            return
        self.uow.remittances.set_content_hash(self.remittance_id, remittance.content_hash)
        self.uow.remittances.add_provider_adjustments(
            self.remittance_id,
            [
                (p.provider_id, p.fiscal_period_date, p.reason_code, p.reference, p.amount_cents)
                for p in remittance.provider_adjustments
            ],
        )
        self.summary.remittances += 1
        self.summary.provider_adjustment_cents += sum(
            p.amount_cents for p in remittance.provider_adjustments
        )

    def post(self, claims: Sequence[Claim]) -> None:
        """Post a batch of the set's claims, holding those that cannot post."""
        self.summary.claims += len(claims)
        self.summary.lines += sum(len(claim.lines) for claim in claims)
        if self.existing is not None or not claims:
            return
        advices = [claim_advice(claim) for claim in claims]
        poster = ClaimPoster(self.uow, self.payer_id, self.header.trace_number)
        poster.load(advices)
        posted: list[tuple[ClaimAdvice, ClaimResult]] = []
        held: list[tuple[ClaimAdvice, str, str]] = []
        for advice in advices:
            try:
                posted.append((advice, poster.post(advice)))
            except ClaimHeld as hold:
                held.append((advice, hold.reason, hold.message))
                self.summary.held[hold.reason] += 1
        poster.write(self.remittance_id, self.transaction_id, [claim for _, claim in posted])
        self.uow.reviews.add(self.remittance_id, held)
        batch_written()
        for advice, _ in posted:
            _count_posted(self.summary, advice)


def _count_posted(summary: ImportSummary, advice: ClaimAdvice) -> None:
    summary.claims_posted += 1
    summary.lines_posted += len(advice.lines)
    summary.paid_cents += advice.paid_cents
    for adjustment in (*advice.adjustments, *(a for ln in advice.lines for a in ln.adjustments)):
        if adjustment.group_code == "PR":
            summary.pr_by_carc[adjustment.carc] += adjustment.amount_cents


def payer_code(header: RemittanceHeader) -> str:
    """Who pays: TRN03 with the payer's identification (N1*PR N104, else REF*2U, else the N1*PR
    name). TRN03 alone is not enough: test and clearinghouse files reuse one for several payers,
    whose trace numbers would then collide."""
    identification = header.payer_identifier or header.payer_additional_id or header.payer_name
    return f"{header.payer_id}/{identification}"[:80]


def _payer(uow: UnitOfWork, actor: Actor, header: RemittanceHeader) -> int:
    """The payer by ``payer_code``, created (by ``actor``) if new.

    A payer recorded by its identifier alone (N1*PR N104, or TRN03, as the 837 import also
    records payers) is the same payer when N104 is there, or when it has the same name, so a
    file imported before is still recognised when it comes again.

    First a lock on that identifier (``UnitOfWork.lock``): the import writes as it reads, so a
    second import from the same payer waits here until the
    first commits or rolls back, then finds the payer, and a remittance both carry, as the first
    left them (imported, or not).
    """
    code, legacy = payer_code(header), header.payer_identifier or header.payer_id
    uow.lock(f"payer:{legacy}")  # the 837 import takes the same lock before it adds a payer
    row = uow.registry.payer_by_code(code)
    if row is None:
        row = uow.registry.payer_by_code(legacy)
        if row is not None and not header.payer_identifier and row.name != header.payer_name:
            row = None  # another payer under the same TRN03
    if row is not None:
        return int(row.id)
    return uow.registry.add_payer(code, header.payer_name, created_by=actor.user_id)


# -- matching, holding and posting claims -----------------------------------------------------


class ClaimPoster:
    """Matches, checks and plans one payer's claims, then writes the ones that post.

    Used per batch by the import, and for a single held claim a biller resolves (with the
    encounter the biller chose): the same rules either way.
    """

    def __init__(self, uow: UnitOfWork, payer_id: int, trace_number: str) -> None:
        self.uow = uow
        self.payer_id = payer_id
        self.trace_number = trace_number
        self.planner = ClaimPlanner(uow)
        self.entries: list[Entry] = []
        self._encounters: dict[str, Record] = {}
        self._history: dict[int, list[PostedClaim]] = {}

    def load(self, advices: Sequence[ClaimAdvice], encounter: Record | None = None) -> None:
        """Load what the claims need: their encounters (by patient control number, or the one
        given), the encounters' procedures and balances, and their claim history."""
        if encounter is not None:
            self._encounters = {a.patient_control_number: encounter for a in advices}
        else:
            self._encounters = self.uow.registry.encounters_by_control_numbers(
                a.patient_control_number for a in advices
            )
        encounter_ids = [row.id for row in self._encounters.values()]
        self.planner.load(encounter_ids)
        self._history = self.uow.remittances.claim_history(encounter_ids)

    def post(self, advice: ClaimAdvice, procedure_ids: Sequence[int] | None = None) -> ClaimResult:
        """Plan one claim (``ClaimHeld`` with the reason when it cannot post).

        ``procedure_ids``: the procedure of each line, when a biller matched them by hand.
        """
        check_claim_status(advice.status_code)
        encounter = self._encounters.get(advice.patient_control_number)
        if encounter is None:
            raise ClaimHeld(
                UNMATCHED_CLAIM,
                f"no encounter has patient control number {advice.patient_control_number}",
            )
        claim = _matched(
            advice, encounter.id, self.planner.procedures_of(encounter.id), procedure_ids
        )
        as_posted = PostedClaim(
            self.payer_id,
            self.trace_number,
            advice.status_code,
            advice.charge_cents,
            advice.paid_cents,
            advice.payer_claim_number,
        )
        check_claim_history(as_posted, self._history[encounter.id])
        try:
            self.entries += self.planner.plan(claim)
        except LedgerError as error:
            raise ClaimHeld(BALANCE_WOULD_GO_NEGATIVE, error.message) from error
        self._history[encounter.id].append(as_posted)
        return claim

    def write(self, remittance_id: int, transaction_id: int, claims: Sequence[ClaimResult]) -> None:
        """Write what ``post`` planned: entries, balances, PR sources and payment items."""
        self.uow.ledger.add_entries(transaction_id, self.entries)
        self.uow.registry.set_pr_source(sorted(self.planner.adjudicated), "remittance")
        self.uow.remittances.add_items(remittance_id, [claim.payment_item() for claim in claims])
        self.entries = []


def _matched(
    advice: ClaimAdvice,
    encounter_id: int,
    procedures: Sequence[Record],
    procedure_ids: Sequence[int] | None,
) -> ClaimResult:
    """The claim with each line tied to its procedure (domain/matching.py)."""
    if procedure_ids is None:
        control_numbers = {
            row.line_item_control_number: row.id
            for row in procedures
            if row.line_item_control_number
        }
        procedure_ids = match_by_control_numbers(advice.lines, control_numbers)
    if procedure_ids is None:
        procedure_ids = match_lines(advice.lines, [_billed(row) for row in procedures])
    return ClaimResult(
        encounter_id,
        advice.status_code,
        advice.charge_cents,
        advice.paid_cents,
        tuple(
            LineResult(procedure_id, line.charge_cents, line.paid_cents, line.adjustments,
                       line.allowed_cents)
            for line, procedure_id in zip(advice.lines, procedure_ids, strict=True)
        ),
        advice.adjustments,
        advice.payer_claim_number,
    )  # fmt: skip


def _billed(row: Record) -> BilledProcedure:
    return BilledProcedure(
        row.id,
        row.code,
        tuple(m for m in row.modifiers.split(":") if m),
        row.date_of_service,
        row.charge_cents,
        row.line_item_control_number,
    )
