"""Damaged files: every complete frame still comes out, the damage is a warning with its
byte offset, and a file that is no capture is one line and exit status 2."""

from __future__ import annotations

import struct
from functools import cache
from pathlib import Path

import pytest
from corpus import manifest, need_corpus
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attscope.capture import CaptureError, Frame, open_capture, tshark_reader
from attscope.cli.main import main

SMALL = [  # one capture per reader and link type, small enough for many examples
    "android_revcar_acl_only.btsnoop",
    "btmon_ble_gatt.btsnoop",
    "bsniffhub_conn_update.pcap",
    "crackle_known_ltk_encrypted.pcap",
    "crackle_lesc_pairing.pcapng",
    "h4phdr_smartwatch.pcapng",
]
HYPOTHESIS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@cache
def _frames(name: str) -> tuple[bytes, list[Frame]]:
    path = need_corpus(name)  # skips (fails under ATTSCOPE_REQUIRE_CORPUS=1) when absent
    return path.read_bytes(), list(open_capture(path))


def _read(path: Path) -> tuple[list[Frame], list[str]]:
    reader = open_capture(path)
    frames = list(reader)
    return frames, [str(w) for w in reader.warnings]


@pytest.fixture(autouse=True)
def _no_tshark(monkeypatch: pytest.MonkeyPatch) -> None:
    """Damaged native files must be handled by the native readers, not handed to tshark."""
    monkeypatch.setattr(tshark_reader, "tshark_path", lambda: None)


