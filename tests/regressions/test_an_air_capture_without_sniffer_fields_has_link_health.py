"""An air capture whose records carry no sniffer fields (link type 251, raw LL packets)
got an empty link health: its packets were taken for air traffic only when the sniffer
said something about them, so no procedure, traffic or ending was worked out. What the
packets themselves say is there now; what only a sniffer measures (channels, RSSI, event
counters) stays unknown."""

from __future__ import annotations

from air_script import C2P, P2C, AirScript, l2cap
from frames import run

from attscope.dissector.decoding import att_pdus as att
from attscope.dissector.decoding import ll_control as llc


def test_a_raw_ll_capture_has_procedures_traffic_and_its_ending() -> None:
    air = AirScript()
    air.connect()
    air.send(C2P, 3, llc.FeatureReq(1).to_bytes())
    air.send(P2C, 3, llc.FeatureRsp(1).to_bytes())
    air.send(C2P, 2, l2cap(4, att.WriteCommand(0x0012, b"\x01").to_bytes()))
    air.send(P2C, 1, b"")
    air.send(C2P, 3, llc.TerminateInd(0x13).to_bytes())
    assert all(frame.sniffer is None for frame in air.frames)
    (conn,) = run(air.frames).connections
    health = conn.health
    assert health is not None
    assert [(p.name, p.outcome) for p in health.procedures] == [("feature exchange", "done")]
    central = {s.sender: s for s in health.sides}["central"]
    assert (central.packets, central.write_commands) == (3, 1)
    assert health.air is not None and health.air.channels == ()
    assert health.air.events_heard is None  # no counter: not known
    assert health.ending is not None
    assert health.ending.verdict.startswith("ended by LL_TERMINATE_IND from the central")
