"""Issue 19, items 5 and 7: `--follow ADDR` (its type unknown) scans until the device
advertises, then follows it. The emulated dongle at full speed ran far ahead of the host,
so a connection made at the device's next advertising event (20 ms later on air) had gone
by as scan results before the follow arrived, and was never followed. The dongle now gives
a host time to answer a connectable advertiser's first advert, as the air's pace would."""

from __future__ import annotations

import struct
from pathlib import Path

from air_script import PERIPHERAL
from link_script import LinkScript
from sniffer_helpers import PATIENCE, Deadline

from attscope.capture import Direction
from attscope.capture.frame import LE_ADVERTISING_AA
from attscope.capture.live import LiveCapture
from attscope.capture.nrf_emulator import Emulator, PlayedOut, air_capture
from attscope.capture.nrf_serial import NrfSerial
from attscope.dissector.decoding.ll_data import ADV_CRC_INIT, crc24


def adv_ind(link: LinkScript, after_us: int) -> None:
    """The peripheral's ADV_IND (public address), `after_us` after the last packet."""
    body = PERIPHERAL + b"\x02\x01\x06"
    header = bytes([0x00, len(body)])
    pdu = struct.pack("<I", LE_ADVERTISING_AA) + header + body
    link._add(pdu + crc24(ADV_CRC_INIT, header + body), Direction.UNKNOWN, after_us)


def test_the_connection_at_the_next_advertising_event_is_followed(tmp_path: Path) -> None:
    link = LinkScript()
    link.advert(0)  # another device, not connectable
    adv_ind(link, 10_000)  # the peripheral heard for the first time
    adv_ind(link, 20_000)  # its next advertising event, answered at once by a central
    link.connect()
    link.events(5)
    address = PERIPHERAL[::-1].hex(":").upper()
    # the wait ends at the host's follow: however long the grace, a loaded machine that
    # answers late still answers in time
    with Emulator(
        air_capture(link.write(tmp_path)), rate="max", first_sighting_grace=PATIENCE
    ) as emulator:
        session = LiveCapture(NrfSerial(emulator.path), follow=address)
        session.open()
        frames = []
        over, deadline = PlayedOut(emulator, session.serial), Deadline()
        while not over():
            deadline.check(f"{len(frames)} frames")
            frames += session.poll(0.02)
        session.close()
    assert session.state == f"following {address} (public)"
    data = [f for f in frames if f.sniffer is not None and f.sniffer.advertising is False]
    assert len(data) == 2 * 5  # every packet of the connection