def test_empty_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "empty.pcap"
    path.write_bytes(b"")
    assert main(["info", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "empty file" in err


def test_random_bytes_without_tshark_names_what_to_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "noise.bin"
    path.write_bytes(bytes(range(256)) * 4)
    assert main(["info", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "tshark" in err and "install" in err


@pytest.mark.parametrize(
    "head", [b"btsnoop\x00\x00", b"\xd4\xc3\xb2\xa1\x02\x00", b"\x0a\x0d\x0d\x0a"]
)
def test_header_cut_short_is_an_error_not_a_traceback(tmp_path: Path, head: bytes) -> None:
    path = tmp_path / "cut"
    path.write_bytes(head)
    with pytest.raises(CaptureError):
        list(open_capture(path))


def test_unknown_btsnoop_datalink(tmp_path: Path) -> None:
    path = tmp_path / "bcsp.log"
    path.write_bytes(b"btsnoop\x00" + struct.pack(">II", 1, 1003))
    with pytest.raises(CaptureError, match="1003"):
        open_capture(path)


def test_absurd_record_length_keeps_frames_before_it(tmp_path: Path) -> None:
    data, frames = _frames("android_revcar_acl_only.btsnoop")
    first_two = frames[2].offset
    bad = bytearray(data)
    struct.pack_into(">I", bad, first_two + 4, 0x7FFFFFFF)  # included length
    path = tmp_path / "absurd.btsnoop"
    path.write_bytes(bytes(bad))
    got, warnings = _read(path)
    assert got == frames[:2]
    assert len(warnings) == 1 and f"at byte {first_two}" in warnings[0]


def test_pcapng_bad_block_length(tmp_path: Path) -> None:
    data, frames = _frames("crackle_lesc_pairing.pcapng")
    victim = frames[10].offset
    bad = bytearray(data)
    struct.pack_into("<I", bad, victim + 4, 13)  # not a multiple of 4
    path = tmp_path / "badblock.pcapng"
    path.write_bytes(bytes(bad))
    got, warnings = _read(path)
    assert got == frames[:10]
    assert warnings == [
        f"at byte {victim}: block length 13 is impossible; the rest of the file is not read"
    ]


def test_pcapng_trailing_length_mismatch(tmp_path: Path) -> None:
    data, frames = _frames("h4phdr_smartwatch.pcapng")
    victim = frames[3].offset
    length = struct.unpack_from("<I", data, victim + 4)[0]
    bad = bytearray(data)
    struct.pack_into("<I", bad, victim + length - 4, length + 4)
    path = tmp_path / "trailer.pcapng"
    path.write_bytes(bytes(bad))
    got, warnings = _read(path)
    assert got == frames[:3]
    assert len(warnings) == 1 and f"at byte {victim}" in warnings[0]


@pytest.mark.parametrize("name", SMALL)
def test_cut_at_every_record_boundary_and_inside(tmp_path: Path, name: str) -> None:
    need_corpus(name)
    data, frames = _frames(name)
    for i, frame in enumerate(frames[1:40], start=1):
        for cut in (frame.offset, frame.offset + 3):
            path = tmp_path / f"cut{cut}"
            path.write_bytes(data[:cut])
            got, warnings = _read(path)
            assert got == frames[:i]
            if cut == frame.offset:
                assert warnings == []
            else:
                assert len(warnings) == 1 and f"at byte {frame.offset}" in warnings[0]


def _boundaries(data: bytes) -> list[int]:
    """Offsets where a record or block of the file starts or the file ends, walked
    independently of the readers."""
    if data.startswith(b"btsnoop"):
        pos, head, fmt = 16, 24, ">I"
    elif data.startswith(b"\x0a\x0d\x0d\x0a"):
        pos, head, fmt = 0, 0, "<I"
    else:
        pos, head, fmt = 24, 16, "<I"
    found = [pos]
    while pos < len(data):
        if head:  # btsnoop and pcap: included length at byte 4 or 8 of the record header
            length = head + struct.unpack_from(fmt, data, pos + (4 if head == 24 else 8))[0]
        else:  # pcapng: block length at byte 4
            length = struct.unpack_from(fmt, data, pos + 4)[0]
        pos += length
        found.append(pos)
    return found


@pytest.mark.parametrize("name", SMALL)
@HYPOTHESIS
@given(fraction=st.floats(min_value=0.0, max_value=1.0))
def test_truncated_anywhere_yields_every_complete_frame(
    tmp_path: Path, name: str, fraction: float
) -> None:
    need_corpus(name)
    data, frames = _frames(name)
    cut = int(len(data) * fraction)
    path = tmp_path / "truncated"
    path.write_bytes(data[:cut])
    try:
        got, warnings = _read(path)
    except CaptureError:
        assert cut < 64  # only a file cut inside its header is no capture at all
        return
    boundaries = _boundaries(data)
    ends = {b: next(e for e in boundaries if e > b) for b in boundaries[:-1]}
    assert got == [f for f in frames if ends[f.offset] <= cut]
    assert (warnings == []) == (cut in boundaries), warnings


@pytest.mark.parametrize("name", [r["file"] for r in manifest()] or ["<corpus missing>"])
@HYPOTHESIS
@given(data=st.data())
def test_corrupted_bytes_never_raise(tmp_path: Path, name: str, data: st.DataObject) -> None:
    need_corpus(name)
    original, _frames_read = _frames(name)
    damaged = bytearray(original)
    for _ in range(data.draw(st.integers(1, 20))):
        pos = data.draw(st.integers(0, len(damaged) - 1))
        damaged[pos] = data.draw(st.integers(0, 255))
    path = tmp_path / "corrupt"
    path.write_bytes(bytes(damaged))
    try:
        got, _warnings = _read(path)
    except CaptureError:
        return  # the header itself was hit: one clean error
    assert [f.index for f in got] == list(range(1, len(got) + 1))
    assert all(isinstance(f.payload, bytes) for f in got)


@HYPOTHESIS
@given(
    magic=st.sampled_from(
        [
            b"btsnoop\x00\x00\x00\x00\x01\x00\x00\x03\xea",
            b"btsnoop\x00\x00\x00\x00\x01\x00\x00\x07\xd1",
            b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00" + bytes(8) + b"\xff\xff\x00\x00\x10\x01\x00\x00",
            b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00" + bytes(8) + b"\xff\xff\x00\x00\xc0\x00\x00\x00",
            b"\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x4d\x3c\x2b\x1a",
        ]
    ),
    tail=st.binary(max_size=2000),
)
def test_random_bytes_after_a_valid_magic(tmp_path: Path, magic: bytes, tail: bytes) -> None:
    path = tmp_path / "fuzz"
    path.write_bytes(magic + tail)
    try:
        frames, _ = _read(path)
    except CaptureError:
        return
    assert all(f.index == i for i, f in enumerate(frames, start=1))
