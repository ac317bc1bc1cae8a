"""Benchmark: how cost grows with the ledger (issue 6), on SQLite and PostgreSQL.

    .venv/bin/python -m bench                                   # 10k, 100k, 1M on both engines
    .venv/bin/python -m bench --engines sqlite --sizes 10000    # a quick run
    make bench BENCH_ARGS="--sizes 10000 100000"

For each engine and each N (procedures = 835 service lines):

1. The practice is built through the 835 import path, with bench/era_import.py's generator: an
   835 of N service lines (4 per claim), the practice it is about registered and charged in bulk
   (one patient and encounter per claim), then ``import_era`` in a fresh child process, timed end
   to end, with the child's peak resident memory (VmHWM). On PostgreSQL the database is then
   vacuumed and analysed, as autovacuum would after a bulk load, and checkpointed
   (``settle_after_load``). Then the database's files are read once (``warm_caches``): the calls
   are timed against a warm operating-system page cache, as on a server in use.
2. Service calls, as the API and the UI make them, one at a time: ``write_offs.submit_write_offs`` of
   0.01 of coinsurance on ``--posts`` different procedures (p50/p99), ``accounts.patient_account``
   and ``accounts.encounter_account`` on ``--reads`` random patients and encounters, the home
   screen's ``work_list.work_list``, and ``verification.verify_organisation`` (every balance
   recomputed from the journal).
3. PostgreSQL only: ``--threads`` writer threads (16) posting write-offs at once, first each on
   procedures of its own, then all on the same procedure until its coinsurance is gone. Proof
   that the limits held: the cents written off per the journal, per the materialised balances and
   per the posts that succeeded agree, and on the shared procedure equal what was open (no
   over-write-off, no lost update).
4. The tables, with the machine, Python, SQLite and PostgreSQL versions, replace the "Current
   results" of docs/benchmarks/scale.md (``bench.report.write_results``; the page's method and
   "what limits it" are written by hand).

PostgreSQL runs in database ``medledger_scale`` (its ``public`` schema is dropped and recreated
for each N; the last, largest practice stays for ``python -m bench.explain``); never ``test``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select, text

from bench import era_import
from bench.report import PAGES, ROOT, machine, measured, versions, write_results
from medledger.domain.columns import COINSURANCE, Column
from medledger.domain.errors import LedgerError
from medledger.services import accounts, ledger_requests, write_offs
from medledger.services.actor import Actor
from medledger.services.verification import verify_organisation
from medledger.services.work_list import work_list
from medledger.storage.database import make_engine
from medledger.storage.tables import (
    encounters,
    ledger_entries,
    patients,
    procedure_balances,
    procedures,
)
from medledger.storage.unit_of_work import Database, UnitOfWork

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/medledger_scale"
PAGE = PAGES / "scale.md"
SIZES = (10_000, 100_000, 1_000_000)
TARGETS = {"sqlite": 5.0, "postgresql": 10.0}  # write-off post p99, ms (issue 6)
IMPORT_TARGETS = {"sqlite": 50_000, "postgresql": 20_000}  # 835 service lines/s (issues 3, 6)
FLAT_MEMORY = 1.25  # "peak memory flat in N": the largest import's peak within this of the smallest
REASON = "small_balance"


@dataclass
class Timings:
    """Per-call wall times, in seconds."""

    seconds: list[float] = field(default_factory=list)

    def time(self, call: Callable[[], object]) -> None:
        started = time.perf_counter()
        call()
        self.seconds.append(time.perf_counter() - started)

    def percentile(self, fraction: float) -> float:
        """Nearest-rank percentile."""
        ordered = sorted(self.seconds)
        return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))]

    def cell(self) -> str:
        """ "p50 / p99" in ms."""
        return f"{self.percentile(0.5) * 1000:.2f} / {self.percentile(0.99) * 1000:.2f}"


@dataclass
class Concurrency:
    """One concurrent-writers phase and what the database says happened."""

    target: str
    threads: int
    posted: int
    refused: int
    seconds: float
    journal_cents: int
    materialised_cents: int
    expected_cents: int
    open_before: int | None = None
    open_after: int | None = None

    @property
    def held(self) -> bool:
        same = self.journal_cents == self.materialised_cents == self.expected_cents
        if self.open_before is None or self.open_after is None:
            return same
        return (
            same
            and self.open_after >= 0
            and self.open_before - self.open_after == (self.journal_cents)
        )

    def row(self, engine: str, size: int) -> str:
        proof = (
            f"journal {self.journal_cents}, materialised {self.materialised_cents}, "
            f"posts × amount {self.expected_cents}"
        )
        if self.open_before is not None:
            proof += f"; open {self.open_before} → {self.open_after}"
        return (
            f"| {engine} | {size:,} | {self.threads} | {self.target} | {self.posted:,} "
            f"| {self.refused:,} | {self.posted / self.seconds:,.0f} | {proof} "
            f"| {'held' if self.held else '**BROKEN**'} |"
        )


@dataclass
class Run:
    """One engine at one N."""

    engine_key: str  # "sqlite" or "postgresql"
    size: int
    entries: int = 0
    register_seconds: float = 0.0
    import_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    posts: Timings = field(default_factory=Timings)
    patient_reads: Timings = field(default_factory=Timings)
    encounter_reads: Timings = field(default_factory=Timings)
    work_list_reads: Timings = field(default_factory=Timings)
    verify_seconds: float = 0.0
    verify_verdict: str = ""
    concurrency: list[Concurrency] = field(default_factory=list)

    def row(self) -> str:
        return (
            f"| {self.engine} | {self.size:,} | {self.entries:,} | {self.register_seconds:.1f} "
            f"| {self.import_seconds:.1f} | {self.lines_per_second:,.0f} "
            f"| {self.peak_rss_mb:.0f} | {self.posts.cell()} | {self.patient_reads.cell()} "
            f"| {self.encounter_reads.cell()} | {self.work_list_reads.cell()} "
            f"| {self.verify_seconds:.2f} | {self.verify_verdict} |"
        )

    @property
    def engine(self) -> str:
        return "SQLite" if self.engine_key == "sqlite" else "PostgreSQL"

    @property
    def lines_per_second(self) -> float:
        """The 835 import's rate: service lines (one per procedure) over its seconds."""
        return self.size / self.import_seconds

    @property
    def ok(self) -> bool:
        return self.verify_verdict.startswith("ok") and all(c.held for c in self.concurrency)


