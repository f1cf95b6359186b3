"""A key the capture gave (a cracked pairing's STK, a distributed LTK or IRK) once had its
frame number written inside its description: a live session, which numbers frames its
own way, could not map it like every other frame number. The frame is a field."""

from __future__ import annotations

import pytest
from corpus import need_corpus

from attscope.capture import open_capture
from attscope.dissector.analysis.analyzer import Analyzer
from attscope.export.convert import Clock, connection_record


@pytest.mark.corpus
def test_keys_found_carry_their_frame_as_a_number() -> None:
    analyzer = Analyzer()
    for frame in open_capture(need_corpus("crackle_legacy_jw_pairing.pcap")):
        analyzer.feed(frame)
    analyzer.finish()
    (conn,) = analyzer.connections
    assert conn.security is not None
    found = conn.security.keys_found
    assert [k.frame for k in found] == [576, 589]
    assert not any(str(k.frame) in k.what for k in found)
    key = conn.security.decrypted_with
    assert key is not None and key.frame == 576 and "576" not in key.source
    exported = connection_record(conn, Clock()).security
    assert exported is not None and [k.frame for k in exported.keys_found] == [576, 589]
    assert exported.key_frame == 576
