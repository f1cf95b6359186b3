"""Two connection updates seconds apart, captured by a sniffer that records no event
counter (an LE pseudo-header, PPI), were reported as an `ll_procedure_collision`: an update
whose instant nothing could place stayed "waiting", so the next one looked like a second
pending update. Without a counter a collision cannot be told; the updates are `unseen`."""

from __future__ import annotations

from frames import run
from link_script import LinkScript, control

from attscope.dissector.decoding import ll_control as llc


def test_updates_without_event_counters_raise_no_collision() -> None:
    link = LinkScript()
    link.counters = False
    link.connect()
    link.events(5)
    for interval in (40, 24):
        link.event(c2p=control(llc.ConnectionUpdateInd(1, 0, interval, 0, 72,
                                                       link.event_counter + 7)))  # fmt: skip
        link.events(100)  # 3 s: long past its instant
    analyzer = run(link.frames)
    assert [v.kind for v in analyzer.violations] == []
    (conn,) = analyzer.connections
    assert conn.health is not None
    assert [p.outcome for p in conn.health.procedures] == ["unseen", "unseen"]
