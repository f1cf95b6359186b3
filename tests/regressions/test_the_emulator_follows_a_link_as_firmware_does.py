"""Issue 19, item 7: the emulated dongle follows a connection as firmware does: through its parameter
updates (a longer supervision timeout is no timeout), and never into a connection whose
CONNECT_IND failed its CRC. Links built event by event (link_script.py), played sans-I/O."""

from __future__ import annotations

from pathlib import Path

import msgspec
from air_script import PERIPHERAL
from link_script import LinkScript, control

from attscope.capture import Frame, open_capture
from attscope.capture.nrf_device import NrfDevice, State
from attscope.capture.nrf_host import NrfHost
from attscope.capture.nrf_uart import DisconnectEvent
from attscope.dissector.decoding import ll_control as llc

TARGET = PERIPHERAL[::-1]  # display order


def follow_all(path: Path) -> tuple[NrfDevice, list[object]]:
    device = NrfDevice(open_capture(path))
    host = NrfHost()
    events: list[object] = list(host.receive_data(device.receive_data(host.follow(TARGET, False))))
    while device.next_due() is not None:
        events += host.receive_data(device.emit_next().data)
    return device, events


def data_packets(events: list[object]) -> int:
    return sum(isinstance(e, Frame) and e.sniffer is not None and not e.sniffer.advertising
               for e in events)  # fmt: skip


def test_a_connection_update_to_a_longer_timeout_is_followed(tmp_path: Path) -> None:
    """720 ms supervision timeout, then an update to a 500 ms interval and 6 s timeout: the
    1.5 s between two events after the instant ended the connection for the emulator,
    which dropped the rest of it."""
    link = LinkScript()
    link.connect()
    link.events(3)
    instant = link.event_counter + 4
    link.event(c2p=control(llc.ConnectionUpdateInd(1, 0, 400, 0, 600, instant)))
    link.events(2)
    link.interval_us = 500_000
    link.events(2)  # from the instant on, 500 ms apart
    link.event(skip=2)  # 1.5 s: longer than the old timeout, well inside the new one
    link.events(3)
    device, events = follow_all(link.write(tmp_path))
    assert DisconnectEvent() not in events and device.state == State.CONNECTION
    assert data_packets(events) == 2 * (3 + 1 + 2 + 2 + 1 + 3)


def test_a_silence_past_the_timeout_still_ends_the_connection(tmp_path: Path) -> None:
    link = LinkScript()
    link.connect()
    link.events(3)
    link.event(skip=30)  # 930 ms without a packet: past the 720 ms timeout
    link.events(2)
    device, events = follow_all(link.write(tmp_path))
    assert events.count(DisconnectEvent()) == 1 and device.state == State.FOLLOWING
    assert data_packets(events) == 2 * 3


def test_a_connect_ind_whose_crc_failed_is_reported_but_not_followed(tmp_path: Path) -> None:
    link = LinkScript()
    connect = link.connect()
    link.events(3)
    frame = link.frames[connect - 1]
    assert frame.sniffer is not None
    link.frames[connect - 1] = msgspec.structs.replace(
        frame, sniffer=msgspec.structs.replace(frame.sniffer, crc_ok=False)
    )
    device, events = follow_all(link.write(tmp_path))
    frames = [e for e in events if isinstance(e, Frame)]
    assert len(frames) == 1 and frames[0].sniffer is not None and not frames[0].sniffer.crc_ok
    assert device.state == State.FOLLOWING and data_packets(events) == 0
