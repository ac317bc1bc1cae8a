"""Benchmark: the HTTP API under load on PostgreSQL with a 1,000,000-entry journal (issue 4).

    .venv/bin/python -m bench.api_load [--clients 16] [--requests 2000] [--entries 1000000]
    .venv/bin/python -m bench.api_load --workers 1 --skip-load     # reuse the loaded database

1. Database ``medledger_bench_api`` (dropped and created; never ``test`` or ``postgres``), migrated
   by ``open_database``. A small seed practice goes through the services (organisation, users with
   argon2 passwords, payers, patients, encounters charged through the ledger, a remittance, a
   payment, a write-off); the bulk of the history is generated and written with COPY straight
   into patients, encounters, procedures, patient_payments, ledger_transactions, ledger_entries
   and procedure_balances (the balances summed from the very entries written). COPY runs with
   ``session_replication_role = replica`` (no per-row foreign-key or deferred move triggers);
   what those would have checked is checked afterwards in SQL (every reference resolves, every
   move nets to zero), and ``services.verification.verify_organisation`` recomputes every
   balance from the journal.
2. ``medledger serve`` (uvicorn, ``--workers`` 1 and 2) in a subprocess on 127.0.0.1 and a free
   port; a bearer token from ``POST /api/tokens``.
3. Bounded loops on loopback (``--clients`` threads, each with its own keep-alive
   ``http.client`` connection, the lightest client at hand, as it shares the server's cores;
   ``--requests`` per phase, at most ``--duration`` seconds each):
   one client alone (service time), then the clients together: balance reads
   (``GET /api/procedures/{id}``, ``GET /api/patients/{id}``), write-off posts of 0.01 on
   coinsurance, each on a different procedure, and a contention run where every client writes
   off the same procedure's PR until it is gone — the written-off total is then checked against
   what was open, through the API and in the database. The reads and the posts run twice: as
   a closed loop (each client sends its next request when the last is answered: the server is
   saturated, and latency is mostly queueing) and paced at half the throughput the closed loop
   reached (latency counted from each request's scheduled time).
   For each phase: p50/p99/max latency, requests/s, and the CPU each party used (client, server,
   this database's PostgreSQL backends, anything else) from /proc.
4. The results replace the "Current results" of docs/benchmarks/api-load.md
   (``bench.report.write_results``); the page's method and "what limits it" are written by hand.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import http.client
import json
import math
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, text

from bench.report import PAGES, machine, measured, write_results
from medledger.domain.adjudication import Adjustment
from medledger.domain.balance import identity_violations
from medledger.domain.reasons import WRITE_OFF_REASONS as REASON_LABELS
from medledger.services import auth, ledger_requests, payments, registration, write_offs
from medledger.services.adjudication import (
    ClaimResult,
    LineResult,
    RemittanceInput,
    post_remittance,
)
from medledger.services.registration import ProcedureInput
from medledger.services.verification import VerificationReport, verify_organisation
from medledger.storage.database import open_database
from medledger.storage.unit_of_work import Database, UnitOfWork

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
DATABASE = "medledger_bench_api"
PAGE = PAGES / "api-load.md"
TARGET_POST_P99_MS = 20.0
TARGET_READ_P99_MS = 5.0
MANAGER, PASSWORD = "bench_manager", "bench-password-long"
WRITE_OFF_CENTS = 1  # each spread post writes off 0.01 of coinsurance

# -- the practice --------------------------------------------------------------------------------
#: (CPT code, charge in cents)
CODES = (
    ("99213", 15000), ("99214", 22000), ("99203", 18000), ("36415", 2500), ("80053", 6500),
    ("85025", 3500), ("93000", 5500), ("97110", 9500), ("71046", 12000), ("81002", 1500),
)  # fmt: skip
FIRST = ("Ana", "Ben", "Chloe", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun", "Kai", "Lea")
LAST = ("Smith", "Nguyen", "Garcia", "Okafor", "Kowalski", "Haddad", "Silva", "Berg", "Ito")
#: Encounters per patient and procedures per encounter (values, weights): a few patients with
#: long histories, most with a handful of visits.
ENCOUNTERS = ((1, 2, 3, 4, 5, 8, 12), (25, 22, 18, 13, 10, 8, 4))
LINES = ((1, 2, 3, 4), (35, 35, 20, 10))
WRITE_OFF_REASONS = ("small_balance", "financial_hardship", "prompt_pay_discount", "charity_care")


@dataclass
class Loaded:
    """What the benchmark needs to know about the loaded practice."""

    organisation_id: int
    entries: int
    procedures: int
    patients: int
    patient_ids: list[int]
    procedure_ids: list[int]
    timings: dict[str, float] = field(default_factory=dict)
    verify: str = ""
    verify_seconds: float = 0.0


def database_url(name: str = DATABASE) -> str:
    return f"{SERVER}/{name}"


def fresh_database() -> None:
    """Drop and create the benchmark's own database (DDL through the maintenance database only)."""
    admin = create_engine(database_url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {DATABASE}"))
    admin.dispose()


def seed_practice(engine: Engine) -> int:
    """A small practice through the services: the rows the bulk load then imitates."""
    admin = registration.create_organisation(Database(engine), "Bench API Practice")
    registration.add_user(Database(engine), admin, MANAGER, "Bench Manager", "billing_manager",
        password_hash=auth.hash_password(PASSWORD),
    )  # fmt: skip
    registration.add_user(Database(engine), admin, "bench_biller", "Bench Biller", "biller", "500.00",
        auth.hash_password(PASSWORD),
    )  # fmt: skip
    registration.add_user(Database(engine), admin, "bench_desk", "Bench Desk", "front_desk")
    payers = [
        registration.add_payer(Database(engine), admin, code, name)
        for code, name in (("BCBS", "Blue Cross"), ("AETNA", "Aetna"), ("MCARE", "Medicare"))
    ]
    for n in range(12):
        patient = registration.add_patient(
            Database(engine),
            admin,
            f"S{n:04d}",
            FIRST[n % len(FIRST)],
            LAST[n % len(LAST)],
            date(1980, 1, 1),
        )
        encounter = registration.add_encounter(Database(engine), admin, patient, f"SEED{n:04d}", date(2024, 1, 2) + timedelta(days=n),
            [ProcedureInput("99213", "150.00"), ProcedureInput("36415", "25.00")], payers[n % 3],
        )  # fmt: skip
        with UnitOfWork(engine, admin.organisation_id, write=False) as uow:
            first, second = (p.id for p in uow.registry.procedures_of_encounter(encounter))
        lines = (
            LineResult(first, 15000, 8000, (Adjustment("CO", "45", 3000),
                       Adjustment("PR", "2", 2000), Adjustment("PR", "1", 2000))),
            LineResult(second, 2500, 1000, (Adjustment("CO", "45", 500),
                       Adjustment("PR", "2", 1000))),
        )  # fmt: skip
        claim = ClaimResult(encounter, "1", 17500, 9000, lines)
        post_remittance(
            Database(engine),
            admin,
            RemittanceInput(payers[n % 3], f"SEEDTRACE{n:04d}", 9000, (claim,)),
        )
        write_offs.submit_write_offs(
            Database(engine),
            admin,
            [ledger_requests.WriteOffRequest("small_balance", first, amounts={"2": "5.00"})],
            None,
        )
        payments.record_payment(Database(engine), admin, patient, "12.00", encounter_id=encounter)
    return admin.organisation_id


class Generator:
    """The bulk history, table by table as rows in COPY column order, with balances summed
    from the entries as they are generated."""

    def __init__(self, organisation_id: int, user_ids: list[int], payer_ids: list[int],
                 next_ids: dict[str, int], today: date) -> None:  # fmt: skip
        self.org = organisation_id
        self.user_ids = user_ids
        self.payer_ids = payer_ids
        self.next_ids = dict(next_ids)
        self.today = today
        self.rng = random.Random(20240404)
        self.rows: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        self.balances: dict[tuple[int, str, str], int] = defaultdict(int)
        self.entry_count = 0

    def new_id(self, table: str) -> int:
        value = self.next_ids[table]
        self.next_ids[table] = value + 1
        return value

    def run(self, target_entries: int) -> None:
        patient_number = 0
        while self.entry_count < target_entries:
            self.patient(patient_number)
            patient_number += 1

    def patient(self, number: int) -> None:
        rng = self.rng
        patient_id = self.new_id("patients")
        created = datetime(2022, 1, 1, 9, tzinfo=UTC)
        birth = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 80))
        self.rows["patients"].append(
            (patient_id, self.org, f"B{number:07d}", rng.choice(FIRST), rng.choice(LAST), birth,
             created)
        )  # fmt: skip
        for _ in range(rng.choices(*ENCOUNTERS)[0]):
            self.encounter(patient_id)

    def encounter(self, patient_id: int) -> None:
        rng = self.rng
        encounter_id = self.new_id("encounters")
        service = self.today - timedelta(days=rng.randrange(10, 730))
        payer = rng.choice(self.payer_ids)
        pcn = f"BA{encounter_id:09d}"
        at = datetime(service.year, service.month, service.day, 9, tzinfo=UTC)
        self.rows["encounters"].append(
            (encounter_id, self.org, patient_id, payer, pcn, service, at)
        )
        adjudicated = rng.random() < 0.95
        lines = []
        for line in range(1, rng.choices(*LINES)[0] + 1):
            code, charge = rng.choice(CODES)
            procedure_id = self.new_id("procedures")
            self.rows["procedures"].append(
                (procedure_id, self.org, encounter_id, patient_id, line, code, "", 1, service,
                 charge, f"{pcn}-{line}", "remittance" if adjudicated else "none", at)
            )  # fmt: skip
            lines.append((procedure_id, charge))
        self.transaction(
            "charge", "cli", at, [(pid, "charge", "", c, None) for pid, c in lines],
            key=f"encounter:{pcn}", patient_id=patient_id,
        )  # fmt: skip
        if not adjudicated:
            return
        entries: list[tuple[int, str, str, int, int | None]] = []
        open_pr: dict[int, dict[str, int]] = {}
        for index, (procedure_id, charge) in enumerate(lines):
            allowed = int(charge * rng.uniform(0.45, 0.8))
            coinsurance = max(1, allowed // 5)
            deductible = min(rng.randrange(500, 5000), allowed - coinsurance) * (rng.random() < 0.3)
            copay = min(2500, allowed - coinsurance - deductible) * (
                index == 0 and rng.random() < 0.2
            )
            paid = allowed - coinsurance - deductible - copay
            pr = {"3": copay, "2": coinsurance, "1": deductible}
            entries += [
                (procedure_id, "payer_paid", "", paid, None),
                (procedure_id, "contractual", "45", charge - allowed, None),
                *((procedure_id, "pr", carc, cents, None) for carc, cents in pr.items()),
            ]
            open_pr[procedure_id] = {carc: cents for carc, cents in pr.items() if cents}
        self.transaction(
            "adjudication", "era", at + timedelta(days=21), entries,
            key=f"remittance:{payer}:BULK{encounter_id}",
        )  # fmt: skip
        first = lines[0][0]
        if rng.random() < 0.3:  # the patient pays: copay first, else half the coinsurance
            carc = "3" if "3" in open_pr[first] else "2"
            cents = open_pr[first][carc] if carc == "3" else max(1, open_pr[first]["2"] // 2)
            open_pr[first][carc] -= cents
            payment_id = self.new_id("patient_payments")
            paid_at = at + timedelta(days=35)
            self.rows["patient_payments"].append(
                (payment_id, self.org, patient_id, encounter_id, cents, "card", None,
                 paid_at.date(), paid_at)
            )  # fmt: skip
            self.transaction(
                "payment", "ui", paid_at, [(first, "patient_paid", carc, cents, payment_id)],
                patient_id=patient_id, payment_id=payment_id,
            )  # fmt: skip
        if rng.random() < 0.25:  # a write-off of part of the last line's open coinsurance
            last = lines[-1][0]
            cents = open_pr[last]["2"] // 4
            if cents:
                reason = rng.choice(WRITE_OFF_REASONS)
                self.transaction(
                    "write_off", "ui", at + timedelta(days=60),
                    [(last, "pr", "2", -cents, None), (last, "written_off", "2", cents, None)],
                    patient_id=patient_id, reason=reason,
                )  # fmt: skip

    def transaction(
        self,
        kind: str,
        source: str,
        at: datetime,
        entries: Sequence[tuple[int, str, str, int, int | None]],
        *,
        key: str | None = None,
        patient_id: int | None = None,
        payment_id: int | None = None,
        reason: str | None = None,
    ) -> None:
        transaction_id = self.new_id("ledger_transactions")
        key = key or f"bulk:{transaction_id}"
        self.rows["ledger_transactions"].append(
            (transaction_id, self.org, kind, self.rng.choice(self.user_ids), source, reason,
             reason and REASON_LABELS[reason], None, key,
             hashlib.sha256(key.encode()).hexdigest(), None, patient_id, None, payment_id,
             min(at, datetime.now(UTC)))
        )  # fmt: skip
        for procedure_id, column, carc, cents, paid_by in entries:
            if not cents:
                continue
            self.rows["ledger_entries"].append(
                (self.new_id("ledger_entries"), self.org, transaction_id, procedure_id, column,
                 carc, cents, paid_by)
            )  # fmt: skip
            self.balances[(procedure_id, column, carc)] += cents
            self.entry_count += 1

    def balance_rows(self) -> list[tuple[Any, ...]]:
        return [
            (pid, self.org, column, carc, cents)
            for (pid, column, carc), cents in sorted(self.balances.items())
            if cents
        ]


#: COPY column order of each table (as the Generator writes its tuples).
COPY_COLUMNS = {
    "patients": ("id", "organisation_id", "mrn", "first_name", "last_name", "birth_date",
                 "created_at"),
    "encounters": ("id", "organisation_id", "patient_id", "payer_id", "patient_control_number",
                   "date_of_service", "created_at"),
    "procedures": ("id", "organisation_id", "encounter_id", "patient_id", "line_number", "code",
                   "modifiers", "units", "date_of_service", "charge_cents",
                   "line_item_control_number", "pr_source", "created_at"),
    "patient_payments": ("id", "organisation_id", "patient_id", "encounter_id", "amount_cents",
                         "method", "reference", "received_on", "created_at"),
    "ledger_transactions": ("id", "organisation_id", "kind", "user_id", "source", "reason_code",
                            "reason_text", "note", "idempotency_key", "request_hash",
                            "reverts_id", "patient_id", "remittance_id", "payment_id",
                            "created_at"),
    "ledger_entries": ("id", "organisation_id", "transaction_id", "procedure_id", "column",
                       "carc", "amount_cents", "payment_id"),
    "procedure_balances": ("procedure_id", "organisation_id", "column", "carc", "amount_cents"),
}  # fmt: skip

#: What the skipped foreign keys would have checked: (child, column, parent) must all resolve.
REFERENCES = (
    ("encounters", "patient_id", "patients"),
    ("procedures", "encounter_id", "encounters"),
    ("procedures", "patient_id", "patients"),
    ("patient_payments", "patient_id", "patients"),
    ("ledger_transactions", "user_id", "users"),
    ("ledger_transactions", "patient_id", "patients"),
    ("ledger_transactions", "payment_id", "patient_payments"),
    ("ledger_entries", "transaction_id", "ledger_transactions"),
    ("ledger_entries", "procedure_id", "procedures"),
    ("ledger_entries", "payment_id", "patient_payments"),
    ("procedure_balances", "procedure_id", "procedures"),
)


def load(entries: int) -> Loaded:
    """A fresh database holding at least ``entries`` ledger entries, verified."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    fresh_database()
    engine = open_database(database_url())
    timings["create + migrate"] = time.perf_counter() - started

    mark = time.perf_counter()
    organisation_id = seed_practice(engine)
    timings["seed practice (services)"] = time.perf_counter() - mark

    mark = time.perf_counter()
    with engine.connect() as connection:
        user_ids = list(connection.execute(
            text("SELECT id FROM users WHERE role <> 'front_desk' ORDER BY id")
        ).scalars())  # fmt: skip
        payer_ids = list(connection.execute(text("SELECT id FROM payers ORDER BY id")).scalars())
        next_ids = {
            table: int(connection.execute(text(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}"))
                       .scalar_one())
            for table in COPY_COLUMNS if table != "procedure_balances"
        }  # fmt: skip
        connection.rollback()
    generator = Generator(organisation_id, user_ids, payer_ids, next_ids, date.today())
    with engine.connect() as connection:
        seeded = int(connection.execute(text("SELECT count(*) FROM ledger_entries")).scalar_one())
        connection.rollback()
    generator.run(entries - seeded)
    timings["generate rows (Python)"] = time.perf_counter() - mark

    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        assert connection is not None
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
            for table, columns in COPY_COLUMNS.items():
                rows = (
                    generator.balance_rows()
                    if table == "procedure_balances"
                    else generator.rows[table]
                )
                mark = time.perf_counter()
                names = ", ".join(f'"{name}"' for name in columns)
                with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                timings[f"COPY {table} ({len(rows):,} rows)"] = time.perf_counter() - mark
            for table in COPY_COLUMNS:
                if table != "procedure_balances":
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT MAX(id) FROM {table}))"
                    )
            cursor.execute("SET session_replication_role = DEFAULT")
        mark = time.perf_counter()
        connection.commit()
        timings["commit"] = time.perf_counter() - mark
        mark = time.perf_counter()
        with UnitOfWork(engine, organisation_id) as uow:  # COPY went around add_entries
            uow.ledger.rebuild_open_pr()
            uow.commit()
        timings["patients' open PR (from the balances)"] = time.perf_counter() - mark
        mark = time.perf_counter()
        check_integrity(connection)
        timings["SQL checks (references, moves net to zero)"] = time.perf_counter() - mark
        mark = time.perf_counter()
        connection.autocommit = True
        connection.execute("VACUUM (ANALYZE)")
        connection.autocommit = False
        timings["VACUUM ANALYZE"] = time.perf_counter() - mark
    finally:
        raw.close()

    with engine.connect() as connection:
        total = int(connection.execute(text("SELECT count(*) FROM ledger_entries")).scalar_one())
        procedure_count = int(
            connection.execute(text("SELECT count(*) FROM procedures")).scalar_one()
        )
        connection.rollback()
    loaded = Loaded(
        organisation_id, total, procedure_count, len(generator.rows["patients"]),
        [row[0] for row in generator.rows["patients"]],
        [row[0] for row in generator.rows["procedures"]], timings,
    )  # fmt: skip
    timings["load total"] = time.perf_counter() - started
    loaded.verify, loaded.verify_seconds = run_verify(engine, organisation_id)
    engine.dispose()
    return loaded


def check_integrity(connection: Any) -> None:
    """What COPY under ``session_replication_role = replica`` did not check, checked in SQL."""
    problems = []
    for child, column, parent in REFERENCES:
        missing = connection.execute(
            f"SELECT count(*) FROM {child} c WHERE c.{column} IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {parent} p WHERE p.id = c.{column})"
        ).fetchone()[0]
        if missing:
            problems.append(f"{missing} {child}.{column} without a {parent} row")
    unbalanced = connection.execute(
        "SELECT count(*) FROM (SELECT e.transaction_id FROM ledger_entries e "
        "JOIN ledger_transactions t ON t.id = e.transaction_id "
        "WHERE t.kind IN ('write_off', 'cancellation', 'credit_application') "
        "GROUP BY e.transaction_id HAVING SUM(e.amount_cents) <> 0) moves"
    ).fetchone()[0]
    if unbalanced:
        problems.append(f"{unbalanced} moves do not net to zero")
    connection.rollback()
    if problems:
        raise SystemExit("bulk load broke the ledger's rules: " + "; ".join(problems))


def run_verify(engine: Engine, organisation_id: int) -> tuple[str, float]:
    """``verify_organisation`` as the CLI runs it; if it cannot run at this size, the same three
    checks with the balances read in chunks, so the load is still proven."""
    mark = time.perf_counter()
    try:
        report = verify_organisation(Database(engine), organisation_id)
    except Exception as error:  # report, then prove the data another way
        failed = time.perf_counter() - mark
        reason = str(getattr(error, "orig", None) or error).splitlines()[0][:160]
        mark = time.perf_counter()
        report = verify_in_chunks(engine, organisation_id)
        seconds = time.perf_counter() - mark
        return (
            f"verify_organisation FAILED after {failed:.1f} s: {reason}. The same checks with "
            f"balances read in chunks of 50,000: {_verdict(report)} in {seconds:.1f} s",
            seconds,
        )
    seconds = time.perf_counter() - mark
    return f"verify_organisation: {_verdict(report)} in {seconds:.1f} s", seconds


def _verdict(report: VerificationReport) -> str:
    if report.ok:
        return f"{report.procedures_checked:,} procedures, 0 differences"
    shown = "; ".join(report.differences[:3])
    return f"{len(report.differences)} DIFFERENCES ({shown})"


def verify_in_chunks(engine: Engine, organisation_id: int) -> VerificationReport:
    """services.verification.verify_organisation's checks, balances read 50,000 at a time."""
    report = VerificationReport(organisation_id)
    with UnitOfWork(engine, organisation_id, write=False) as uow:
        journal = uow.ledger.recompute()
        stored = uow.ledger.materialised()
        for key in sorted(set(journal) | set(stored)):
            if journal.get(key, 0) != stored.get(key, 0):
                report.differences.append(f"{key}: journal {journal.get(key, 0)}, "
                                          f"materialised {stored.get(key, 0)}")  # fmt: skip
        rows = uow.registry.procedures_where()
        sources = uow.ledger.pr_sources()
        for start in range(0, len(rows), 50_000):
            chunk = rows[start : start + 50_000]
            balances = uow.ledger.balances([row.id for row in chunk])
            for row in chunk:
                report.procedures_checked += 1
                for problem in identity_violations(balances[row.id]):
                    report.differences.append(f"procedure {row.id}: {problem}")
                if sources.get(row.id, "none") != row.pr_source:
                    report.differences.append(f"procedure {row.id}: PR source")
    return report


def existing(entries: int) -> Loaded:
    """The database a previous run loaded (``--skip-load``)."""
    engine = create_engine(database_url())
    with engine.connect() as connection:
        org = int(connection.execute(
            text("SELECT organisation_id FROM users WHERE username = :u"), {"u": MANAGER}
        ).scalar_one())  # fmt: skip
        total = int(connection.execute(text("SELECT count(*) FROM ledger_entries")).scalar_one())
        patient_ids = list(connection.execute(
            text("SELECT id FROM patients WHERE mrn LIKE 'B%' ORDER BY id")
        ).scalars())  # fmt: skip
        procedure_count = int(
            connection.execute(text("SELECT count(*) FROM procedures")).scalar_one()
        )
        procedure_ids = list(connection.execute(
            text("SELECT p.id FROM procedures p JOIN patients t ON t.id = p.patient_id "
                 "WHERE t.mrn LIKE 'B%' ORDER BY p.id")
        ).scalars())  # fmt: skip
        connection.rollback()
    engine.dispose()
    if total < entries:
        raise SystemExit(f"{DATABASE} holds {total:,} entries, fewer than {entries:,}: load it")
    return Loaded(org, total, procedure_count, len(patient_ids), patient_ids, procedure_ids)


def writable_procedures(organisation_id: int, procedure_ids: Sequence[int]) -> list[int]:
    """Bulk procedures with at least 1.00 of open coinsurance, shuffled."""
    engine = create_engine(database_url())
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT procedure_id FROM procedure_balances WHERE organisation_id = :org "
                "GROUP BY procedure_id HAVING SUM(CASE "
                "WHEN \"column\" = 'pr' AND carc = '2' THEN amount_cents "
                "WHEN \"column\" = 'patient_paid' AND carc = '2' THEN -amount_cents "
                "WHEN \"column\" = 'refunded' AND carc = '2' THEN amount_cents ELSE 0 END) >= 100"
            ),
            {"org": organisation_id},
        ).scalars()
        bulk = set(procedure_ids)
        found = [pid for pid in rows if pid in bulk]
        connection.rollback()
    engine.dispose()
    random.Random(7).shuffle(found)
    return found


