"""The sniffer missed the server's answer, and the client's next request was reported as
a request sent while one was pending. The link's acknowledgement bits show the missed
packet (the client's NESN flipped with nothing from the server captured): the pending
request now ends with a capture gap, and no violation is raised."""

from __future__ import annotations

import struct

from air_script import ACCESS_ADDRESS, C2P, CRC_INIT, LINKTYPE_LE_LL, P2C, AirScript, l2cap

from attscope.capture import Direction, Encap, Frame
from attscope.dissector.analysis.analyzer import Analyzer
from attscope.dissector.decoding import att_pdus as att
from attscope.dissector.decoding.ll_data import crc24


def _packet(index: int, ts: int, side: Direction, sn: int, nesn: int, payload: bytes) -> Frame:
    llid = 2 if payload else 1
    pdu = bytes([llid | nesn << 2 | sn << 3, len(payload)]) + payload
    raw = struct.pack("<I", ACCESS_ADDRESS) + pdu + crc24(CRC_INIT, pdu)
    return Frame(index, ts, LINKTYPE_LE_LL, Encap.LE_LL, side, raw)


def test_a_packet_the_acknowledgements_show_missed_is_a_gap() -> None:
    air = AirScript()
    air.connect()
    start = air.frames[-1].ts_us + 10_000
    read = l2cap(4, att.ReadRequest(0x0003).to_bytes())
    again = l2cap(4, att.ReadRequest(0x0005).to_bytes())
    answer = l2cap(4, att.ReadResponse(b"Open").to_bytes())
    # (event, side, SN, NESN, payload) as the devices sent them; the server's answer to
    # the first read, in event 0, is not in the capture
    sent = [(0, C2P, 0, 0, read), (1, C2P, 1, 1, b""), (1, P2C, 1, 0, b""),
            (2, C2P, 0, 0, again), (2, P2C, 0, 1, answer)]  # fmt: skip
    frames = list(air.frames)
    for event, side, sn, nesn, payload in sent:
        ts = start + event * 30_000 + (150 if side == P2C else 0)
        frames.append(_packet(len(frames) + 1, ts, side, sn, nesn, payload))
    analyzer = Analyzer()
    for frame in frames:
        analyzer.feed(frame)
    analyzer.finish()
    assert analyzer.violations == []
    first, second = analyzer.transactions()
    assert (first.outcome, first.capture_gap) == ("incomplete", True)
    assert (second.outcome, second.value) == ("ok", b"Open")
