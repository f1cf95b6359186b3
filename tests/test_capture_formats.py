"""Every format and link type opens, detected from the bytes, with tshark's frame count."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest
from corpus import corpus_files, manifest, need_corpus

from attscope.capture import Direction, Encap, HciType, open_capture
from attscope.capture import linktypes as lt
from attscope.capture.btsnoop import BtsnoopReader
from attscope.capture.pcap import PcapReader
from attscope.capture.pcapng import PcapngReader

MANIFEST_LINKTYPE = {  # the manifest's link type column starts with the number we report
    "192": lt.PPI,
    "256": lt.BLUETOOTH_LE_LL_WITH_PHDR,
    "272": lt.NORDIC_BLE,
    "157": lt.USER10,
    "201": lt.BLUETOOTH_HCI_H4_WITH_PHDR,
    "btsnoop 1002": lt.BTSNOOP_H4,
    "btsnoop 2001": lt.BTSNOOP_MONITOR,
}


def _row(name: str) -> dict[str, str]:
    need_corpus(name)
    return next(r for r in manifest() if r["file"] == name)


@pytest.mark.parametrize("name", corpus_files())
def test_frame_count_equals_tsharks(name: str) -> None:
    row = _row(name)
    reader = open_capture(need_corpus(name))
    frames = list(reader)
    assert len(frames) == int(row["packets"])
    assert [f.index for f in frames] == list(range(1, len(frames) + 1))
    assert reader.warnings == []
    assert all(f.problem is None for f in frames), [f.problem for f in frames if f.problem]


@pytest.mark.parametrize("name", corpus_files())
def test_link_type_and_format_detected(name: str) -> None:
    row = _row(name)
    reader = open_capture(need_corpus(name))
    expected = next(v for k, v in MANIFEST_LINKTYPE.items() if row["linktype"].startswith(k))
    assert reader.linktypes == [expected]
    assert reader.format == row["format"]
    encap = lt.encap_of(expected) if expected != lt.PPI else Encap.LE_LL
    assert {f.encap for f in reader} <= {encap, Encap.OTHER}


def test_detection_ignores_the_file_name(tmp_path: Path) -> None:
    source = need_corpus("btmon_ble_gatt.btsnoop")
    disguised = tmp_path / "capture.pcapng"
    shutil.copy(source, disguised)
    assert isinstance(open_capture(disguised), BtsnoopReader)
    source = need_corpus("nrf3_hid_mouse.pcapng")
    disguised = tmp_path / "log.btsnoop"
    shutil.copy(source, disguised)
    assert isinstance(open_capture(disguised), PcapngReader)


def test_btsnoop_h4_directions_and_types() -> None:
    frames = list(open_capture(need_corpus("android_revcar_acl_only.btsnoop")))
    assert {f.hci_type for f in frames} == {HciType.ACL}
    assert {f.direction for f in frames} == {
        Direction.HOST_TO_CONTROLLER,
        Direction.CONTROLLER_TO_HOST,
    }
    # every ACL payload starts with handle+flags and a length that matches the rest
    for f in frames:
        _handle_flags, length = struct.unpack_from("<HH", f.payload)
        assert length == len(f.payload) - 4


def test_btsnoop_monitor_keeps_zero_length_and_note_records() -> None:
    frames = list(open_capture(need_corpus("btmon_ble_gatt.btsnoop")))
    opcodes = {f.monitor_opcode for f in frames}
    assert {0, 2, 3} <= opcodes  # new index, command, event
    notes = [f for f in frames if f.encap == Encap.OTHER]
    assert notes and all(f.hci_type is None for f in notes)
    assert all(f.adapter is not None for f in frames)


def test_nordic_v1_legacy_adafruit_records() -> None:
    frames = list(open_capture(need_corpus("adafruit_nrf1_user10_adv.pcap")))
    first = frames[0]
    assert first.linktype == lt.USER10
    assert first.sniffer is not None
    assert first.sniffer.protover == 1
    assert first.sniffer.channel in (37, 38, 39)
    assert first.sniffer.advertising is True
    assert first.payload[:4] == bytes.fromhex("d6be898e")


def test_nordic_v3_data_packets_have_directions() -> None:
    frames = list(open_capture(need_corpus("nrf3_hid_mouse.pcapng")))
    data = [f for f in frames if f.sniffer and f.sniffer.advertising is False]
    assert data
    assert {f.direction for f in data} == {
        Direction.CENTRAL_TO_PERIPHERAL,
        Direction.PERIPHERAL_TO_CENTRAL,
    }
    assert all(f.sniffer and f.sniffer.protover == 3 for f in frames)
    assert all(0 <= (f.sniffer.channel or 0) <= 39 for f in frames if f.sniffer)


def test_ppi_ubertooth_channel_from_btle_field() -> None:
    frames = list(open_capture(need_corpus("crackle_legacy_jw_pairing.pcap")))
    first = frames[0]
    assert first.linktype == lt.PPI
    assert first.sniffer is not None
    assert first.sniffer.inner_linktype == lt.USER0
    assert first.sniffer.channel == 37  # 2402 MHz
    assert first.payload[:4] == bytes.fromhex("d6be898e")


def test_le_phdr_flags_decoded() -> None:
    frames = list(open_capture(need_corpus("bsniffhub_conn_update.pcap")))
    f = frames[0]
    assert f.sniffer is not None
    assert f.sniffer.crc_checked is True
    assert f.sniffer.crc_ok is True
    assert f.sniffer.rssi is not None
    assert any(x.direction == Direction.CENTRAL_TO_PERIPHERAL for x in frames)


def _pcap_bytes(
    order: str, nanos: bool, linktype: int, records: list[tuple[int, int, bytes]]
) -> bytes:
    magic = 0xA1B23C4D if nanos else 0xA1B2C3D4
    out = struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, 65535, linktype)
    for sec, frac, data in records:
        out += struct.pack(order + "IIII", sec, frac, len(data), len(data)) + data
    return out


@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize("nanos", [False, True])
def test_pcap_byte_orders_and_precisions(tmp_path: Path, order: str, nanos: bool) -> None:
    h4 = bytes.fromhex("01030c00")
    frac = 123_456_789 if nanos else 123_456
    path = tmp_path / "x.pcap"
    path.write_bytes(_pcap_bytes(order, nanos, lt.BLUETOOTH_HCI_H4, [(1_700_000_000, frac, h4)]))
    reader = open_capture(path)
    assert isinstance(reader, PcapReader)
    (frame,) = list(reader)
    assert frame.ts_us == 1_700_000_000_123_456
    assert frame.hci_type == HciType.COMMAND
    assert frame.payload == h4[1:]


def _pcapng_block(kind: int, body: bytes) -> bytes:
    body += b"\x00" * (-len(body) % 4)
    return struct.pack("<II", kind, len(body) + 12) + body + struct.pack("<I", len(body) + 12)


def _option(code: int, value: bytes) -> bytes:
    return struct.pack("<HH", code, len(value)) + value + b"\x00" * (-len(value) % 4)


def test_pcapng_interfaces_keep_their_own_link_type_and_resolution(tmp_path: Path) -> None:
    shb = _pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    # interface 0: H4 with microseconds; interface 1: LE LL with nanoseconds and an offset
    idb0 = _pcapng_block(1, struct.pack("<HHI", lt.BLUETOOTH_HCI_H4_WITH_PHDR, 0, 0))
    idb1 = _pcapng_block(
        1,
        struct.pack("<HHI", lt.BLUETOOTH_LE_LL, 0, 0)
        + _option(9, b"\x09")
        + _option(14, struct.pack("<q", 10))
        + _option(0, b""),
    )

    def epb(iface: int, ticks: int, data: bytes) -> bytes:
        head = struct.pack("<IIIII", iface, ticks >> 32, ticks & 0xFFFFFFFF, len(data), len(data))
        return _pcapng_block(6, head + data)

    h4 = b"\x00\x00\x00\x01" + bytes.fromhex("040e0401030c00")
    ll = bytes.fromhex("d6be898e4006aabbccddeeff") + b"\x00\x00\x00"
    path = tmp_path / "multi.pcapng"
    path.write_bytes(shb + idb0 + idb1 + epb(0, 5_000_000, h4) + epb(1, 7_000_000_123, ll))
    reader = open_capture(path)
    assert reader.linktypes == [lt.BLUETOOTH_HCI_H4_WITH_PHDR, lt.BLUETOOTH_LE_LL]
    a, b = list(reader)
    assert (a.interface, a.ts_us, a.direction) == (0, 5_000_000, Direction.CONTROLLER_TO_HOST)
    assert (b.interface, b.ts_us, b.encap) == (1, 17_000_000, Encap.LE_LL)
    assert b.payload == ll


def test_pcapng_big_endian_section(tmp_path: Path) -> None:
    def block(kind: int, body: bytes) -> bytes:
        body += b"\x00" * (-len(body) % 4)
        return struct.pack(">II", kind, len(body) + 12) + body + struct.pack(">I", len(body) + 12)

    data = bytes.fromhex("01030c00")
    path = tmp_path / "be.pcapng"
    path.write_bytes(
        block(0x0A0D0D0A, struct.pack(">IHHq", 0x1A2B3C4D, 1, 0, -1))
        + block(1, struct.pack(">HHI", lt.BLUETOOTH_HCI_H4, 0, 0))
        + block(6, struct.pack(">IIIII", 0, 0, 42, len(data), len(data)) + data)
    )
    (frame,) = list(open_capture(path))
    assert (frame.ts_us, frame.hci_type, frame.payload) == (42, 1, data[1:])


def test_btsnoop_h1_types_from_flags(tmp_path: Path) -> None:
    header = b"btsnoop\x00" + struct.pack(">II", 1, 1001)
    ts = 0x00DCDDB30F2F8000 + 1_000_000

    def rec(flags: int, data: bytes) -> bytes:
        return struct.pack(">IIIIq", len(data), len(data), flags, 0, ts) + data

    path = tmp_path / "h1.log"
    path.write_bytes(
        header
        + rec(2, bytes.fromhex("030c00"))  # command, sent
        + rec(3, bytes.fromhex("0e0401030c00"))  # event, received
        + rec(1, bytes.fromhex("400005000100040001"))  # ACL, received
    )
    frames = list(open_capture(path))
    assert [f.hci_type for f in frames] == [HciType.COMMAND, HciType.EVENT, HciType.ACL]
    assert [f.direction for f in frames] == [
        Direction.HOST_TO_CONTROLLER,
        Direction.CONTROLLER_TO_HOST,
        Direction.CONTROLLER_TO_HOST,
    ]
    assert frames[0].ts_us == 1_000_000
