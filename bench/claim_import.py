"""Benchmark: import a generated 837 of N claims into a new organisation, then the 835 paying it.

    .venv/bin/python -m bench.claim_import --claims 1000 10000
    .venv/bin/python -m bench.claim_import --claims 1000 --postgres ''   # SQLite only

For each N, ``bench.claims`` writes the matching pair (one patient per claim, one to three lines
each). In a fresh child process per database, ``import_claims`` is timed end to end (reading,
matching or registering patients, payers and coverages, encounters, procedures and their charge
transactions, commit), then ``import_era`` of the 835 into the same organisation (every claim
posts). The child reports its peak resident memory (VmHWM). PostgreSQL runs in its own database
(``DEFAULT_POSTGRES``), never the test database. The printed table is what
docs/benchmarks/claim-import.md holds.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.claims import generate
from bench.era_import import fresh_database, peak_rss_mb
from bench.report import PAGES, write_table
from medledger.services.actor import Actor
from medledger.services.claim_import import import_claims
from medledger.services.era_import import import_era
from medledger.services.registration import create_organisation
from medledger.storage.database import make_engine
from medledger.storage.unit_of_work import Database

PAGE = PAGES / "claim-import.md"
#: Its own database (created by hand once: ``CREATE DATABASE medledger_bench_claims``), so it
#: can run beside the 835 benchmark: each drops and recreates its database's public schema.
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/medledger_bench_claims"
TABLE_HEAD = (
    "| database | claims | service lines | 837 MB | 837 import s | claims/s | lines/s "
    "| 835 import s | peak RSS MB |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def child(url: str, claims_path: str, era_path: str) -> None:
    """Run in a fresh process: a new organisation imports the 837, then the 835; print JSON."""
    engine = make_engine(url)
    admin = create_organisation(Database(engine), "Benchmark Clinic")
    actor = Actor(admin.organisation_id, admin.user_id, "cli", "admin")
    started = time.perf_counter()
    claims = import_claims(Database(engine), actor, claims_path)
    claims_seconds = time.perf_counter() - started
    assert claims.imported == claims.claims and not claims.held, claims
    started = time.perf_counter()
    era = import_era(Database(engine), actor, era_path)
    era_seconds = time.perf_counter() - started
    assert era.claims_posted == claims.claims and not era.held, era
    print(json.dumps({
        "claims_seconds": claims_seconds, "era_seconds": era_seconds,
        "claims": claims.claims, "lines": claims.lines, "peak_rss_mb": peak_rss_mb(),
    }))  # fmt: skip


def measure(count: int, databases: list[str], folder: Path) -> list[str]:
    """The table's rows for one pair of ``count`` claims, one per database."""
    pair = generate(count)
    claims_path, era_path = folder / f"bench-{count}.837", folder / f"bench-{count}.835"
    claims_path.write_text(pair.claims_837)
    era_path.write_text(pair.remittance_835)
    size_mb = os.path.getsize(claims_path) / 2**20
    rows = []
    for database in databases:
        url = fresh_database(database, folder, count)
        command = [sys.executable, "-m", "bench.claim_import", "--child", url,
                   str(claims_path), str(era_path)]  # fmt: skip
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        timed = json.loads(output.strip().splitlines()[-1])
        name = "SQLite" if database == "sqlite" else "PostgreSQL"
        seconds = timed["claims_seconds"]
        rows.append(
            f"| {name} | {timed['claims']:,} | {timed['lines']:,} | {size_mb:.1f} "
            f"| {seconds:.2f} | {timed['claims'] / seconds:,.0f} | {timed['lines'] / seconds:,.0f} "
            f"| {timed['era_seconds']:.2f} | {timed['peak_rss_mb']:.0f} |"
        )
        print(rows[-1], flush=True)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="'' to skip PostgreSQL")
    parser.add_argument("--docs", type=Path, default=PAGE, help="the page whose results to replace")
    parser.add_argument("--no-docs", action="store_true", help="print only")
    parser.add_argument("--child", nargs=3, metavar=("URL", "CLAIMS", "ERA"))
    options = parser.parse_args(argv)
    if options.child:
        child(*options.child)
        return
    started = datetime.now(UTC)
    databases = ["sqlite", *([options.postgres] if options.postgres else [])]
    print(TABLE_HEAD, flush=True)
    rows: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        for count in options.claims:
            rows += measure(count, databases, Path(scratch))
    if not options.no_docs:
        command = " ".join(
            ["python -m bench.claim_import", *(sys.argv[1:] if argv is None else argv)]
        )
        write_table(options.docs, started, command, options.postgres or None, TABLE_HEAD, rows)
        print(f"written to {options.docs}")


if __name__ == "__main__":
    main()
