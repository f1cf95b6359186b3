"""Stopping a long-running command (`emulate`, `live --no-tui`) cleanly on a signal."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType


@contextlib.contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGINT (Ctrl-C) or SIGTERM (kill, a service manager), the two ways
    such a command is told to stop. The handlers are installed explicitly: a background
    job of a script inherits SIGINT ignored, and Python then leaves it so. The previous
    handlers come back afterwards."""
    stop = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    wanted = (signal.SIGINT, signal.SIGTERM)
    previous = {signum: signal.signal(signum, handle) for signum in wanted}
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
