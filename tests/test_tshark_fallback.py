"""Formats attscope has no reader of its own for are read through tshark. PacketLogger,
which attscope now reads itself, serves as the example: both readers must agree."""

from __future__ import annotations

import asyncio
import struct
import subprocess
from pathlib import Path

import pytest
from corpus import need_tshark

from attscope.capture import CaptureError, Direction, Encap, HciType, open_capture, tshark_reader
from attscope.capture.tshark_reader import TsharkReader
from attscope.cli.main import main

# Apple PacketLogger: length (of what follows), seconds, microseconds (u32 big-endian),
# a type byte (0 command, 1 event, 2 ACL sent, 3 ACL received, 0xFB-0xFF notes), data.
RECORDS = [
    (0x00, bytes.fromhex("030c00")),
    (0x01, bytes.fromhex("0e0401030c00")),
    (0x02, bytes.fromhex("40000700030004000a0300")),
    (0x03, bytes.fromhex("40000900050004000b414243")),
    (0xFC, b"attscope note"),
]


def _packetlogger(path: Path) -> Path:
    out = b""
    for i, (kind, data) in enumerate(RECORDS):
        out += struct.pack(">III", 9 + len(data), 1_700_000_000 + i, 250_000) + bytes([kind]) + data
    path.write_bytes(out)
    return path


def test_the_fallback_works_after_asyncio_run(tmp_path: Path) -> None:
    # asyncio.run() leaves the thread without a current loop; pyshark needs one
    need_tshark()
    asyncio.run(asyncio.sleep(0))
    assert len(list(TsharkReader(_packetlogger(tmp_path / "session.pklg")))) == 5


def test_packetlogger_through_tshark_agrees_with_the_native_reader(tmp_path: Path) -> None:
    need_tshark()
    path = _packetlogger(tmp_path / "session.pklg")
    reader = TsharkReader(path)
    assert "PacketLogger" in reader.format
    frames = list(reader)
    assert [f.index for f in frames] == [1, 2, 3, 4, 5]
    assert [f.hci_type for f in frames[:4]] == [
        HciType.COMMAND,
        HciType.EVENT,
        HciType.ACL,
        HciType.ACL,
    ]
    assert [f.direction for f in frames[:4]] == [
        Direction.HOST_TO_CONTROLLER,
        Direction.CONTROLLER_TO_HOST,
        Direction.HOST_TO_CONTROLLER,
        Direction.CONTROLLER_TO_HOST,
    ]
    assert [f.payload for f in frames[:4]] == [data for _, data in RECORDS[:4]]
    assert frames[4].encap == Encap.OTHER
    assert frames[0].ts_us == 1_700_000_000_250_000
    assert frames[4].ts_us == 1_700_000_004_250_000
    native = list(open_capture(path))
    fields = [(f.index, f.ts_us, f.encap, f.direction, f.hci_type, f.payload) for f in frames]
    assert [(f.index, f.ts_us, f.encap, f.direction, f.hci_type, f.payload)
            for f in native] == fields  # fmt: skip


def test_modified_pcap_variant_through_tshark(tmp_path: Path) -> None:
    """tshark writes the 'modified' pcap variant (magic a1b2cd34), which only it reads."""
    tshark = need_tshark()
    source = tmp_path / "h4.pcap"
    h4 = b"\x00\x00\x00\x01" + bytes.fromhex("040e0401030c00")
    source.write_bytes(
        struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 201)
        + struct.pack("<IIII", 1_600_000_000, 5, len(h4), len(h4))
        + h4
    )
    modified = tmp_path / "modified.cap"
    subprocess.run(
        [tshark, "-r", str(source), "-F", "modpcap", "-w", str(modified)],
        check=True,
        capture_output=True,
    )
    (frame,) = list(open_capture(modified))
    assert (frame.hci_type, frame.direction) == (HciType.EVENT, Direction.CONTROLLER_TO_HOST)
    assert frame.payload == h4[5:]
    assert frame.ts_us == 1_600_000_000_000_005


def test_not_a_capture_with_tshark_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    need_tshark()
    path = tmp_path / "notes.txt"
    path.write_text("these are notes, not packets\n" * 20)
    assert main(["info", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a capture file" in err


def test_without_tshark_the_message_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tshark_reader, "tshark_path", lambda: None)
    unknown = tmp_path / "session.cap"  # no format attscope reads itself
    unknown.write_bytes(b"\x34\xcd\xb2\xa1" + bytes(60))
    with pytest.raises(CaptureError, match="install Wireshark's tshark"):
        open_capture(unknown)


def test_a_format_tshark_opens_without_packet_records(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """tshark opens a JSON file as a 'capture' whose records have no time: one line, 2."""
    need_tshark()
    path = tmp_path / "settings.json"
    path.write_text('{"a": 1}\n')
    assert main(["info", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no packets attscope can read" in err
