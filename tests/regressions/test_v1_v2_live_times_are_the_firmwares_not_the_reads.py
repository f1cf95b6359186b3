"""Issue 19, item 4: with 1.x-3.x firmware (protocol versions 1 and 2) every live packet
took the host's clock when its read was processed, so packets read in one go (all of them
at full rate) had one time and every latency read 0.0 ms. Their TIME field, the delta from
the previous packet's end, is now chained with each packet's air time."""

from __future__ import annotations

from attscope.capture import Frame
from attscope.capture.nrf_host import NrfHost
from attscope.capture.nrf_slip import slip_encode
from attscope.capture.nrf_uart import UartPacket, encode_packet

# event header: flags 0x03 (CRC OK, central->peripheral), channel 5, TIME 150 us; then an
# empty data PDU (AA, header, length 0, padding, CRC): 9 bytes on LE 1M, 80 us on air
REQUEST = bytes.fromhex("0A 03 05 3C 00 00 96 00 00 00 26EA47A1 01 00 00 AABBCC")
ANSWER = bytes.fromhex("0A 01 05 3C 00 00 96 00 00 00 26EA47A1 05 00 00 AABBCC")


def test_packets_read_together_are_as_far_apart_as_on_air() -> None:
    for version in (1, 2):
        host = NrfHost(clock=lambda: 7.0)
        wire = b"".join(
            slip_encode(encode_packet(UartPacket(version, n, 6, payload)))
            for n, payload in enumerate((REQUEST, ANSWER))
        )
        first, second = [e for e in host.receive_data(wire) if isinstance(e, Frame)]
        assert second.ts_us - first.ts_us == 80 + 150, version  # T_IFS after the request
