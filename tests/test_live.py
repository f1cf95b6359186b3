"""The live path end to end, with no mock: the emulated dongle on a pseudo-terminal,
pyserial opening it, SLIP and the packet layer, `LiveCapture` recording every packet, the
analyzer (or the TUI) on the stream. What the live session concludes must equal what the
recording and the replayed file give; a vanished port must be said and survived; a killed
session must leave a valid recording.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from corpus import need_corpus, tshark_fields
from sniffer_helpers import (
    MOUSE,
    MOUSE_ADDRESS,
    PATIENCE,
    Deadline,
    corpus_frames,
    normal,
    write_sample,
)
from tui_helpers import run_async, shown

from attscope.capture import Frame, open_capture
from attscope.capture.live import LiveCapture, SnifferOptions
from attscope.capture.nrf_device import DeviceConfig, Fault, State
from attscope.capture.nrf_emulator import Emulator, PlayedOut, air_capture
from attscope.capture.nrf_serial import NrfSerial
from attscope.capture.nrf_uart import (
    FOLLOW_ADV_ONLY,
    FOLLOW_CODED,
    FOLLOW_LEGACY_ONLY,
    SCAN_CODED,
    PacketId,
)
from attscope.cli.commands.live_cmd import live_keys
from attscope.cli.main import build_parser, main
from attscope.dissector.analysis.analysis_records import Transaction
from attscope.dissector.analysis.analyzer import Analyzer
from attscope.export.convert import Clock
from attscope.export.gatt import gatt_records
from attscope.tui.app import Source, make_app


def play_out(session: LiveCapture, emulator: Emulator) -> list[Frame]:
    """Every frame the session delivers until it has all the emulator replayed."""
    frames: list[Frame] = []
    over, deadline = PlayedOut(emulator, session.serial), Deadline()
    while not over():
        deadline.check(f"replay not over: {len(frames)} frames")
        frames += session.poll(0.02)
    return frames


def analysis(frames: list[Frame]) -> dict[str, Any]:
    """Everything the analyzer concludes, as plain data."""
    analyzer = Analyzer()
    for frame in frames:
        analyzer.feed(frame)
    analyzer.finish()
    return msgspec.to_builtins(
        {
            "connections": analyzer.connections,
            "transactions": analyzer.transactions(),
            "violations": analyzer.violations,
            "gatt": [gatt_records(db, Clock()) for db in analyzer.gatt_databases.values()],
            "devices": analyzer.advertisers,
        }
    )


def renumbered(found: dict[str, Any], numbers: dict[int, int]) -> dict[str, Any]:
    """An analysis with frame numbers mapped (live numbering to the file's) and times (and
    what link health measures from them) left out: live times are the firmware's clock (section 7.3), the file's were the capturing
    host's arrival times, so even latencies differ by its jitter. That live times follow
    the firmware clock is tested in test_nrf_emulator.py."""

    def walk(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items() if not _time(k)}
        if isinstance(value, list | tuple):
            if "frame" in key:
                return [numbers.get(v, v) if isinstance(v, int) else walk(v) for v in value]
            return [walk(v, key) for v in value]
        if isinstance(value, int) and "frame" in key:
            return numbers.get(value, value)
        return value

    return walk(found)


# what link health measures from the times: a duration (`Silence.us`), rates, values per
# time bucket, the ending's words (they give the silence in seconds)
_FROM_TIMES = frozenset({"us", "series", "peak_att_bytes_per_s", "verdict"})


def _time(key: str) -> bool:
    return key == "time" or key.endswith("_us") or key in _FROM_TIMES


def embed(live: list[Frame], original: list[Frame]) -> dict[int, int]:
    """Live frame number -> the file's frame number, the live frames being a subsequence
    of the file's (the dongle reports what its mode lets through, in order)."""
    out: dict[int, int] = {}
    pos = 0
    for frame in live:
        want = normal(frame)
        while normal(original[pos]) != want:
            pos += 1
        out[frame.index] = original[pos].index
        pos += 1
    return out


def replay(path: str | Path, **config: Any) -> Emulator:
    config.setdefault("preroll", False)  # what arrives is the file's, whole
    return Emulator(air_capture(path), config=DeviceConfig(**config), rate="max")


