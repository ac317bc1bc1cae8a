"""Deferring the garbage collector's full collections while an import runs.

A full collection walks every object the collector tracks in the process: the modules,
SQLAlchemy's tables and compiled statements, and a batch's rows, records and planned entries.
CPython starts one whenever the old generation has grown by a quarter since the last, and an
import grows it steadily, so a 10,000-line import ran about a dozen of them for nothing: it
makes few reference cycles, and what it drops is freed by reference counting. Measured on the
10,000-line benchmark (SQLite): 1.81 s with the default thresholds, 1.52 s with full
collections deferred; young collections alone cost nothing measurable.

Young collections still run while deferred, so short-lived cycles are freed as before; what
reaches the old generation waits for the next full collection the import runs itself: one every
``BATCHES_PER_COLLECTION`` batches (``batch_written``), so memory stays flat however long the
file is.

The thresholds are process-wide, so overlapping imports (the API's worker threads) share one
deferral: the first to enter defers, the last to leave restores the threshold it found.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: Young collections between two full ones while deferred: practically never.
DEFERRED_THRESHOLD = 1_000_000
#: Batches an import writes between the full collections it runs itself (``batch_written``).
BATCHES_PER_COLLECTION = 8

_lock = threading.Lock()
_holders = 0
_restore_to = 0
_batches = 0


@contextmanager
def full_collections_deferred() -> Iterator[None]:
    """Within the block, no full collection starts by itself (``gc.collect()`` still runs one)."""
    global _holders, _restore_to
    with _lock:
        if _holders == 0:
            young, middle, _restore_to = gc.get_threshold()
            gc.set_threshold(young, middle, DEFERRED_THRESHOLD)
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0:
                young, middle, _ = gc.get_threshold()
                gc.set_threshold(young, middle, _restore_to)


def batch_written() -> None:
    """Called by an import after each batch it writes; every ``BATCHES_PER_COLLECTION``-th call
    runs one full collection.

    With none, what the batches leave in cycles piles up until the import ends: 300,000 lines
    peaked at 118 MB against 103 MB undeferred, and a 1,000,000-line import at 156 MB. One after
    every batch keeps the peak flat but walks the whole heap each time (≈ 80 ms per 2,000
    claims) and gives back most of the gain; one every eighth batch keeps both (measured in
    docs/benchmarks/era-import.md).
    """
    global _batches
    with _lock:
        _batches += 1
        due = _batches % BATCHES_PER_COLLECTION == 0
    if due:
        gc.collect()
