"""A capture with what attscope decrypted written as plaintext, for tshark and Wireshark
(which cannot decrypt the link layer): each decrypted PDU without its MIC, its Length
and CRC recomputed (Core 5.4 Vol 6 Part B 2.4, 3.1.1), and the record's flags saying it
was decrypted and its MIC checked (the LE pseudo-header's, or the nRF Sniffer's)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import msgspec

from attscope.capture.frame import Direction, Frame, SnifferInfo
from attscope.capture.le_records import (
    NB_CRC_OK,
    NB_ENCRYPTED,
    NB_MIC_OK,
    PH_CRC_CHECKED,
    PH_CRC_VALID,
    PH_DECRYPTED,
    PH_MIC_CHECKED,
    PH_MIC_VALID,
)
from attscope.dissector.decoding.decoder import Decoder
from attscope.dissector.decoding.le_keys import Keys
from attscope.dissector.decoding.ll_data import LlPacket, crc24


class Decrypting:
    """Frames in, the same frames out, those attscope decrypted rewritten as plaintext;
    `decrypted` counts them."""

    def __init__(self, keys: Keys | None) -> None:
        self.decoder = Decoder(keys)
        self.decrypted = 0

    def frames(self, frames: Iterable[Frame]) -> Iterator[Frame]:
        decoder = self.decoder
        for frame in frames:
            packet = decoder.decode(frame)
            ll = packet.layers[0] if packet.layers else None
            if isinstance(ll, LlPacket) and ll.decrypted:
                crc_init = decoder.encryption.crc_init(ll.access_address)
                if frame.direction == Direction.UNKNOWN:  # the MIC proved who sent it
                    frame = msgspec.structs.replace(frame, direction=packet.direction)
                plain = plaintext_frame(frame, ll, crc_init)
                self.decrypted += plain is not frame
                yield plain
            else:
                yield frame


def plaintext_frame(frame: Frame, ll: LlPacket, crc_init: int | None) -> Frame:
    """`frame` with its decrypted PDU `ll` in place of the ciphertext. Without the link's
    CRCInit (its CONNECT_IND not captured) the CRC cannot be recomputed, and the record
    says it was not checked."""
    try:
        whole = ll.to_bytes()
    except ValueError:  # no canonical bytes (a malformed packet): left as it was
        return frame
    start = 5 if ll.ci is not None else 4
    pdu = whole[start:-3]
    crc = crc24(crc_init, pdu) if crc_init is not None else ll.crc
    known = crc_init is not None
    s = frame.sniffer or SnifferInfo()
    flags = s.flags
    if s.aa_offenses is not None:  # an LE pseudo-header record keeps its own flags
        flags |= PH_DECRYPTED | PH_MIC_CHECKED | PH_MIC_VALID
        flags = flags | PH_CRC_CHECKED | PH_CRC_VALID if known else flags & ~PH_CRC_CHECKED
    elif s.protover is not None:  # an nRF Sniffer record
        flags |= NB_ENCRYPTED | NB_MIC_OK | (NB_CRC_OK if known else 0)
    sniffer = msgspec.structs.replace(
        s,
        encrypted=True,
        decrypted=True,
        mic_checked=True,
        mic_ok=True,
        crc_checked=known,
        crc_ok=True if known else None,
        flags=flags,
    )
    return msgspec.structs.replace(frame, payload=whole[:-3] + crc, sniffer=sniffer)
