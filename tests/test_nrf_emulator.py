"""The emulated dongle, sans-I/O and for real: the device model's scan/follow/connection
rules on real captures, then the emulator on a pseudo-terminal with pyserial opening it (no
mock), `NrfSerial` doing the handshake, and the frames that arrive compared with the frames
`open_capture` reads from the replayed file. One test per fault, and the CLI.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest
from corpus import SAMPLES, need_corpus
from hypothesis import given, settings
from hypothesis import strategies as st
from sniffer_helpers import (
    MOUSE,
    MOUSE_ADDRESS,
    PATIENCE,
    Deadline,
    adv_frame,
    corpus_frames,
    normal,
    write_sample,
)

from attscope.capture import CaptureError, Frame, open_capture
from attscope.capture.nrf_device import DeviceConfig, Fault, NrfDevice, State
from attscope.capture.nrf_emulator import Emulator, PlayedOut, air_capture
from attscope.capture.nrf_host import (
    FrameDropped,
    Garbage,
    Lost,
    NrfHost,
    ProtocolVersion,
    Skipped,
)
from attscope.capture.nrf_serial import NrfSerial, PortBack, PortLost, SerialEvent
from attscope.capture.nrf_uart import (
    ConnectEvent,
    DisconnectEvent,
    FollowEvent,
    PingResponse,
    VersionResponse,
)
from attscope.cli.main import main

CONN_UPDATE = "bsniffhub_conn_update.pcap"  # 256: adverts, connection, LL_TERMINATE_IND
CONN_UPDATE_ADDRESS = "04:EE:03:4A:8B:38"


def frames_of(events: Sequence[object]) -> list[Frame]:
    return [e for e in events if isinstance(e, Frame)]


def adva(frame: Frame) -> str:
    """The AdvA a legacy advertising PDU names (after ScanA/InitA for SCAN_REQ, CONNECT_IND)."""
    p = frame.payload
    at = 12 if p[4] & 0x0F in (3, 5) else 6
    return p[at : at + 6][::-1].hex(":").upper()


def fw_time(frame: Frame) -> int:
    assert frame.sniffer is not None and frame.sniffer.fw_time is not None
    return frame.sniffer.fw_time


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return write_sample(tmp_path / "adverts.pcap", 300)


# -- the device model, sans-I/O ----------------------------------------------------------


def play(device: NrfDevice, host: NrfHost, *commands: Callable[[NrfHost], bytes]) -> list[object]:
    """Run a whole replay between a device and a host, no I/O in between."""
    events: list[object] = list(host.receive_data(device.receive_data(host.ping())))
    for command in commands:
        events += host.receive_data(device.receive_data(command(host)))
    while device.next_due() is not None:
        events += host.receive_data(device.emit_next().data)
    return events


def expected_follow(frames: list[Frame], address: str, connect_index: int) -> list[Frame]:
    return [
        f
        for f in frames
        if f.index >= connect_index or (f.sniffer and f.sniffer.advertising and adva(f) == address)
    ]


@pytest.mark.corpus
def test_scanning_reports_every_advert_and_no_connection() -> None:
    frames = corpus_frames(MOUSE)
    device = NrfDevice(frames)
    got = frames_of(play(device, NrfHost(), lambda h: h.handshake()))
    adverts = [f for f in frames if f.sniffer and f.sniffer.advertising]
    assert [normal(f) for f in got] == [normal(f) for f in adverts]
    assert device.stats.filtered == len(frames) - len(adverts)


@pytest.mark.corpus
def test_following_reports_the_advertiser_then_its_connection() -> None:
    frames = corpus_frames(MOUSE)
    device = NrfDevice(frames)
    events = play(
        device, NrfHost(), lambda h: h.follow(MOUSE_ADDRESS, False), lambda h: h.handshake()
    )
    assert events.count(FollowEvent()) == 2  # the follow, and the handshake's replay of it
    got = frames_of(events)
    assert [normal(f) for f in got] == [
        normal(f) for f in expected_follow(frames, MOUSE_ADDRESS, 953)
    ]
    assert device.state == State.CONNECTION and ConnectEvent() not in events  # v3: none


@pytest.mark.corpus
def test_follow_only_advertisements_never_enters_the_connection() -> None:
    device = NrfDevice(corpus_frames(MOUSE))
    got = frames_of(
        play(device, NrfHost(), lambda h: h.follow(MOUSE_ADDRESS, False, adv_only=True))
    )
    assert got and all(f.sniffer and f.sniffer.advertising for f in got)
    assert device.state == State.FOLLOWING


@pytest.mark.corpus
def test_hop_sequence_and_scan_flags_are_honoured() -> None:
    frames = corpus_frames(MOUSE)
    device = NrfDevice(frames)
    got = frames_of(
        play(
            device,
            NrfHost(),
            lambda h: h.set_adv_hop_sequence((38,)),
            lambda h: h.follow(MOUSE_ADDRESS, False, adv_only=True),
        )
    )
    assert got and {f.sniffer.channel for f in got if f.sniffer} == {38}
    device = NrfDevice(frames)
    got = frames_of(play(device, NrfHost(), lambda h: h.scan(scan_responses=False)))
    assert got and not [f for f in got if f.payload[4] & 0x0F in (3, 4)]  # no SCAN_REQ/RSP
    assert any(f.payload[4] & 0x0F in (3, 4) for f in frames)


@pytest.mark.corpus
def test_v1_device_announces_the_connection_right_after_its_connect_ind() -> None:
    device = NrfDevice(corpus_frames(MOUSE), DeviceConfig(protover=1))
    host = NrfHost()
    events = play(device, host, lambda h: h.follow(MOUSE_ADDRESS, False), lambda h: h.handshake())
    at = events.index(ConnectEvent())
    connect_ind = events[at - 1]
    assert isinstance(connect_ind, Frame) and connect_ind.payload[4] & 0x0F == 5
    assert host.protover == 1 and host.lost == 0  # the event spent a counter value, no gap
    assert all(f.sniffer and f.sniffer.protover == 1 for f in frames_of(events))


@pytest.mark.corpus
def test_a_v2_capture_replays_with_its_own_delta_times() -> None:
    """v1/v2 TIME is a delta from the end of the previous packet: rebuilt from the capture's
    chained start times, it comes out as the file has it."""
    frames = corpus_frames("bsniffhub_nrf2_encrypted_missing.pcap")
    device = NrfDevice(frames)
    address = adva(frames[0])  # the one advertiser, random address
    events = play(device, NrfHost(), lambda h: h.follow(address, True))
    got = frames_of(events)
    assert device.protover == 2 and ConnectEvent() in events
    # all but the adverts after the link: its LL_TERMINATE_IND is encrypted, so the
    # device is still in the connection when the advertiser comes back
    assert [normal(f) for f in got] == [normal(f) for f in frames[:1523]]


@pytest.mark.corpus
def test_termination_returns_to_following() -> None:
    frames = corpus_frames(CONN_UPDATE)
    device = NrfDevice(frames)
    events = play(device, NrfHost(), lambda h: h.follow(CONN_UPDATE_ADDRESS, False))
    got = frames_of(events)
    assert len(got) == len(frames)  # adverts, CONNECT_IND, the link, adverts again
    at = events.index(DisconnectEvent())
    assert events[at - 1] == got[282] and events[at + 1] == got[283]  # after the reply
    assert device.state == State.FOLLOWING


def test_go_idle_stops_and_loop_goes_on_with_a_growing_clock(sample: Path) -> None:
    device = NrfDevice(open_capture(sample), DeviceConfig(loop=True))
    host = NrfHost()
    host.receive_data(device.receive_data(host.scan()))
    times = []
    for _ in range(650):
        due = device.next_due()
        assert due is not None
        times.append(due)
        device.emit_next()
    assert device.stats.passes == 3 and times == sorted(times)
    device.receive_data(host.go_idle())
    assert device.next_due() is None and device.started


def test_a_capture_without_air_packets_is_refused() -> None:
    with pytest.raises(CaptureError, match="not an air capture"):
        air_capture(SAMPLES / "heart_rate.btsnoop")
    with pytest.raises(CaptureError, match="no LE link-layer packet"):
        Emulator([])


# -- the real path: pty, pyserial, NrfSerial ----------------------------------------------


def drain(session: NrfSerial, emulator: Emulator) -> list[SerialEvent]:
    """Events until the session has all the emulator replayed."""
    events: list[SerialEvent] = []
    over, deadline = PlayedOut(emulator, session), Deadline()
    while not over():
        deadline.check(f"replay not over: {len(events)} events")
        events += session.read_events(0.02)
    return events


@pytest.fixture
def link(tmp_path: Path) -> Path:
    return tmp_path / "sniffer"


def live(frames: Iterable[Frame], link: Path, **config: Any) -> Emulator:
    """The emulator at full speed, by default without the pre-roll of adverts a dongle
    streams before the replay starts (so that what arrives is the file's, whole)."""
    config.setdefault("preroll", False)
    return Emulator(
        frames, config=DeviceConfig(**config), link=link, rate="max", hangup_seconds=0.3
    )


@pytest.mark.corpus
def test_follow_over_a_pty_delivers_the_capture(link: Path) -> None:
    frames = corpus_frames(MOUSE)
    with live(air_capture(need_corpus(MOUSE)), link) as emulator:
        session = NrfSerial(str(link), board_id=0)
        session.follow(MOUSE_ADDRESS, False)  # chosen before opening: sent by the handshake
        session.open()
        assert (session.host.protover, session.host.firmware, session.baud) == (
            3,
            "4.1.1",
            1_000_000,
        )
        events = drain(session, emulator)
        session.close()
    got = frames_of(events)
    expected = expected_follow(frames, MOUSE_ADDRESS, 953)
    assert [f.index for f in got] == list(range(1, len(expected) + 1))
    assert [normal(f) for f in got] == [normal(f) for f in expected]
    assert not [e for e in events if isinstance(e, Lost | FrameDropped | Garbage)]
    # after the timestamp reference, live times are the firmware's (section 7.3); the
    # file's first times were the host's, so the firmware times are what to compare with
    assert [b.ts_us - a.ts_us for a, b in itertools.pairwise(got)] == [
        (fw_time(b) - fw_time(a)) % 2**32 for a, b in itertools.pairwise(expected)
    ]


@pytest.mark.corpus
def test_a_256_capture_over_a_pty(link: Path) -> None:
    frames = corpus_frames(CONN_UPDATE)
    with live(air_capture(need_corpus(CONN_UPDATE)), link) as emulator:
        session = NrfSerial(str(link))
        session.follow(CONN_UPDATE_ADDRESS, False)
        session.open()
        events = drain(session, emulator)
        session.close()
    got = frames_of(events)
    assert [f.payload for f in got] == [f.payload for f in frames]
    for a, b in zip(got, frames, strict=True):
        assert a.sniffer is not None and b.sniffer is not None
        assert (a.sniffer.channel, a.sniffer.rssi, a.sniffer.crc_ok, a.sniffer.advertising) == (
            b.sniffer.channel,
            b.sniffer.rssi,
            b.sniffer.crc_ok,
            b.sniffer.advertising,
        )
        assert a.ts_us - got[0].ts_us == (b.ts_us - frames[0].ts_us)  # v3 time from 256 time
    assert DisconnectEvent() in events


def test_version_1_over_a_pty(sample: Path, link: Path) -> None:
    with live(open_capture(sample), link, protover=1) as emulator:
        session = NrfSerial(str(link))
        session.open()
        events = drain(session, emulator)
        session.close()
    assert ProtocolVersion(1) in events and session.host.firmware == "build 1116"
    assert VersionResponse not in {type(e) for e in events}  # v1 has no REQ_VERSION
    got = frames_of(events)
    assert [f.payload for f in got] == [f.payload for f in open_capture(sample)]
    assert {f.sniffer.protover for f in got if f.sniffer} == {1}


def with_fault(
    sample: Path, link: Path, fault: Fault, **config: Any
) -> tuple[Emulator, NrfSerial, list[SerialEvent]]:
    """The sample replayed with one fault, a host reading all of it: the emulator (for its
    stats), the host and every event it delivered."""
    with live(open_capture(sample), link, faults=frozenset({fault}), **config) as emulator:
        session = NrfSerial(str(link))
        session.open()
        events = drain(session, emulator)
        session.close()
    return emulator, session, events


def test_fault_garbage_is_skipped_and_every_frame_kept(sample: Path, link: Path) -> None:
    emulator, _, events = with_fault(sample, link, Fault.GARBAGE, fault_every=7)
    stats = emulator.device.stats
    assert stats.garbage_bytes > 0
    assert sum(e.count for e in events if isinstance(e, Garbage)) == stats.garbage_bytes
    assert [normal(f) for f in frames_of(events)] == [normal(f) for f in open_capture(sample)]
    assert not [e for e in events if isinstance(e, Lost | FrameDropped)]


def test_fault_broken_escape_drops_that_frame_and_says_so(sample: Path, link: Path) -> None:
    emulator, session, events = with_fault(sample, link, Fault.SLIP, fault_every=9)
    broken = emulator.device.stats.broken_frames
    dropped = [e for e in events if isinstance(e, FrameDropped)]
    assert broken == 300 // 9 and len(dropped) == broken
    assert {e.reason for e in dropped} == {"SLIP bad escape"}
    # the broken frame's counter value never arrives, but it is counted as broken only
    assert not [e for e in events if isinstance(e, Lost | Skipped)]
    assert session.host.lost == 0 and session.host.dropped == broken
    assert len(frames_of(events)) == 300 - broken


def test_a_counter_gap_in_a_whole_stream_is_a_skip_not_a_loss(sample: Path, link: Path) -> None:
    emulator, session, events = with_fault(sample, link, Fault.GAP, fault_every=20, gap_size=4)
    skipped = [e for e in events if isinstance(e, Skipped)]
    stats = emulator.device.stats
    assert skipped and all(e.count == 4 for e in skipped)
    assert sum(e.count for e in skipped) == stats.gap_dropped == session.host.skipped
    assert not [e for e in events if isinstance(e, Lost | FrameDropped)]
    assert len(frames_of(events)) == stats.sent == 300 - stats.gap_dropped


def test_bytes_lost_on_the_line_are_one_broken_frame_and_the_rest_lost(
    sample: Path, link: Path
) -> None:
    emulator, session, events = with_fault(sample, link, Fault.LOSS, fault_every=20, gap_size=3)
    stats = emulator.device.stats
    lost = [e for e in events if isinstance(e, Lost)]
    assert stats.cut_frames > 5 and all(e.count == 3 for e in lost)
    # each cut frame is broken, each frame gone whole is lost: no packet counted twice
    assert session.host.dropped == stats.cut_frames
    assert session.host.lost == stats.line_lost == 3 * len(lost)
    got = len(frames_of(events))
    assert got + session.host.dropped + session.host.lost == 300
    assert not [e for e in events if isinstance(e, Skipped)]


def test_fault_hangup_is_reported_and_the_port_comes_back(sample: Path, link: Path) -> None:
    with live(
        open_capture(sample), link, faults=frozenset({Fault.HANGUP}), hangup_every=120
    ) as emulator:
        session = NrfSerial(str(link))
        session.open()
        events = drain(session, emulator)
        session.close()
    kinds = [type(e) for e in events if isinstance(e, PortLost | PortBack)]
    assert kinds == [PortLost, PortBack, PortLost, PortBack]
    assert emulator.device.stats.hangups == 2 and emulator.host_opens >= 3
    back = events.index(next(e for e in events if isinstance(e, PortBack)))
    after = frames_of(events[back:])
    assert after  # the replay goes on after the reconnection ...
    got = frames_of(events)
    assert [f.index for f in got] == list(range(1, len(got) + 1))  # ... numbered on
    # the handshake was redone: ping and version answered again
    assert sum(isinstance(e, VersionResponse) for e in events) >= 2
    assert sum(isinstance(e, PingResponse) for e in events) >= 2


def test_realtime_rate_keeps_the_captures_timing(tmp_path: Path, link: Path) -> None:
    sample = write_sample(tmp_path / "slow.pcap", 6, spacing_us=40_000)
    emulator = Emulator(
        open_capture(sample), config=DeviceConfig(preroll=False), link=link, rate="realtime"
    )
    with emulator:
        session = NrfSerial(str(link))
        start = time.monotonic()  # the replay starts (its clock anchored) after this
        session.open()
        arrivals = []
        events: list[SerialEvent] = []
        deadline = Deadline()
        while len(frames_of(events)) < 6:
            deadline.check(f"{len(frames_of(events))} of 6 frames")
            batch = session.read_events(0.01)
            arrivals += [time.monotonic() for e in batch if isinstance(e, Frame)]
            events += batch
        session.close()
    got = frames_of(events)
    assert [b.ts_us - a.ts_us for a, b in itertools.pairwise(got)] == [40_000] * 5
    # 200 ms of capture from its first packet to its last, not a burst: the last can come
    # no sooner than that after the start (a loaded machine only delays it)
    assert arrivals[-1] - start >= 0.2


def test_a_port_that_is_no_sniffer_is_a_capture_error(tmp_path: Path) -> None:
    master, slave = os.openpty()
    try:
        name = os.ttyname(slave)
        session = NrfSerial(name, probe_timeout=0.1)
        with pytest.raises(
            CaptureError,
            match=r"not an nRF Sniffer \(no sniffer frame, no answer to a ping at 1000000 or "
            r"460800 baud\)",
        ):
            session.open()
    finally:
        os.close(master)
        os.close(slave)
    with pytest.raises(CaptureError, match="cannot open"):
        NrfSerial(str(tmp_path / "nothing")).open()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=1500))
