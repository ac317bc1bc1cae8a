"""The import defers the collector's full collections, runs one itself every few batches (memory
flat in N), and always gives the threshold back."""

from __future__ import annotations

import gc
import threading

import pytest

from medledger.services import era_import
from medledger.services.era_import import EraRefused
from medledger.services.full_collections import (
    BATCHES_PER_COLLECTION,
    DEFERRED_THRESHOLD,
    batch_written,
    full_collections_deferred,
)
from tests.era_builders import import_text


@pytest.fixture
def thresholds():
    """Known thresholds for the test, and the process's own back after it."""
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 17)
    yield
    gc.set_threshold(*before)


def test_full_collections_wait_inside_and_the_threshold_comes_back(thresholds):
    with full_collections_deferred():
        assert gc.get_threshold() == (700, 10, DEFERRED_THRESHOLD)
    assert gc.get_threshold() == (700, 10, 17)


def test_overlapping_holders_restore_only_when_the_last_leaves(thresholds):
    """Two imports in two threads: the first to leave must not end the other's deferral, and
    the last must restore what the first found (not the deferred value)."""
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[tuple[int, int, int]] = []

    def first() -> None:
        with full_collections_deferred():
            first_in.set()
            second_in.wait()
        first_out.set()

    def second() -> None:
        first_in.wait()
        with full_collections_deferred():
            second_in.set()
            first_out.wait()
            seen.append(gc.get_threshold())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [(700, 10, DEFERRED_THRESHOLD)]
    assert gc.get_threshold() == (700, 10, 17)


def test_an_import_defers_them_and_restores_even_when_refused(
    engine, actor, monkeypatch, thresholds
):
    during: list[tuple[int, int, int]] = []
    reader = era_import.read_era

    def watched(*args, **kwargs):
        during.append(gc.get_threshold())
        return reader(*args, **kwargs)

    monkeypatch.setattr(era_import, "read_era", watched)
    with pytest.raises(EraRefused):
        import_text(engine, actor, b"ISA*not an interchange~")
    assert during == [(700, 10, DEFERRED_THRESHOLD)]
    assert gc.get_threshold() == (700, 10, 17)


def test_every_few_batches_the_import_runs_a_full_collection(thresholds):
    """Deferred, none starts by itself; ``batch_written`` runs one per BATCHES_PER_COLLECTION
    batches, wherever the count stood."""
    full: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2:
            full.append(1)

    gc.callbacks.append(count)
    try:
        with full_collections_deferred():
            for _ in range(3 * BATCHES_PER_COLLECTION):
                batch_written()
    finally:
        gc.callbacks.remove(count)
    assert len(full) == 3
