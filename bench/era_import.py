"""Benchmark: import a generated 835 of N service lines into SQLite and PostgreSQL.

    .venv/bin/python -m bench.era_import --lines 10000 100000
    .venv/bin/python -m bench.era_import --lines 10000 --postgres ''   # SQLite only

For each N it writes an 835 (``x12.writer``: 4 lines per claim, 2,500 claims per transaction set,
each line with DTM, CAS CO-45, CAS PR-2, REF*6R and AMT*B6; every tenth claim without REF*6R, so
those lines match by code, modifiers, date and charge), registers the practice it is about (a
patient, an encounter and its procedures per claim, charged through the ledger), and then, in a
fresh child process, times ``import_era`` end to end: reading and reconciling, matching,
planning, writing (all in one pass over the file), commit. The child reports its peak resident
memory (VmHWM); a second child runs the same import under ``tracemalloc`` for the peak of Python
allocations. ``pyx12`` (4.0.0) is timed reading the same file alone (``X12Reader``, segment by
segment, no validation maps).

PostgreSQL runs in its own database (default ``medledger_bench``; its ``public`` schema is
dropped and recreated), never the test database. The table is printed row by row as it is
measured, then replaces the "Current results" of docs/benchmarks/era-import.md
(``bench.report.write_table``; ``--no-docs`` prints only); the page's method and "what limits
it" are written by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import insert, select, text

from bench.report import PAGES, write_table
from medledger.domain.balance import Entry
from medledger.domain.columns import Column
from medledger.domain.transaction import TransactionHeader, TransactionKind
from medledger.services.actor import Actor
from medledger.services.era_import import import_era
from medledger.services.registration import create_organisation
from medledger.storage.database import make_engine, migrate
from medledger.storage.tables import encounters, patients, procedures
from medledger.storage.unit_of_work import Database, UnitOfWork
from medledger.x12 import Remittance
from medledger.x12 import writer as w

LINES_PER_CLAIM = 4
CLAIMS_PER_SET = 2500
SERVICE_DATE = date(2024, 3, 1)
#: (code, modifiers, charge, paid, CO-45, PR-2) of the four lines of every claim.
CLAIM_LINES = (
    ("99214", ("25",), 22000, 12000, 7000, 3000),
    ("36415", (), 2500, 1500, 500, 500),
    ("80053", (), 6500, 4000, 1500, 1000),
    ("97110", ("GP", "59"), 28500, 18000, 6500, 4000),
)
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/medledger_bench"
PAGE = PAGES / "era-import.md"
TABLE_HEAD = (
    "| database | service lines | file MB | import s | lines/s | peak RSS MB | traced peak MB "
    "| pyx12 read s |\n|---|---:|---:|---:|---:|---:|---:|---:|"
)


def remittances(claims: int) -> Iterator[Remittance]:
    """The file's transaction sets, generated as they are written (constant memory)."""
    for first in range(0, claims, CLAIMS_PER_SET):
        batch = []
        for number in range(first, min(first + CLAIMS_PER_SET, claims)):
            lines = [
                w.service_line(
                    code, charge, paid,
                    [w.adjustment("CO", "45", contractual), w.adjustment("PR", "2", coinsurance)],
                    modifiers=modifiers, service_date=SERVICE_DATE,
                    control_number=None if number % 10 == 9 else f"B{number:07d}-{index}",
                    allowed_cents=charge - contractual,
                )
                for index, (code, modifiers, charge, paid, contractual, coinsurance)
                in enumerate(CLAIM_LINES, start=1)
            ]  # fmt: skip
            batch.append(w.claim(f"B{number:07d}", lines, patient=("BENCH", f"P{number}")))
        yield w.remittance(batch, trace_number=f"BENCH{first:08d}", payment_date=date(2024, 4, 5))