# -- CPU accounting ------------------------------------------------------------------------------
TICKS = os.sysconf("SC_CLK_TCK")
#: Cores' worth of hypervisor steal from which a phase's latencies are called disturbed.
STEAL_DISTURBS = 0.05


def _proc_stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a process, or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rfind(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS


def _cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


@dataclass
class CpuSample:
    at: float
    busy: float  # seconds of all CPUs busy since boot
    steal: float  # seconds the hypervisor ran other machines while ours wanted a CPU
    client: float
    server: float
    database: float


def cpu_sample(server_pid: int) -> CpuSample:
    stats: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _proc_stat(int(entry))) is not None:
            stats[int(entry)] = stat
    family = {server_pid}
    grew = True
    while grew:
        grew = False
        for pid, (parent, _) in stats.items():
            if parent in family and pid not in family:
                family.add(pid)
                grew = True
    database = sum(
        seconds for pid, (_, seconds) in stats.items() if f" {DATABASE} " in _cmdline(pid)
    )
    line = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in line]
    idle = values[3] + values[4]
    usage = resource_usage()
    return CpuSample(
        time.perf_counter(),
        (sum(values[:8]) - idle) / TICKS,
        values[7] / TICKS,
        usage,
        sum(stats[pid][1] for pid in family if pid in stats),
        database,
    )


