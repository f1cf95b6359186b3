"""Apple PacketLogger files (.pklg): macOS PacketLogger, iOS Bluetooth logging (inside a
sysdiagnose), BTstack's hci_dump in its PacketLogger mode.

No file header. Each record: a length (u32: the 8 time bytes and what follows), seconds
and microseconds since 1970 (u32 each), a type byte and the record's data. Files are
written big-endian; some writers write the header fields little-endian instead, which a
first length with zeros in its low 16 bits and not in its high 16 bits gives away.

Types: 0x00 HCI command, 0x01 HCI event, 0x02/0x03 ACL data sent/received, 0x08/0x09 SCO
sent/received; the others (LMP, syslog, kernel and kernel debug messages, errors, power
events, notes, configuration, a new controller) are not HCI packets and are kept as
frames of their own (`Encap.OTHER`, payload the type byte and the data), which the
decoder shows as notes.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from attscope.capture.chunked import ChunkedInput
from attscope.capture.errors import CaptureError
from attscope.capture.frame import Direction, Encap, Frame
from attscope.capture.packetlogger_types import (
    HCI_TYPES,
    LINKTYPE,
    NOTE_TYPES,
    RECORD_TYPES,
)
from attscope.capture.reader import MAX_RECORD, CaptureReader
from attscope.capture.stream_input import ForwardStream
from attscope.capture.time_check import TimeCheck

_HEADER = 12  # length, seconds, microseconds
_PROBE_RECORDS = 3  # records checked before a file is taken as PacketLogger


def byte_order(head: bytes) -> str | None:
    """The byte order, ">" or "<", in which the first records read as PacketLogger records
    (a plausible length, microseconds below a million, a known type), else
    None."""
    if len(head) < _HEADER + 1:
        return None
    first = struct.unpack_from(">I", head)[0]
    orders = ("<", ">") if first & 0xFFFF == 0 and first >> 16 else (">", "<")
    for order in orders:
        if _plausible(head, order):
            return order
    return None


def _plausible(head: bytes, order: str) -> bool:
    record = struct.Struct(order + "III")
    pos = checked = 0
    while checked < _PROBE_RECORDS and pos + _HEADER < len(head):
        length, _secs, usecs = record.unpack_from(head, pos)
        if (
            not 9 <= length < 65_536
            or usecs >= 1_000_000
            or head[pos + _HEADER] not in RECORD_TYPES
        ):
            return False
        pos += 4 + length
        checked += 1
    return checked > 0


class PacketLoggerReader(CaptureReader):
    format = "packetlogger"

    def __init__(self, path: Path, head: bytes, stream: ForwardStream | None = None) -> None:
        super().__init__(path, stream)
        order = byte_order(head)
        if order is None:
            raise CaptureError(f"{path}: not a PacketLogger file")
        self.order = order
        self.detail = "big-endian" if order == ">" else "little-endian"
        self.linktypes = [LINKTYPE]

    def __iter__(self) -> Iterator[Frame]:
        self.warnings = []
        unpack = struct.Struct(self.order + "III").unpack_from
        # record type -> (HCI type, direction) or None, indexed rather than looked up
        hci_types = [HCI_TYPES.get(code) for code in range(256)]
        hci, other, unknown = Encap.HCI, Encap.OTHER, Direction.UNKNOWN
        check = TimeCheck()
        last = -1
        try:
            with self._open() as f:
                inp = ChunkedInput(f)
                pos = index = 0
                buf = inp.buf
                size = len(buf)
                while True:
                    if pos + _HEADER > size:
                        pos = inp.fill(pos, _HEADER)
                        buf, size = inp.buf, len(inp.buf)
                        left = size - pos
                        if left < _HEADER:
                            if left:
                                self.warn(inp.file_offset(pos), f"record header cut short "
                                          f"({left} of {_HEADER} bytes); file ends")  # fmt: skip
                            return
                    length, secs, usecs = unpack(buf, pos)
                    if length < 8 or length - 8 > MAX_RECORD:
                        self.warn(inp.file_offset(pos), f"record length {length} is impossible; "
                                  "the rest of the file is not read")  # fmt: skip
                        return
                    end = pos + 4 + length
                    if end > size:
                        pos = inp.fill(pos, 4 + length)
                        buf, size = inp.buf, len(inp.buf)
                        end = pos + 4 + length
                        if end > size:
                            self.warn(inp.file_offset(pos), f"record cut short "
                                      f"({size - pos - _HEADER} of {length - 8} bytes); "
                                      "file ends")  # fmt: skip
                            return
                    index += 1
                    offset = inp.base + pos
                    ts_us = secs * 1_000_000 + usecs
                    kind = hci_types[buf[pos + _HEADER]] if end > pos + _HEADER else None
                    if usecs >= 1_000_000 or ts_us < last:  # rare: its own frame, flagged
                        yield self._odd_time(check, index, offset, ts_us, last, usecs, kind,
                                             buf[pos + 12 : end])  # fmt: skip
                    elif kind is not None:
                        last = ts_us
                        yield Frame(index, ts_us, LINKTYPE, hci, kind[1], buf[pos + 13 : end],
                                    offset, 0, None, kind[0])  # fmt: skip
                    else:
                        last = ts_us
                        yield Frame(index, ts_us, LINKTYPE, other, unknown, buf[pos + 12 : end],
                                    offset)  # fmt: skip
                    pos = end
        finally:
            self.warnings.extend(check.warnings())

    @staticmethod
    def _odd_time(
        check: TimeCheck,
        index: int,
        offset: int,
        ts_us: int,
        last: int,
        usecs: int,
        kind: tuple[int, Direction] | None,
        record: bytes,
    ) -> Frame:
        """A record whose microseconds are out of range (its time a guess) or whose time
        goes back: noted for the warning."""
        bad_time = usecs >= 1_000_000
        if bad_time:
            check.out_of_range(index, offset)
        else:
            check.backwards(index, offset, last - ts_us)
        if kind is not None:
            return Frame(index, ts_us, LINKTYPE, Encap.HCI, kind[1], record[1:], offset, 0,
                         None, kind[0], bad_time=bad_time)  # fmt: skip
        return Frame(index, ts_us, LINKTYPE, Encap.OTHER, Direction.UNKNOWN, record, offset,
                     bad_time=bad_time)  # fmt: skip


_PKLG_TYPE = {(kind, direction): code for code, (kind, direction) in HCI_TYPES.items()}
_WRITE_HEADER = struct.Struct(">III")


def write_packetlogger(f: BinaryIO, frames: Iterable[Frame]) -> int:
    """Write HCI frames (and PacketLogger notes read from another PacketLogger file) as
    big-endian PacketLogger records; returns the number written. ValueError for a frame
    PacketLogger has no record type for (an ISO packet, an air packet)."""
    count = 0
    for frame in frames:
        if frame.encap == Encap.HCI:
            code = _PKLG_TYPE.get((frame.hci_type or 0, frame.direction))
            if code is None:
                raise ValueError(f"frame {frame.index}: PacketLogger has no record for it")
            body = bytes([code]) + frame.payload
        elif frame.linktype == LINKTYPE and frame.payload[:1] and frame.payload[0] in NOTE_TYPES:
            body = frame.payload  # a note of a PacketLogger file, type byte first
        else:
            raise ValueError(f"frame {frame.index} is not an HCI packet")
        secs, usecs = divmod(frame.ts_us, 1_000_000)
        if not 0 <= secs < 1 << 32:
            raise ValueError(f"frame {frame.index}: its time does not fit PacketLogger's")
        f.write(_WRITE_HEADER.pack(8 + len(body), secs, usecs) + body)
        count += 1
    return count
