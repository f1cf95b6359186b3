"""The nRF Sniffer decrypts a link itself when it was given the key (or saw the
pairing): such packets carry the encrypted flag with a good MIC and are plaintext. The
decryption that follows the encryption procedure once took them for ciphertext it had no
key for and showed LL_START_ENC_RSP as an encrypted PDU. The sniffer's word decides."""

from __future__ import annotations

import pytest
from corpus import need_corpus

from attscope.capture import open_capture
from attscope.dissector.analysis.analyzer import Analyzer
from attscope.dissector.decoding.decoder import Decoder
from attscope.dissector.decoding.ll_control import StartEncRsp
from attscope.dissector.decoding.ll_data import LlEncrypted, LlPacket


@pytest.mark.corpus
def test_packets_the_sniffer_decrypted_are_plaintext() -> None:
    decoder = Decoder()
    by_sniffer = encrypted = 0
    for frame in open_capture(need_corpus("nrf3_hid_mouse.pcapng")):
        ll = decoder.decode(frame).layers[0]
        s = frame.sniffer
        if not isinstance(ll, LlPacket) or s is None or not s.encrypted:
            continue
        if s.mic_ok:
            by_sniffer += 1
            assert not isinstance(ll.pdu, LlEncrypted), frame.index
            assert not ll.decrypted  # the sniffer's plaintext, not attscope's
        else:
            encrypted += 1
            assert isinstance(ll.pdu, LlEncrypted), frame.index
    assert by_sniffer > 100 and encrypted < by_sniffer  # the MIC failures stay ciphertext
    starts = [f for f in open_capture(need_corpus("nrf3_hid_mouse.pcapng"))]
    decoder = Decoder()
    kinds = [type(getattr(decoder.decode(f).layers[0], "pdu", None)) for f in starts]
    assert kinds.count(StartEncRsp) == 2  # both sides' LL_START_ENC_RSP


@pytest.mark.corpus
def test_only_packets_the_sniffer_flagged_count_as_decrypted_by_it() -> None:
    """An unflagged packet after the encryption start (the sniffer's LL_START_ENC_REQ, in
    the clear) was once counted among those the sniffer decrypted."""
    path = need_corpus("nrf3_hid_mouse.pcapng")
    flagged = 0
    analyzer = Analyzer()
    for frame in open_capture(path):
        s = frame.sniffer
        flagged += bool(s and s.encrypted and s.mic_ok and frame.payload[5])  # non-empty
        analyzer.feed(frame)
    analyzer.finish()
    (conn,) = analyzer.connections
    assert conn.security is not None and conn.security.sniffer_decrypted_pdus == flagged
