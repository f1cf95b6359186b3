"""Old patched libpcaps (RedHat 6.1, SuSE 6.3, Nokia IPSO ...) wrote longer record headers
under the standard magic number. Read as standard pcaps they looked damaged after the
first frame (689 of 690 frames lost, exit 0); their layout is found from the first records
and every frame is read."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from corpus import SAMPLES, tshark_fields

from attscope.capture import open_capture
from attscope.capture.linktypes import BLUETOOTH_HCI_H4_WITH_PHDR
from attscope.capture.pcap import PcapReader
from attscope.capture.records import encode

SAMPLE = SAMPLES / "heart_rate.btsnoop"


def variant_pcap(path: Path, extra: int, frames: int = 40) -> int:
    """The sample's first frames as a pcap of link type 201 whose records carry `extra`
    bytes after the standard record header (ifindex, protocol, packet type ...)."""
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 201))
    for frame in list(open_capture(SAMPLE))[:frames]:
        data = encode(frame, BLUETOOTH_HCI_H4_WITH_PHDR)
        sec, usec = divmod(frame.ts_us, 1_000_000)
        out += struct.pack("<IIII", sec, usec, len(data), len(data)) + bytes(extra) + data
    path.write_bytes(bytes(out))
    return frames


@pytest.mark.parametrize("extra", [4, 8, 12])  # Nokia (20), RedHat 6.1 (24), 990915 (28)
@pytest.mark.parametrize("frames", [3, 40])  # the whole file probed, or its start
def test_every_frame_of_a_variant_is_read(tmp_path: Path, extra: int, frames: int) -> None:
    path = tmp_path / "variant.pcap"
    variant_pcap(path, extra, frames)
    reader = open_capture(path)
    assert isinstance(reader, PcapReader) and reader.record_header == 16 + extra
    read = list(reader)
    assert reader.warnings == []
    expected = list(open_capture(SAMPLE))[:frames]
    assert [(f.ts_us, f.payload) for f in read] == [(f.ts_us, f.payload) for f in expected]
    assert f"{16 + extra}-byte record headers" in reader.detail


def test_tshark_reads_the_redhat_layout_the_same(tmp_path: Path) -> None:
    path = tmp_path / "redhat.pcap"
    count = variant_pcap(path, 8)
    rows = tshark_fields(path, ["frame.len"])
    # the H4 indicator and the packet (wiretap takes the direction header off)
    assert [int(r[0]) for r in rows] == [len(f.payload) + 1 for f in open_capture(path)]
    assert len(rows) == count


def test_standard_and_damaged_standard_pcaps_keep_the_standard_layout(tmp_path: Path) -> None:
    path = tmp_path / "standard.pcap"
    variant_pcap(path, 0)
    assert open_capture(path).record_header == 16  # type: ignore[attr-defined]
    damaged = tmp_path / "damaged.pcap"
    data = bytearray(path.read_bytes())
    data[24 + 8 : 24 + 12] = struct.pack("<I", 0xFFFFFF)  # the first record's length
    damaged.write_bytes(bytes(data))
    reader = open_capture(damaged)
    assert isinstance(reader, PcapReader) and reader.record_header == 16
    assert list(reader) == [] and "record claims" in str(reader.warnings[0])
