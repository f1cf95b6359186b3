"""ATT transaction latency by kind per connection (dissector/analysis/latency.py): counts,
minimum, median, 95th percentile by nearest rank, maximum; only answered transactions on a
clock that did not jump."""

from __future__ import annotations

import msgspec
from corpus import SAMPLES
from hypothesis import given
from hypothesis import strategies as st

from attscope.capture import open_capture
from attscope.dissector.analysis.analyzer import Analyzer
from attscope.dissector.analysis.latency import LatencyCollector, nearest_rank
from attscope.dissector.analysis.latency_sketch import LatencySketch


def test_nearest_rank() -> None:
    values = list(range(1, 21))  # 1..20
    assert nearest_rank(values, 0.5) == 10
    assert nearest_rank(values, 0.95) == 19
    assert nearest_rank(values, 1.0) == 20
    assert nearest_rank([7], 0.95) == 7


def test_the_sample_connection_says_its_latency_by_kind() -> None:
    analyzer = Analyzer()
    for frame in open_capture(SAMPLES / "heart_rate.btsnoop"):
        analyzer.feed(frame)
    analyzer.finish()
    (conn,) = analyzer.connections
    reads = sorted(
        t.latency_us for t in analyzer.transactions() if t.kind == "read" and t.outcome == "ok"
    )
    stats = {s.kind: s for s in conn.latency}
    read = stats["read"]
    assert (read.count, read.min_us, read.max_us) == (len(reads), reads[0], reads[-1])
    assert read.median_us == reads[(len(reads) + 1) // 2 - 1]  # 8 values: the 4th
    assert read.p95_us == reads[-1]  # 95% of 8 is 7.6: the 8th
    assert sum(s.count for s in conn.latency) == sum(
        1 for t in analyzer.transactions() if t.latency_us is not None
    )


def test_unanswered_and_untimed_transactions_do_not_count() -> None:
    analyzer = Analyzer()
    for frame in open_capture(SAMPLES / "heart_rate.btsnoop"):
        analyzer.feed(frame)
    analyzer.finish()
    txn = analyzer.transactions()[0]
    collector = LatencyCollector()
    collector.add(msgspec.structs.replace(txn, outcome="incomplete", latency_us=None))
    collector.add(msgspec.structs.replace(txn, clock_jump=True))
    assert collector.stats(txn.connection) == ()
    collector.add(txn)
    (only,) = collector.stats(txn.connection)
    assert (only.kind, only.count, only.min_us) == (txn.kind, 1, txn.latency_us)


@given(st.lists(st.integers(min_value=0, max_value=120_000_000), min_size=1, max_size=300))
def test_the_sketch_past_its_exact_values_stays_within_one_percent(values: list[int]) -> None:
    sketch = LatencySketch(exact=20)  # few values kept one by one, so most runs use the bins
    exact = LatencySketch(exact=10_000)
    for value in values:
        sketch.add(value)
        exact.add(value)
    ordered = sorted(values)
    assert (sketch.count, sketch.low, sketch.high) == (len(values), ordered[0], ordered[-1])
    assert sketch.histogram() == exact.histogram()  # bin edges fall on the histogram's
    for share in (0.5, 0.95, 1.0):
        true = nearest_rank(ordered, share)
        assert exact.quantile(share) == true
        found = sketch.quantile(share)
        assert true * 0.99 <= found <= true
