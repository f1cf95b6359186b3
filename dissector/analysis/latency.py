"""ATT transaction latency per connection and kind of transaction: how many were answered,
and the minimum, median, 95th percentile and maximum time from request to answer. Only
answered transactions timed by a clock that did not jump count; percentiles are by
nearest rank (the smallest latency with at least that share of the others at or below)."""

from __future__ import annotations

from array import array
from math import ceil

from attscope.dissector.analysis.analysis_records import LatencyStats, Transaction

_ANSWERED = ("ok", "error", "cut")


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
                nearest_rank(ordered, 0.95), ordered[-1],
            ))  # fmt: skip
        said = self._said[connection] = tuple(out)
        return said