@pytest.mark.corpus
def test_live_session_equals_the_recording_and_the_replayed_file(tmp_path: Path) -> None:
    record = tmp_path / "live.pcapng"
    with replay(need_corpus(MOUSE)) as emulator:
        # the address type is not given: the session learns it from the mouse's advert
        session = LiveCapture(NrfSerial(emulator.path), record=str(record), follow=MOUSE_ADDRESS)
        session.open()
        live = play_out(session, emulator)
        session.close()
    assert session.state == f"following {MOUSE_ADDRESS} (public)"
    assert session.stats.frames == len(live) and session.stats.lost == 0
    live_analysis = analysis(live)
    assert live_analysis["transactions"], "the mouse's connection must have been followed"
    # the recording holds exactly what the session saw: same frames, same analysis
    recorded = open_capture(record)
    again = list(recorded)
    assert not recorded.warnings
    assert [msgspec.structs.replace(f, offset=0) for f in again] == live
    assert analysis(again) == live_analysis
    # and the replayed file, frames renumbered, concludes the same about the connection
    original = corpus_frames(MOUSE)
    numbers = embed(live, original)
    expected = analysis([original[n - 1] for n in numbers.values()])
    assert renumbered(live_analysis, numbers) == renumbered(expected, {})
    whole = analysis(original)  # the whole file: the adverts the dongle left out aside
    for part in ("transactions", "violations", "gatt"):
        assert renumbered(live_analysis, numbers)[part] == renumbered(whole, {})[part], part


def test_tshark_opens_the_recording(tmp_path: Path) -> None:
    record = tmp_path / "live.pcap"
    source = write_sample(tmp_path / "adverts.pcap", 200)
    with replay(source) as emulator:
        session = LiveCapture(NrfSerial(emulator.path), record=str(record))
        session.open()
        live = play_out(session, emulator)
        session.close()
    assert len(live) == 200
    rows = tshark_fields(record, ["frame.number", "btle.advertising_address", "_ws.malformed"])
    assert [int(r[0]) for r in rows] == list(range(1, 201))
    assert {r[1] for r in rows} == {"c0:ff:ee:12:34:56", "c0:ff:ee:65:43:21"}
    assert not any(r[2] for r in rows)


def test_a_killed_session_leaves_a_valid_recording(tmp_path: Path) -> None:
    source = write_sample(tmp_path / "adverts.pcap", 400, spacing_us=5_000)
    record = tmp_path / "killed.pcap"
    command = [sys.executable, "-m", "attscope", "live", "--emulate", str(source)]
    command += ["--no-tui", "--save", str(record)]
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = Deadline()  # realtime replay: 2 s of adverts
        while not (record.exists() and record.stat().st_size > 24 + 50 * 60):
            deadline.check("the recording is still short of 50 packets")
            time.sleep(0.02)  # polling the file's size: the event is in another process
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(PATIENCE)
    reader = open_capture(record)
    frames = list(reader)
    assert not reader.warnings, "the file must end on a record boundary"
    assert 50 <= len(frames) < 400
    assert [f.index for f in frames] == list(range(1, len(frames) + 1))


