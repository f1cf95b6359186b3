"""HCI records: H4 indicators, the H4 direction pseudo-header, and Linux monitor opcodes.

Every HCI link type becomes the same frame shape: `payload` is the HCI packet without its
H4 indicator, `hci_type` is the indicator, `direction` host->controller or back.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from attscope.capture import linktypes as lt
from attscope.capture.frame import Direction, Encap, Frame, HciType

H2C = Direction.HOST_TO_CONTROLLER
C2H = Direction.CONTROLLER_TO_HOST

# Linux monitor opcodes (BlueZ monitor/bt.h) that carry an HCI packet:
# opcode -> (H4 indicator, direction)
MONITOR_HCI: dict[int, tuple[int, Direction]] = {
    2: (HciType.COMMAND, H2C),
    3: (HciType.EVENT, C2H),
    4: (HciType.ACL, H2C),
    5: (HciType.ACL, C2H),
    6: (HciType.SCO, H2C),
    7: (HciType.SCO, C2H),
    18: (HciType.ISO, H2C),
    19: (HciType.ISO, C2H),
}
# and back, for writers
MONITOR_OPCODE: dict[tuple[int, Direction], int] = {v: k for k, v in MONITOR_HCI.items()}

MONITOR_OPCODE_NAMES = {
    0: "New Index",
    1: "Delete Index",
    2: "Command",
    3: "Event",
    4: "ACL TX",
    5: "ACL RX",
    6: "SCO TX",
    7: "SCO RX",
    8: "Open Index",
    9: "Close Index",
    10: "Index Info",
    11: "Vendor Diagnostic",
    12: "System Note",
    13: "User Logging",
    14: "Control Open",
    15: "Control Close",
    16: "Control Command",
    17: "Control Event",
    18: "ISO TX",
    19: "ISO RX",
}

_U32BE = struct.Struct(">I")
_MON = struct.Struct(">HH")

RecordDecoder = Callable[[int, int, bytes, int, int, "int | None"], Frame]
"""(index, ts_us, record data, file offset, interface, orig_len) -> Frame"""


def monitor_frame(
    index: int,
    ts_us: int,
    linktype: int,
    payload: bytes,
    adapter: int,
    opcode: int,
    offset: int,
    interface: int = 0,
    orig_len: int | None = None,
) -> Frame:
    """A frame for a Linux monitor record, HCI or not (notes, index events ...)."""
    hci = MONITOR_HCI.get(opcode)
    if hci is None:
        return Frame(
            index,
            ts_us,
            linktype,
            Encap.OTHER,
            Direction.UNKNOWN,
            payload,
            offset,
            interface,
            orig_len,
            None,
            adapter,
            opcode,
        )
    return Frame(
        index,
        ts_us,
        linktype,
        Encap.HCI,
        hci[1],
        payload,
        offset,
        interface,
        orig_len,
        hci[0],
        adapter,
        opcode,
    )


def h4_frame(
    index: int,
    ts_us: int,
    linktype: int,
    data: bytes,
    direction: Direction,
    offset: int,
    interface: int = 0,
    orig_len: int | None = None,
) -> Frame:
    """A frame for an H4 packet: indicator byte then the HCI packet."""
    if not data:
        return Frame(
            index,
            ts_us,
            linktype,
            Encap.HCI,
            direction,
            b"",
            offset,
            interface,
            orig_len,
            problem="empty H4 record",
        )
    return Frame(
        index,
        ts_us,
        linktype,
        Encap.HCI,
        direction,
        data[1:],
        offset,
        interface,
        orig_len,
        data[0],
    )


def _decode_h4(index: int, ts: int, data: bytes, off: int, iface: int, orig: int | None) -> Frame:
    return h4_frame(index, ts, lt.BLUETOOTH_HCI_H4, data, Direction.UNKNOWN, off, iface, orig)


def _decode_h4_phdr(
    index: int, ts: int, data: bytes, off: int, iface: int, orig: int | None
) -> Frame:
    linktype = lt.BLUETOOTH_HCI_H4_WITH_PHDR
    if len(data) < 4:
        return Frame(
            index,
            ts,
            linktype,
            Encap.HCI,
            Direction.UNKNOWN,
            data,
            off,
            iface,
            orig,
            problem=f"H4 direction header needs 4 bytes, record has {len(data)}",
        )
    direction = C2H if _U32BE.unpack_from(data)[0] & 1 else H2C
    return h4_frame(index, ts, linktype, data[4:], direction, off, iface, orig)


def _decode_monitor(
    index: int, ts: int, data: bytes, off: int, iface: int, orig: int | None
) -> Frame:
    linktype = lt.BLUETOOTH_LINUX_MONITOR
    if len(data) < 4:
        return Frame(
            index,
            ts,
            linktype,
            Encap.OTHER,
            Direction.UNKNOWN,
            data,
            off,
            iface,
            orig,
            problem=f"monitor header needs 4 bytes, record has {len(data)}",
        )
    adapter, opcode = _MON.unpack_from(data)
    return monitor_frame(index, ts, linktype, data[4:], adapter, opcode, off, iface, orig)


DECODERS: dict[int, RecordDecoder] = {
    lt.BLUETOOTH_HCI_H4: _decode_h4,
    lt.BLUETOOTH_HCI_H4_WITH_PHDR: _decode_h4_phdr,
    lt.BLUETOOTH_LINUX_MONITOR: _decode_monitor,
}


def h4_bytes(frame: Frame) -> bytes:
    """The H4 form of an HCI frame: indicator then packet."""
    if frame.hci_type is None:
        return frame.payload
    return bytes((frame.hci_type,)) + frame.payload


def monitor_opcode_of(frame: Frame) -> int | None:
    """The Linux monitor opcode for a frame, kept or derived; None if it has none."""
    if frame.monitor_opcode is not None:
        return frame.monitor_opcode
    if frame.hci_type is None:
        return None
    return MONITOR_OPCODE.get((frame.hci_type, frame.direction))


def encode_h4_phdr(frame: Frame) -> bytes:
    return _U32BE.pack(1 if frame.direction == C2H else 0) + h4_bytes(frame)


def encode_monitor(frame: Frame) -> bytes:
    opcode = monitor_opcode_of(frame)
    if opcode is None:
        raise ValueError(f"frame {frame.index} has no Linux monitor opcode")
    return _MON.pack(frame.adapter or 0, opcode) + frame.payload
