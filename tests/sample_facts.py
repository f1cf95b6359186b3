"""What a capture holds, counted by a plain analyzer run, for tests that check what a
view or a command shows: they compare with these instead of numbers written down for
one sample, so a regenerated sample changes no test."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache

from attscope.capture import open_capture
from attscope.dissector.analysis.analyzer import Analyzer
from attscope.dissector.decoding.att_pdus import AttPdu, ErrorResponse


@dataclass(frozen=True)
class Facts:
    frames: int
    att_pdus: int  # frames that complete an ATT PDU
    transactions: int
    error_responses: dict[str, int]  # Error Response PDUs, per connection
    not_ok: dict[str, int]  # transactions whose outcome is not "ok", per connection


@cache
def facts(path: str) -> Facts:
    analyzer = Analyzer()
    frames = att = 0
    error_responses: Counter[str] = Counter()
    for frame in open_capture(path):
        frames += 1
        fed = analyzer.feed(frame)
        pdu = fed.packet.pdu
        if isinstance(pdu, AttPdu):
            att += 1
            if isinstance(pdu, ErrorResponse) and fed.connection is not None:
                error_responses[fed.connection] += 1
    analyzer.finish()
    txns = analyzer.transactions()
    not_ok = Counter(t.connection for t in txns if t.outcome != "ok")
    return Facts(frames, att, len(txns), dict(error_responses), dict(not_ok))