def busy_cores(interval: float) -> float:
    """How many CPUs the whole machine kept busy over ``interval`` seconds."""

    def sample() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(values[:8]), values[3] + values[4]

    total, idle = sample()
    time.sleep(interval)
    total2, idle2 = sample()
    return ((total2 - total) - (idle2 - idle)) / TICKS / interval


def wait_for_quiet(limit: float, threshold: float = 0.25) -> float:
    """Wait, at most ``limit`` seconds, until other processes leave the CPUs idle (busy below
    ``threshold`` cores): on 2 cores, anyone else's work is in every latency. The busy cores
    last seen."""
    deadline = time.monotonic() + limit
    while True:
        busy = busy_cores(3.0)
        if busy < threshold or time.monotonic() > deadline:
            return busy
        print(f"  machine busy ({busy:.2f} cores used by other processes); waiting", flush=True)
        time.sleep(15)


def resource_usage() -> float:
    times = os.times()
    return times.user + times.system


@dataclass
class CpuUse:
    """Average CPUs (cores) each party kept busy during a phase.

    ``steal`` is time the hypervisor gave to other machines while this one had work: on a
    shared host it comes and goes, and every latency of the phase carries it (seen: from none
    to a tenth of the machine within an hour)."""

    client: float
    server: float
    database: float
    other: float
    steal: float
    total: float

    def text(self) -> str:
        return (
            f"client {self.client:.2f}, server {self.server:.2f}, PostgreSQL {self.database:.2f}"
            f", other {self.other:.2f}, stolen by the host {self.steal:.2f} (of {os.cpu_count()})"
        )


