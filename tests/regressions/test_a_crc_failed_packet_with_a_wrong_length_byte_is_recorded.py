"""Issue 19: a packet that failed its CRC may carry any LL length byte, and 1.x firmware
sends such packets as it cut them (8 in the Adafruit capture, LL length 51 in 46 bytes).
The live host dropped them as broken frames, so a live recording lost packets a file of the
same session keeps. Now they are delivered, CRC flag clear, as the file reader gives them."""

from __future__ import annotations

from attscope.capture import Frame
from attscope.capture.nrf_host import FrameDropped, NrfHost
from attscope.capture.nrf_slip import slip_encode
from attscope.capture.nrf_uart import UartPacket, encode_packet

# v1 event header, flags 0x00 (CRC failed); AA, header, LL length 51, padding, 3 bytes
BAD_CRC = bytes.fromhex("0A 00 25 3C 00 00 40 42 0F 00 D6 BE 89 8E 40 33 00 01 02 03 AA BB CC")
GOOD_CRC = bytes((BAD_CRC[0], 0x01)) + BAD_CRC[2:]


def test_a_crc_failed_packet_with_a_wrong_length_is_delivered() -> None:
    events = NrfHost().receive_data(slip_encode(encode_packet(UartPacket(1, 5, 6, BAD_CRC))))
    (frame,) = [e for e in events if isinstance(e, Frame)]
    assert frame.sniffer is not None and frame.sniffer.crc_ok is False
    assert frame.payload == bytes.fromhex("D6BE898E4033010203AABBCC")


def test_with_a_good_crc_the_lengths_must_still_agree() -> None:
    events = NrfHost().receive_data(slip_encode(encode_packet(UartPacket(1, 5, 6, GOOD_CRC))))
    assert [e for e in events if isinstance(e, FrameDropped)]
