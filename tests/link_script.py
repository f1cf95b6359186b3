"""Build air captures of one link event by event, as an nRF Sniffer reports them: each
packet with its connection event counter, data channel, RSSI, PHY and CRC verdict, so
that link-layer procedures and connection events can be checked against known truth.

    link = LinkScript()
    link.connect()
    link.event()                                       # Empty PDUs both ways
    link.event(c2p=control(llc.PingReq()))             # the central's control PDU
    link.event(p2c=None, skip=3)                       # three events unheard, then one
    path = link.write(tmp_path)                        # a nordic_ble pcap, read back

The link's interval is 30 ms (the CONNECT_IND's 24 x 1.25 ms) until `interval_us`
changes; each event's central packet is at its anchor, the peripheral's 150 us later.
"""

from __future__ import annotations

import struct
from pathlib import Path

import msgspec
from air_script import C2P, P2C, AirScript

from attscope.capture import Direction, Frame, write_capture
from attscope.capture.frame import LE_ADVERTISING_AA, SnifferInfo
from attscope.capture.linktypes import NORDIC_BLE
from attscope.dissector.decoding.ll_control import LlControlPdu
from attscope.dissector.decoding.ll_data import ADV_CRC_INIT, crc24

HOP = 5  # the CONNECT_IND's
EMPTY = (1, b"")  # LLID 0b01 with no payload: an Empty PDU


def control(pdu: LlControlPdu) -> tuple[int, bytes]:
    """An LL control PDU as an event's (LLID, payload)."""
    return 3, pdu.to_bytes()


class LinkScript(AirScript):
    """One link's packets with what an nRF Sniffer (protocol version 3) says of each."""

    def __init__(self) -> None:
        super().__init__()
        self.interval_us = 30_000
        self.event_counter = -1  # the next event is 0
        self.channel = 0
        self.phy = 0  # 0 LE 1M, 1 LE 2M, 2 LE Coded
        self.rssi = -50
        self.crc_ok = True
        self.channels: list[int] | None = None  # the map's used channels; None: all 37
        self.anchor_us: int | None = None
        self.counters = True  # False: a sniffer that records no event counter

    def _add(self, payload: bytes, direction: Direction, step_us: int) -> int:
        index = super()._add(payload, direction, step_us)
        frame = self.frames[-1]
        if direction == Direction.UNKNOWN:  # an advertising PDU, on a primary channel
            info = SnifferInfo(channel=37, rssi=self.rssi, crc_checked=True, crc_ok=True,
                               event_counter=0, protover=3, advertising=True)  # fmt: skip
        else:
            info = SnifferInfo(channel=self.channel, rssi=self.rssi, crc_checked=True,
                               crc_ok=self.crc_ok, event_counter=self.event_counter & 0xFFFF,
                               protover=3, phy=self.phy, advertising=False)  # fmt: skip
            if not self.counters:  # as an LE pseudo-header gives it: no counter, no PHY
                info = msgspec.structs.replace(info, event_counter=None, protover=None)
        self.frames[-1] = msgspec.structs.replace(frame, sniffer=info)
        return index

    def channel_for_next(self, skip: int = 0) -> int:
        """The data channel the next event (after `skip`) is on."""
        used = self.channels or list(range(37))
        return used[((self.event_counter + 1 + skip) * HOP) % len(used)]

    def event(
        self,
        c2p: tuple[int, bytes] | None = EMPTY,
        p2c: tuple[int, bytes] | None = EMPTY,
        skip: int = 0,
        again: bool = False,
    ) -> tuple[int | None, int | None]:
        """The next connection event (after `skip` events the sniffer caught nothing of,
        the devices sending nothing either): the central's packet, then the
        peripheral's answer; None leaves one out. Returns their frame numbers."""
        self.event_counter += 1 + skip
        start = self.anchor_us if self.anchor_us is not None else self.ts_us
        self.anchor_us = start + (1 + skip) * self.interval_us
        self.channel = self.channel_for_next(-1)
        first = second = None
        if c2p is not None:
            first = self.send(C2P, c2p[0], c2p[1], step_us=self.anchor_us - self.ts_us,
                              again=again)  # fmt: skip
        if p2c is not None:
            if c2p is None:
                self.ts_us = self.anchor_us
            second = self.send(P2C, p2c[0], p2c[1])
        return first, second

    def advert(self, after_us: int) -> int:
        """An ADV_NONCONN_IND of another device `after_us` after the last packet: the
        capture goes on."""
        body = bytes.fromhex("C1C2C3C4C5C6") + b"\x02\x01\x06"
        header = bytes([0x42, len(body)])
        adv = (
            struct.pack("<I", LE_ADVERTISING_AA)
            + header
            + body
            + crc24(ADV_CRC_INIT, header + body)
        )
        return self._add(adv, Direction.UNKNOWN, after_us)

    def events(self, count: int) -> None:
        """`count` events of Empty PDUs both ways."""
        for _ in range(count):
            self.event()

    def write(self, tmp_path: Path, name: str = "link.pcap") -> Path:
        """The capture as an nRF Sniffer pcap (nordic_ble), to be read back."""
        path = tmp_path / name
        frames: list[Frame] = self.frames
        assert write_capture(path, frames, "pcap", NORDIC_BLE) == len(frames)
        return path


__all__ = ["C2P", "EMPTY", "P2C", "LinkScript", "control"]
