"""After the port vanished and came back, a live session re-anchored its clock on the
host's time, behind the firmware times it had been following, so its frames (and its
recording, which then read as damaged) went back in time by some 0.4 s at each
reconnection. A new time reference now never starts before the last frame."""

from __future__ import annotations

import itertools
from pathlib import Path

from sniffer_helpers import Deadline, write_sample

from attscope.capture import Frame, open_capture
from attscope.capture.live import LiveCapture
from attscope.capture.nrf_device import DeviceConfig, Fault
from attscope.capture.nrf_emulator import Emulator, PlayedOut
from attscope.capture.nrf_serial import NrfSerial


def test_times_go_on_across_two_reconnections(tmp_path: Path) -> None:
    source = write_sample(tmp_path / "adverts.pcap", 300)  # 3 s of firmware time
    record = tmp_path / "rec.pcap"
    link = tmp_path / "sniffer"
    config = DeviceConfig(faults=frozenset({Fault.HANGUP}), hangup_every=120)
    emulator = Emulator(
        open_capture(source), config=config, link=link, rate="max", hangup_seconds=0.3
    )
    frames: list[Frame] = []
    with emulator:
        session = LiveCapture(NrfSerial(str(link)), record=str(record))
        session.open()
        over, deadline = PlayedOut(emulator, session.serial), Deadline()
        while not over():
            deadline.check(f"{len(frames)} frames")
            frames += session.poll(0.02)
        session.close()
    assert session.stats.port_lost == 2
    back = [
        (a.index, b.ts_us - a.ts_us) for a, b in itertools.pairwise(frames) if b.ts_us < a.ts_us
    ]
    assert back == []
    reader = open_capture(record)
    assert len(list(reader)) == len(frames) and not reader.warnings
