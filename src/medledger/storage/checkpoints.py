"""SQLite WAL checkpoints off the request path.

In WAL mode a commit appends pages to the ``-wal`` file; a *checkpoint* copies them back into the
database file so the WAL can start again from its beginning. SQLite's default runs that
checkpoint inside whichever commit takes the WAL past 1,000 pages: a write-off post writes ~15
pages, so about one post in 65 also copied ~1,000 pages and synced the database file, and the
write-off post's p99 was that checkpoint (6.8 ms against 2.1 ms without it, 10k practice).

Instead, every connection's automatic checkpoint is raised to ``FALLBACK_PAGES`` and the engine
counts commits: when a connection returns to the pool after ``CHECKPOINT_EVERY_COMMITS`` of
them, it starts a short-lived background thread that runs ``PRAGMA wal_checkpoint(PASSIVE)`` on
a connection of its own. PASSIVE waits for no reader and no writer. When it has copied every
frame before the next commit (a server with any pause between writes), the next writer restarts
the WAL from its beginning and the file stays at about ``CHECKPOINT_EVERY_COMMITS`` commits of
pages. Under an unbroken stream of commits (the benchmark's back-to-back posts) each checkpoint
leaves the frames committed while it ran; the WAL then grows to ``FALLBACK_PAGES``, and the
inline checkpoint there copies only that remainder and restarts it.

Why the WAL cannot grow without bound: the automatic checkpoint is raised, not turned off. If
the background thread falls behind (or a process exits before it runs), the commit that takes
the WAL past ``FALLBACK_PAGES`` checkpoints it inline, as SQLite always did. Short processes
(the CLI, a test) need nothing more: closing the last connection checkpoints and removes the WAL.
A reader holding an old snapshot keeps any checkpoint, background or inline, from finishing; that
limit is SQLite's, unchanged.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

#: Commits between two background checkpoints (~15 pages each for a write-off post).
CHECKPOINT_EVERY_COMMITS = 64
#: The automatic (inline) checkpoint's threshold in pages: only reached if the background
#: checkpoints fall behind. 10,000 pages of 4 KiB is a WAL of ~40 MB at most.
FALLBACK_PAGES = 10_000


class WalCheckpointer:
    """Counts an engine's commits and checkpoints the WAL of ``path`` in the background."""

    def __init__(self, path: str) -> None:
        self.path = str(Path(path).resolve())  # the URL's path, against today's working folder
        self.every_commits = CHECKPOINT_EVERY_COMMITS
        self._lock = threading.Lock()
        self._commits = 0
        self._thread: threading.Thread | None = None

    def committed(self) -> None:
        """Called at each commit (before it is made: SQLAlchemy has no event after it)."""
        with self._lock:
            self._commits += 1

    def connection_returned(self) -> None:
        """Called when a connection goes back to the pool, its commit made: starts a background
        checkpoint once ``every_commits`` commits were counted (not while one still runs: the
        next one catches up). Started at the commit itself, it would race that commit and leave
        its frames, and the WAL would never be copied to its end and restarted."""
        with self._lock:
            if self._commits < self.every_commits or self._running():
                return
            self._commits = 0
            self._thread = threading.Thread(
                target=self._checkpoint_in_background, name="medledger-wal-checkpoint", daemon=True
            )
            self._thread.start()

    def _running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def checkpoint(self) -> tuple[int, int, int]:
        """One PASSIVE checkpoint: (1 if it could not start, frames in the WAL, frames copied).

        One pass, not a loop until the WAL is copied to its end: under a steady stream of
        commits every pass leaves the frames committed while it ran, and further passes only
        added syncs that the committing posts then waited for (measured: p99 2.7 → 8–11 ms)."""
        # mode=rw: a database file removed meanwhile is not created again, empty.
        connection = sqlite3.connect(f"{Path(self.path).as_uri()}?mode=rw", uri=True)
        try:
            busy, frames, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            return int(busy), int(frames), int(copied)
        finally:
            connection.close()

    def _checkpoint_in_background(self) -> None:
        """A failed background checkpoint loses nothing (the WAL keeps every commit, and the
        inline fallback still bounds it); it is logged, not raised into a thread nobody joins."""
        try:
            self.checkpoint()
        except sqlite3.Error as error:
            logging.getLogger(__name__).warning("background WAL checkpoint failed: %s", error)

    def wait(self) -> None:
        """Until the background checkpoint started last (if any) has finished."""
        thread = self._thread
        if thread is not None:
            thread.join()
