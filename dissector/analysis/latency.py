"""ATT transaction latency per connection and kind of transaction: how many were answered,
and the minimum, median, 95th percentile and maximum time from request to answer. Only
answered transactions timed by a clock that did not jump count; percentiles are by
nearest rank (the smallest latency with at least that share of the others at or below)."""

from __future__ import annotations

from array import array
from bisect import bisect_right
from math import ceil

from attscope.dissector.analysis.analysis_records import LatencyStats, Transaction

_ANSWERED = ("ok", "error", "cut")
# the latency histogram's bin edges: bin i holds latencies from edge i-1 (0 for the
# first) up to edge i; the last bin holds those at or above the last edge
HISTOGRAM_EDGES_US = tuple(ms * 1000 for ms in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000,
                                                2000, 5000, 10000, 30000))  # fmt: skip


def histogram(ordered: list[int]) -> tuple[int, ...]:
    """Counts per bin of HISTOGRAM_EDGES_US, of a sorted list."""
    counts, below = [], 0
    for edge in HISTOGRAM_EDGES_US:
        upto = bisect_right(ordered, edge - 1)
        counts.append(upto - below)
        below = upto
    counts.append(len(ordered) - below)
    return tuple(counts)


def nearest_rank(ordered: list[int], share: float) -> int:
    """The value at `share` (0 < share <= 1) of a sorted, non-empty list."""
    return ordered[max(0, ceil(share * len(ordered)) - 1)]


class LatencyCollector:
    """The latencies of each connection's transactions, by kind, as they complete."""

    def __init__(self) -> None:
        self._by: dict[str, dict[str, array[int]]] = {}
        self._said: dict[str, tuple[LatencyStats, ...]] = {}  # until the connection's next

    def add(self, txn: Transaction) -> None:
        if txn.latency_us is None or txn.clock_jump or txn.outcome not in _ANSWERED:
            return
        self._said.pop(txn.connection, None)
        kinds = self._by.setdefault(txn.connection, {})
        found = kinds.get(txn.kind)
        if found is None:
            found = kinds[txn.kind] = array("q")
        found.append(txn.latency_us)

    def stats(self, connection: str) -> tuple[LatencyStats, ...]:
        """Per kind, in the order of the kinds' names (kept until a transaction of the
        connection comes: a live view asks again and again)."""
        said = self._said.get(connection)
        if said is not None:
            return said
        out = []
        for kind, values in sorted(self._by.get(connection, {}).items()):
            ordered = sorted(values)
            out.append(LatencyStats(
                kind, len(ordered), ordered[0], nearest_rank(ordered, 0.5),
                nearest_rank(ordered, 0.95), ordered[-1], histogram(ordered),
            ))  # fmt: skip
        said = self._said[connection] = tuple(out)
        return said