def test_the_cli_prints_what_dump_prints_for_the_recording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_sample(tmp_path / "adverts.pcap", 120)
    record = tmp_path / "rec.pcap"
    args = ["live", "--emulate", str(source), "--rate", "max", "--no-tui", "--save", str(record)]
    assert main(args) == 0
    live = capsys.readouterr()
    assert main(["dump", str(record)]) == 0
    dumped = capsys.readouterr()
    # the 120 adverts, after those the dongle streamed before the replay was started
    got = len(live.out.splitlines())
    assert live.out == dumped.out and got >= 120
    notes = live.err.splitlines()
    assert notes[0].startswith("attscope: ") and "nRF Sniffer at 1000000 baud; scanning" in notes[0]
    assert notes[-1].startswith(f"attscope: {got} packets in ")
    assert notes[-1].endswith(f"0 lost, 0 broken, 0 port loss(es); {got} recorded to {record}")
    # --count: exactly that many, printed and recorded
    assert main([*args, "--count", "7"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 7
    assert [f.index for f in open_capture(record)] == list(range(1, 8))


def test_following_an_address_waits_for_its_advert_then_follows_it(tmp_path: Path) -> None:
    source = write_sample(tmp_path / "adverts.pcap", 60)
    with Emulator(air_capture(source), rate="realtime") as emulator:  # 10 ms apart
        session = LiveCapture(NrfSerial(emulator.path), follow="C0:FF:EE:12:34:56")
        session.open()
        assert session.state == "scanning for C0:FF:EE:12:34:56"
        frames = play_out(session, emulator)
        session.close()
    assert session.state == "following C0:FF:EE:12:34:56 (random)"
    assert emulator.device.state == State.FOLLOWING
    # the first advertiser, streamed from the moment the port opened, then both advertise
    # while scanning; once the wanted one is heard and the follow request has arrived (how
    # soon depends on the machine's load), only its adverts come
    addresses = [f.payload[6:12][::-1].hex(":").upper() for f in frames]
    heard = addresses.index("C0:FF:EE:12:34:56")
    assert heard >= 1 and set(addresses[:heard]) == {"C0:FF:EE:65:43:21"}
    followed_from = max(i for i, a in enumerate(addresses) if a == "C0:FF:EE:65:43:21") + 1
    assert followed_from < len(addresses) and len(addresses) < 60
    assert set(addresses[followed_from:]) == {"C0:FF:EE:12:34:56"}


@pytest.mark.corpus
def test_following_by_name_follows_the_device_that_advertises_it(tmp_path: Path) -> None:
    with replay(need_corpus(MOUSE)) as emulator:
        session = LiveCapture(NrfSerial(emulator.path), follow_name="BT5.0 Mouse")
        session.open()
        assert session.state == "scanning for a device named 'BT5.0 Mouse'"
        play_out(session, emulator)
        session.close()
    assert session.state == f"following {MOUSE_ADDRESS} (public)"
    assert emulator.device.target == (bytes.fromhex(MOUSE_ADDRESS.replace(":", "")), False)


def test_every_sniffer_option_reaches_the_dongle(tmp_path: Path) -> None:
    """The hop sequence and the scan flags are sent by the handshake, the follow flags with
    the follow; the emulated dongle records what it was told."""
    source = write_sample(tmp_path / "adverts.pcap", 30)
    options = SnifferOptions(
        hop=(39, 37),
        scan_responses=False,
        aux=False,
        coded=True,
        adv_only=True,
        legacy_only=True,
    )
    with replay(source) as emulator:
        session = LiveCapture(NrfSerial(emulator.path), follow="C0:FF:EE:12:34:56", options=options)
        session.open()
        play_out(session, emulator)
        session.close()
    device = emulator.device
    assert device.hop == (39, 37)
    assert device.scan_flags == SCAN_CODED  # neither scan responses nor AUX pointers
    assert device.follow_flags == FOLLOW_ADV_ONLY | FOLLOW_LEGACY_ONLY | FOLLOW_CODED
    assert device.target == (bytes.fromhex("C0FFEE123456"), True)


def test_sniffer_options_on_the_command_line(tmp_path: Path) -> None:
    args = build_parser().parse_args(
        ["live", "--hop", "38,37", "--adv-only", "--legacy-only", "--coded", "--no-aux"]
    )
    assert (args.hop, args.adv_only, args.legacy_only, args.coded, args.no_aux) == (
        "38,37",
        True,
        True,
        True,
        True,
    )
    assert not args.no_scan_responses


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["--hop", "37,37"], "give 1 to 3 of 37, 38, 39"),
        (["--hop", "36"], "advertising channels are 37, 38 and 39"),
        (["--follow", "C0:FF:EE:12:34:56", "--follow-name", "x"], "exclude each other"),
        (["--follow-name", ""], "--follow-name needs a name"),
    ],
)
def test_bad_sniffer_options_are_one_line(
    argv: list[str], error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["live", "--port", "/nonexistent", *argv]) == 2
    err = capsys.readouterr().err
    assert error in err and len(err.strip().splitlines()) == 1, err


