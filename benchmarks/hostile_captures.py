"""Captures built to exhaust attscope's memory or time, and a normal one to compare with.

Each builder takes a frame count and returns the frames of one scenario, written by the
caller with the project's own writers (btsnoop for HCI, pcap 251 for the air). Every
scenario is something a damaged, fuzzed or malicious file can hold; `normal` is a plain
request/response log of the same size.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from attscope.capture import Direction, Encap, Frame, HciType
from attscope.capture.linktypes import BLUETOOTH_LE_LL, BTSNOOP_H4

H2C, C2H = Direction.HOST_TO_CONTROLLER, Direction.CONTROLLER_TO_HOST
T0 = 1_700_000_000_000_000
HANDLE = 0x0040
ADV_AA, LINK_AA = 0x8E89BED6, 0x50654A27


def _acl(index: int, direction: Direction, cid: int, payload: bytes, step_us: int = 1250,
         first: bool = True, length: int | None = None) -> Frame:  # fmt: skip
    l2cap = struct.pack("<HH", len(payload) if length is None else length, cid) + payload
    data = l2cap if first else payload
    pb = (0b10 if first else 0b01) << 12
    packet = struct.pack("<HH", HANDLE | pb, len(data)) + data
    return Frame(index, T0 + index * step_us, BTSNOOP_H4, Encap.HCI, direction, packet,
                 hci_type=HciType.ACL)  # fmt: skip


def _air(index: int, aa: int, header: int, payload: bytes) -> Frame:
    ll = struct.pack("<IBB", aa, header, len(payload)) + payload + b"\x00\x00\x00"
    return Frame(index, T0 + index * 1250, BLUETOOTH_LE_LL, Encap.LE_LL, Direction.UNKNOWN, ll)


def normal(n: int) -> list[Frame]:
    """Read Request, Read Response, again and again."""
    return [
        _acl(i, H2C, 4, b"\x0a\x03\x00") if i % 2 else _acl(i, C2H, 4, b"\x0b\x01\x02")
        for i in range(1, n + 1)
    ]


def one_timestamp(n: int) -> list[Frame]:
    """The same, every record stamped alike."""
    return [
        _acl(i, H2C, 4, b"\x0a\x03\x00", 0) if i % 2 else _acl(i, C2H, 4, b"\x0b\x01\x02", 0)
        for i in range(1, n + 1)
    ]


def queued_writes_far(n: int) -> list[Frame]:
    """Prepare Write at offset 0xFFF0, its echo, Execute Write, its response."""
    prepare = b"\x16\x10\x00\xf0\xffabcd"
    cycle = [(H2C, prepare), (C2H, b"\x17" + prepare[1:]), (H2C, b"\x18\x01"), (C2H, b"\x19")]
    frames = []
    for i in range(1, n + 1):
        direction, pdu = cycle[(i - 1) % 4]
        frames.append(_acl(i, direction, 4, pdu))
    return frames


def prepares_never_executed(n: int) -> list[Frame]:
    frames = []
    for i in range(1, n + 1):
        offset = struct.pack("<H", (i // 2 * 4) & 0xFFFF)
        body = b"\x10\x00" + offset + b"abcd"
        frames.append(_acl(i, H2C, 4, b"\x16" + body) if i % 2 else _acl(i, C2H, 4, b"\x17" + body))
    return frames


def fragments_never_complete(n: int) -> list[Frame]:
    """An L2CAP PDU announcing 65,535 bytes, then continuations for ever."""
    return [
        _acl(i, C2H, 4, b"\x1b" + bytes(22), first=i % 2000 == 1, length=65535)
        for i in range(1, n + 1)
    ]


def sdu_never_complete(n: int) -> list[Frame]:
    """An LE credit-based channel, an SDU of 65,535 bytes, then empty K-frames."""
    request = struct.pack("<BBHHHHHH", 0x14, 1, 10, 0x0080, 0x0040, 65535, 251, 65535)
    response = struct.pack("<BBHHHHHH", 0x15, 1, 10, 0x0050, 65535, 251, 65535, 0)
    frames = [_acl(1, H2C, 5, request), _acl(2, C2H, 5, response),
              _acl(3, H2C, 0x0050, struct.pack("<H", 65535) + b"x")]  # fmt: skip
    frames += [_acl(i, H2C, 0x0050, b"") for i in range(4, n + 1)]
    return frames


def many_services(n: int) -> list[Frame]:
    """Read By Group Type Responses of 85 services each (after an MTU exchange)."""
    frames = [_acl(1, H2C, 4, b"\x02\x05\x02"), _acl(2, C2H, 4, b"\x03\x05\x02")]
    handle = 1
    for i in range(3, n + 1):
        if i % 2:
            frames.append(_acl(i, H2C, 4, b"\x10\x01\x00\xff\xff\x00\x28"))
            continue
        entries = b""
        for _ in range(85):
            entries += struct.pack("<HHH", handle, handle, 0x180F)
            handle = handle % 0xFFF0 + 1
        frames.append(_acl(i, C2H, 4, b"\x11\x06" + entries))
    return frames


def random_access_addresses(n: int) -> list[Frame]:
    """One ATT Read Request from each of n access addresses."""
    read = struct.pack("<HH", 3, 4) + b"\x0a\x03\x00"
    return [_air(i, (0x10000000 + i * 7919) & 0xFFFFFFFF, 0x02, read) for i in range(1, n + 1)]


def advertisers(n: int) -> list[Frame]:
    """ADV_NONCONN_IND from n addresses."""
    return [_air(i, ADV_AA, 0x42, (0xC00000000000 + i).to_bytes(6, "little") + b"\x02\x01\x06")
            for i in range(1, n + 1)]  # fmt: skip


def advertiser_services(n: int) -> list[Frame]:
    """One advertiser, each advert with another 16-bit service UUID."""
    address = (0xC0FFEE000001).to_bytes(6, "little")
    return [_air(i, ADV_AA, 0x42, address + b"\x03\x03" + struct.pack("<H", i & 0xFFFF))
            for i in range(1, n + 1)]  # fmt: skip


def timeline(n: int) -> list[Frame]:
    """LL_CONNECTION_UPDATE_IND for ever on one link: a timeline entry each."""
    update = bytes([0x00, 1, 6, 0, 24, 0, 0, 0, 72, 0]) + struct.pack("<H", 10)
    return [_air(i, LINK_AA, 0x03, update) for i in range(1, n + 1)]


# name -> (builder, the format it is written in)
SCENARIOS: dict[str, tuple[Callable[[int], list[Frame]], str]] = {
    "normal": (normal, "btsnoop"),
    "one_timestamp": (one_timestamp, "btsnoop"),
    "queued_writes_far": (queued_writes_far, "btsnoop"),
    "prepares_never_executed": (prepares_never_executed, "btsnoop"),
    "fragments_never_complete": (fragments_never_complete, "btsnoop"),
    "sdu_never_complete": (sdu_never_complete, "btsnoop"),
    "many_services": (many_services, "btsnoop"),
    "random_access_addresses": (random_access_addresses, "pcap"),
    "advertisers": (advertisers, "pcap"),
    "advertiser_services": (advertiser_services, "pcap"),
    "timeline": (timeline, "pcap"),
}
LINKTYPES = {"btsnoop": 1002, "pcap": BLUETOOTH_LE_LL}
