"""ATT transaction latency per connection and kind of transaction: how many were answered,
and the minimum, median, 95th percentile and maximum time from request to answer, with a
histogram. Only answered transactions timed by a clock that did not jump count;
percentiles are by nearest rank (the smallest latency with at least that share of the
others at or below), kept in bounded memory (latency_sketch.py)."""

from __future__ import annotations

from attscope.dissector.analysis.analysis_records import LatencyStats, Transaction
from attscope.dissector.analysis.latency_sketch import (
    HISTOGRAM_EDGES_US,
    LatencySketch,
    nearest_rank,
)

__all__ = ["HISTOGRAM_EDGES_US", "LatencyCollector", "nearest_rank"]
_ANSWERED = ("ok", "error", "cut")


class LatencyCollector:
    """The latencies of each connection's transactions, by kind, as they complete."""

    def __init__(self) -> None:
        self._by: dict[str, dict[str, LatencySketch]] = {}
        self._said: dict[str, tuple[LatencyStats, ...]] = {}  # until the connection's next

    def add(self, txn: Transaction) -> None:
        if txn.latency_us is None or txn.clock_jump or txn.outcome not in _ANSWERED:
            return
        self._said.pop(txn.connection, None)
        kinds = self._by.setdefault(txn.connection, {})
        found = kinds.get(txn.kind)
        if found is None:
            found = kinds[txn.kind] = LatencySketch()
        found.add(txn.latency_us)

    def stats(self, connection: str) -> tuple[LatencyStats, ...]:
        """Per kind, in the order of the kinds' names (kept until a transaction of the
        connection comes: a live view asks again and again)."""
        said = self._said.get(connection)
        if said is not None:
            return said
        if connection not in self._by:
            return ()
        out = []
        for kind, sketch in sorted(self._by.get(connection, {}).items()):
            out.append(LatencyStats(
                kind, sketch.count, sketch.low, sketch.quantile(0.5), sketch.quantile(0.95),
                sketch.high, sketch.histogram(),
            ))  # fmt: skip
        said = self._said[connection] = tuple(out)
        return said

    def close(self, connection: str) -> None:
        """The connection ended: its statistics stay, its latencies go."""
        self.stats(connection)
        self._by.pop(connection, None)