def test_a_vanished_port_is_reported_survived_and_the_recording_kept(tmp_path: Path) -> None:
    source = write_sample(tmp_path / "adverts.pcap", 300)
    record = tmp_path / "rec.pcap"
    link = tmp_path / "sniffer"
    config = DeviceConfig(faults=frozenset({Fault.HANGUP}), hangup_every=120)
    emulator = Emulator(
        open_capture(source), config=config, link=link, rate="max", hangup_seconds=0.3
    )
    notes: list[str] = []
    with emulator:
        session = LiveCapture(NrfSerial(str(link)), record=str(record), on_note=notes.append)
        session.open()
        states = []
        frames: list[Frame] = []
        over, deadline = PlayedOut(emulator, session.serial), Deadline()
        while not over():
            deadline.check(f"replay not over: {len(frames)} frames, {notes}")
            frames += session.poll(0.02)
            states.append(session.status())
        session.close()
    lost = [n for n in notes if "port lost" in n]
    back = [n for n in notes if "port back" in n]
    assert len(lost) == 2 and len(back) == 2, notes
    assert lost[0].startswith(f"{link}: port lost (") and lost[0].endswith("); reconnecting")
    assert any(s.startswith("port lost (") for s in states)  # what the TUI's title shows
    assert session.stats.port_lost == 2
    # numbered on across the reconnections, and every one of them on disk, intact
    assert [f.index for f in frames] == list(range(1, len(frames) + 1))
    reader = open_capture(record)
    assert [msgspec.structs.replace(f, offset=0) for f in reader] == frames
    assert not reader.warnings


@pytest.mark.corpus
def test_an_outage_during_the_followed_connection_says_the_connection_was_lost(
    tmp_path: Path,
) -> None:
    """The dongle unplugged in the middle of the mouse's connection: when it is back it is
    told to follow the mouse again, and the session says that the connection in progress
    is lost to the capture (the sniffer cannot rejoin it) and how long the outage was."""
    link = tmp_path / "sniffer"
    config = DeviceConfig(faults=frozenset({Fault.HANGUP}), hangup_every=600)
    notes: list[str] = []
    with Emulator(
        air_capture(need_corpus(MOUSE)), config=config, link=link, rate="max", hangup_seconds=0.3
    ) as emulator:
        session = LiveCapture(
            NrfSerial(str(link)), follow=MOUSE_ADDRESS, follow_random=False, on_note=notes.append
        )
        session.open()
        over, deadline = PlayedOut(emulator, session.serial), Deadline()
        while not over():
            deadline.check(f"replay not over: {notes}")
            session.poll(0.02)
        session.close()
    assert emulator.device.stats.hangups == 1 and emulator.device.stats.unheard > 0
    (back,) = [n for n in notes if "port back" in n]
    assert re.search(
        r"port back after \d+\.\d s at 1000000 baud; the followed connection \(access "
        r"address 0x50656517\) was lost to the capture in the outage: the sniffer cannot "
        rf"rejoin a running connection; following {MOUSE_ADDRESS} \(public\)$",
        back,
    ), back
    assert session.stats.connections_cut == 1 and session.stats.offline >= 0.3
    assert "1 connection(s) lost in outages" in session.status()


def test_the_cli_reports_a_vanished_port(tmp_path: Path) -> None:
    source = write_sample(tmp_path / "adverts.pcap", 300)
    link = tmp_path / "sniffer"
    config = DeviceConfig(faults=frozenset({Fault.HANGUP}), hangup_every=120)
    record = tmp_path / "rec.pcap"
    command = [sys.executable, "-m", "attscope", "live", "--port", str(link), "--no-tui"]
    command += ["--save", str(record), "--duration", str(PATIENCE)]  # a bound, if all fails
    with Emulator(open_capture(source), config=config, link=link, rate="max", hangup_seconds=0.3):
        child = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        try:
            assert child.stderr is not None
            err: list[str] = []
            while sum("port back" in line for line in err) < 2:  # both hang-ups survived
                line = child.stderr.readline()
                assert line, err
                err.append(line.rstrip("\n"))
            child.send_signal(signal.SIGINT)  # handled even if inherited ignored
            err += child.communicate(timeout=PATIENCE)[1].splitlines()
        finally:
            child.kill()
            child.wait()
    assert child.returncode == 0, err
    assert sum("port lost" in line for line in err) == 2
    back = r"port back after \d+\.\d s at 1000000 baud; scanning"
    assert sum(bool(re.search(back, line)) for line in err) == 2
    assert re.search(r"2 port loss\(es\) \(\d+\.\d s offline\)", err[-1]), err[-1]
    assert len(list(open_capture(record))) == int(err[-1].split(" recorded to ")[0].split()[-1])


