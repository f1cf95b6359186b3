"""Files read through tshark keep the promises of the native readers: a damaged file gives
every complete frame and a warning, never a traceback (pyshark raised from close(), and
again when collected); Linux monitor records decode (a list-valued field raised TypeError,
a record without bytes an AssertionError); a probe that stalls ends in seconds with one
line; a gzip cut short is a warning."""

from __future__ import annotations

import gzip
import os
import stat
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from corpus import SAMPLES, need_corpus, need_tshark

from attscope.capture import CaptureError, open_capture, tshark_reader, write_capture
from attscope.capture.tshark_reader import TsharkReader

RECORDS = [  # Apple PacketLogger: command, event, ACL out, ACL in, a note
    (0x00, bytes.fromhex("030c00")),
    (0x01, bytes.fromhex("0e0401030c00")),
    (0x02, bytes.fromhex("40000700030004000a0300")),
    (0x03, bytes.fromhex("40000900050004000b414243")),
    (0xFC, b"attscope note"),
]


def packetlogger() -> bytes:
    return b"".join(
        struct.pack(">III", 9 + len(data), 1_700_000_000 + i, 250_000) + bytes([kind]) + data
        for i, (kind, data) in enumerate(RECORDS)
    )


def info(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "attscope", "info", str(path)], capture_output=True, text=True
    )


def test_a_packetlogger_log_cut_short_gives_its_frames_and_a_warning(tmp_path: Path) -> None:
    need_tshark()
    path = tmp_path / "cut.pklg"
    path.write_bytes(packetlogger()[:-5])
    reader = TsharkReader(path)  # attscope reads PacketLogger itself now: the fallback here
    assert len(list(reader)) == 4
    (warning,) = reader.warnings
    assert "tshark stopped after frame 4" in warning.message and "cut short" in warning.message
    native = open_capture(path)  # and the native reader keeps the same promise
    assert len(list(native)) == 4 and "cut short" in native.warnings[0].message
    shown = info(path)
    assert shown.returncode == 0 and shown.stderr == ""  # no traceback, nothing ignored
    assert "Frames:      4" in shown.stdout and "cut short" in shown.stdout


def test_a_gzip_cut_short_is_a_warning(tmp_path: Path) -> None:
    need_tshark()
    whole = tmp_path / "hr.pcap"
    write_capture(whole, list(open_capture(SAMPLES / "heart_rate.btsnoop")), "pcap", 201)
    cut = tmp_path / "hr.pcap.gz"
    cut.write_bytes(gzip.compress(whole.read_bytes())[:1500])
    reader = open_capture(cut)
    frames = list(reader)
    assert 0 < len(frames) < 197
    assert "cut short" in reader.warnings[0].message
    assert [f.payload for f in frames] == [f.payload for f in open_capture(whole)][: len(frames)]


def test_linux_monitor_records_through_tshark_equal_the_native_ones(tmp_path: Path) -> None:
    need_tshark()
    source = need_corpus("btmon_ble_gatt.btsnoop")  # index, note and HCI records
    packed = tmp_path / "btmon.btsnoop.gz"
    packed.write_bytes(gzip.compress(source.read_bytes()))
    reader = open_capture(packed)
    through = list(reader)
    native = list(open_capture(source))
    assert reader.warnings == [] and len(through) == len(native) == 442

    def key(f):  # type: ignore[no-untyped-def]
        return (f.hci_type, f.direction, f.payload, f.adapter, f.monitor_opcode, f.ts_us)

    assert [key(f) for f in through] == [key(f) for f in native]


def test_a_probe_that_stalls_is_one_line_in_seconds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = tmp_path / "bin" / "tshark"
    slow.parent.mkdir()
    slow.write_text("#!/bin/sh\nexec sleep 60\n")
    slow.chmod(slow.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{slow.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(tshark_reader, "PROBE_TIMEOUT_S", 1)
    odd = tmp_path / "odd.bin"
    odd.write_bytes(b"not a format attscope reads itself")
    with pytest.raises(CaptureError, match="tshark read nothing from it in 1 s"):
        open_capture(odd)
