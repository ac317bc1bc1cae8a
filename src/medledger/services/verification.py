"""``verify``: recompute every balance from the journal and report any difference.

Five checks: the materialised balances equal the journal's sums; every procedure's balance keeps
the DESIGN.md identities; every procedure's PR source agrees with the journal; no payment holds
less than nothing (paid − refunded) on any procedure and CARC; every patient's materialised open
PR equals the sum of their procedures'. The comparisons are the database's (it
returns only the differences); the identities are the domain's (``identity_violations``), run on
each materialised balance. Procedures go through in id ranges, so memory does not grow with the
ledger.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from medledger.domain.balance import identity_violations
from medledger.storage.unit_of_work import UnitOfWork, UnitOfWorkFactory


@dataclass
class VerificationReport:
    organisation_id: int
    procedures_checked: int = 0
    differences: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


#: Procedures checked per round of queries: enough to amortise the round trips, few enough that
#: memory stays flat however large the organisation.
BATCH = 20_000


def verify_organisation(
    database: UnitOfWorkFactory, organisation_id: int, batch: int = BATCH
) -> VerificationReport:
    """Stream the organisation's procedures in id ranges. The database compares the journal's
    sums with the materialised rows, the stored PR sources with the journal's and each payment's
    holdings with zero, and returns only what differs; the domain checks every balance's identities.

    The database's comparisons of a range run on a second connection, in a thread, while this
    one checks the same range's identities: one waits on the server, the other is Python, so
    they overlap (each comparison is one statement, consistent on its own)."""
    report = VerificationReport(organisation_id)
    with (
        database.unit_of_work(organisation_id, write=False) as uow,
        database.unit_of_work(organisation_id, write=False) as comparing,
        ThreadPoolExecutor(max_workers=1) as comparer,
    ):
        for first, last, count in uow.ledger.procedure_ranges(batch):
            report.procedures_checked += count
            compared = comparer.submit(_compare, comparing, first, last)
            identities = [
                f"procedure {pid}: {problem}"
                for pid, balance in sorted(uow.ledger.materialised_balances(first, last).items())
                for problem in identity_violations(balance)
            ]
            differences, sources, holdings = compared.result()
            report.differences += differences + identities + sources + holdings
        for first, last, _ in uow.ledger.patient_ranges(batch):
            report.differences += [
                f"patient {pid}: open PR {stored}, procedure balances say {computed}"
                for pid, stored, computed in uow.ledger.open_pr_differences(first, last)
            ]
    return report


def _compare(uow: UnitOfWork, first: int, last: int) -> tuple[list[str], list[str], list[str]]:
    """The database's comparisons for procedures first..last, as report lines."""
    differences = [
        f"procedure {pid} {column}[{carc}]: journal {journal}, materialised {stored}"
        for pid, column, carc, journal, stored in uow.ledger.journal_differences(first, last)
    ]
    sources = [
        f"procedure {pid}: PR source {stored!r}, journal says {journal!r}"
        for pid, stored, journal in uow.ledger.pr_source_mismatches(first, last)
    ]
    holdings = [
        f"payment {payment_id} on procedure {pid}[{carc}]: holds {cents}, less than nothing"
        for payment_id, pid, carc, cents in uow.ledger.negative_holdings(first, last)
    ]
    return differences, sources, holdings


def verify_all(database: UnitOfWorkFactory) -> list[VerificationReport]:
    with database.directory() as directory:
        ids = list(directory.organisations())
    return [verify_organisation(database, organisation_id) for organisation_id in ids]