def test_a_port_that_is_no_sniffer_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    master, slave = os.openpty()
    try:
        name = os.ttyname(slave)
        assert main(["live", "--port", name, "--no-tui", "--save", str(tmp_path / "r.pcap")]) == 2
    finally:
        os.close(master)
        os.close(slave)
    assert not (tmp_path / "r.pcap").exists()  # no sniffer, no recording left behind
    err = capsys.readouterr().err
    assert err == (
        f"attscope: {name}: not an nRF Sniffer (no sniffer frame, no answer to a ping at "
        "1000000 or 460800 baud)\n"
    )


def test_bad_live_options_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["live", "--follow", "not-an-address", "--port", "/nonexistent"]) == 2
    assert (
        capsys.readouterr().err
        == "attscope: --follow not-an-address: 'not-an-address' is not a 6-byte device address\n"
    )
    assert main(["live", "--address-type", "random"]) == 2
    assert "--address-type goes with --follow" in capsys.readouterr().err
    assert main(["live", "--emulate", str(tmp_path / "none.pcap")]) == 2
    assert "No such file" in capsys.readouterr().err


# -- the TUI on a live stream ---------------------------------------------------------------


async def watch_titles(pilot: Any, app: Any, emulator: Emulator) -> set[str]:
    """Every title the app shows until the session has all the emulator replayed, the
    app has taken in every frame of it, and has shown all the session's news."""
    session = app.source.live
    titles = set()
    over, deadline = PlayedOut(emulator, session.serial), Deadline()
    while not (over() and len(app.model.frames) == session.stats.frames and not session.notes):
        deadline.check(f"{len(app.model.frames)} frames shown of {session.stats.frames}")
        await pilot.pause(0.02)
        titles.add(str(app.query_one("#title").render()))
    await pilot.pause()  # the title of the last refresh
    titles.add(str(app.query_one("#title").render()))
    return titles


@pytest.mark.corpus
@run_async
async def test_the_tui_follows_the_stream_and_ends_with_the_files_analysis(tmp_path: Path) -> None:
    record = tmp_path / "live.pcap"
    with replay(need_corpus(MOUSE)) as emulator:
        session = LiveCapture(
            NrfSerial(emulator.path), record=str(record), follow=MOUSE_ADDRESS, follow_random=False
        )
        session.open()
        app = make_app(Source("mouse (emulated)", session.frames, live=session))
        async with app.run_test(size=(120, 30)) as pilot:
            titles = await watch_titles(pilot, app, emulator)
            assert app.query_one("#tabs").active == "connections"  # following: not devices
            assert any(
                "following E2:E0:6B:31:00:54 (public), saving to live.pcap" in t for t in titles
            )
            assert any("(live)" in t for t in titles)
            # the transactions as they completed, as the analyzer reports them for the
            # recording (incomplete ones only come when the stream ends)
            expected = Analyzer(retain=False)
            done = [e for f in open_capture(record) for e in expected.feed(f).events]
            done = [e for e in done if isinstance(e, Transaction)]
            assert len(app.model.frames) == session.stats.frames
            assert len(done) > 40
            got = list(app.model.transactions)
            assert msgspec.json.encode(got) == msgspec.json.encode(done)
            await pilot.press("7")
            rows = shown(app.list_of("devices"))
            assert len(rows) == 1 and rows[0].startswith("E2:E0:6B:31:00:54 public BT5.0 Mouse")
        assert session.closed  # leaving the app released the port


