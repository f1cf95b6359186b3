"""A non-empty data PDU of four octets or fewer cannot be encrypted: ciphertext needs at
least one octet and the 4-octet MIC (Core 5.4 Vol 6 Part E 1). crackle's decrypted
output keeps its LL_START_ENC_RSP (1 octet) after the encryption start, and attscope,
with no key, once kept it as ciphertext."""

from __future__ import annotations

import pytest
from corpus import need_corpus

from attscope.capture import open_capture
from attscope.dissector.decoding.decoder import Decoder
from attscope.dissector.decoding.ll_control import StartEncRsp
from attscope.dissector.decoding.ll_data import LlEncrypted, LlPacket


@pytest.mark.corpus
def test_a_pdu_too_short_for_a_mic_is_never_ciphertext() -> None:
    decoder = Decoder()
    packets = [
        decoder.decode(f) for f in open_capture(need_corpus("crackle_known_ltk_decrypted.pcap"))
    ]
    ll = packets[91 - 1].layers[0]
    assert isinstance(ll, LlPacket) and isinstance(ll.pdu, StartEncRsp)
    short = [p for p in packets if isinstance(p.layers[0], LlPacket)
             and isinstance(p.layers[0].pdu, LlEncrypted) and len(p.layers[0].pdu.data) <= 4]  # fmt: skip
    assert short == []
