"""The model's lock: one thread feeds the analysis a batch at a time under it, others read
between batches.

A plain lock starves the readers. The feeder lets go and takes it back within
microseconds, while a woken reader still waits for a core and for the GIL, so a reader
waited out several batches (5 ms on average, 40 ms at worst, 600 times while a
200,000-frame capture was read): the screen lagged behind the capture and the first
screen came later. Here the feeder, having let go, waits until every reader that asked
meanwhile has taken its turn.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType


class HandoffLock:
    """Reentrant. Readers use `with lock:`; the feeding thread uses `with lock.feeding():`."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._asking = 0  # readers between asking and holding
        self._count = threading.Lock()  # guards `_asking` (readers may be several threads)

    def __enter__(self) -> HandoffLock:
        with self._count:
            self._asking += 1
        self._lock.acquire()
        with self._count:
            self._asking -= 1
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._lock.release()

    @contextmanager
    def feeding(self) -> Iterator[None]:
        """Held for one batch; afterwards, the readers that asked go first."""
        with self._lock:
            yield
        while self._asking:
            time.sleep(0)  # lets a woken reader have the GIL, and so the lock
