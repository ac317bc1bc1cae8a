"""What every benchmark's report shares: the machine it ran on, and its section of
docs/benchmarks.md, rewritten so the new run is "Latest" and the run before it "Previous".
"""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"


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


def write_section(
    heading: str, intro: str, latest: str, docs: Path = DOCS, *, keep_previous: bool = True
) -> None:
    """Replace one benchmark's ``## heading`` section of ``docs``; keep everything else.

    Within the section: the new "### Latest run", the old one renamed "### Previous run" (the run
    before that is dropped; none is kept with ``keep_previous=False``), and any other ``###``
    subsection (hand-written analysis) kept as it was, after them.
    """
    lines = (docs.read_text() if docs.exists() else "# Benchmarks\n").splitlines(keepends=True)
    starts = [n for n, line in enumerate(lines) if line.rstrip("\n") == heading]
    if starts:
        first = starts[0]
        last = next(
            (n for n in range(first + 1, len(lines)) if re.match(r"#{1,2} ", lines[n])),
            len(lines),
        )
    else:
        first = last = len(lines)
    before, section, after = lines[:first], lines[first:last], lines[last:]
    subsections: list[list[str]] = []
    for line in section[1:]:
        if line.startswith("### "):
            subsections.append([])
        if subsections:
            subsections[-1].append(line)
    previous, kept = "", []
    for part in ("".join(lines_).rstrip("\n") + "\n" for lines_ in subsections):
        if part.startswith("### Latest run"):
            previous = "### Previous run" + part[len("### Latest run") :]
        elif not part.startswith("### Previous run"):
            kept.append(part)
    parts = [f"{heading}\n\n{intro}\n", latest.rstrip("\n") + "\n"]
    parts += [previous] if previous and keep_previous else []
    parts += kept
    head = "".join(before).rstrip("\n") + "\n\n" if before else ""
    tail = "\n" + "".join(after).lstrip("\n") if after else ""
    docs.write_text(head + "\n".join(parts) + tail)
