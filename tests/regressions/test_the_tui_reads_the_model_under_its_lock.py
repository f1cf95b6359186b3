"""The ingest thread adds connections while the panels draw: the "(all)" row summed the
per-connection counts without the model's lock, and 50,000 connections crashed the TUI
7 of 7 times with "dictionary changed size during iteration" (it exited 0)."""

from __future__ import annotations

import threading

from attscope.tui.model import CaptureModel
from attscope.tui.rows import connection_row, flow_header

CONNECTIONS = 100_000


def test_drawing_while_connections_arrive_never_raises() -> None:
    model = CaptureModel("race")
    done = threading.Event()

    def ingest() -> None:
        for i in range(CONNECTIONS):
            with model.lock:
                model._connection(f"0x{i:04x}")  # as the events of a new connection do
        done.set()

    writer = threading.Thread(target=ingest)
    writer.start()
    drawn = 0
    try:
        while not done.is_set():
            connection_row(model, None)
            flow_header(model, None, 100)
            drawn += 1
    finally:
        writer.join()
    assert drawn > 0 and len(model.connection_ids) == CONNECTIONS
    assert connection_row(model, None).plain.startswith("(all)")
