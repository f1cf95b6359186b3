"""The UI waited out several ingest batches for the model's lock: the feeding thread let
go and took it back before the woken reader could, 600 times over a 200,000-frame
capture, 5 ms each on average. A reader now gets it when the batch in progress ends."""

from __future__ import annotations

import threading

from attscope.tui.handoff_lock import HandoffLock


def _busy(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def test_a_reader_gets_the_lock_when_the_batch_in_progress_ends() -> None:
    lock = HandoffLock()
    batches = 0  # batches done
    stop = threading.Event()
    started = threading.Event()

    def feed() -> None:
        nonlocal batches
        while not stop.is_set():
            with lock.feeding():
                started.set()
                _busy(5_000)  # about half a millisecond of pure Python: no GIL let go
                batches += 1

    feeder = threading.Thread(target=feed)
    feeder.start()
    try:
        started.wait()
        waited = []
        for _ in range(30):
            asked_at = batches
            with lock:
                waited.append(batches - asked_at)
            _busy(2_000)  # the reader's own work, away from the lock
    finally:
        stop.set()
        feeder.join()
    # the batch in progress when it asked, and at worst the next one (asked just
    # as the feeder looked)
    assert max(waited) <= 2, waited


def test_the_lock_is_reentrant_for_the_feeding_thread() -> None:
    lock = HandoffLock()
    with lock.feeding(), lock:  # a read made while feeding
        pass
    with lock:  # free again
        pass
