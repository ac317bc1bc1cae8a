"""``python -m bench.explain`` explains every hot call's queries on a practice built through the
835 import path (PostgreSQL only: ``EXPLAIN (ANALYZE, BUFFERS)`` is its syntax)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench import era_import, explain

from medledger.services.era_import import import_era
from medledger.storage.unit_of_work import Database


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)  # its EXPLAIN syntax
def test_each_hot_call_has_its_selects_explained_and_its_writes_listed(
    engine, raw_engine, tmp_path: Path
):
    postgres = raw_engine  # the benchmark's own superuser: it reads every organisation
    url = postgres.url.render_as_string(hide_password=False)
    actor = era_import.register_practice(url, 3)
    era_file = tmp_path / "tiny.835"
    era_import.write_file(era_file, 12)
    assert import_era(Database(postgres), actor, str(era_file)).lines_posted == 12

    pages = explain.sections(postgres, url)

    assert set(pages) == {explain.REQUESTS_PAGE, explain.VERIFY_PAGE}
    calls = [call for text in pages.values() for call in text.split("\n### ")[1:]]
    assert len(calls) == 6
    for call in calls:
        assert "Execution Time:" in call, call
    write_off = next(call for call in calls if call.startswith("write-off post"))
    assert "FOR UPDATE" in write_off and "LockRows" in write_off
    assert "not explained (a write): `INSERT INTO ledger_entries" in write_off
    for text in pages.values():
        assert text.startswith("Measured ") and "12 procedures, " in text
