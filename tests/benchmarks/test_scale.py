"""The scale benchmark (``python -m bench``) runs end to end on a tiny practice, so it cannot rot.

No timing is asserted: what is checked is that every stage ran, that the practice it built
verifies clean, and that the report replaces its page's results and nothing else on the page.
"""

from __future__ import annotations

from pathlib import Path

from bench import scale
from bench.report import RESULTS, write_results

TINY = ["--engines", "sqlite", "--sizes", "40", "--posts", "5", "--reads", "3", "--work-lists", "1"]
PAGE = """# Scale

## Command

by hand

## Current results

old figures

## What limits it

standing conclusions
"""


def test_a_tiny_sqlite_run_replaces_only_its_pages_results(tmp_path: Path) -> None:
    page = tmp_path / "scale.md"
    page.write_text(PAGE)

    assert scale.main([*TINY, "--docs", str(page)]) == 0
    first = page.read_text()
    assert "| SQLite | 40 |" in first
    assert "ok, 40 procedures" in first
    assert "write-off post p99" in first
    assert "old figures" not in first
    assert first.startswith("# Scale\n\n## Command\n\nby hand\n\n## Current results\n\nMeasured ")
    assert first.endswith("\n\n## What limits it\n\nstanding conclusions\n")

    assert scale.main([*TINY, "--docs", str(page)]) == 0
    second = page.read_text()
    assert second.count(RESULTS) == 1
    assert second.count("| SQLite | 40 |") == 1  # the run before is not kept: git keeps it
    assert second.count("Measured ") == 1


def test_results_end_at_the_next_section_but_not_at_a_heading_inside_a_code_block(
    tmp_path: Path,
) -> None:
    page = tmp_path / "plans.md"
    page.write_text(PAGE)

    write_results(page, "\nnew\n\n```\n## not a heading\n```\n\n### a call\n\nplan\n")
    write_results(page, "newer\n\n```\n## not a heading\n```\n")

    assert page.read_text() == (
        "# Scale\n\n## Command\n\nby hand\n\n## Current results\n\nnewer\n\n```\n"
        "## not a heading\n```\n\n## What limits it\n\nstanding conclusions\n"
    )


def test_a_page_without_results_gets_them_at_its_end(tmp_path: Path) -> None:
    page = tmp_path / "new.md"
    page.write_text("# New benchmark\n\n## Method\n\nhow\n\n")

    write_results(page, "figures")

    assert (
        page.read_text() == "# New benchmark\n\n## Method\n\nhow\n\n## Current results\n\nfigures\n"
    )


def _run(engine: str, size: int, import_seconds: float, peak_rss_mb: float) -> scale.Run:
    run = scale.Run(engine, size, import_seconds=import_seconds, peak_rss_mb=peak_rss_mb)
    for seconds in (0.001, 0.002):
        for timings in (run.posts, run.patient_reads, run.encounter_reads, run.work_list_reads):
            timings.seconds.append(seconds)
    return run


def test_the_verdicts_judge_the_import_rate_and_its_memory_against_the_issue_targets() -> None:
    lines = scale.verdicts([
        _run("sqlite", 10_000, import_seconds=0.1, peak_rss_mb=100),  # 100,000 lines/s
        _run("sqlite", 100_000, import_seconds=10.0, peak_rss_mb=140),  # 10,000 lines/s
        _run("postgresql", 10_000, import_seconds=0.4, peak_rss_mb=100),  # 25,000 lines/s
        _run("postgresql", 100_000, import_seconds=5.0, peak_rss_mb=110),  # 20,000 lines/s
    ])  # fmt: skip

    assert "- SQLite 10,000: 835 import 100,000 service lines/s (target ≥ 50,000: met)" in lines
    assert "- SQLite 100,000: 835 import 10,000 service lines/s (target ≥ 50,000: NOT met)" in lines
    assert "- PostgreSQL 100,000: 835 import 20,000 service lines/s (target ≥ 20,000: met)" in lines
    assert (
        "- SQLite import peak memory, 100,000 vs 10,000: 140 vs 100 MB, 1.40× (flat, ≤ 1.25×: "
        "NOT met)" in lines
    )
    assert (
        "- PostgreSQL import peak memory, 100,000 vs 10,000: 110 vs 100 MB, 1.10× (flat, ≤ 1.25×: "
        "met)" in lines
    )