# -- building the practice -----------------------------------------------------------------------
def build(run: Run, url: str, scratch: Path, era_file: Path) -> tuple[str, Actor]:
    """A fresh database with the practice of ``run.size`` procedures, imported from ``era_file``."""
    url = era_import.fresh_database(url, scratch, run.size)
    started = time.perf_counter()
    actor = era_import.register_practice(url, run.size // era_import.LINES_PER_CLAIM)
    run.register_seconds = time.perf_counter() - started
    imported = era_import.run_child(url, era_file, actor, traced=False)
    run.import_seconds, run.peak_rss_mb = imported["seconds"], imported["peak_rss_mb"]
    assert int(imported["lines"]) == run.size, imported
    if url.startswith("postgresql"):
        settle_after_load(url)
    return url, actor


def settle_after_load(url: str) -> None:
    """Bring PostgreSQL to where a maintained server is a while after a bulk load.

    ``VACUUM (ANALYZE)`` is what autovacuum does soon after one (this machine's server runs
    with autovacuum off, so nothing would): without the statistics the planner still sees the
    empty tables the load began with and picks scans for the balance reads. ``CHECKPOINT``
    writes out what the load dirtied, so the timed calls do not share the disk with the tail
    of a load-sized checkpoint; the first change to each page after it still pays its
    full-page image in the WAL, as it would after any checkpoint.
    """
    autocommit(url, "VACUUM (ANALYZE)", "CHECKPOINT")


def warm_caches(url: str) -> None:
    """Read the database's files once, so the timed calls meet an operating-system page cache
    like that of a server in use rather than whatever the load happened to leave in it.

    Without this, one run's 200 SQLite patient reads at 1M procedures took p50 0.46 ms and
    another's 0.33 (0.28 at 10k); with the page cache dropped, 1.27 ms; after one read of the
    file, 0.30. The reads' own work does not grow with N; a cold cache's disk reads are the
    machine's, and are left out of the ratio the target is about.
    """
    if url.startswith("sqlite"):
        database = Path(url.removeprefix("sqlite:///"))
        for path in (database, database.with_name(database.name + "-wal")):
            if path.exists():
                with path.open("rb") as file:
                    while file.read(1 << 20):
                        pass
        return
    autocommit(
        url,
        "CREATE EXTENSION IF NOT EXISTS pg_prewarm",
        "SELECT pg_prewarm(c.oid::regclass, 'read') FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i', 't')",
    )


def autocommit(url: str, *statements: str) -> None:
    """Run maintenance statements that cannot run inside a transaction (VACUUM), in order."""
    engine = make_engine(url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


def ids(engine: Engine, organisation_id: int, table: object) -> list[int]:
    column = table.c.id  # type: ignore[attr-defined]
    organisation = table.c.organisation_id  # type: ignore[attr-defined]
    with engine.connect() as connection:
        found = list(
            connection.execute(
                select(column).where(organisation == organisation_id).order_by(column)
            ).scalars()
        )
        connection.rollback()
    return found


# -- single calls ----------------------------------------------------------------------------------
def measure_calls(
    run: Run,
    engine: Engine,
    actor: Actor,
    procedure_ids: Sequence[int],
    posts: int,
    reads: int,
    work_lists: int,
    rng: random.Random,
) -> None:
    for number, procedure_id in enumerate(procedure_ids[:posts]):
        run.posts.time(
            lambda pid=procedure_id, n=number: write_offs.submit_write_offs(Database(engine), actor, [ledger_requests.WriteOffRequest(REASON, pid, amounts={COINSURANCE: "0.01"})],
                f"scale:post:{n}",
            )
        )  # fmt: skip
    patient_ids = ids(engine, actor.organisation_id, patients)
    encounter_ids = ids(engine, actor.organisation_id, encounters)
    for _ in range(reads):
        patient_id, encounter_id = rng.choice(patient_ids), rng.choice(encounter_ids)
        run.patient_reads.time(
            lambda p=patient_id: accounts.patient_account(Database(engine), actor, p)
        )
        run.encounter_reads.time(
            lambda e=encounter_id: accounts.encounter_account(Database(engine), actor, e)
        )
    for _ in range(work_lists):
        run.work_list_reads.time(lambda: work_list(Database(engine), actor))
    started = time.perf_counter()
    report = verify_organisation(Database(engine), actor.organisation_id)
    run.verify_seconds = time.perf_counter() - started
    run.verify_verdict = (
        f"ok, {report.procedures_checked:,} procedures"
        if report.ok
        else f"**{len(report.differences)} differences**: {'; '.join(report.differences[:3])}"
    )
    with engine.connect() as connection:
        run.entries = int(connection.execute(select(func.count()).select_from(ledger_entries))
                          .scalar_one())  # fmt: skip
        connection.rollback()


# -- concurrent writers ------------------------------------------------------------------------------
def written_off(
    engine: Engine, organisation_id: int, procedure_ids: Sequence[int]
) -> tuple[int, int]:
    """Cents written off on these procedures: per the journal, and per the materialised rows."""
    entries, balances = ledger_entries.c, procedure_balances.c
    with engine.connect() as connection:
        journal = connection.execute(
            select(func.coalesce(func.sum(entries.amount_cents), 0)).where(
                entries.organisation_id == organisation_id,
                entries.column == Column.WRITTEN_OFF.value,
                entries.procedure_id.in_(procedure_ids),
            )
        ).scalar_one()
        materialised = connection.execute(
            select(func.coalesce(func.sum(balances.amount_cents), 0)).where(
                balances.organisation_id == organisation_id,
                balances.column == Column.WRITTEN_OFF.value,
                balances.procedure_id.in_(procedure_ids),
            )
        ).scalar_one()
        connection.rollback()
    return int(journal), int(materialised)


def open_coinsurance(engine: Engine, organisation_id: int, procedure_id: int) -> int:
    with UnitOfWork(engine, organisation_id, write=False) as uow:
        return uow.ledger.balance(procedure_id).open_pr(COINSURANCE)


def together(threads: int, work: Callable[[int], tuple[int, int]]) -> tuple[int, int, float]:
    """Run ``work(thread)`` on ``threads`` threads started at once; (posted, refused, seconds)."""
    barrier = threading.Barrier(threads + 1)
    results: list[tuple[int, int]] = []
    errors: list[BaseException] = []

    def body(index: int) -> None:
        barrier.wait()
        try:
            results.append(work(index))
        except BaseException as error:  # re-raised below, in the main thread
            errors.append(error)

    workers = [threading.Thread(target=body, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - started
    if errors:
        raise errors[0]
    return sum(r[0] for r in results), sum(r[1] for r in results), seconds


def concurrent_writers(
    engine: Engine, actor: Actor, spare: Sequence[int], threads: int, per_thread: int
) -> list[Concurrency]:
    """Writers on different procedures (throughput), then on one procedure (the row lock)."""
    org = actor.organisation_id
    own = [spare[n * per_thread : (n + 1) * per_thread] for n in range(threads)]
    cents = 1

    def different(index: int) -> tuple[int, int]:
        for number, procedure_id in enumerate(own[index]):
            write_offs.submit_write_offs(Database(engine), actor, [ledger_requests.WriteOffRequest(REASON, procedure_id, amounts={COINSURANCE: "0.01"})],
                f"scale:different:{index}:{number}",
            )  # fmt: skip
        return len(own[index]), 0

    posted, refused, seconds = together(threads, different)
    touched = [pid for part in own for pid in part]
    journal, materialised = written_off(engine, org, touched)
    results = [Concurrency("different procedures", threads, posted, refused, seconds, journal,
                           materialised, posted * cents)]  # fmt: skip

    shared = spare[threads * per_thread]
    step = 10  # cents per post: the procedure's coinsurance goes in a few hundred posts
    before = open_coinsurance(engine, org, shared)

    def same(index: int) -> tuple[int, int]:
        posted = refused = 0
        while True:
            try:
                write_offs.submit_write_offs(Database(engine), actor, [ledger_requests.WriteOffRequest(REASON, shared, amounts={COINSURANCE: f"{step / 100:.2f}"})],
                    f"scale:same:{index}:{posted + refused}",
                )  # fmt: skip
            except LedgerError:  # nothing (or less than one step) left to write off
                refused += 1
                return posted, refused
            posted += 1

    posted, refused, seconds = together(threads, same)
    journal, materialised = written_off(engine, org, [shared])
    after = open_coinsurance(engine, org, shared)
    outcome = Concurrency("same procedure", threads, posted, refused, seconds, journal,
                          materialised, posted * step, before, after)  # fmt: skip
    results.append(outcome)
    return results


# -- the report ---------------------------------------------------------------------------------------
def verdicts(runs: Sequence[Run]) -> list[str]:
    lines = []
    for run in runs:
        target = TARGETS[run.engine_key]
        p99 = run.posts.percentile(0.99) * 1000
        lines.append(f"- {run.engine} {run.size:,}: write-off post p99 {p99:.2f} ms "
                     f"(target < {target:.0f} ms: {'met' if p99 < target else 'NOT met'})")  # fmt: skip
        rate, wanted = run.lines_per_second, IMPORT_TARGETS[run.engine_key]
        lines.append(f"- {run.engine} {run.size:,}: 835 import {rate:,.0f} service lines/s "
                     f"(target ≥ {wanted:,}: {'met' if rate >= wanted else 'NOT met'})")  # fmt: skip
    for engine in sorted({run.engine for run in runs}):
        mine = sorted((run for run in runs if run.engine == engine), key=lambda r: r.size)
        if len(mine) > 1:
            small, large = mine[0], mine[-1]
            growth = large.peak_rss_mb / small.peak_rss_mb
            lines.append(f"- {engine} import peak memory, {large.size:,} vs {small.size:,}: "
                         f"{large.peak_rss_mb:.0f} vs {small.peak_rss_mb:.0f} MB, {growth:.2f}× "
                         f"(flat, ≤ {FLAT_MEMORY}×: "
                         f"{'met' if growth <= FLAT_MEMORY else 'NOT met'})")  # fmt: skip
            for name in ("patient_reads", "encounter_reads", "work_list_reads"):
                ratio = getattr(large, name).percentile(0.5) / getattr(small, name).percentile(0.5)
                lines.append(f"- {engine} {name.replace('_', ' ')} p50, {large.size:,} vs "
                             f"{small.size:,}: {ratio:.2f}× (target ≤ 1.5×: "
                             f"{'met' if ratio <= 1.5 else 'NOT met'})")  # fmt: skip
        if mine[-1].size >= 1_000_000:
            seconds = mine[-1].verify_seconds
            lines.append(f"- {engine} verify at {mine[-1].size:,}: {seconds:.1f} s (target < 60 s:"
                         f" {'met' if seconds < 60 else 'NOT met'})")  # fmt: skip
    return lines


def results_section(runs: Sequence[Run], command: str, started: datetime, version_line: str) -> str:
    table = "\n".join(run.row() for run in runs)
    concurrency = "\n".join(c.row(run.engine, run.size) for run in runs for c in run.concurrency)
    section = f"""{measured(started, command)}

Machine: {machine()}; {version_line}.

Times are wall clock, one call at a time, in ms as p50 / p99 unless marked s. Register: the
practice (patients, encounters, procedures, charges) written in bulk; import: `import_era` of the
835 in a child process; peak RSS: the child's VmHWM.

| engine | procedures | ledger entries | register s | import s | lines/s | import peak RSS MB | write-off post | patient read | encounter read | work list | verify s | verify |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|
{table}
"""
    if concurrency:
        section += f"""
Concurrent writers (PostgreSQL): each post is a `write_offs.submit_write_offs` service call in its own
database transaction; "different" writes off 0.01 on procedures of each thread's own, "same"
writes off 0.10 at a time of one procedure's coinsurance until it is gone.

| engine | procedures | threads | target | posted | refused | posts/s | cents written off | limits |
|---|---:|---:|---|---:|---:|---:|---|---|
{concurrency}
"""
    return section + "\nTargets (issue 6):\n" + "\n".join(verdicts(runs)) + "\n"


# -- main ------------------------------------------------------------------------------------------
def run_engine_size(
    engine_key: str, url: str, size: int, scratch: Path, era_file: Path, args: argparse.Namespace
) -> Run:
    run = Run(engine_key, size)
    print(f"{run.engine} {size:,}: building …", flush=True)
    url, actor = build(run, url, scratch, era_file)
    warm_caches(url)
    engine = make_engine(url)
    try:
        procedure_ids = ids(engine, actor.organisation_id, procedures)
        rng = random.Random(size)
        shuffled = procedure_ids[:]
        rng.shuffle(shuffled)
        posts = min(args.posts, len(shuffled) // 2)
        print(f"  import {run.import_seconds:.1f} s; timing calls …", flush=True)
        measure_calls(run, engine, actor, shuffled[:posts], posts, args.reads, args.work_lists, rng)
        if engine_key == "postgresql" and args.threads:
            per_thread = min(args.per_thread, (len(shuffled) - posts - 1) // args.threads)
            run.concurrency = concurrent_writers(
                engine, actor, shuffled[posts:], args.threads, per_thread
            )
    finally:
        engine.dispose()
    print(run.row(), flush=True)
    for outcome in run.concurrency:
        print(outcome.row(run.engine, size), flush=True)
    return run


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--engines", nargs="+", choices=("sqlite", "postgresql"),
                        default=["sqlite", "postgresql"])  # fmt: skip
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES),
                        help="procedures (835 service lines), multiples of 4")  # fmt: skip
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="database url")
    parser.add_argument("--posts", type=int, default=1000, help="write-off posts timed")
    parser.add_argument("--reads", type=int, default=200, help="patient and encounter reads")
    parser.add_argument("--work-lists", type=int, default=5, help="work list reads")
    parser.add_argument("--threads", type=int, default=16, help="concurrent writers (PostgreSQL)")
    parser.add_argument("--per-thread", type=int, default=100, help="posts per writer")
    parser.add_argument("--docs", type=Path, default=PAGE, help="the page whose results to replace")
    parser.add_argument("--no-docs", action="store_true", help="print only")
    args = parser.parse_args(argv)
    started = datetime.now(UTC)
    # The import runs in a child `python -m bench.era_import`, wherever this was started from.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])
    )
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as folder:
        scratch = Path(folder)
        for size in sorted(args.sizes):
            era_file = scratch / f"scale-{size}.835"
            era_import.write_file(era_file, size)
            for engine_key in args.engines:
                url = "sqlite" if engine_key == "sqlite" else args.postgres
                runs.append(run_engine_size(engine_key, url, size, scratch, era_file, args))
            era_file.unlink()
    command = "python -m bench " + " ".join(sys.argv[1:] if argv is None else argv)
    report = results_section(
        runs,
        command.strip(),
        started,
        versions(args.postgres if "postgresql" in args.engines else None),
    )
    print(report)
    if not args.no_docs:
        write_results(args.docs, report)
        print(f"written to {args.docs}")
    return 0 if all(run.ok for run in runs) else 1
