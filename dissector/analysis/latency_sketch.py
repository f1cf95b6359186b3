"""Latencies kept in bounded memory: every value while there are at most EXACT of them,
then counts per bin of three significant digits (1 us wide below 1 ms, then at most 1% of
the value wide), so a capture of any length costs the same. Minimum, maximum and count
stay exact; percentiles are exact, or past EXACT values the lower edge of their bin (at
most 1% below). Bin edges fall on the histogram's 1-2-5 edges, so its counts stay exact."""

from __future__ import annotations

from array import array
from bisect import bisect_right
from math import ceil

EXACT = 10_000  # values kept one by one
# the latency histogram's bin edges: bin i holds latencies from edge i-1 (0 for the
# first) up to edge i; the last bin holds those at or above the last edge
HISTOGRAM_EDGES_US = tuple(ms * 1000 for ms in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000,
                                                2000, 5000, 10000, 30000))  # fmt: skip


def nearest_rank(ordered: list[int], share: float) -> int:
    """The value at `share` (0 < share <= 1) of a sorted, non-empty list."""
    return ordered[max(0, ceil(share * len(ordered)) - 1)]


def bin_of(value: int) -> int:
    """The lower edge of a value's bin: the value itself below 1 ms, else its first three
    digits."""
    if value < 1000:
        return value
    scale: int = 10 ** (len(str(value)) - 3)
    return value // scale * scale


class LatencySketch:
    """The latencies of one connection and kind."""

    __slots__ = ("bins", "count", "exact", "high", "low", "values")

    def __init__(self, exact: int = EXACT) -> None:
        self.exact = exact  # values kept one by one before the bins take over
        self.values: array[int] | None = array("q")
        self.bins: dict[int, int] = {}
        self.count = 0
        self.low = 0
        self.high = 0

    def add(self, value: int) -> None:
        if not self.count or value < self.low:
            self.low = value
        if not self.count or value > self.high:
            self.high = value
        self.count += 1
        values = self.values
        if values is not None:
            values.append(value)
            if len(values) > self.exact:  # from now on, counts per bin
                for kept in values:
                    key = bin_of(kept)
                    self.bins[key] = self.bins.get(key, 0) + 1
                self.values = None
            return
        key = bin_of(value)
        self.bins[key] = self.bins.get(key, 0) + 1

    def add_many(self, values: list[int]) -> None:
        """Each of `values` (those below 0, timed across a clock that went back, are left
        out)."""
        add = self.add
        for value in values:
            if value >= 0:
                add(value)

    def quantile(self, share: float) -> int:
        """Nearest rank (exact, or the lower edge of its bin, kept within min and max)."""
        if self.values is not None:
            return nearest_rank(sorted(self.values), share)
        rank = max(1, ceil(share * self.count))
        seen = 0
        for key in sorted(self.bins):
            seen += self.bins[key]
            if seen >= rank:
                return min(max(key, self.low), self.high)
        return self.high

    def histogram(self) -> tuple[int, ...]:
        """Counts per bin of HISTOGRAM_EDGES_US."""
        edges = HISTOGRAM_EDGES_US
        if self.values is not None:
            ordered = sorted(self.values)
            counts, below = [], 0
            for edge in edges:
                upto = bisect_right(ordered, edge - 1)
                counts.append(upto - below)
                below = upto
            counts.append(len(ordered) - below)
            return tuple(counts)
        totals = [0] * (len(edges) + 1)
        for key, n in self.bins.items():
            totals[bisect_right(edges, key)] += n
        return tuple(totals)
