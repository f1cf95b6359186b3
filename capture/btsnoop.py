"""btsnoop files (Android's HCI snoop log, BlueZ btmon -w): datalinks 1001, 1002 and 2001.

Header: "btsnoop\\0", version u32, datalink u32. Record: original length, included length,
flags, cumulative drops (u32 each), timestamp i64 in microseconds since year 0; all
big-endian. Flags: bit 0 received, bit 1 command/event (H1, H4); adapter << 16 | opcode
(Linux monitor).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from attscope.capture import linktypes as lt
from attscope.capture.chunked import ChunkedInput
from attscope.capture.cut_records import CutRecords
from attscope.capture.errors import CaptureError
from attscope.capture.frame import Direction, Encap, Frame, HciType
from attscope.capture.hci_records import h4_bytes, h4_frame, monitor_frame, monitor_opcode_of
from attscope.capture.reader import MAX_RECORD, CaptureReader
from attscope.capture.stream_input import ForwardStream
from attscope.capture.time_check import TimeCheck

MAGIC = b"btsnoop\x00"
_HEADER = struct.Struct(">8sII")
_RECORD = struct.Struct(">IIIIq")
EPOCH_DELTA_US = 0x00DCDDB30F2F8000  # 0001-01-01 to 1970-01-01 in microseconds
DATALINKS = {lt.BTSNOOP_H1: "H1", lt.BTSNOOP_H4: "H4", lt.BTSNOOP_MONITOR: "Linux monitor"}
OTHER_DATALINKS = {1003: "BCSP", 1004: "H5 (three-wire UART)"}

H2C = Direction.HOST_TO_CONTROLLER
C2H = Direction.CONTROLLER_TO_HOST


class BtsnoopReader(CaptureReader):
    format = "btsnoop"

    def __init__(self, path: Path, head: bytes, stream: ForwardStream | None = None) -> None:
        super().__init__(path, stream)
        if len(head) < _HEADER.size:
            raise CaptureError(f"{path}: btsnoop header cut short ({len(head)} of 16 bytes)")
        _magic, version, datalink = _HEADER.unpack_from(head)
        if datalink not in DATALINKS:
            what = OTHER_DATALINKS.get(datalink, "unknown")
            raise CaptureError(f"{path}: btsnoop datalink {datalink} ({what}) is not supported")
        self.version = version
        self.datalink = datalink
        self.detail = f"version {version}, datalink {datalink} {DATALINKS[datalink]}"
        self.linktypes = [datalink]

    def __iter__(self) -> Iterator[Frame]:
        # the hot loop of every Android log: constants and buffer length kept in locals,
        # the buffer refilled only when a record does not fit in what is read
        self.warnings = []
        datalink = self.datalink
        h4 = datalink == lt.BTSNOOP_H4
        hci = Encap.HCI
        unpack = _RECORD.unpack_from
        check = TimeCheck()
        cuts = CutRecords()
        last = -1
        try:
            with self._open() as f:
                inp = ChunkedInput(f, _HEADER.size)
                f.seek(_HEADER.size)
                pos = 0
                index = 0
                buf = inp.buf
                size = len(buf)
                while True:
                    if pos + 24 > size:
                        pos = inp.fill(pos, 24)
                        buf = inp.buf
                        size = len(buf)
                        left = size - pos
                        if left < 24:
                            if left:
                                self.warn(
                                    inp.file_offset(pos),
                                    f"record header cut short ({left} of 24 bytes); file ends",
                                )
                            return
                    _orig, incl, flags, _drops, ts = unpack(buf, pos)
                    if incl > MAX_RECORD:
                        self.warn(
                            inp.file_offset(pos),
                            f"record claims {incl} bytes (limit {MAX_RECORD}); "
                            "the rest of the file is not read",
                        )
                        return
                    end = pos + 24 + incl
                    if end > size:
                        pos = inp.fill(pos, 24 + incl)
                        buf = inp.buf
                        size = len(buf)
                        end = pos + 24 + incl
                        if end > size:
                            self.warn(
                                inp.file_offset(pos),
                                f"record cut short ({size - pos - 24} of {incl} bytes); file ends",
                            )
                            return
                    index += 1
                    ts_us = ts - EPOCH_DELTA_US
                    if ts_us < last:
                        check.backwards(index, inp.base + pos, last - ts_us)
                    last = ts_us
                    offset = inp.base + pos
                    orig = None
                    if _orig != incl:
                        orig = _orig
                        cuts.add(index, offset, incl, _orig)
                    if h4:
                        direction = C2H if flags & 1 else H2C
                        if incl:  # h4_frame inlined, the indicator split off without a copy
                            yield Frame(
                                index,
                                ts_us,
                                datalink,
                                hci,
                                direction,
                                buf[pos + 25 : end],
                                offset,
                                0,
                                orig,
                                buf[pos + 24],
                            )
                        else:
                            yield h4_frame(index, ts_us, datalink, b"", direction, offset, 0, orig)
                    else:
                        data = buf[pos + 24 : end]
                        if datalink == lt.BTSNOOP_MONITOR:
                            yield monitor_frame(
                                index,
                                ts_us,
                                datalink,
                                data,
                                flags >> 16,
                                flags & 0xFFFF,
                                offset,
                                0,
                                orig,
                            )
                        else:
                            yield _h1_frame(index, ts_us, data, flags, offset, orig)
                    pos = end

        finally:
            self.warnings.extend(check.warnings() + cuts.warnings())


def _h1_frame(
    index: int, ts_us: int, data: bytes, flags: int, offset: int, orig: int | None
) -> Frame:
    """H1 has no indicator byte: flags say command/event (bit 1) or data, and direction."""
    received = flags & 1
    hci_type = (HciType.EVENT if received else HciType.COMMAND) if flags & 2 else HciType.ACL
    return Frame(
        index,
        ts_us,
        lt.BTSNOOP_H1,
        Encap.HCI,
        C2H if received else H2C,
        data,
        offset,
        0,
        orig,
        int(hci_type),
    )


class BtsnoopWriter:
    """Writes btsnoop 1001, 1002 or 2001 records as frames come; `flush()` makes the file
    valid up to the last frame."""

    def __init__(self, f: BinaryIO, datalink: int) -> None:
        if datalink not in DATALINKS:
            raise ValueError(f"attscope does not write btsnoop datalink {datalink}")
        self._f = f
        self.datalink = datalink
        f.write(_HEADER.pack(MAGIC, 1, datalink))

    def write(self, frame: Frame) -> None:
        if frame.encap != Encap.HCI and not (
            self.datalink == lt.BTSNOOP_MONITOR and frame.monitor_opcode is not None
        ):
            raise ValueError(f"frame {frame.index} is not an HCI packet")
        received = frame.direction == C2H
        if self.datalink == lt.BTSNOOP_MONITOR:
            opcode = monitor_opcode_of(frame)
            if opcode is None:
                raise ValueError(f"frame {frame.index} has no Linux monitor opcode")
            flags = (frame.adapter or 0) << 16 | opcode
            data = frame.payload
        else:
            command_or_event = frame.hci_type in (HciType.COMMAND, HciType.EVENT)
            flags = (1 if received else 0) | (2 if command_or_event else 0)
            data = h4_bytes(frame) if self.datalink == lt.BTSNOOP_H4 else frame.payload
        orig = frame.orig_len if frame.orig_len is not None else len(data)
        stamp = frame.ts_us + EPOCH_DELTA_US  # microseconds since year 0, signed 64 bits
        if not -(1 << 63) <= stamp < 1 << 63:
            raise ValueError(
                f"frame {frame.index}: its time ({frame.ts_us} us from 1970) does not fit "
                "a btsnoop record"
            )
        if orig > 0xFFFFFFFF:
            raise ValueError(f"frame {frame.index}: {orig} bytes do not fit a btsnoop record")
        self._f.write(_RECORD.pack(orig, len(data), flags, 0, stamp))
        self._f.write(data)

    def flush(self) -> None:
        self._f.flush()


def write_btsnoop(f: BinaryIO, frames: Iterable[Frame], datalink: int) -> int:
    writer = BtsnoopWriter(f, datalink)
    count = 0
    for frame in frames:
        writer.write(frame)
        count += 1
    return count