def cpu_use(before: CpuSample, after: CpuSample) -> CpuUse:
    wall = max(after.at - before.at, 1e-9)
    client = (after.client - before.client) / wall
    server = (after.server - before.server) / wall
    database = (after.database - before.database) / wall
    steal = (after.steal - before.steal) / wall
    total = (after.busy - before.busy) / wall
    other = max(0.0, total - steal - client - server - database)
    return CpuUse(client, server, database, other, steal, total)


# -- the load ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Call:
    label: str
    method: str
    path: str
    body: dict[str, Any] | None = None


@dataclass
class Result:
    """One phase: latencies (seconds) per label, statuses, problem types, wall time, CPU."""

    name: str
    clients: int
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[str] = field(default_factory=Counter)
    wall: float = 0.0
    cpu: CpuUse | None = None
    note: str = ""
    #: The server's own time per request (its access log), by route with ``{id}`` parameters.
    server: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    @property
    def rate(self) -> float:
        return self.count / self.wall if self.wall else 0.0


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))
    return ordered[index]


@dataclass(frozen=True)
class Answer:
    """A response as the load generator keeps it: status, content type and body."""

    status_code: int
    content_type: str
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class KeepAlive:
    """One keep-alive HTTP/1.1 connection to the server (``http.client``, the standard library).

    The load generator shares the server's two cores, so its own CPU per request is taken from
    the server: httpx cost about 1.1 ms of client CPU per request, ``http.client`` about a
    quarter of that (docs/benchmarks/api-load.md). httpx still makes the set-up calls.
    """

    def __init__(self, base_url: str, token: str) -> None:
        address = httpx.URL(base_url)
        self.connection = http.client.HTTPConnection(address.host, address.port, timeout=60)
        self.headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}

    def request(self, method: str, path: str, body: Any = None) -> Answer:
        payload = None if body is None else json.dumps(body).encode()
        self.connection.request(method, path, body=payload, headers=self.headers)
        response = self.connection.getresponse()
        content = response.read()
        return Answer(response.status, response.getheader("content-type", ""), content)

    def close(self) -> None:
        self.connection.close()


