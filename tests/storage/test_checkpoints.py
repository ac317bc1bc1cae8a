"""SQLite's WAL is checkpointed in the background, and cannot grow without bound without it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from medledger.storage import checkpoints
from medledger.storage.database import make_engine, wal_checkpointer

FRAME_BYTES = 24 + 4096  # a WAL frame: its header and one page


def wal_frames(path: Path) -> int:
    """Frames the WAL file has room for (it is reused from its start, never shrunk)."""
    wal = Path(f"{path}-wal")
    return (wal.stat().st_size - 32) // FRAME_BYTES if wal.exists() else 0


def commit_rows(engine: Engine, count: int, *, wait: bool) -> None:
    """``count`` commits of one row each; with ``wait``, each background checkpoint finishes
    before the next commit (as on a server with gaps between requests)."""
    checkpointer = wal_checkpointer(engine)
    assert checkpointer is not None
    for number in range(count):
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO t (x) VALUES (:x)"), {"x": "x" * 2000 + str(number)}
            )
        if wait:
            checkpointer.wait()


def sqlite_engine(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT)"))
    return engine


def test_background_checkpoints_keep_the_wal_small(tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoints, "CHECKPOINT_EVERY_COMMITS", 10)
    monkeypatch.setattr(checkpoints, "FALLBACK_PAGES", 100_000)
    engine = sqlite_engine(tmp_path / "db.sqlite3")
    commit_rows(engine, 300, wait=True)
    # ~300 pages were written; restarted after every checkpoint, the WAL held ~10 commits' worth.
    assert wal_frames(tmp_path / "db.sqlite3") < 60
    engine.dispose()


def test_without_checkpoints_the_wal_grows(tmp_path, monkeypatch):
    """The control for the test above: what the WAL would hold with no checkpoint at all."""
    monkeypatch.setattr(checkpoints, "CHECKPOINT_EVERY_COMMITS", 10**9)
    monkeypatch.setattr(checkpoints, "FALLBACK_PAGES", 100_000)
    engine = sqlite_engine(tmp_path / "db.sqlite3")
    commit_rows(engine, 300, wait=False)
    assert wal_frames(tmp_path / "db.sqlite3") > 300
    engine.dispose()


def test_the_inline_fallback_bounds_the_wal_when_background_checkpoints_fall_behind(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(checkpoints, "CHECKPOINT_EVERY_COMMITS", 10**9)  # never in time
    monkeypatch.setattr(checkpoints, "FALLBACK_PAGES", 50)
    engine = sqlite_engine(tmp_path / "db.sqlite3")
    commit_rows(engine, 300, wait=False)
    assert wal_frames(tmp_path / "db.sqlite3") <= 50 + 5  # the threshold plus one commit
    engine.dispose()


def test_connections_checkpoint_inline_only_past_the_fallback(tmp_path):
    engine = sqlite_engine(tmp_path / "db.sqlite3")
    with engine.connect() as connection:
        pages = connection.execute(text("PRAGMA wal_autocheckpoint")).scalar_one()
        connection.rollback()
    assert pages == checkpoints.FALLBACK_PAGES
    engine.dispose()


def test_a_background_checkpoint_copies_the_wal(tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoints, "CHECKPOINT_EVERY_COMMITS", 10**9)
    engine = sqlite_engine(tmp_path / "db.sqlite3")
    commit_rows(engine, 20, wait=False)
    checkpointer = wal_checkpointer(engine)
    assert checkpointer is not None
    busy, frames, copied = checkpointer.checkpoint()
    assert (busy, copied) == (0, frames) and frames >= 20
    engine.dispose()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_databases_without_a_file_have_no_checkpointer(url):
    assert wal_checkpointer(make_engine(url)) is None


def test_a_failed_background_checkpoint_is_logged_not_raised(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(checkpoints, "CHECKPOINT_EVERY_COMMITS", 1)
    engine = sqlite_engine(tmp_path / "db.sqlite3")
    checkpointer = wal_checkpointer(engine)
    assert checkpointer is not None
    checkpointer.wait()  # the one after the table was made
    checkpointer.path = str(tmp_path / "gone.sqlite3")  # as if the file were removed
    commit_rows(engine, 1, wait=True)
    assert "background WAL checkpoint failed" in caplog.text
    assert not (tmp_path / "gone.sqlite3").exists()
    engine.dispose()


def test_a_relative_path_is_fixed_when_the_engine_is_made(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    engine = make_engine("sqlite:///relative.sqlite3")
    checkpointer = wal_checkpointer(engine)
    assert checkpointer is not None
    monkeypatch.chdir("/")
    assert checkpointer.path == str(tmp_path / "relative.sqlite3")
    engine.dispose()
