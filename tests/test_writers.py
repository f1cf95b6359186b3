"""The writers: what attscope writes reads back the same, Wireshark and dpkt read it, and
`attscope convert` writes atomically.

Every corpus capture is written again (same link type exactly; nordic_ble through the LE
pseudo-header and back; HCI logs as btsnoop and through pcap 201/254), read back and
compared field by field (offsets aside). tshark must read each written file with the
original's frame count and find no malformed frame it did not find in the original; dpkt,
an independent pcap reader, must see our timestamps and the original's record bytes.
"""

from __future__ import annotations

import os
import struct
from functools import cache
from pathlib import Path

import dpkt
import msgspec
import pytest
from corpus import manifest, need_corpus, tshark_fields

from attscope.capture import Frame, open_capture, write_capture
from attscope.capture.btsnoop import EPOCH_DELTA_US
from attscope.capture.write import PCAP_EQUIVALENT
from attscope.cli.main import main

pytestmark = [pytest.mark.corpus, pytest.mark.tshark]


def _linktype(row: dict[str, str]) -> int:
    """The manifest's link type column: "272 NORDIC_BLE", "btsnoop 1002 (HCI UART/H4)" ..."""
    return int(next(word for word in row["linktype"].split() if word.isdigit()))


def corpus_of(*linktypes: int) -> list[str]:
    names = [row["file"] for row in manifest() if _linktype(row) in linktypes]
    return names or ["<corpus missing>"]


AIR = corpus_of(272, 256, 157, 192)
NORDIC = corpus_of(272, 157)
HCI = corpus_of(1002, 2001, 201)
EVERY = corpus_of(272, 256, 157, 192, 1002, 2001, 201)
CARRIED_BY_256 = (
    "channel rssi crc_checked crc_ok encrypted mic_checked mic_ok decrypted phy advertising"
)


def read(path: Path) -> list[Frame]:
    reader = open_capture(path)
    frames = list(reader)
    assert not reader.warnings, [str(w) for w in reader.warnings]
    return frames


@cache
def source(name: str) -> list[Frame]:
    """A corpus capture's frames, read once for the module."""
    return read(need_corpus(name))


def same(expected: list[Frame], got: list[Frame]) -> None:
    """Frame lists equal in every field but the file offset; the first difference shown."""
    assert len(got) == len(expected)
    for want, have in zip(expected, got, strict=True):
        want = msgspec.structs.replace(want, offset=0)
        have = msgspec.structs.replace(have, offset=0)
        if want != have:
            fields = want.__struct_fields__
            diff = {k: (getattr(want, k), getattr(have, k)) for k in fields}
            diff = {k: v for k, v in diff.items() if v[0] != v[1]}
            pytest.fail(f"frame {want.index} differs (expected, got): {diff}")


def carried(frame: Frame) -> tuple[object, ...]:
    """What an LE pseudo-header (256) record holds of a frame."""
    s = frame.sniffer
    assert s is not None
    sniffer = tuple(getattr(s, key) for key in CARRIED_BY_256.split())
    return (frame.index, frame.ts_us, frame.encap, frame.direction, frame.payload, *sniffer)


@cache
def tshark_view(path: Path) -> tuple[int, frozenset[int]]:
    """tshark's frame count and malformed frame numbers, from one run: a frame has a
    `_ws.malformed` value exactly when `-Y _ws.malformed` would select it."""
    rows = tshark_fields(path, ["frame.number", "_ws.malformed"])
    return len(rows), frozenset(int(row[0]) for row in rows if row[1])


def assert_tshark_reads(written: Path, original: Path) -> None:
    count, malformed = tshark_view(written)
    want_count, want_malformed = tshark_view(original)
    assert count == want_count, f"tshark reads {count} frames in {written.name}"
    new = sorted(malformed - want_malformed)
    assert not new, f"tshark finds malformed frames the original does not have: {new[:20]}"


@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
@pytest.mark.parametrize("name", AIR)
def test_air_capture_written_with_its_link_type_reads_back_exactly(
    name: str, fmt: str, tmp_path: Path
) -> None:
    frames = source(name)
    out = tmp_path / f"out.{fmt}"
    assert write_capture(out, frames, fmt, frames[0].linktype) == len(frames)
    same(frames, read(out))
    assert_tshark_reads(out, need_corpus(name))


