"""``verify``: recompute every balance from the journal and report any difference.

Three checks: the materialised balances equal the journal's sums; every procedure's balance keeps
the DESIGN.md identities; every procedure's PR source agrees with the journal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine, select

from medledger.domain.balance import identity_violations
from medledger.storage.tables import organisations
from medledger.storage.unit_of_work import UnitOfWork


@dataclass
class VerificationReport:
    organisation_id: int
    procedures_checked: int = 0
    differences: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


def verify_organisation(engine: Engine, organisation_id: int) -> VerificationReport:
    report = VerificationReport(organisation_id)
    with UnitOfWork(engine, organisation_id, write=False) as uow:
        journal = uow.ledger.recompute()
        stored = uow.ledger.materialised()
        for key in sorted(set(journal) | set(stored)):
            if journal.get(key, 0) != stored.get(key, 0):
                procedure_id, column, carc = key
                report.differences.append(
                    f"procedure {procedure_id} {column}[{carc}]: journal {journal.get(key, 0)}, "
                    f"materialised {stored.get(key, 0)}"
                )
        rows = uow.registry.procedures_where()
        balances = uow.ledger.balances([row.id for row in rows])
        sources = uow.ledger.pr_sources()
        for row in rows:
            report.procedures_checked += 1
            for problem in identity_violations(balances[row.id]):
                report.differences.append(f"procedure {row.id}: {problem}")
            source = sources.get(row.id, "none")
            if source != row.pr_source:
                report.differences.append(
                    f"procedure {row.id}: PR source {row.pr_source!r}, journal says {source!r}"
                )
    return report


def verify_all(engine: Engine) -> list[VerificationReport]:
    with engine.connect() as connection:
        ids = list(
            connection.execute(select(organisations.c.id).order_by(organisations.c.id)).scalars()
        )
        connection.rollback()
    return [verify_organisation(engine, organisation_id) for organisation_id in ids]
