"""Captures built to exhaust memory: a data PDU from each of 20,000 random access addresses
made 20,000 connections (a pcap of 500,000 took 1.3 GB), 20,000 advertisers were all kept
(500,000 took 425 MB), a connection's timeline and an advertiser's service list grew
without end (the list quadratically). Each is bounded now, and what was counted but not
kept is said (Analyzer.limits, printed by dump and export)."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import tracemalloc
from pathlib import Path

from attscope.capture import Direction, Encap, Frame, write_capture
from attscope.capture.linktypes import BLUETOOTH_LE_LL
from attscope.dissector.analysis.advertisers import MAX_DEVICES, MAX_SERVICES
from attscope.dissector.analysis.analyzer import Analyzer
from attscope.dissector.analysis.connections import MAX_TIMELINE

ADV_AA = 0x8E89BED6
T0 = 1_700_000_000_000_000
CRC = b"\x00\x00\x00"


def air(index: int, aa: int, header: int, payload: bytes) -> Frame:
    ll = struct.pack("<IBB", aa, header, len(payload)) + payload + CRC
    return Frame(index, T0 + index * 1250, BLUETOOTH_LE_LL, Encap.LE_LL, Direction.UNKNOWN, ll)


def att_read(index: int, aa: int) -> Frame:
    return air(index, aa, 0x02, struct.pack("<HH", 3, 4) + b"\x0a\x03\x00")  # LLID 2


def advert(index: int, address: int, ad: bytes = b"\x02\x01\x06") -> Frame:
    return air(index, ADV_AA, 0x42, address.to_bytes(6, "little") + ad)  # ADV_NONCONN_IND


def analyse(frames: list[Frame]) -> tuple[Analyzer, int]:
    analyzer = Analyzer(retain=False)
    tracemalloc.start()
    for frame in frames:
        analyzer.feed(frame)
    analyzer.finish()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return analyzer, peak


def test_random_access_addresses_make_no_connections() -> None:
    count = 20_000
    noise, noise_peak = analyse([att_read(i, 0x10000000 + i * 7919) for i in range(1, count)])
    link, link_peak = analyse([att_read(i, 0x50654A27) for i in range(1, count)])
    assert noise.connections == [] and len(link.connections) == 1
    assert noise_peak < 2 * link_peak + (2 << 20), (noise_peak, link_peak)


def test_advertisers_past_the_cap_are_counted_and_said(tmp_path: Path) -> None:
    frames = [advert(i, 0xC00000000000 + i) for i in range(1, MAX_DEVICES + 501)]
    analyzer, _ = analyse(frames)
    assert len(analyzer.advertisers) == MAX_DEVICES
    assert analyzer.limits == [
        f"more than {MAX_DEVICES:,} devices advertised: 500 reports of further devices "
        "were counted, not kept"
    ]
    path = tmp_path / "adverts.pcap"
    write_capture(path, frames, "pcap", BLUETOOTH_LE_LL)
    done = subprocess.run(
        [sys.executable, "-m", "attscope", "export", str(path)], capture_output=True, text=True
    )
    assert (
        "500 reports of further devices" in json.loads(done.stdout.splitlines()[-1])["warnings"][0]
    )
    assert "500 reports of further devices" in done.stderr


def test_an_advertisers_service_list_is_bounded() -> None:
    frames = [
        advert(i, 0xC0FFEE000001, b"\x03\x03" + i.to_bytes(2, "little"))  # a new 16-bit UUID
        for i in range(1, 2 * MAX_SERVICES)
    ]
    analyzer, _ = analyse(frames)
    (device,) = analyzer.advertisers
    assert len(device.services) == MAX_SERVICES and device.packets == len(frames)


def test_a_connections_timeline_is_bounded() -> None:
    aa = 0x50654A27
    update = bytes([0x00, 1, 6, 0, 24, 0, 0, 0, 72, 0]) + struct.pack(
        "<H", 10
    )  # LL_CONNECTION_UPDATE_IND
    frames = [air(i, aa, 0x03, update) for i in range(1, MAX_TIMELINE + 101)]  # LLID 3
    analyzer, _ = analyse(frames)
    (conn,) = analyzer.connections
    assert len(conn.timeline) == MAX_TIMELINE and conn.timeline_dropped == 100 - 1
    assert any("timeline entries past" in note for note in analyzer.limits)
