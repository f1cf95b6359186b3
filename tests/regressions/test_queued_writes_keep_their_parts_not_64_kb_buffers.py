"""Prepare Writes at offset 0xFFF0 made a 64 KB buffer per handle for every Execute Write
(a 540 KB capture peaked at 1.6 GB); a queue never executed grew without end, and was dropped unreported when
the link ended. Values are assembled only from what was sent, a queue keeps at most
MAX_QUEUED parts, and every part is reported."""

from __future__ import annotations

import tracemalloc

from frames import Script

from attscope.dissector.analysis.analyzer import Analyzer
from attscope.dissector.analysis.transactions import MAX_QUEUED
from attscope.dissector.decoding import att_pdus as att

WRITES = 300


def queued_writes(offset: int) -> Script:
    s = Script()
    for _ in range(WRITES):
        s.local(att.PrepareWriteRequest(0x0010, offset, b"abcd"))
        s.remote(att.PrepareWriteResponse(0x0010, offset, b"abcd"))
        s.local(att.ExecuteWriteRequest(1))
        s.remote(att.ExecuteWriteResponse())
    return s


def peak(s: Script) -> int:
    analyzer = Analyzer()  # transactions retained, as the TUI and export keep them
    tracemalloc.start()
    for frame in s.frames:
        analyzer.feed(frame)
    used = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return used


def test_a_part_far_out_costs_what_it_holds() -> None:
    near, far = peak(queued_writes(0)), peak(queued_writes(0xFFF0))
    assert far < 2 * near, (far, near)  # was 300 values of 64 KB: 19 MB more


def test_a_value_with_a_hole_is_not_made_up() -> None:
    s = Script()
    s.local(att.PrepareWriteRequest(0x0010, 0, b"ab"))
    s.remote(att.PrepareWriteResponse(0x0010, 0, b"ab"))
    s.local(att.PrepareWriteRequest(0x0010, 10, b"cd"))  # bytes 2-9 never sent
    s.remote(att.PrepareWriteResponse(0x0010, 10, b"cd"))
    s.local(att.PrepareWriteRequest(0x0011, 0, b"xy"))
    s.remote(att.PrepareWriteResponse(0x0011, 0, b"xy"))
    s.local(att.PrepareWriteRequest(0x0011, 1, b"YZ"))  # overlaps: the later part wins
    s.remote(att.PrepareWriteResponse(0x0011, 1, b"YZ"))
    s.local(att.ExecuteWriteRequest(1))
    s.remote(att.ExecuteWriteResponse())
    (txn,) = s.run().transactions()
    assert txn.kind == "queued_write" and txn.values == {0x0011: b"xYZ"}


def test_a_queue_never_executed_stays_bounded_and_its_parts_are_reported() -> None:
    s = Script()
    for i in range(MAX_QUEUED + 100):
        s.local(att.PrepareWriteRequest(0x0010, i * 4, b"abcd"))
        s.remote(att.PrepareWriteResponse(0x0010, i * 4, b"abcd"))
    analyzer = Analyzer()
    for frame in s.frames:
        analyzer.feed(frame)
    reported = analyzer.transactions()
    assert len(reported) == 100 and {t.kind for t in reported} == {"prepare_write"}
    analyzer.finish()  # the link ends: the parts still queued are reported too
    assert len(analyzer.transactions()) == MAX_QUEUED + 100