def write_file(path: Path, lines: int) -> None:
    with open(path, "w", encoding="ascii", newline="") as out:
        interchange = w.Interchange(datetime(2024, 4, 5, 6, 0))
        w.write_era(out, remittances(lines // LINES_PER_CLAIM), interchange)


def fresh_database(url: str, folder: Path, lines: int) -> str:
    """An empty, migrated database for one run; its url."""
    if url == "sqlite":
        url = f"sqlite:///{folder / f'bench-{lines}.sqlite3'}"
    else:
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    return url


def register_practice(url: str, claims: int) -> Actor:
    """One patient and encounter per claim with its four procedures, charged, in bulk."""
    engine = make_engine(url)
    admin = create_organisation(Database(engine), "Bench Practice")
    actor = Actor(admin.organisation_id, admin.user_id, "cli", "admin")
    org, now = actor.organisation_id, datetime.now(UTC)
    with UnitOfWork(engine, org) as uow:
        connection = uow.connection
        connection.execute(insert(patients), [
            {"organisation_id": org, "mrn": f"B{n:07d}", "first_name": f"P{n}",
             "last_name": "BENCH", "created_at": now} for n in range(claims)
        ])  # fmt: skip
        patient_ids = dict(connection.execute(
            select(patients.c.mrn, patients.c.id).where(patients.c.organisation_id == org)
        ).all())  # fmt: skip
        connection.execute(insert(encounters), [
            {"organisation_id": org, "patient_id": patient_ids[f"B{n:07d}"],
             "patient_control_number": f"B{n:07d}", "date_of_service": SERVICE_DATE,
             "created_at": now} for n in range(claims)
        ])  # fmt: skip
        encounter_rows = connection.execute(
            select(encounters.c.id, encounters.c.patient_id, encounters.c.patient_control_number)
            .where(encounters.c.organisation_id == org)
        ).all()  # fmt: skip
        connection.execute(insert(procedures), [
            {"organisation_id": org, "encounter_id": row.id, "patient_id": row.patient_id,
             "line_number": index, "code": code, "modifiers": ":".join(modifiers), "units": 1,
             "date_of_service": SERVICE_DATE, "charge_cents": charge,
             "line_item_control_number": f"{row.patient_control_number}-{index}",
             "pr_source": "none", "created_at": now}
            for row in encounter_rows
            for index, (code, modifiers, charge, *_) in enumerate(CLAIM_LINES, start=1)
        ])  # fmt: skip
        charges = connection.execute(
            select(procedures.c.id, procedures.c.charge_cents)
            .where(procedures.c.organisation_id == org)
        ).all()  # fmt: skip
        charge = uow.ledger.open_transaction(
            TransactionHeader(
                kind=TransactionKind.CHARGE,
                user_id=actor.user_id,
                source="cli",
                idempotency_key="bench:charges",
                request_hash="bench",
            )
        )
        uow.ledger.add_entries(
            charge, [Entry(pid, Column.CHARGE, "", cents) for pid, cents in charges]
        )
        uow.commit()
    engine.dispose()
    return actor


def child(url: str, path: str, organisation_id: int, user_id: int, traced: bool) -> None:
    """Run in a fresh process: import the file and print seconds and peak memory as JSON."""
    engine = make_engine(url)
    actor = Actor(organisation_id, user_id, "cli", "admin")
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    summary = import_era(Database(engine), actor, path)
    seconds = time.perf_counter() - started
    assert summary.claims_posted == summary.claims and not summary.held, summary
    result = {
        "seconds": seconds,
        "lines": summary.lines_posted,
        "peak_rss_mb": peak_rss_mb(),
    }
    if traced:
        result["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    print(json.dumps(result))


def peak_rss_mb() -> float:
    """This process's peak resident memory. Linux's VmHWM, which (unlike ``ru_maxrss``) does not
    carry over the parent's peak through fork and exec."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(url: str, path: Path, actor: Actor, traced: bool) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.era_import", "--child", url, str(path),
               str(actor.organisation_id), str(actor.user_id)] + (["--traced"] if traced else [])  # fmt: skip
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


def pyx12_seconds(path: Path) -> float | None:
    try:
        from pyx12.x12file import X12Reader  # type: ignore[import-untyped]
    except ImportError:
        return None
    started = time.perf_counter()
    with open(path, encoding="ascii", newline="") as stream:
        for _ in X12Reader(stream):
            pass
    return time.perf_counter() - started


def measure(lines: int, databases: list[str], folder: Path, traced_run: bool) -> Iterator[str]:
    """The table's rows for one file of ``lines`` service lines, one per database, as measured."""
    path = folder / f"bench-{lines}.835"
    write_file(path, lines)
    size_mb = os.path.getsize(path) / 2**20
    pyx12 = pyx12_seconds(path)
    for database in databases:
        url = fresh_database(database, folder, lines)
        actor = register_practice(url, lines // LINES_PER_CLAIM)
        timed = run_child(url, path, actor, traced=False)
        traced = "-"
        if traced_run:
            url = fresh_database(database, folder, lines)
            actor = register_practice(url, lines // LINES_PER_CLAIM)
            traced = f"{run_child(url, path, actor, traced=True)['traced_peak_mb']:.1f}"
        name = "SQLite" if database == "sqlite" else "PostgreSQL"
        yield (
            f"| {name} | {lines:,} | {size_mb:.1f} | {timed['seconds']:.2f} "
            f"| {lines / timed['seconds']:,.0f} | {timed['peak_rss_mb']:.0f} | {traced} "
            f"| {'-' if pyx12 is None else f'{pyx12:.2f}'} |"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="'' to skip PostgreSQL")
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip the traced run")
    parser.add_argument("--docs", type=Path, default=PAGE, help="the page whose results to replace")
    parser.add_argument("--no-docs", action="store_true", help="print only")
    parser.add_argument("--child", nargs=4, metavar=("URL", "FILE", "ORG", "USER"))
    parser.add_argument("--traced", action="store_true")
    options = parser.parse_args(argv)
    if options.child:
        url, path, org, user = options.child
        child(url, path, int(org), int(user), options.traced)
        return
    started = datetime.now(UTC)
    databases = ["sqlite", *([options.postgres] if options.postgres else [])]
    print(TABLE_HEAD, flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for lines in options.lines:
            for row in measure(lines, databases, Path(scratch), not options.no_tracemalloc):
                print(row, flush=True)
                rows.append(row)
    if not options.no_docs:
        command = " ".join(
            ["python -m bench.era_import", *(sys.argv[1:] if argv is None else argv)]
        )
        write_table(options.docs, started, command, options.postgres or None, TABLE_HEAD, rows)
        print(f"written to {options.docs}")


if __name__ == "__main__":
    main()
