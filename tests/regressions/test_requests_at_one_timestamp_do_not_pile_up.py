"""A capture whose time stands still (every record stamped alike) kept every transaction
ever made in the timeout heap: 550 MB for one such capture. Ended transactions are swept
out, so memory is what a capture with advancing time needs."""

from __future__ import annotations

import tracemalloc

from frames import Script

from attscope.dissector.analysis.analyzer import Analyzer
from attscope.dissector.analysis.transactions import MIN_COMPACT
from attscope.dissector.decoding import att_pdus as att

PAIRS = 3 * MIN_COMPACT


def peak_bytes(step_us: int) -> tuple[int, int]:
    s = Script()
    for _ in range(PAIRS):
        s.local(att.ReadRequest(0x0003), after_us=step_us)
        s.remote(att.ReadResponse(b"\x01\x02"), after_us=step_us)
    analyzer = Analyzer(retain=False)
    tracemalloc.start()
    for frame in s.frames:
        analyzer.feed(frame)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, len(analyzer._att._deadlines)


def test_time_standing_still_costs_no_more_memory_than_time_going_on() -> None:
    moving, moving_heap = peak_bytes(7_500)
    still, still_heap = peak_bytes(0)
    assert still_heap <= 2 * MIN_COMPACT, still_heap  # every pair stayed before the sweep
    assert moving_heap <= 2 * MIN_COMPACT
    assert still < 2 * moving, (still, moving)