def paced(frames: Iterable[Frame | None], every: int = 4) -> Iterator[Frame | None]:
    """A stream read slower than the emulator can send (it waits for the reader): the
    mouse capture's 3,110 packets arrive over about a second and a half."""
    for count, item in enumerate(frames):
        if count % every == 0:
            time.sleep(0.002)
        yield item


@pytest.mark.corpus
@run_async
async def test_a_sorted_table_takes_in_transactions_as_they_come(tmp_path: Path) -> None:
    with replay(need_corpus(MOUSE)) as emulator:
        session = LiveCapture(NrfSerial(emulator.path), follow=MOUSE_ADDRESS, follow_random=False)
        session.open()
        app = make_app(Source("mouse (paced)", lambda: paced(session.frames()), live=session))
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.press("3", "s")  # by latency, before the first one came
            table = app.list_of("transactions")
            while len(table.source) < 10:
                await pilot.pause(0.02)
            table.move_to(5)
            await pilot.pause()
            chosen = table.source.transaction(table.cursor)
            assert chosen is not None
            await watch_titles(pilot, app, emulator)
            assert len(app.model.transactions) > 40
            done = list(app.model.transactions)
            deadline = Deadline()  # the last re-sort: a tick after the last one came
            while len(table.source) != len(done):
                deadline.check(f"{len(table.source)} of {len(done)} rows sorted in")
                await pilot.pause(0.05)
            order = [table.source.transaction(i) for i in range(len(table.source))]
            assert [t.request_frame for t in order] == [  # unanswered ones last
                t.request_frame
                for t in sorted(done, key=lambda t: (t.latency_us is None, t.latency_us or 0))
            ]
            assert table.source.transaction(table.cursor) == chosen  # the cursor kept it


@run_async
async def test_enter_on_a_device_follows_it(tmp_path: Path) -> None:
    source = write_sample(tmp_path / "adverts.pcap", 400, spacing_us=20_000)
    with Emulator(air_capture(source), rate="realtime") as emulator:
        session = LiveCapture(NrfSerial(emulator.path))
        session.open()
        app = make_app(Source("adverts (emulated)", session.frames, live=session))
        async with app.run_test(size=(120, 30)) as pilot:
            assert app.query_one("#tabs").active == "devices"  # scanning: devices first
            devices = app.list_of("devices")
            deadline = Deadline()
            while len(devices.source) < 2:
                deadline.check("two devices heard")
                await pilot.pause(0.05)
            await pilot.pause()
            wanted = devices.source.device(1)
            devices.focus()
            await pilot.press("down", "enter")
            while emulator.device.state != State.FOLLOWING:  # the request has arrived
                deadline.check(f"the dongle is {emulator.device.state}")
                await pilot.pause(0.02)
            assert session.state == f"following {wanted.address} (random)"
            # every packet the dongle sends from now on is the followed device's
            since = emulator.device.stats.sent
            while len(app.model.frames) < since + 5:
                deadline.check(f"{len(app.model.frames)} frames, {since + 5} wanted")
                await pilot.pause(0.05)
            after = list(app.model.frames)[since:]
            assert {f.payload[6:12][::-1].hex(":").upper() for f in after} == {wanted.address}


@run_async
async def test_the_tui_says_when_the_port_vanishes_and_comes_back(tmp_path: Path) -> None:
    source = write_sample(tmp_path / "adverts.pcap", 300)
    link = tmp_path / "sniffer"
    record = tmp_path / "rec.pcap"
    config = DeviceConfig(faults=frozenset({Fault.HANGUP}), hangup_every=120)
    emulator = Emulator(
        open_capture(source), config=config, link=link, rate="max", hangup_seconds=0.3
    )
    with emulator:
        session = LiveCapture(NrfSerial(str(link)), record=str(record))
        session.open()
        app = make_app(Source("sniffer", session.frames, live=session))
        told: list[str] = []
        app.notify = lambda message, **kw: told.append(str(message))  # type: ignore[method-assign]
        async with app.run_test(size=(120, 30)) as pilot:
            titles = await watch_titles(pilot, app, emulator)
            frames = len(app.model.frames)
    assert sum("port lost" in t for t in told) == 2 and sum("port back" in t for t in told) == 2
    assert any("port lost (" in t and "reconnecting" in t for t in titles)
    assert len(list(open_capture(record))) == frames == session.stats.frames


