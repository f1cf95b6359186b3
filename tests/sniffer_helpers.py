"""Frames and captures for the nRF Sniffer tests: the real mouse capture's facts, adverts
made up as a v3 dongle reports them, and frames compared without what a live path renumbers."""

from __future__ import annotations

import signal
import time
from functools import cache
from pathlib import Path

import msgspec
from corpus import need_corpus

from attscope.capture import Frame, open_capture, write_capture
from attscope.capture.frame import Direction, Encap, SnifferInfo

# s: the most any wait of these tests may take. Every wait ends on its event (a count
# reached, a state entered), so this only bounds a failure, even on a loaded machine.
PATIENCE = 120.0

MOUSE = "nrf3_hid_mouse.pcapng"  # v3: adverts, then CONNECT_IND (frame 953) and the link
MOUSE_ADDRESS = "E2:E0:6B:31:00:54"  # public; the CONNECT_IND's AdvA


@cache
def corpus_frames(name: str) -> list[Frame]:
    return list(open_capture(need_corpus(name)))


def normal(frame: Frame) -> Frame:
    """A frame without what the live path renumbers: index, time, file offset, counter."""
    assert frame.sniffer is not None
    return msgspec.structs.replace(
        frame,
        index=0,
        ts_us=0,
        offset=0,
        sniffer=msgspec.structs.replace(frame.sniffer, packet_counter=0),
    )


# -- a capture of our own, written with the project's writer ---------------------------


def adv_frame(i: int, address: bytes, fw_time: int, channel: int = 37) -> Frame:
    """An ADV_NONCONN_IND from a random address, as a v3 nordic_ble record holds it."""
    ad = b"\x02\x01\x06\x05\x09EMU" + bytes((0x30 + i % 10,))
    pdu = address[::-1] + ad
    payload = b"\xd6\xbe\x89\x8e" + bytes((0x42, len(pdu))) + pdu + b"\x11\x22\x33"
    info = SnifferInfo(
        channel=channel,
        rssi=-60,
        crc_checked=True,
        crc_ok=True,
        event_counter=0,
        advertising=True,
        flags=1,
        board_id=0,
        protover=3,
        packet_counter=i,
        packet_id=2,
        fw_time=fw_time,
    )
    ts = 1_700_000_000_000_000 + fw_time
    return Frame(i, ts, 272, Encap.LE_LL, Direction.UNKNOWN, payload, sniffer=info)


def write_sample(path: Path, count: int, spacing_us: int = 10_000) -> Path:
    """`count` adverts from two devices, `spacing_us` apart, on 37/38/39 in turn."""
    frames = [
        adv_frame(
            i + 1,
            bytes.fromhex("C0FFEE123456" if i % 2 else "C0FFEE654321"),
            5_000_000 + i * spacing_us,
            37 + i % 3,
        )
        for i in range(count)
    ]
    write_capture(path, frames, "pcap", 272)
    return path


# -- waiting for events ----------------------------------------------------------------


class Deadline:
    """`PATIENCE` seconds from now; `check(what)` fails the test once they are over."""

    def __init__(self, seconds: float = PATIENCE) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def check(self, what: object = "") -> None:
        if time.monotonic() > self.at:
            raise AssertionError(f"not done after {self.seconds} s: {what}")


def ignore_sigint() -> None:
    """A child's SIGINT ignored, as `trap '' INT` or `cmd &` in a script leave it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