@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
@pytest.mark.parametrize("name", NORDIC)
def test_nordic_through_le_pseudo_header_and_back_keeps_what_256_carries(
    name: str, fmt: str, tmp_path: Path
) -> None:
    """272 (or legacy 157) -> 256 -> 272: time, packet bytes, direction, channel, RSSI,
    CRC, encryption, MIC and PHY survive both steps (board id, packet counter, event
    counter and firmware time have no place in 256: section 11.5 of the nRF reference)."""
    frames = source(name)
    phdr, nordic = tmp_path / f"256.{fmt}", tmp_path / f"272.{fmt}"
    write_capture(phdr, frames, fmt, 256)
    middle = read(phdr)
    write_capture(nordic, middle, fmt, 272)
    back = read(nordic)
    assert {f.linktype for f in middle} == {256} and {f.linktype for f in back} == {272}
    for step in (middle, back):
        assert len(step) == len(frames)
        for want, got in zip(frames, step, strict=True):
            assert carried(got) == carried(want), f"frame {want.index}"
    assert_tshark_reads(phdr, need_corpus(name))
    assert_tshark_reads(nordic, need_corpus(name))


@pytest.mark.parametrize("name", HCI)
def test_hci_log_written_as_btsnoop_reads_back_exactly(name: str, tmp_path: Path) -> None:
    """btsnoop 1002 and 2001 round trips, and an H4 pcapng (201) written as btsnoop 1002."""
    frames = source(name)
    datalink = 2001 if frames[0].linktype == 2001 else 1002
    out = tmp_path / "out.btsnoop"
    assert write_capture(out, frames, "btsnoop", datalink) == len(frames)
    same([msgspec.structs.replace(f, linktype=datalink) for f in frames], read(out))
    assert_tshark_reads(out, need_corpus(name))


@pytest.mark.parametrize("name", corpus_of(2001))
def test_monitor_log_through_pcap_254_and_back(name: str, tmp_path: Path) -> None:
    """btsnoop 2001 -> pcap 254 -> btsnoop 2001, system notes and index events included."""
    frames = source(name)
    pcap, btsnoop = tmp_path / "monitor.pcap", tmp_path / "monitor.btsnoop"
    write_capture(pcap, frames, "pcap", 254)
    middle = read(pcap)
    same([msgspec.structs.replace(f, linktype=254) for f in frames], middle)
    write_capture(btsnoop, middle, "btsnoop", 2001)
    same(frames, read(btsnoop))
    assert_tshark_reads(pcap, need_corpus(name))
    assert_tshark_reads(btsnoop, need_corpus(name))


def original_records(path: Path) -> list[bytes]:
    """The record bytes of a corpus file as its own format stores them, read without
    attscope: dpkt for pcap and pcapng; for btsnoop the record data behind the 4-byte
    pseudo-header pcap puts in front (201: direction u32 BE; 254: adapter, opcode u16 BE)."""
    with path.open("rb") as f:
        head = f.read(16)
        f.seek(0)
        if not head.startswith(b"btsnoop\0"):
            reader = dpkt.pcapng.Reader(f) if head[:4] == b"\n\r\r\n" else dpkt.pcap.Reader(f)
            return [bytes(buf) for _ts, buf in reader]
        data = f.read()
    datalink = struct.unpack_from(">I", data, 12)[0]
    records: list[bytes] = []
    pos = 16
    while pos < len(data):
        _orig, incl, flags, _drops, _ts = struct.unpack_from(">IIIIq", data, pos)
        body = data[pos + 24 : pos + 24 + incl]
        phdr = struct.pack(">HH", flags >> 16, flags & 0xFFFF) if datalink == 2001 else None
        records.append((phdr or struct.pack(">I", flags & 1)) + body)
        pos += 24 + incl
    return records