@run_async
async def test_the_tui_sums_up_bursts_of_lost_packets(tmp_path: Path) -> None:
    source = write_sample(tmp_path / "adverts.pcap", 300)
    config = DeviceConfig(faults=frozenset({Fault.LOSS, Fault.GARBAGE}), fault_every=5)
    with Emulator(open_capture(source), config=config, rate="max") as emulator:
        session = LiveCapture(NrfSerial(emulator.path))
        session.open()
        app = make_app(Source("sniffer", session.frames, live=session))
        told: list[str] = []
        app.notify = lambda message, **kw: told.append(str(message))  # type: ignore[method-assign]
        async with app.run_test(size=(120, 30)) as pilot:
            over, deadline = PlayedOut(emulator, session.serial), Deadline()
            title = ""
            while not (over() and not session.notes and f" {session.stats.lost} lost" in title):
                deadline.check(f"title {title!r}, {session.stats.lost} lost")
                await pilot.pause(0.05)
                title = str(app.query_one("#title").render())
    lost, cut = emulator.device.stats.line_lost, emulator.device.stats.cut_frames
    assert lost > 10 and session.stats.lost == lost and session.stats.dropped == cut
    assert f"scanning, {lost} lost, {cut} broken" in title
    assert any(re.fullmatch(r"and \d+ more: scanning, \d+ lost, \d+ broken", t) for t in told)
    assert len(told) < lost  # not one notification per gap


@pytest.mark.corpus
def test_the_ltk_and_irk_given_are_given_to_the_sniffer(tmp_path: Path) -> None:
    ltk = bytes.fromhex("7f62c053f104a5bbe68b1d896a2ed49c")
    irk = bytes.fromhex("ec0234a357c8ad05341010a60a397d9b")
    with replay(need_corpus(MOUSE)) as emulator:
        serial = NrfSerial(emulator.path)
        session = LiveCapture(serial, follow=MOUSE_ADDRESS, ltk=ltk, irk=irk)
        session.open()
        play_out(session, emulator)
        session.close()
        keys = emulator.device.keys
    # the nRF Sniffer takes key material most significant octet first (5.3), and is told
    # both kinds: it cannot know which pairing made the key
    assert keys[PacketId.SET_LEGACY_LONG_TERM_KEY] == ltk
    assert keys[PacketId.SET_SC_LONG_TERM_KEY] == ltk
    assert keys[PacketId.SET_IDENTITY_RESOLVING_KEY] == irk
    assert any("the sniffer has the LTK" in note for note in session.notes)


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("option", "tk"),
    [("--passkey", bytes(13) + (123456).to_bytes(3, "big")), ("--oob", bytes(range(16)))],
)
def test_a_passkey_oob_key_and_private_key_given_are_given_to_the_sniffer(
    tmp_path: Path, option: str, tk: bytes
) -> None:
    private_key = bytes(range(1, 33))
    value = "123456" if option == "--passkey" else tk.hex()
    keys = tmp_path / "keys.txt"
    keys.write_text(f"{option[2:]} {value}\nsc-private-key {private_key.hex()}\n")
    args = build_parser().parse_args(["live", "--follow", MOUSE_ADDRESS, "--keys", str(keys)])
    chosen = live_keys(args)  # what `attscope live` gives the sniffer from these options
    assert chosen == {"tk": tk, "private_key": private_key}
    with replay(need_corpus(MOUSE)) as emulator:
        session = LiveCapture(NrfSerial(emulator.path), follow=MOUSE_ADDRESS, **chosen)
        session.open()
        play_out(session, emulator)  # the replay is over: every command was read
        session.close()
        keys_seen = emulator.device.keys
    # the nRF Sniffer takes key material most significant octet first (5.3)
    assert keys_seen[PacketId.SET_TEMPORARY_KEY] == tk
    assert keys_seen[PacketId.SET_PRIVATE_KEY] == private_key
    assert any("the sniffer has the TK" in note for note in session.notes)
