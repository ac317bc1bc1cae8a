"""What every benchmark's report shares: the machine it ran on, and the writing of its results.

Each benchmark owns one page under docs/benchmarks/ (``era-import.md``, ``api-load.md``,
``scale.md``, ``query-plans.md``). The page's command, method and "what limits it" are written by
hand; its ``## Current results`` section is the benchmark's last run, and only that section is
rewritten (``write_results``). No earlier run is kept in the page: git keeps the history. A new
benchmark adds its page with those sections and calls ``write_results`` on it.
"""

from __future__ import annotations

import os
import platform
import re
import sqlite3
from datetime import datetime
from pathlib import Path

from sqlalchemy import text

from medledger.storage.database import make_engine

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "docs" / "benchmarks"
RESULTS = "## Current results"


def machine() -> str:
    """Cores, CPU model, memory and kernel, from /proc (Linux)."""
    model = "unknown CPU"
    memory = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.0f} GB RAM"
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cores} cores ({model}), {memory}, {platform.system()} {platform.release()}"


def versions(postgres_url: str | None) -> str:
    """Python's, SQLite's and (given a url) the PostgreSQL server's versions: a figure is only
    comparable with one measured on the same ones."""
    found = [f"Python {platform.python_version()}", f"SQLite {sqlite3.sqlite_version}"]
    if postgres_url:
        engine = make_engine(postgres_url)
        with engine.connect() as connection:
            version = str(connection.execute(text("SHOW server_version")).scalar_one())
            connection.rollback()
        engine.dispose()
        found.append(f"PostgreSQL {version.split()[0]}")
    return ", ".join(found)


def measured(started: datetime, command: str) -> str:
    """The results' first line: when the figures were measured and by which command, so a reader
    can tell how fresh they are and run them again."""
    return f"Measured {started:%Y-%m-%d %H:%M} UTC by `{command}`."


def write_table(
    page: Path,
    started: datetime,
    command: str,
    postgres_url: str | None,
    head: str,
    rows: list[str],
) -> None:
    """Write one run's table as the page's results: when and how it was measured, the machine
    and database versions, then the table."""
    write_results(
        page,
        f"{measured(started, command)}\n\nMachine: {machine()}; {versions(postgres_url)}.\n\n"
        f"{head}\n" + "\n".join(rows) + "\n",
    )


def write_results(page: Path, results: str) -> None:
    """Replace the ``## Current results`` section of one benchmark's page with ``results``.

    The section runs from its heading to the next ``## `` heading outside a code block (results
    may hold ``###`` subsections and code blocks), or to the end of the page; everything else on
    the page is kept as written. A page without the section gets it at its end. The page itself
    must exist: its command and method are written by hand, not generated.
    """
    lines = page.read_text().splitlines(keepends=True)
    first = next((n for n, line in enumerate(lines) if line.rstrip("\n") == RESULTS), None)
    if first is None:
        first = last = len(lines)
    else:
        last, fenced = len(lines), False
        for n in range(first + 1, len(lines)):
            if lines[n].startswith("```"):
                fenced = not fenced
            elif not fenced and re.match(r"#{1,2} ", lines[n]):
                last = n
                break
    head = "".join(lines[:first]).rstrip("\n") + "\n\n" if first else ""
    section = f"{RESULTS}\n\n{results.strip(chr(10))}\n"
    tail = "\n" + "".join(lines[last:]) if last < len(lines) else ""
    page.write_text(head + section + tail)