@pytest.mark.parametrize("name", EVERY)
def test_dpkt_reads_our_pcap_with_our_times_and_the_original_records(
    name: str, tmp_path: Path
) -> None:
    frames = source(name)
    linktype = PCAP_EQUIVALENT.get(frames[0].linktype, frames[0].linktype)
    out = tmp_path / "out.pcap"
    write_capture(out, frames, "pcap", linktype)
    with out.open("rb") as f:
        reader = dpkt.pcap.Reader(f)
        records = list(reader)
        assert reader.datalink() == linktype
    assert len(records) == len(frames)
    assert [round(ts * 1_000_000) for ts, _buf in records] == [f.ts_us for f in frames]
    assert [bytes(buf) for _ts, buf in records] == original_records(need_corpus(name))
    if name not in AIR:  # (the air captures' pcaps are checked above)
        assert_tshark_reads(out, need_corpus(name))


# -- attscope convert: atomic, one-line errors, exit status 2 -----------------------------


def convert(*argv: str | Path) -> int:
    return main(["convert", *map(str, argv)])


def umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_convert_writes_a_file_like_any_new_file(tmp_path: Path) -> None:
    out = tmp_path / "out.pcap"
    src = need_corpus("nrf3_pairing_session.pcap")
    assert convert(src, out, "--format", "pcap", "--linktype", "le-phdr") == 0
    assert [f.linktype for f in read(out)] == [256] * len(source(src.name))
    assert [p.name for p in tmp_path.iterdir()] == ["out.pcap"]
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask()


FAILURES = {
    "air packets as btsnoop": ["--format", "btsnoop"],
    "air packets as HCI": ["--linktype", "h4"],
    "unknown link type name": ["--linktype", "bogus"],
    "link type attscope does not write": ["--linktype", "105"],
}


@pytest.mark.parametrize("why", FAILURES)
def test_convert_failure_leaves_no_file(
    why: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = need_corpus("nrf3_pairing_session.pcap")
    assert convert(src, tmp_path / "out.cap", *FAILURES[why]) == 2
    assert list(tmp_path.iterdir()) == []  # neither the output nor a temporary file
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("attscope"), err


def test_convert_failure_keeps_the_file_it_would_have_replaced(tmp_path: Path) -> None:
    out = tmp_path / "out.btsnoop"
    out.write_bytes(b"an older conversion")
    assert convert(need_corpus("nrf3_pairing_session.pcap"), out, "--format", "btsnoop") == 2
    assert out.read_bytes() == b"an older conversion"
    assert list(tmp_path.iterdir()) == [out]


def test_convert_into_a_missing_folder_is_exit_2(tmp_path: Path) -> None:
    out = tmp_path / "missing" / "out.pcapng"
    assert convert(need_corpus("btmon_ble_gatt.btsnoop"), out) == 2
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
def test_convert_stops_cleanly_at_a_time_the_format_cannot_hold(fmt: str, tmp_path: Path) -> None:
    """Some HCI loggers write btsnoop time 0 (the year 0); pcap and pcapng cannot hold a
    time before 1970. Here the fifth record has it, so the conversion fails after four
    frames are written: exit 2, and neither the output nor the temporary file is left."""
    frames = source("android_revcar_acl_only.btsnoop")[:5]
    zero = [*frames[:4], msgspec.structs.replace(frames[4], ts_us=-EPOCH_DELTA_US)]
    src, outdir = tmp_path / "zero.btsnoop", tmp_path / "out"
    write_capture(src, zero, "btsnoop", 1002)
    reader = open_capture(src)
    same(zero, list(reader))  # btsnoop holds it, and the reader says the clock jumped
    assert [w.message.split(":")[0] for w in reader.warnings] == [
        "time goes backwards at 1 record(s)"
    ]
    outdir.mkdir()
    assert convert(src, outdir / f"out.{fmt}", "--format", fmt) == 2
    assert list(outdir.iterdir()) == []


def test_convert_monitor_to_h4_leaves_out_records_without_a_packet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = need_corpus("btmon_ble_gatt.btsnoop")
    out = tmp_path / "h4.btsnoop"
    assert main(["convert", str(source), str(out), "--format", "btsnoop", "--linktype", "h4"]) == 0
    assert "315 frames written" in capsys.readouterr().out
    original = [f for f in open_capture(source) if f.hci_type is not None]
    converted = list(open_capture(out))
    assert [(f.hci_type, f.direction, f.payload, f.ts_us) for f in converted] == [
        (f.hci_type, f.direction, f.payload, f.ts_us) for f in original
    ]
