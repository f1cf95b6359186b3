"""pcapng files: every section and interface, each with its own link type, timestamp
resolution and offset. Packets come from Enhanced, Simple and (obsolete) Packet Blocks,
the three kinds Wireshark numbers as frames."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import msgspec

from attscope.capture import linktypes as lt
from attscope.capture.chunked import ChunkedInput
from attscope.capture.cut_records import CutRecords
from attscope.capture.errors import CaptureError
from attscope.capture.frame import Direction, Frame
from attscope.capture.reader import CaptureReader
from attscope.capture.records import decoder_for, encode
from attscope.capture.stream_input import ForwardStream
from attscope.capture.time_check import TimeCheck

SHB = 0x0A0D0D0A
IDB = 0x00000001
PB = 0x00000002  # obsolete Packet Block
SPB = 0x00000003
EPB = 0x00000006
BYTE_ORDER_MAGIC = 0x1A2B3C4D
MAX_BLOCK = 16 << 20  # Wireshark refuses larger blocks too

OPT_END = 0
OPT_IF_TSRESOL = 9
OPT_IF_TSOFFSET = 14
OPT_EPB_FLAGS = 2


class _Interface:
    __slots__ = ("decode", "linktype", "offset_us", "snaplen", "to_us")

    def __init__(self, linktype: int, snaplen: int, resol: int, offset_s: int) -> None:
        self.linktype = linktype
        self.snaplen = snaplen
        self.to_us = _ticks_to_us(resol)
        self.offset_us = offset_s * 1_000_000
        self.decode = decoder_for(linktype)


def _ticks_to_us(resol: int) -> Callable[[int], int]:
    """A function turning timestamp ticks into microseconds, exactly, for if_tsresol."""
    exp = resol & 0x7F
    if resol & 0x80:  # a negative power of two
        return lambda t: (t * 1_000_000) >> exp
    if exp >= 6:
        div = 10 ** (exp - 6)
        return lambda t: t // div
    mul = 10 ** (6 - exp)
    return lambda t: t * mul


def _options(body: bytes, start: int, end: int, order: str) -> dict[int, bytes]:
    """Option code -> value, for the options between start and end."""
    found: dict[int, bytes] = {}
    head = struct.Struct(order + "HH")
    pos = start
    while pos + 4 <= end:
        code, length = head.unpack_from(body, pos)
        if code == OPT_END:
            break
        found.setdefault(code, body[pos + 4 : pos + 4 + length])
        pos += 4 + (length + 3) // 4 * 4
    return found


class PcapngReader(CaptureReader):
    format = "pcapng"

    def __init__(self, path: Path, head: bytes, stream: ForwardStream | None = None) -> None:
        super().__init__(path, stream)
        if len(head) < 12:
            raise CaptureError(f"{path}: pcapng section header cut short")
        bom = head[8:12]
        if bom == b"\x4d\x3c\x2b\x1a":
            order = "<"
        elif bom == b"\x1a\x2b\x3c\x4d":
            order = ">"
        else:
            raise CaptureError(f"{path}: pcapng section header has no byte-order magic")
        self.detail = f"{'big' if order == '>' else 'little'}-endian"
        self._first_order = order
        if stream is None:  # a stream is read once: its link types come as it is read
            self._scan_linktypes()

    def _scan_linktypes(self) -> None:
        """Read the interface blocks of the first section up to the first packet, so the
        link types are known before iterating (they can still grow while iterating)."""
        for _kind, _offset, _order, body in self._blocks(stop_at_packet=True):
            if _kind == IDB and len(body) >= 8:
                self.linktypes.append(struct.unpack_from(_order + "H", body)[0])
        self.warnings = []

    def _blocks(self, stop_at_packet: bool = False) -> Iterator[tuple[int, int, str, bytes]]:
        """(block type, file offset, byte order, body) for each well-formed block."""
        order = self._first_order
        with self._open() as f:
            inp = ChunkedInput(f)
            pos = 0
            while True:
                pos = inp.fill(pos, 12)
                buf = inp.buf
                left = len(buf) - pos
                offset = inp.base + pos
                if left < 12:
                    if left:
                        self.warn(offset, f"block header cut short ({left} bytes); file ends")
                    return
                kind = struct.unpack_from(order + "I", buf, pos)[0]
                if kind == SHB:  # a new section may switch byte order
                    bom = buf[pos + 8 : pos + 12]
                    if bom == b"\x4d\x3c\x2b\x1a":
                        order = "<"
                    elif bom == b"\x1a\x2b\x3c\x4d":
                        order = ">"
                    else:
                        self.warn(
                            offset,
                            "section header without byte-order magic; "
                            "the rest of the file is not read",
                        )
                        return
                length = struct.unpack_from(order + "I", buf, pos + 4)[0]
                if length < 12 or length % 4 or length > MAX_BLOCK:
                    self.warn(
                        offset,
                        f"block length {length} is impossible; the rest of the file is not read",
                    )
                    return
                if left < length:
                    pos = inp.fill(pos, length)
                    buf = inp.buf
                    offset = inp.base + pos
                    if len(buf) - pos < length:
                        self.warn(
                            offset,
                            f"block cut short ({len(buf) - pos} of {length} bytes); file ends",
                        )
                        return
                trailer = struct.unpack_from(order + "I", buf, pos + length - 4)[0]
                if trailer != length:
                    self.warn(
                        offset,
                        f"block length {length} and trailing length {trailer} "
                        "differ; the rest of the file is not read",
                    )
                    return
                if stop_at_packet and kind in (EPB, SPB, PB):
                    return
                yield kind, offset, order, buf[pos + 8 : pos + length - 4]
                pos += length

    def __iter__(self) -> Iterator[Frame]:
        self.warnings = []
        interfaces: list[_Interface] = []
        self.linktypes = []
        index = 0
        check = TimeCheck()
        cuts = CutRecords()
        last = -1
        try:
            for kind, offset, order, body in self._blocks():
                if kind == EPB:
                    if len(body) < 20:
                        self.warn(offset, "enhanced packet block too short; skipped")
                        continue
                    iface_id, hi, lo, caplen, origlen = struct.unpack_from(order + "IIIII", body)
                    if iface_id >= len(interfaces):
                        self.warn(
                            offset,
                            f"packet names interface {iface_id}, which no interface "
                            "block declared; skipped",
                        )
                        continue
                    if 20 + caplen > len(body):
                        self.warn(
                            offset, f"packet data ({caplen} bytes) overruns its block; skipped"
                        )
                        continue
                    iface = interfaces[iface_id]
                    ts_us = iface.to_us(hi << 32 | lo) + iface.offset_us
                    data = body[20 : 20 + caplen]
                    index += 1
                    if ts_us < last:
                        check.backwards(index, offset, last - ts_us)
                    last = ts_us
                    if origlen != caplen:
                        cuts.add(index, offset, caplen, origlen)
                    frame = iface.decode(
                        index, ts_us, data, offset, iface_id, None if origlen == caplen else origlen
                    )
                    opts_at = 20 + (caplen + 3) // 4 * 4
                    if iface.linktype == lt.BLUETOOTH_HCI_H4 and opts_at < len(body):
                        frame = _with_epb_direction(frame, body, opts_at, order)
                    yield frame
                elif kind == SPB:
                    if not interfaces or len(body) < 4:
                        self.warn(offset, "simple packet block without an interface; skipped")
                        continue
                    iface = interfaces[0]
                    origlen = struct.unpack_from(order + "I", body)[0]
                    caplen = min(origlen, len(body) - 4, iface.snaplen or origlen)
                    index += 1
                    cuts.add(index, offset, caplen, origlen)
                    yield iface.decode(
                        index,
                        0,
                        body[4 : 4 + caplen],
                        offset,
                        0,
                        None if origlen == caplen else origlen,
                    )
                elif kind == PB:
                    if len(body) < 20:
                        self.warn(offset, "packet block too short; skipped")
                        continue
                    iface_id, _drops, hi, lo, caplen, origlen = struct.unpack_from(
                        order + "HHIIII", body
                    )
                    if iface_id >= len(interfaces) or 20 + caplen > len(body):
                        self.warn(offset, "packet block does not fit its interface; skipped")
                        continue
                    iface = interfaces[iface_id]
                    index += 1
                    ts_us = iface.to_us(hi << 32 | lo) + iface.offset_us
                    if ts_us < last:
                        check.backwards(index, offset, last - ts_us)
                    last = ts_us
                    cuts.add(index, offset, caplen, origlen)
                    yield iface.decode(
                        index,
                        ts_us,
                        body[20 : 20 + caplen],
                        offset,
                        iface_id,
                        None if origlen == caplen else origlen,
                    )
                elif kind == IDB:
                    if len(body) < 8:
                        self.warn(offset, "interface block too short; its packets will be skipped")
                        continue
                    linktype, _reserved, snaplen = struct.unpack_from(order + "HHI", body)
                    opts = _options(body, 8, len(body), order)
                    resol = opts.get(OPT_IF_TSRESOL, b"\x06")[:1] or b"\x06"
                    tsoff = opts.get(OPT_IF_TSOFFSET)
                    offset_s = (
                        struct.unpack(order + "q", tsoff)[0] if tsoff and len(tsoff) == 8 else 0
                    )
                    interfaces.append(_Interface(linktype, snaplen, resol[0], offset_s))
                    self.linktypes.append(linktype)
                elif kind == SHB:
                    interfaces = []  # interface ids restart in every section
        finally:
            self.warnings.extend(check.warnings() + cuts.warnings())


def _with_epb_direction(frame: Frame, body: bytes, start: int, order: str) -> Frame:
    """H4 without a pseudo-header has no direction; the EPB flags option may give it."""
    flags = _options(body, start, len(body), order).get(OPT_EPB_FLAGS)
    if flags is None or len(flags) != 4:
        return frame
    inout = struct.unpack(order + "I", flags)[0] & 0x3
    direction = {1: Direction.CONTROLLER_TO_HOST, 2: Direction.HOST_TO_CONTROLLER}.get(inout)
    if direction is None:
        return frame
    return msgspec.structs.replace(frame, direction=direction)


def _block(kind: int, body: bytes) -> bytes:
    pad = b"\x00" * (-len(body) % 4)
    length = 12 + len(body) + len(pad)
    return struct.pack("<II", kind, length) + body + pad + struct.pack("<I", length)


class PcapngWriter:
    """Writes a little-endian pcapng with microsecond timestamps. An interface block is
    written for each (interface, link type) the frames bring, in order of first use."""

    def __init__(self, f: BinaryIO, linktype: int | None = None, application: str = "attscope"):
        self._f = f
        self.linktype = linktype  # None: keep each frame's own link type
        self._interfaces: dict[tuple[int, int], int] = {}
        app = application.encode()
        shb_opts = struct.pack("<HH", 4, len(app)) + app + b"\x00" * (-len(app) % 4)
        shb_opts += struct.pack("<HH", 0, 0)
        f.write(_block(SHB, struct.pack("<IHHq", BYTE_ORDER_MAGIC, 1, 0, -1) + shb_opts))

    def _interface(self, frame: Frame, linktype: int) -> int:
        key = (frame.interface, linktype)
        found = self._interfaces.get(key)
        if found is None:
            found = len(self._interfaces)
            self._interfaces[key] = found
            self._f.write(_block(IDB, struct.pack("<HHI", linktype, 0, 0)))
        return found

    def write(self, frame: Frame) -> None:
        linktype = self.linktype if self.linktype is not None else frame.linktype
        data = encode(frame, linktype)
        iface = self._interface(frame, linktype)
        orig = frame.orig_len if frame.orig_len is not None else len(data)
        ts = frame.ts_us
        if ts < 0:  # the ticks are unsigned; -1 would come back as the year 584,000
            raise ValueError(
                f"frame {frame.index}: its time ({ts} us from 1970) is before 1970, "
                "which a pcapng packet block cannot hold"
            )
        body = struct.pack("<IIIII", iface, ts >> 32 & 0xFFFFFFFF, ts & 0xFFFFFFFF, len(data), orig)
        self._f.write(_block(EPB, body + data))

    def flush(self) -> None:
        self._f.flush()


def write_pcapng(f: BinaryIO, frames: Iterable[Frame], linktype: int | None = None) -> int:
    writer = PcapngWriter(f, linktype)
    count = 0
    for frame in frames:
        writer.write(frame)
        count += 1
    return count