def test_the_device_takes_any_bytes_from_a_host(data: bytes) -> None:
    device = NrfDevice([adv_frame(1, bytes(6), 1000)])
    device.receive_data(data)  # never raises, whatever it was
    # and still answers: a frame left open by the noise is restarted by the ping's AB
    assert PingResponse(1116) in NrfHost().receive_data(device.receive_data(NrfHost().ping()))


# -- the command line --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--replay", str(SAMPLES / "heart_rate.btsnoop")], "not an air capture"),
        (["--replay", "/nonexistent/capture.pcap"], "No such file"),
        (["--replay", "x.pcap", "--fault", "hangup"], "--fault hangup needs --link"),
        (["--link", "/nonexistent/dir/sniffer"], "No such file or directory"),
    ],
)
def test_emulate_refuses_bad_input_in_one_line(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if "--replay" not in args:
        args = ["--replay", str(write_sample(tmp_path / "a.pcap", 3)), *args]
    assert main(["emulate", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_emulate_command_serves_a_host_until_ctrl_c(sample: Path, link: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "attscope",
            "emulate",
            "--replay",
            str(sample),
            "--link",
            str(link),
            "--rate",
            "max",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert (
            first.startswith("nRF Sniffer emulator (protocol version 3) on ") and str(link) in first
        )
        session = NrfSerial(str(link))
        session.open()
        events: list[SerialEvent] = []
        deadline = Deadline()
        last = list(open_capture(sample))[-1].payload
        while not frames_of(events) or frames_of(events)[-1].payload != last:
            deadline.check(f"{len(frames_of(events))} frames")
            events += session.read_events(0.02)
        session.close()
        # the whole replay, after the first advert streamed from the moment the port opened
        payloads = [f.payload for f in frames_of(events)]
        assert payloads[-300:] == [f.payload for f in open_capture(sample)]
        assert set(payloads[:-300]) <= {payloads[-300]}
        proc.send_signal(signal.SIGINT)  # handled even if inherited ignored (`trap '' INT`)
        out, err = proc.communicate(timeout=PATIENCE)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 0, err
    assert "sent 300 packets" in out
    assert not link.exists()
