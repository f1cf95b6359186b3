"""Each device numbers its own signalling requests (Core 5.4 Vol 3 Part A 4), so both ends
may have a request with the same identifier outstanding. The decoder matched a response to
the last request with that identifier, whichever end sent it: the phone's EATT channel was
paired with the peripheral's CIDs and its ATT PDUs were not decoded."""

from __future__ import annotations

from frames import Script

from attscope.dissector.analysis.analyzer import Analyzer
from attscope.dissector.decoding import att_pdus as att
from attscope.dissector.decoding import l2cap_signalling as sig
from attscope.dissector.decoding.channels import PSM_EATT


def test_both_channels_open_and_carry_att() -> None:
    s = Script()
    s.connect()
    # both ends ask for a channel with identifier 1 before either answers
    s.signal("local", sig.LeCreditConnectionRequest(1, PSM_EATT, 0x0040, 100, 80, 5))
    s.signal("remote", sig.LeCreditConnectionRequest(1, PSM_EATT, 0x0041, 200, 90, 5))
    s.signal("remote", sig.LeCreditConnectionResponse(1, 0x0050, 300, 70, 5, 0))
    s.signal("local", sig.LeCreditConnectionResponse(1, 0x0051, 400, 60, 5, 0))
    read = s.k_frame("local", 0x0050, att.ReadRequest(0x0003))  # to the remote's CID
    answer = s.k_frame("remote", 0x0040, att.ReadResponse(b"\x01"))  # back to the local's
    notify = s.k_frame("remote", 0x0051, att.HandleValueNotification(0x0005, b"\x02"))
    analyzer = s.run()
    fresh = Analyzer()
    packets = [fresh.feed(frame).packet for frame in s.frames]
    # the peripheral's channel carries ATT too: its notification decodes
    assert isinstance(packets[notify - 1].pdu, att.HandleValueNotification)
    txns = [(t.kind, t.request_frame, t.response_frame, t.outcome) for t in analyzer.transactions()]
    assert txns == [("read", read, answer, "ok")]
    bearers = sorted((b.cid, b.mtu) for c in analyzer.connections for b in c.bearers)
    # one bearer per channel, named by the requester's CID, ATT_MTU the smaller MTU
    assert bearers == [(0x0040, 100), (0x0041, 200)]
    assert analyzer.violations == []
