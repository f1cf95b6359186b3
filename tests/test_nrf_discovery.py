"""Finding the sniffer and finding it again: listening before pinging, probing only ports
with a sniffer board's USB id, following a dongle that comes back under another name by its
USB serial number, and refusing a device that answers in its place but is another one.

pyserial never lists pseudo-terminals, so its listing is faked; the ports themselves are
real ptys with the stand-in of dongle_sim.py or the emulator behind them."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dongle_sim as sim
import pytest
from corpus import need_corpus
from sniffer_helpers import MOUSE, Deadline, write_sample

from attscope.capture import CaptureError, nrf_ports, open_capture
from attscope.capture.nrf_device import DeviceConfig, Fault
from attscope.capture.nrf_emulator import Emulator
from attscope.capture.nrf_serial import NotTheSniffer, NrfSerial, PortBack, PortLost, SerialEvent


@dataclass
class FakePort:
    """What `serial.tools.list_ports.comports()` lists for a port."""

    device: str
    vid: int | None = None
    pid: int | None = None
    serial_number: str | None = None


def fake_listing(monkeypatch: pytest.MonkeyPatch, ports: Callable[[], list[FakePort]]) -> None:
    monkeypatch.setattr(nrf_ports.list_ports, "comports", ports)


def until(session: NrfSerial, want: type, events: list[SerialEvent]) -> SerialEvent:
    """Read until an event of type `want` comes; every event read is kept in `events`."""
    deadline = Deadline()
    while True:
        deadline.check(f"no {want.__name__}: {events[-5:]}")
        for event in session.read_events(0.02):
            events.append(event)
            if isinstance(event, want):
                return event


@pytest.mark.corpus
def test_a_port_that_streams_sniffer_frames_needs_no_ping_answer(tmp_path: Path) -> None:
    records = sim.read_records(need_corpus(MOUSE))
    with sim.DongleSim(records, tmp_path / "dongle", answer_ping=False) as dongle:
        session = NrfSerial(str(tmp_path / "dongle"))
        session.open()  # the old host pinged, got no answer and gave up
        assert (session.host.protover, session.baud) == (3, 1_000_000)
        session.close()
    assert dongle.stats.beacons > 0


def test_only_ports_with_a_sniffer_boards_usb_id_are_probed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = write_sample(tmp_path / "adverts.pcap", 20)
    with Emulator(open_capture(sample), rate="max") as emulator:
        # the emulator behind a port without a known USB id: never opened
        fake_listing(monkeypatch, lambda: [FakePort(emulator.path, 0x2341, 0x0043)])
        with pytest.raises(CaptureError, match=r"no serial port with the USB id of a sniffer"):
            NrfSerial().open()
        assert emulator.host_opens == 0
        # a vanished dongle, then the emulator behind a J-Link's id: the J-Link one is used
        listing = [
            FakePort(emulator.path, 0x1366, 0x1015),
            FakePort(str(tmp_path / "ttyACM7"), 0x1915, 0x522A),
        ]
        fake_listing(monkeypatch, lambda: listing)
        assert [p.device for p in nrf_ports.candidate_ports()] == [
            str(tmp_path / "ttyACM7"),
            emulator.path,
        ]
        session = NrfSerial()
        session.open()
        assert session.port == emulator.path and session.host.protover == 3
        session.close()
    fake_listing(monkeypatch, lambda: listing[1:])
    with pytest.raises(CaptureError, match=r"1 port\(s\) with a sniffer board's USB id, none"):
        NrfSerial(probe_timeout=0.05).open()


def test_a_port_back_under_another_name_is_found_by_its_usb_serial_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ttyACM0 vanishes with the dongle and the dongle comes back as ttyACM1: `--port
    ttyACM0` finds it there, by the serial number the USB listing gives both."""
    sample = write_sample(tmp_path / "adverts.pcap", 300)
    acm0, acm1 = tmp_path / "ttyACM0", tmp_path / "ttyACM1"
    config = DeviceConfig(faults=frozenset({Fault.HANGUP}), hangup_every=100)
    with Emulator(open_capture(sample), config=config, rate="max", hangup_seconds=0.2) as emu:
        acm0.symlink_to(emu.slave_name)
        listing = [FakePort(str(acm0), 0x1915, 0x522A, "F00D1")]
        fake_listing(monkeypatch, lambda: listing)
        session = NrfSerial(str(acm0))
        session.open()
        events: list[SerialEvent] = []
        until(session, PortLost, events)
        acm0.unlink()  # the dongle's old name is gone ...
        deadline = Deadline()
        while not os.path.exists(emu.slave_name):  # ... and it is back, as another port
            deadline.check("the emulator's port did not come back")
            session.read_events(0.02)
        acm1.symlink_to(emu.slave_name)
        listing[:] = [FakePort(str(acm1), 0x1915, 0x522A, "F00D1")]
        back = until(session, PortBack, events)
        session.close()
    assert isinstance(back, PortBack) and back.port == str(acm1) and back.outage > 0


@pytest.mark.corpus
def test_another_device_answering_in_the_sniffers_place_is_not_used(tmp_path: Path) -> None:
    records = sim.read_records(need_corpus(MOUSE))
    port = tmp_path / "dongle"
    with sim.DongleSim(records, port, version_text="4.1.1"):
        session = NrfSerial(str(port))
        session.open()
        assert session.identity is not None and session.identity.firmware == "4.1.1"
        events: list[SerialEvent] = []
    # the dongle is gone; another sniffer, with other firmware, appears under its name
    with sim.DongleSim(records, port, version_text="4.0.0"):
        other = until(session, NotTheSniffer, events)
    assert isinstance(other, NotTheSniffer) and "firmware 4.0.0" in other.reason
    assert not [e for e in events if isinstance(e, PortBack)]
    with sim.DongleSim(records, port, version_text="4.1.1"):  # and the sniffer is back
        back = until(session, PortBack, events)
        session.close()
    assert isinstance(back, PortBack) and back.outage > 0
    assert [type(e) for e in events if isinstance(e, PortLost | PortBack | NotTheSniffer)] == [
        PortLost,
        NotTheSniffer,
        PortBack,
    ]
