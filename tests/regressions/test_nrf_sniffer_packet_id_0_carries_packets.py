"""Older nRF Sniffer firmware and some research tools wrote radio packets with packet id 0
(a host command id that never comes from the device). tshark decodes them as BLE packets;
attscope showed "(no packet)" for every frame of three such captures."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest
from corpus import TSHARK_USER_DLTS, need_tshark
from sniffer_helpers import adv_frame

from attscope.capture import Frame, open_capture, write_capture
from attscope.capture.frame import Direction, Encap, SnifferInfo

AA = 0x50654A27


def data_frame(index: int, protover: int) -> Frame:
    """An ATT Read Request from the central, as an id-0 record holds it."""
    att = bytes((0x0A, 0x03, 0x00))
    l2cap = struct.pack("<HH", len(att), 4) + att
    ll = struct.pack("<I", AA) + bytes((0x02, len(l2cap))) + l2cap + b"\x01\x02\x03"
    info = SnifferInfo(channel=12, rssi=-50, crc_checked=True, crc_ok=True, event_counter=7,
                       flags=0x03, board_id=0, protover=protover, packet_counter=index,
                       packet_id=0, fw_time=1250)  # fmt: skip
    ts = 1_700_000_000_000_000 + index * 1250
    return Frame(index, ts, 272, Encap.LE_LL, Direction.CENTRAL_TO_PERIPHERAL, ll, sniffer=info)


def capture(tmp_path: Path, protover: int) -> tuple[Path, list[Frame]]:
    advert = adv_frame(1, bytes.fromhex("c0ffee123456"), 0)
    assert advert.sniffer is not None
    advert = msgspec.structs.replace(
        advert, sniffer=msgspec.structs.replace(advert.sniffer, protover=protover, packet_id=0)
    )
    control = Frame(3, advert.ts_us + 5000, 272, Encap.OTHER, Direction.UNKNOWN, b"\x01\x02",
                    sniffer=SnifferInfo(board_id=0, protover=protover, packet_counter=3,
                                        packet_id=0))  # fmt: skip
    frames = [advert, data_frame(2, protover), control]
    path = tmp_path / f"id0_v{protover}.pcap"
    write_capture(path, frames, "pcap", 272)
    return path, frames


@pytest.mark.parametrize("protover", [1, 2, 3])
def test_packet_id_0_records_decode_as_radio_packets(tmp_path: Path, protover: int) -> None:
    path, written = capture(tmp_path, protover)
    read = list(open_capture(path))
    assert [f.encap for f in read] == [Encap.LE_LL, Encap.LE_LL, Encap.OTHER]
    assert [f.payload for f in read] == [f.payload for f in written]
    advert, data, _control = read
    assert advert.direction == Direction.UNKNOWN and advert.sniffer.advertising  # type: ignore[union-attr]
    assert data.direction == Direction.CENTRAL_TO_PERIPHERAL
    assert data.sniffer is not None and (data.sniffer.channel, data.sniffer.packet_id) == (12, 0)

    dump = subprocess.run(
        [sys.executable, "-m", "attscope", "dump", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    lines = dump.stdout.splitlines()
    assert "ADV_NONCONN_IND" in lines[0] and "Read Request" in lines[1], lines
    assert "(no packet)" not in "\n".join(lines[:2])


def test_tshark_decodes_the_same_frames_as_ble(tmp_path: Path) -> None:
    tshark = need_tshark()
    path, _ = capture(tmp_path, 2)
    out = subprocess.run(
        [tshark, "-r", str(path), *TSHARK_USER_DLTS, "-T", "fields", "-e", "btle.access_address"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert out[:2] == ["0x8e89bed6", f"0x{AA:08x}"]
