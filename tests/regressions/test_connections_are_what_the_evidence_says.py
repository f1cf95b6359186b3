"""A link seen only through its data is LE or BR/EDR by evidence, never LE by default, and
an HCI handle on which the controller sends its own debug logs (0x0EDC in some Android
logs) is no connection at all."""

from __future__ import annotations

import struct

from frames import acl_frame, l2cap, run

from attscope.capture import Direction, Encap, Frame, HciType
from attscope.capture.linktypes import BTSNOOP_H4
from attscope.dissector.decoding import att_pdus as att
from attscope.dissector.decoding.hci_commands import LeReadBufferSizeReturn
from attscope.dissector.decoding.hci_events import CommandComplete, ModeChange

H2C, C2H = Direction.HOST_TO_CONTROLLER, Direction.CONTROLLER_TO_HOST


def event(index: int, record: object) -> Frame:
    data = record.to_bytes()  # type: ignore[attr-defined]
    return Frame(index, index * 1000, BTSNOOP_H4, Encap.HCI, C2H, data, hci_type=HciType.EVENT)


def acl(index: int, direction: Direction, cid: int, payload: bytes, handle: int) -> Frame:
    return acl_frame(index, direction, l2cap(cid, payload), handle=handle)


def transports(frames: list[Frame]) -> dict[str, tuple[str, int]]:
    return {c.id: (c.transport, c.first_frame) for c in run(frames).connections}


def test_vendor_debug_data_on_handle_0x0edc_is_no_connection() -> None:
    debug = [  # what such logs look like: bytes that are no L2CAP
        acl_frame(i, C2H, bytes([0x07, 0x0A + i, 0x00, 0x13]) + bytes(range(40)), handle=0x0EDC)
        for i in range(1, 6)
    ]
    also = acl(6, C2H, 0x0004, att.HandleValueNotification(0x10, b"\x01").to_bytes(), 0x0EDC)
    assert transports([*debug, also]) == {}


def test_bredr_signalling_makes_an_inferred_link_bredr() -> None:
    request = struct.pack("<BBHHH", 0x02, 1, 4, 0x0001, 0x0040)  # Connection Request
    frames = [
        acl(1, H2C, 0x0041, b"data", 0x000C),  # a dynamic channel opened before the log
        acl(2, H2C, 0x0001, request, 0x000C),
    ]
    assert transports(frames) == {"0x000c": ("br/edr", 1)}


def test_mode_change_makes_an_inferred_link_bredr() -> None:
    frames = [acl(1, C2H, 0x0043, b"abcd", 0x000C), event(2, ModeChange(0, 0x000C, 2, 800))]
    assert transports(frames) == {"0x000c": ("br/edr", 1)}


def test_att_on_its_fixed_channel_makes_an_inferred_link_le() -> None:
    frames = [acl(1, H2C, 0x0004, att.ReadRequest(0x0003).to_bytes(), 0x0002)]
    assert transports(frames) == {"0x0002": ("le", 1)}


def test_data_on_a_dynamic_channel_alone_does_not_say_le() -> None:
    one = [acl(1, C2H, 0x0041, b"x" * 10, 0x0003)]
    assert transports(one) == {}  # one PDU could be anything
    two = [*one, acl(2, C2H, 0x0041, b"y" * 10, 0x0003)]
    assert transports(two) == {"0x0003": ("unknown", 1)}


def test_an_acl_packet_longer_than_le_allows_is_bredr() -> None:
    le_buffers = CommandComplete(1, 0x2002, LeReadBufferSizeReturn(0, 251, 8))
    frames = [
        event(1, le_buffers),
        acl(2, H2C, 0x0041, bytes(300), 0x0005),
        acl(3, H2C, 0x0041, bytes(300), 0x0005),
    ]
    assert transports(frames) == {"0x0005": ("br/edr", 2)}
