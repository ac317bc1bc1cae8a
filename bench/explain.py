"""The query plans of the hot service calls, on the practice ``python -m bench`` left behind.

    .venv/bin/python -m bench.explain     # medledger_scale, into docs/benchmarks/*-plans.md
    .venv/bin/python -m bench.explain --no-docs

Each call is made as the API and UI make it (a procedure's, a patient's and an encounter's
balance, the work list, a write-off post, ``verify``) with every statement it sends recorded;
then each distinct SELECT is run again under ``EXPLAIN (ANALYZE, BUFFERS)`` with the parameters it
was sent with, in a transaction that is rolled back (a ``FOR UPDATE`` takes its locks and gives
them up). Writes (INSERT, UPDATE) are listed, not explained: their cost is the index upkeep the
write-off p99 already measures. The plans replace the "Current results" of two pages
(``bench.report.write_results``; the rest of each page is written by hand):
docs/benchmarks/query-plans.md for the calls a request makes, docs/benchmarks/verify-plans.md
for ``verify``, a batch job whose plans alone fill a page.
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, func, select

from bench.report import PAGES, measured, versions, write_results
from bench.scale import DEFAULT_POSTGRES, REASON
from medledger.domain.columns import COINSURANCE
from medledger.services import accounts, ledger_requests, verification, write_offs
from medledger.services.actor import Actor
from medledger.services.work_list import work_list
from medledger.storage.database import make_engine
from medledger.storage.tables import ledger_entries, procedures, users
from medledger.storage.unit_of_work import Database

REQUESTS_PAGE = "query-plans.md"
VERIFY_PAGE = "verify-plans.md"


@dataclass
class Statement:
    sql: str
    parameters: Any


@contextmanager
def recording(engine: Engine) -> Iterator[list[Statement]]:
    """Every statement sent through ``engine`` while inside, with its parameters."""
    sent: list[Statement] = []

    def record(_conn: Any, _cursor: Any, sql: str, parameters: Any, _ctx: Any, many: bool) -> None:
        if not many:
            sent.append(Statement(sql, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def explain(engine: Engine, statement: Statement) -> str:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement.sql, statement.parameters)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        raw.rollback()
    finally:
        raw.close()
    return plan


def practice(engine: Engine) -> tuple[Actor, int, int, int, int]:
    """The organisation that registered the newest procedures (the benchmark's), one of its
    users to act, one of its procedures at random with that procedure's patient and encounter,
    and the journal's size."""
    with engine.connect() as connection:
        newest = connection.execute(select(func.max(procedures.c.id))).scalar_one()
        assert newest is not None, "no practice: run python -m bench first"
        org = connection.execute(
            select(procedures.c.organisation_id).where(procedures.c.id == newest)
        ).scalar_one()
        user = connection.execute(
            select(users).where(users.c.organisation_id == org).order_by(users.c.id).limit(1)
        ).one()
        mine = select(procedures).where(procedures.c.organisation_id == org)
        count = connection.execute(select(func.count()).select_from(mine.subquery())).scalar_one()
        row = connection.execute(
            mine.order_by(procedures.c.id).offset(random.Random(6).randrange(count)).limit(1)
        ).one()
        entries = connection.execute(
            select(func.count()).where(ledger_entries.c.organisation_id == org)
        ).scalar_one()
        connection.rollback()
    actor = Actor(org, user.id, "cli", user.role)
    return actor, row.id, row.patient_id, row.encounter_id, int(entries)


def calls(engine: Engine, actor: Actor, procedure: int, patient: int, encounter: int) -> list[
    tuple[str, str, Callable[[], object]]
]:  # fmt: skip
    """The calls to explain: the page each goes to, its title, the call."""
    return [
        (REQUESTS_PAGE, "procedure balance (`accounts.procedure_account`)",
         lambda: accounts.procedure_account(Database(engine), actor, procedure)),
        (REQUESTS_PAGE, "patient balance (`accounts.patient_account`)",
         lambda: accounts.patient_account(Database(engine), actor, patient)),
        (REQUESTS_PAGE, "encounter balance (`accounts.encounter_account`)",
         lambda: accounts.encounter_account(Database(engine), actor, encounter)),
        (REQUESTS_PAGE, "work list (`work_list.work_list`)", lambda: work_list(Database(engine), actor)),
        (REQUESTS_PAGE,
         "write-off post (`write_offs.submit_write_offs`, with an idempotency key): the "
         "per-procedure lock, the key lookup, the balance read",
         lambda: write_offs.submit_write_offs(Database(engine), actor, [ledger_requests.WriteOffRequest(REASON, procedure, amounts={COINSURANCE: "0.01"})],
             f"explain:{uuid.uuid4()}")),
        (VERIFY_PAGE,
         "`verify` (`verification.verify_organisation`; the statements of its first range of "
         f"{verification.BATCH:,} procedures)",
         lambda: verification.verify_organisation(Database(engine), actor.organisation_id)),
    ]  # fmt: skip


def sections(engine: Engine, url: str) -> dict[str, str]:
    """Each page's results: every call's statements, the SELECTs explained."""
    actor, procedure, patient, encounter, entries = practice(engine)
    started = datetime.now(UTC)
    with engine.connect() as connection:
        count = connection.execute(
            select(func.count()).where(procedures.c.organisation_id == actor.organisation_id)
        ).scalar_one()
        connection.rollback()
    header = [
        measured(started, ".venv/bin/python -m bench.explain") + "\n",
        f"{versions(url)}; the practice `python -m bench` built last: {count:,} procedures, "
        f"{entries:,} ledger entries.\n",
    ]
    pages: dict[str, list[str]] = {}
    for page, title, call in calls(engine, actor, procedure, patient, encounter):
        out = pages.setdefault(page, header[:])
        with recording(engine) as sent:
            mark = time.perf_counter()
            call()
            seconds = time.perf_counter() - mark
        out.append(f"### {title}: {seconds * 1000:.1f} ms, {len(sent)} statements\n")
        seen: set[str] = set()
        for statement in sent:
            if statement.sql in seen:
                continue
            seen.add(statement.sql)
            one_line = " ".join(statement.sql.split())
            if not one_line.upper().startswith(("SELECT", "WITH")):
                out.append(f"- not explained (a write): `{one_line[:160]}`\n")
                continue
            out.append(f"```\n{one_line}\n\n{explain(engine, statement)}\n```\n")
    return {page: "\n".join(out) for page, out in pages.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--docs", type=Path, default=PAGES, help="the folder of the pages")
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args(argv)
    engine = make_engine(args.postgres)
    try:
        results = sections(engine, args.postgres)
    finally:
        engine.dispose()
    for page, text in results.items():
        print(text)
        if not args.no_docs:
            write_results(args.docs / page, text)
            print(f"written to {args.docs / page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
