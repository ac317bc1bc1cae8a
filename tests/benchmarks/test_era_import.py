"""``python -m bench.era_import`` runs end to end on a tiny file, so it cannot rot.

No timing is asserted: what is checked is that the import ran in its child process and that its
table replaced the results of the page it was given.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from bench import era_import
from bench.report import ROOT


def test_a_tiny_sqlite_import_replaces_its_pages_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The import runs in a child `python -m bench.era_import`, wherever the tests started from.
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    )
    page = tmp_path / "era-import.md"
    page.write_text("# ERA import\n\n## Current results\n\nold\n\n## What limits it\n\nwhy\n")

    era_import.main(["--lines", "40", "--postgres", "", "--no-tracemalloc", "--docs", str(page)])

    text = page.read_text()
    assert "Measured " in text and "`python -m bench.era_import --lines 40 --postgres " in text
    assert "| SQLite | 40 | 0.0 |" in text
    assert "old" not in text
    assert text.endswith("\n\n## What limits it\n\nwhy\n")
