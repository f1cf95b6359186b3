"""The nordic_ble board id of a live session was the number in its port's name
(/dev/pts/2 gave board 2, /dev/ttyACM3 board 3), so a recording no longer matched its own
live session or the file replayed into it once another pty was in use. It is fixed now:
the same whatever the port is called, the replayed file's own (0)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sniffer_helpers import write_sample

from attscope.capture import Frame, open_capture
from attscope.capture.nrf_device import DeviceConfig
from attscope.capture.nrf_emulator import Emulator
from attscope.capture.nrf_serial import NrfSerial

PATIENCE = 120  # s: an upper bound for a loaded machine; the wait ends on its event


@pytest.mark.parametrize("name", ["ttyACM3", "COM7", "pts2", "sniffer"])
def test_the_board_id_is_the_same_whatever_the_ports_name(tmp_path: Path, name: str) -> None:
    sample = write_sample(tmp_path / "adverts.pcap", 20)
    expected = {f.sniffer.board_id for f in open_capture(sample) if f.sniffer}
    link = tmp_path / name
    frames: list[Frame] = []
    with Emulator(open_capture(sample), config=DeviceConfig(preroll=False), link=link, rate="max"):
        session = NrfSerial(str(link))
        session.open()
        deadline = time.monotonic() + PATIENCE
        while len(frames) < 20 and time.monotonic() < deadline:
            frames += [e for e in session.read_events(0.05) if isinstance(e, Frame)]
        session.close()
    assert len(frames) == 20
    assert {f.sniffer.board_id for f in frames if f.sniffer} == expected == {0}