def run_phase(
    name: str,
    base_url: str,
    token: str,
    calls: Sequence[Call],
    clients: int,
    duration: float,
    server_pid: int,
    expect: Callable[[Call, Answer], bool] | None = None,
    rate: float | None = None,
) -> Result:
    """``clients`` threads share ``calls`` (client i takes every i-th); each has its own
    keep-alive connection. Stops when the calls run out or ``duration`` has passed.

    Without ``rate`` each client sends its next request as soon as the last is answered (a
    closed loop: the server is always as busy as it can be). With ``rate`` the requests are
    sent on a fixed schedule of ``rate`` per second in all, and a request's latency counts
    from its scheduled time, so a client held up by a slow answer does not hide the wait.
    """
    result = Result(name, clients)
    lock = threading.Lock()
    deadline, origin = [0.0], [0.0]

    def go() -> None:  # run by the last thread to arrive: the clock starts when all are ready
        origin[0] = time.perf_counter()
        deadline[0] = origin[0] + duration

    start = threading.Barrier(clients + 1, action=go)

    def client(index: int, mine: Sequence[Call]) -> None:
        own: list[tuple[str, float, str]] = []
        connection = KeepAlive(base_url, token)
        try:
            connection.request("GET", "/api/reasons")  # open the connection before the clock starts
            start.wait()
            for number, call in enumerate(mine):
                if time.perf_counter() > deadline[0]:
                    break
                began = time.perf_counter()
                if rate:
                    scheduled = origin[0] + (number * clients + index) / rate
                    if scheduled > began:
                        time.sleep(scheduled - began)
                    began = scheduled
                try:
                    response = connection.request(call.method, call.path, call.body)
                except (OSError, http.client.HTTPException) as error:  # counted, not fatal
                    own.append((call.label, time.perf_counter() - began, type(error).__name__))
                    connection.close()  # the next request opens a new connection
                    continue
                elapsed = time.perf_counter() - began
                status = str(response.status_code)
                if response.status_code >= 400:
                    status += f" {_problem_type(response)}"
                elif expect is not None and not expect(call, response):
                    status += " unexpected"
                own.append((call.label, elapsed, status))
        finally:
            connection.close()
        with lock:
            for label, elapsed, status in own:
                result.latencies[label].append(elapsed)
                result.statuses[status] += 1

    threads = [
        threading.Thread(target=client, args=(i, calls[i::clients]), daemon=True)
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    before = cpu_sample(server_pid)
    # No garbage collection in this process while the clock runs: a full collection over the
    # run's calls and the loaded ids stopped every client thread for 60-120 ms, counted as the
    # server's latency (paced reads p99 ~60 ms where the server's own log said 9-18).
    gc.disable()
    try:
        start.wait()
        for thread in threads:
            thread.join()
    finally:
        gc.enable()
    result.wall = time.perf_counter() - origin[0]
    result.cpu = cpu_use(before, cpu_sample(server_pid))
    return result


def _problem_type(response: Answer) -> str:
    """The problem document's type (its last part), or the body's content type."""
    if response.content_type.startswith("application/problem+json"):
        return str(response.json().get("type", "?")).rsplit("/", 1)[-1]
    return response.content_type.split(";")[0] or "no body"


def write_off_call(procedure_id: int, cents: int, label: str = "POST /api/write-offs") -> Call:
    amount = str(Decimal(cents) / 100)
    body = {
        "write_offs": [
            {"procedure_id": procedure_id, "amounts": {"2": amount}, "reason": "small_balance"}
        ]
    }
    return Call(label, "POST", "/api/write-offs", body)


def read_calls(loaded: Loaded, count: int, rng: random.Random) -> list[Call]:
    calls = []
    for n in range(count):
        if n % 2:
            pid = rng.choice(loaded.patient_ids)
            calls.append(Call("GET /api/patients/{id}", "GET", f"/api/patients/{pid}"))
        else:
            pid = rng.choice(loaded.procedure_ids)
            calls.append(Call("GET /api/procedures/{id}", "GET", f"/api/procedures/{pid}"))
    return calls


def posted(call: Call, response: Answer) -> bool:
    return response.status_code == 201 and response.json().get("status") == "posted"


# -- the server ----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: A line of the server's access log (http/access_log.py).
ACCESS_LINE = re.compile(r"^\S+ \S+ (?P<route>[A-Z]+ \S+) \d{3} (?P<ms>[\d.]+) ms$")


class Server:
    """``medledger serve`` in a subprocess (its own process group, so it is stopped whole)."""

    def __init__(self, workers: int, log: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = open(log, "wb")  # noqa: SIM115 - closed in stop()
        env = {**os.environ, "MEDLEDGER_DATABASE_URL": database_url()}
        command = [str(Path(sys.executable).parent / "medledger"), "serve", "--host",
                   "127.0.0.1", "--port", str(self.port), "--workers", str(workers)]  # fmt: skip
        self.process = subprocess.Popen(
            command, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"medledger serve exited ({self.process.returncode}); see {log}")
            try:
                if httpx.get(f"{self.base_url}/api/reasons", timeout=1).status_code == 401:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            self.stop()
            raise SystemExit(f"medledger serve did not answer within 60 s; see {log}")
        if workers > 1:
            time.sleep(2)  # the first worker answers while the others still start

    def log_lines(self) -> int:
        """Lines the server has logged so far (the access log: one per answered request)."""
        with open(self.log.name, "rb") as log:
            return sum(1 for _ in log)

    def server_times(self, after: int) -> dict[str, list[float]]:
        """The server's own milliseconds per request logged after line ``after``, by route (its
        access log: ``<date> <time> GET /api/patients/{patient_id} 200 3.1 ms``), in seconds."""
        times: dict[str, list[float]] = defaultdict(list)
        with open(self.log.name, "rb") as log:
            for number, line in enumerate(log):
                found = ACCESS_LINE.match(line.decode(errors="replace"))
                if number >= after and found:
                    route = re.sub(r"\{[a-z_]+\}", "{id}", found["route"])
                    times[route].append(float(found["ms"]) / 1000)
        return times

    def token(self, organisation_id: int) -> str:
        response = httpx.post(
            f"{self.base_url}/api/tokens",
            json={"organisation_id": organisation_id, "username": MANAGER, "password": PASSWORD},
            timeout=30,
        )
        response.raise_for_status()
        return str(response.json()["token"])

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


@dataclass
class Contention:
    procedure_id: int
    open_before: int
    amount: int
    attempts: int
    posted: int
    open_after: int
    journal_written_off: int
    materialised_matches: bool
    result: Result

    @property
    def ok(self) -> bool:
        taken = self.posted * self.amount
        return (
            taken <= self.open_before
            and self.open_before - self.open_after == taken
            and self.journal_written_off == taken
            and self.materialised_matches
            and self.open_before - taken < self.amount  # posted until nothing more fitted
        )


def open_coinsurance(http: httpx.Client, procedure_id: int) -> int:
    body = http.get(f"/api/procedures/{procedure_id}").raise_for_status().json()
    return int(Decimal(body["write_off"]["open_by_carc"].get("2", "0")) * 100)


def contention_run(
    server: Server, token: str, procedure_id: int, clients: int, duration: float
) -> Contention:
    """Every client writes off the same procedure's coinsurance, a twentieth of it at a time,
    four times each: more than is open. Then the API and the journal must agree on what went."""
    with httpx.Client(base_url=server.base_url, headers={"authorization": f"Bearer {token}"}) as h:
        before = open_coinsurance(h, procedure_id)
        amount = max(1, before // 20)
        calls = [write_off_call(procedure_id, amount, "POST /api/write-offs (same procedure)")] * (
            clients * 4
        )
        since = datetime.now(UTC)
        result = run_phase(
            "same procedure", server.base_url, token, calls, clients, duration,
            server.process.pid,
        )  # fmt: skip
        after = open_coinsurance(h, procedure_id)
    engine = create_engine(database_url())
    with engine.connect() as connection:
        journal = int(connection.execute(
            text("SELECT COALESCE(SUM(e.amount_cents), 0) FROM ledger_entries e "
                 "JOIN ledger_transactions t ON t.id = e.transaction_id "
                 "WHERE e.procedure_id = :p AND e.\"column\" = 'written_off' "
                 "AND t.created_at >= :since"),
            {"p": procedure_id, "since": since},
        ).scalar_one())  # fmt: skip
        mismatched = int(connection.execute(
            text("SELECT count(*) FROM (SELECT \"column\", carc, SUM(amount_cents) AS s "
                 "FROM ledger_entries WHERE procedure_id = :p GROUP BY 1, 2) j "
                 "FULL JOIN (SELECT \"column\", carc, amount_cents AS s FROM procedure_balances "
                 "WHERE procedure_id = :p) m USING (\"column\", carc) "
                 "WHERE COALESCE(j.s, 0) <> COALESCE(m.s, 0)"),
            {"p": procedure_id},
        ).scalar_one())  # fmt: skip
        connection.rollback()
    engine.dispose()
    ok = sum(n for status, n in result.statuses.items() if status == "201")
    return Contention(
        procedure_id, before, amount, result.count, ok, after, journal, mismatched == 0, result
    )


@dataclass
class WorkerRun:
    workers: int
    phases: list[Result]
    contention: Contention


class QuietGate:
    """Before each phase, wait for the machine to be quiet; ``budget`` seconds in all."""

    def __init__(self, budget: float) -> None:
        self.deadline = time.monotonic() + budget

    def wait(self) -> float:
        return wait_for_quiet(max(0.0, self.deadline - time.monotonic()))


def measure(
    loaded: Loaded,
    workers: int,
    clients: int,
    requests: int,
    duration: float,
    pool: Iterator[int],
    folder: Path,
    gate: QuietGate,
) -> WorkerRun:
    rng = random.Random(workers)
    phases: list[Result] = []
    server = Server(workers, folder / f"serve-{workers}.log")
    try:
        token = server.token(loaded.organisation_id)
        url, pid = server.base_url, server.process.pid

        def phase(
            name: str,
            calls: list[Call],
            count: int,
            expect: Any = None,
            keep: bool = True,
            rate: float | None = None,
        ) -> None:
            before = gate.wait()
            logged = server.log_lines()
            result = run_phase(name, url, token, calls, count, duration, pid, expect, rate)
            result.server = server.server_times(logged)
            result.note = f"{before:.2f} cores busy before"
            print(f"  {name}: {result.count} requests, {result.rate:,.0f}/s, "
                  f"{dict(result.statuses)}", flush=True)  # fmt: skip
            if keep:
                phases.append(result)

        def posts(count: int) -> list[Call]:
            return [write_off_call(next(pool), WRITE_OFF_CENTS) for _ in range(count)]

        serial = max(200, requests // 10)
        phase("warm-up", read_calls(loaded, 400, rng) + posts(100), clients, keep=False)
        reasons = Call("GET /api/reasons", "GET", "/api/reasons")
        phase("1 client: auth floor (GET /api/reasons)", [reasons] * serial, 1)
        phase("1 client: balance reads", read_calls(loaded, serial, rng), 1)
        phase("1 client: write-off posts", posts(serial), 1, posted)
        phase(f"{clients} clients: balance reads", read_calls(loaded, requests, rng), clients)
        phase(f"{clients} clients: write-off posts", posts(requests), clients, posted)
        # the same at half the throughput the closed loop reached: latency below saturation
        for kind, expect in (("balance reads", None), ("write-off posts", posted)):
            closed = next(p for p in phases if p.name == f"{clients} clients: {kind}")
            paced = max(1.0, closed.rate / 2)
            count = min(requests, int(paced * duration * 0.8))
            calls = posts(count) if expect else read_calls(loaded, count, rng)
            name = f"{clients} clients, paced at half that rate: {kind}"
            phase(name, calls, clients, expect, rate=paced)
        gate.wait()
        contention = contention_run(server, token, next(pool), clients, duration)
        print(f"  same procedure: {dict(contention.result.statuses)}, ok={contention.ok}")
        return WorkerRun(workers, phases, contention)
    finally:
        server.stop()
        failures = [s for p in phases for s in p.statuses if not s[0].isdigit() or s[0] == "5"]
        if failures:  # keep the server's log where it outlives the run
            kept = Path(tempfile.gettempdir()) / f"bench-api-serve-{workers}.log"
            shutil.copyfile(folder / f"serve-{workers}.log", kept)
            print(f"  server errors ({', '.join(sorted(set(failures)))}): its log is {kept}")


# -- the report ----------------------------------------------------------------------------------
def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def postgres_version() -> str:
    engine = create_engine(database_url())
    with engine.connect() as connection:
        version = str(connection.execute(text("SHOW server_version")).scalar_one())
        connection.rollback()
    engine.dispose()
    return f"PostgreSQL {version.split()[0]}"


def phase_rows(run: WorkerRun) -> list[str]:
    rows = []
    for phase in [*run.phases, run.contention.result]:
        for label, values in phase.latencies.items():
            own = phase.server.get(label)
            server = f"{ms(percentile(own, 0.5))} / {ms(percentile(own, 0.99))}" if own else ""
            rows.append(
                f"| {run.workers} | {phase.name} | `{label}` | {len(values):,} | "
                f"{ms(percentile(values, 0.5))} | {ms(percentile(values, 0.99))} | "
                f"{ms(max(values))} | {server} | {phase.rate:,.0f} | "
                f"{phase.cpu.text() if phase.cpu else ''} |"
            )
    return rows


def verdicts(runs: list[WorkerRun]) -> list[str]:
    """A row per worker count and load: the p99s against the issue's targets."""

    def p99(phase: Result, prefix: str) -> float:
        values = [
            v for label, vs in phase.latencies.items() if label.startswith(prefix) for v in vs
        ]
        return percentile(values, 0.99) * 1000

    def mark(value: float, target: float) -> str:
        return f"{value:.1f} ({'pass' if value < target else '**FAIL**'})"

    rows = [
        "| workers | load | write-off post p99 ms (< 20) | posts/s | balance read p99 ms (< 5): "
        "both reads | a procedure's | a patient's whole account | reads/s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        by_name = {phase.name: phase for phase in run.phases}
        loads = {}
        for name, phase in by_name.items():
            load, _, kind = name.partition(": ")
            loads.setdefault(load, {})[kind] = phase
        for load, kinds in loads.items():
            posts, reads = kinds.get("write-off posts"), kinds.get("balance reads")
            if posts is None or reads is None:
                continue
            rows.append(
                f"| {run.workers} | {load} | {mark(p99(posts, 'POST'), TARGET_POST_P99_MS)} | "
                f"{posts.rate:,.0f} | {mark(p99(reads, 'GET'), TARGET_READ_P99_MS)} | "
                f"{mark(p99(reads, 'GET /api/procedures'), TARGET_READ_P99_MS)} | "
                f"{mark(p99(reads, 'GET /api/patients'), TARGET_READ_P99_MS)} | "
                f"{reads.rate:,.0f} |"
            )
    return rows


def contention_lines(runs: list[WorkerRun]) -> list[str]:
    lines = []
    for run in runs:
        c = run.contention
        refused = ", ".join(
            f"{n} × {status}" for status, n in sorted(c.result.statuses.items()) if status != "201"
        )
        lines.append(
            f"- {run.workers} worker(s): procedure {c.procedure_id} had {c.open_before / 100:.2f} "
            f"of coinsurance open; {c.attempts} write-offs of {c.amount / 100:.2f} at once → "
            f"{c.posted} posted ({c.posted * c.amount / 100:.2f}), {refused or 'none refused'}; "
            f"open after {c.open_after / 100:.2f}; journal says {c.journal_written_off / 100:.2f}"
            f" written off; materialised = journal: {c.materialised_matches} → "
            f"**{'never more than was open' if c.ok else 'MISMATCH'}**."
        )
    return lines


def limits(runs: list[WorkerRun], clients: int) -> list[str]:
    """What the CPU figures say limits each concurrent phase (measured, not assumed)."""
    cores = os.cpu_count() or 1
    lines = []
    for run in runs:
        for phase in run.phases:
            if phase.clients != clients or phase.cpu is None or not phase.rate:
                continue
            cpu = phase.cpu
            per = {name: value / phase.rate * 1000 for name, value in
                   (("server", cpu.server), ("PostgreSQL", cpu.database),
                    ("client", cpu.client))}  # fmt: skip
            findings = []
            if cpu.server >= 0.85 * run.workers:
                findings.append(
                    f"the server is CPU-bound ({cpu.server:.2f} cores for {run.workers} "
                    "process(es): a Python process runs on one core at a time)"
                )
            if cpu.total >= 0.9 * cores:
                findings.append("every CPU of the machine is busy")
            if cpu.other >= 0.2:
                findings.append(f"other processes took {cpu.other:.2f} cores: numbers disturbed")
            if cpu.steal >= STEAL_DISTURBS:
                findings.append(
                    f"the host took {cpu.steal:.2f} cores' worth of time for other machines: "
                    "latencies disturbed"
                )
            if "paced" not in phase.name:
                findings.append(
                    f"{clients} requests always in flight: mean latency = {clients} / "
                    f"{phase.rate:,.0f} per s = {clients / phase.rate * 1000:.0f} ms (Little's law)"
                )
            spent = ", ".join(f"{name} {value:.1f} ms" for name, value in per.items())
            lines.append(
                f"- {run.workers} worker(s), {phase.name}: {cpu.total:.2f} of {cores} CPUs busy; "
                + "; ".join([f"{spent} of CPU per request", *findings])
                + "."
            )
    return lines


def results_section(
    loaded: Loaded, runs: list[WorkerRun], args: argparse.Namespace, started: datetime
) -> str:
    load_lines = "\n".join(f"  - {name}: {seconds:.1f} s" for name, seconds in
                           loaded.timings.items())  # fmt: skip
    table = "\n".join(row for run in runs for row in phase_rows(run))
    command = (
        f".venv/bin/python -m bench.api_load --clients {args.clients} --requests {args.requests}"
        f" --entries {args.entries} --workers {' '.join(map(str, args.workers))}"
    )
    return f"""{measured(started, command)}

- Machine: {machine()}; client, server and database on the same machine (loopback).
- Database: {postgres_version()} on 127.0.0.1, database `{DATABASE}`: {loaded.entries:,} ledger
  entries, {loaded.procedures:,} procedures, {loaded.patients:,} bulk patients.
- Server: `medledger serve --workers N` ({_server_stack()}, Python \
{platform.python_version()}); client: `http.client`, one thread and keep-alive connection per client.
- Load (skipped with `--skip-load`):
{load_lines or "  - reused the database of an earlier run"}
- Verify: {loaded.verify or "not run (reused database)"}

Latency in ms, as the clients saw it; server p50 / p99: the server's own time for the same
requests, from its access log (from the app receiving the request to its last byte, waits
inside the server process included); req/s is the phase's completed requests over its wall time; CPU is the average
number of cores each party kept busy during the phase (from /proc).

| workers | phase | request | n | p50 | p99 | max | server p50 / p99 | req/s | CPU (cores) |
|---|---|---|---|---|---|---|---|---|---|
{table}

Targets (issue 4):

{chr(10).join(verdicts(runs))}

Same-procedure contention:
{chr(10).join(contention_lines(runs))}

Where the CPU went (CPU per request = the party's CPU time over the requests served):
{chr(10).join(limits(runs, args.clients))}
"""


def _server_stack() -> str:
    """uvicorn and the HTTP parser and event loop it picks (httptools and uvloop when installed)."""
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for name in ("uvicorn", "httptools", "uvloop"):
        try:
            parts.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            parts.append(f"no {name}")
    return ", ".join(parts)


# -- main ------------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=2000, help="per concurrent phase")
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds, at most, a phase")
    parser.add_argument("--skip-load", action="store_true", help="reuse the loaded database")
    parser.add_argument(
        "--quiet-wait", type=float, default=900.0,
        help="seconds, in all, to wait for other processes to leave the CPUs idle",
    )  # fmt: skip
    parser.add_argument("--docs", type=Path, default=PAGE, help="the page whose results to replace")
    parser.add_argument("--no-docs", action="store_true", help="print only")
    args = parser.parse_args(argv)
    started = datetime.now(UTC)

    if args.skip_load:
        loaded = existing(args.entries)
        print(f"reusing {DATABASE}: {loaded.entries:,} entries", flush=True)
    else:
        print(f"loading {args.entries:,} entries into {DATABASE} …", flush=True)
        loaded = load(args.entries)
        for name, seconds in loaded.timings.items():
            print(f"  {name}: {seconds:.1f} s", flush=True)
        print(f"  {loaded.verify}", flush=True)
    pool = iter(writable_procedures(loaded.organisation_id, loaded.procedure_ids))
    runs = []
    gate = QuietGate(args.quiet_wait)
    with tempfile.TemporaryDirectory(prefix="bench-api-") as folder:
        for workers in args.workers:
            print(f"serving with {workers} worker(s) …", flush=True)
            run = measure(
                loaded,
                workers,
                args.clients,
                args.requests,
                args.duration,
                pool,
                Path(folder),
                gate,
            )
            for row in phase_rows(run):
                print(row, flush=True)
            runs.append(run)
    report = results_section(loaded, runs, args, started)
    print(report)
    if not args.no_docs:
        write_results(args.docs, report)
        print(f"written to {args.docs}")
    return 0 if all(run.contention.ok for run in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
