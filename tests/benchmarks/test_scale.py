"""The scale benchmark (``python -m bench``) runs end to end on a tiny practice, so it cannot rot.

No timing is asserted: what is checked is that every stage ran, that the practice it built
verifies clean, and that the report lands in its section with the run before kept as "Previous".
"""

from __future__ import annotations

from pathlib import Path

from bench import scale
from bench.report import write_section

TINY = ["--engines", "sqlite", "--sizes", "40", "--posts", "5", "--reads", "3", "--work-lists", "1"]


def test_a_tiny_sqlite_run_writes_its_tables_and_keeps_the_previous_run(tmp_path: Path) -> None:
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n\n## ERA (835) import\n\nother numbers\n")

    assert scale.main([*TINY, "--docs", str(docs)]) == 0
    first = docs.read_text()
    assert "| SQLite | 40 |" in first
    assert "ok, 40 procedures" in first
    assert "write-off post p99" in first
    assert "## ERA (835) import\n\nother numbers" in first

    assert scale.main([*TINY, "--docs", str(docs)]) == 0
    second = docs.read_text()
    assert second.count("### Latest run") == 1
    assert second.count("### Previous run") == 1
    assert second.index("### Latest run") < second.index("### Previous run")
    assert second.count("## Scale (issue 6)") == 1
    assert "other numbers" in second


def test_the_report_keeps_hand_written_subsections_and_drops_the_oldest_run(tmp_path: Path) -> None:
    docs = tmp_path / "benchmarks.md"
    docs.write_text(
        "# Benchmarks\n\n## Mine\n\nintro\n\n### Latest run (b)\n\nB\n\n"
        "### Previous run (a)\n\nA\n\n### Analysis\n\nwhy\n\n## Next\n\nkept\n"
    )

    write_section("## Mine", "new intro", "### Latest run (c)\n\nC\n", docs)

    text = docs.read_text()
    assert "### Latest run (c)\n\nC" in text
    assert "### Previous run (b)\n\nB" in text
    assert "(a)" not in text
    assert text.index("### Previous run (b)") < text.index("### Analysis\n\nwhy")
    assert text.endswith("## Next\n\nkept\n")
    assert "new intro" in text and "\nintro" not in text


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
