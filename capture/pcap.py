"""Classic libpcap files: both byte orders, microsecond and nanosecond timestamps."""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import msgspec

from attscope.capture.chunked import ChunkedInput
from attscope.capture.cut_records import CutRecords
from attscope.capture.errors import CaptureError
from attscope.capture.frame import Frame
from attscope.capture.reader import MAX_RECORD, CaptureReader
from attscope.capture.records import decoder_for, encode
from attscope.capture.stream_input import ForwardStream
from attscope.capture.time_check import TimeCheck

# magic as read little-endian -> (byte order, nanosecond timestamps)
MAGICS = {
    0xA1B2C3D4: ("<", False),
    0xD4C3B2A1: (">", False),
    0xA1B23C4D: ("<", True),
    0x4D3CB2A1: (">", True),
}


class PcapReader(CaptureReader):
    format = "pcap"

    def __init__(
        self,
        path: Path,
        head: bytes,
        record_header: int = 16,
        stream: ForwardStream | None = None,
    ) -> None:
        """`record_header`: 16, or the longer record header of a patched libpcap's variant
        (pcap_layout), whose extra fields are skipped."""
        super().__init__(path, stream)
        self.record_header = record_header
        if len(head) < 24:
            raise CaptureError(f"{path}: pcap header cut short ({len(head)} of 24 bytes)")
        order, self.nanoseconds = MAGICS[struct.unpack_from("<I", head)[0]]
        major, minor, _zone, _sigfigs, self.snaplen, network = struct.unpack_from(
            order + "HHiIII", head, 4
        )
        self.order = order
        self.linktype = network & 0x0FFFFFFF  # upper bits may carry FCS information
        self.linktypes = [self.linktype]
        self.detail = (
            f"version {major}.{minor}, {'big' if order == '>' else 'little'}-endian, "
            f"{'nano' if self.nanoseconds else 'micro'}second timestamps"
        )
        if record_header != 16:
            self.detail += f", {record_header}-byte record headers (a patched libpcap's)"

    def __iter__(self) -> Iterator[Frame]:
        self.warnings = []
        unpack = struct.Struct(self.order + "IIII").unpack_from
        decode = decoder_for(self.linktype)
        nanos = self.nanoseconds
        limit = 1_000_000_000 if nanos else 1_000_000
        cuts = CutRecords()
        check = TimeCheck(
            "nanosecond field of 1,000,000,000" if nanos else "microsecond field of 1,000,000"
        )
        last = -1
        hdr = self.record_header
        try:
            with self._open() as f:
                f.seek(24)
                inp = ChunkedInput(f, 24)
                pos = 0
                index = 0
                while True:
                    pos = inp.fill(pos, hdr)
                    buf = inp.buf
                    left = len(buf) - pos
                    if left < hdr:
                        if left:
                            self.warn(
                                inp.file_offset(pos),
                                f"record header cut short ({left} of {hdr} bytes); file ends",
                            )
                        return
                    sec, frac, incl, orig = unpack(buf, pos)
                    if incl > MAX_RECORD:
                        self.warn(
                            inp.file_offset(pos),
                            f"record claims {incl} bytes (limit {MAX_RECORD}); "
                            "the rest of the file is not read",
                        )
                        return
                    end = pos + hdr + incl
                    if end > len(buf):
                        pos = inp.fill(pos, hdr + incl)
                        buf = inp.buf
                        end = pos + hdr + incl
                        if end > len(buf):
                            self.warn(
                                inp.file_offset(pos),
                                f"record cut short ({len(buf) - pos - hdr} of {incl} bytes); file ends",
                            )
                            return
                    index += 1
                    ts_us = sec * 1_000_000 + (frac // 1000 if nanos else frac)
                    if orig != incl:
                        cuts.add(index, inp.base + pos, incl, orig)
                    frame = decode(
                        index,
                        ts_us,
                        buf[pos + hdr : end],
                        inp.base + pos,
                        0,
                        None if orig == incl else orig,
                    )
                    if frac >= limit:  # kept as written (tshark does too), but flagged
                        check.out_of_range(index, inp.base + pos)
                        frame = msgspec.structs.replace(frame, bad_time=True)
                    else:
                        if ts_us < last:
                            check.backwards(index, inp.base + pos, last - ts_us)
                        last = ts_us
                    yield frame
                    pos = end

        finally:
            self.warnings.extend(check.warnings() + cuts.warnings())


_FILE_HEADER = struct.Struct("<IHHiIII")
_RECORD = struct.Struct("<IIII")


class PcapWriter:
    """Writes a little-endian microsecond pcap of one link type; `flush()` after a record
    leaves a valid file, which is what a live recording needs."""

    def __init__(self, f: BinaryIO, linktype: int, snaplen: int = MAX_RECORD) -> None:
        self._f = f
        self.linktype = linktype
        f.write(_FILE_HEADER.pack(0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype))

    def write(self, frame: Frame) -> None:
        data = encode(frame, self.linktype)
        orig = frame.orig_len if frame.orig_len is not None else len(data)
        sec, usec = divmod(frame.ts_us, 1_000_000)
        if not 0 <= sec <= 0xFFFFFFFF:
            raise ValueError(
                f"frame {frame.index}: its time ({frame.ts_us} us from 1970) does not fit "
                "a pcap record (1970 to 2106)"
            )
        self._f.write(_RECORD.pack(sec, usec, len(data), orig) + data)

    def flush(self) -> None:
        self._f.flush()


def write_pcap(f: BinaryIO, frames: Iterable[Frame], linktype: int) -> int:
    writer = PcapWriter(f, linktype)
    count = 0
    for frame in frames:
        writer.write(frame)
        count += 1
    return count
