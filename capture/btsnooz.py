"""btsnooz: the HCI log an Android bug report carries in its dumpsys text, between
"--- BEGIN:BTSNOOP_LOG_SUMMARY (N bytes in) ---" and "--- END:BTSNOOP_LOG_SUMMARY ---"
as base64 lines (Android's btsnoop_mem / snoop_logger keep it in a ring buffer).

Decoded: a 9-byte header (version 1 or 2, u8; the time of the last record in ms since
1970, u64), then a zlib stream of records, little-endian: v1 length (u16, the type byte
and the data), time since the previous record (u32 ms), type (u8), data; v2 adds the
packet's original length (u16) after the length. Types: 0x10 event, 0x11 ACL and 0x12
SCO received, 0x20 command, 0x21 ACL and 0x22 SCO sent.

The ring buffer keeps only the first bytes of most ACL packets: v2 says how long each
packet was, and every record cut short is a frame with its original length (`orig_len`),
which the analysis treats as cut. v1 does not say, so a v1 log is reported as one whose
ACL payloads may be cut.

Outside a bug report the same log turns up as a file of its own: the base64 text alone
(the section copied out), the decoded bytes (header and zlib stream), or the header and
the records uncompressed, as tools that extract the buffer write it. `sniff_btsnooz`
tells them from the first bytes of a file.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
import zlib
from collections.abc import Iterator

from attscope.capture import linktypes as lt
from attscope.capture.cut_records import CutRecords
from attscope.capture.errors import CaptureError, CaptureWarning
from attscope.capture.frame import Direction, Encap, Frame, HciType
from attscope.capture.hci_records import C2H, H2C

BEGIN = b"--- BEGIN:BTSNOOP_LOG_SUMMARY"
END = b"--- END:BTSNOOP_LOG_SUMMARY"
MAX_DECOMPRESSED = 64 << 20  # a ring buffer is a few MB; more is a damaged or hostile blob
_HEADER = struct.Struct("<BQ")
_V1 = struct.Struct("<HIB")
_V2 = struct.Struct("<HHIB")
TYPES: dict[int, tuple[int, Direction]] = {
    0x10: (HciType.EVENT, C2H),
    0x11: (HciType.ACL, C2H),
    0x12: (HciType.SCO, C2H),
    0x20: (HciType.COMMAND, H2C),
    0x21: (HciType.ACL, H2C),
    0x22: (HciType.SCO, H2C),
}


# the header's time (ms since 1970) of any log a phone wrote: 2005 to 2100
_PLAUSIBLE_MS = range(1_100_000_000_000, 4_100_000_000_000)
_BASE64 = re.compile(rb"[A-Za-z0-9+/=\s]*")


def sniff_btsnooz(head: bytes) -> str | None:
    """'base64' or 'binary' when a file starting with `head` is a btsnooz log of its own,
    else None. A version byte and a plausible time are needed, and a zlib stream or a
    first record of a known type after them."""
    if len(head) >= 16 and _BASE64.fullmatch(head[:4096]):
        text = re.sub(rb"\s+", b"", head[:4096])
        try:
            raw = base64.b64decode(text[: len(text) // 4 * 4])
        except (binascii.Error, ValueError):
            return None
        return "base64" if _plausible(raw) else None
    return "binary" if _plausible(head) else None


def _plausible(raw: bytes) -> bool:
    if len(raw) < _HEADER.size + 2:
        return False
    version, last_ms = _HEADER.unpack_from(raw)
    if version not in (1, 2) or last_ms not in _PLAUSIBLE_MS:
        return False
    body = raw[_HEADER.size :]
    if _is_zlib(body):
        return True
    header = _V2 if version == 2 else _V1
    if len(body) < header.size:
        return False
    *_, kind = header.unpack_from(body)
    return kind in TYPES and body[0] | body[1] << 8 >= 1


def _is_zlib(body: bytes) -> bool:
    """A zlib stream's header: deflate, and the check bits (RFC 1950 2.2)."""
    return len(body) >= 2 and body[0] & 0x0F == 8 and (body[0] << 8 | body[1]) % 31 == 0


def find_btsnooz(text: bytes) -> bytes | None:
    """The base64 blob between the markers of a bug report's text, or None."""
    start = text.find(BEGIN)
    if start < 0:
        return None
    start = text.find(b"\n", start)
    end = text.find(END, start)
    if start < 0 or end < 0:
        return None
    return re.sub(rb"\s+", b"", text[start:end])


class Btsnooz:
    """A decoded btsnooz log: `frames()` gives its records as btsnoop H4 frames.

    `raw`: the header and the records, compressed (as in a bug report) or not."""

    @classmethod
    def from_base64(cls, blob: bytes, name: str) -> Btsnooz:
        try:
            raw = base64.b64decode(blob, validate=True)
        except (binascii.Error, ValueError):
            raise CaptureError(f"{name}: the btsnooz section is not base64") from None
        return cls(raw, name)

    def __init__(self, raw: bytes, name: str) -> None:
        if len(raw) < _HEADER.size:
            raise CaptureError(f"{name}: the btsnooz section is {len(raw)} bytes, too short")
        self.version, self.last_ms = _HEADER.unpack_from(raw)
        if self.version not in (1, 2):
            raise CaptureError(f"{name}: btsnooz version {self.version} is not 1 or 2")
        self.warnings: list[CaptureWarning] = []
        body = raw[_HEADER.size :]
        if not _is_zlib(body):  # the records as they are
            self.data = body[:MAX_DECOMPRESSED]
            if len(body) > MAX_DECOMPRESSED:
                self.warnings.append(CaptureWarning(None, f"btsnooz data past {MAX_DECOMPRESSED} "
                                                    "bytes is not read"))  # fmt: skip
            return
        inflate = zlib.decompressobj()
        try:
            self.data = inflate.decompress(body, MAX_DECOMPRESSED)
        except zlib.error as exc:
            raise CaptureError(f"{name}: the btsnooz section does not inflate ({exc})") from None
        if inflate.unconsumed_tail:
            self.warnings.append(CaptureWarning(None, f"btsnooz data past {MAX_DECOMPRESSED} "
                                                "bytes is not read"))  # fmt: skip
        elif not inflate.eof:
            self.warnings.append(CaptureWarning(None, "the btsnooz section is cut short: "
                                                "the records after the cut are lost"))  # fmt: skip

    def _records(self) -> Iterator[tuple[int, int, int, int, int]]:
        """(offset, included length, original length, delta ms, type) of each whole
        record; a cut last record is reported."""
        data, v2 = self.data, self.version == 2
        header = _V2 if v2 else _V1
        pos = 0
        while pos + header.size <= len(data):
            if v2:
                length, original, delta, kind = header.unpack_from(data, pos)
            else:
                length, delta, kind = header.unpack_from(data, pos)
                original = length
            if length < 1 or pos + header.size + length - 1 > len(data):
                self.warnings.append(CaptureWarning(None, "btsnooz record cut short; "
                                                    "the log ends there"))  # fmt: skip
                return
            yield pos + header.size, length - 1, original - 1, delta, kind
            pos += header.size + length - 1
        if pos != len(data):
            self.warnings.append(CaptureWarning(None, "btsnooz record header cut short"))

    def frames(self) -> Iterator[Frame]:
        # the header gives the last record's time; each record the step from the one
        # before: a first pass sums the steps back to the first record's time
        said = len(self.warnings)
        total = sum(delta for _pos, _len, _orig, delta, _kind in self._records())
        del self.warnings[said:]  # the second pass says it again
        ts_ms = self.last_ms - total
        index = 0
        for pos, length, original, delta, kind in self._records():
            ts_ms += delta
            index += 1
            found = TYPES.get(kind)
            data = self.data[pos : pos + length]
            if found is None:
                self.warnings.append(CaptureWarning(None, f"btsnooz record {index}: unknown "
                                                    f"type 0x{kind:02x}"))  # fmt: skip
                yield Frame(index, ts_ms * 1000, lt.BTSNOOP_H4, Encap.OTHER, Direction.UNKNOWN,
                            data)  # fmt: skip
                continue
            orig = original if original > length else None
            # no file offset: the records are inside a compressed section
            yield Frame(index, ts_ms * 1000, lt.BTSNOOP_H4, Encap.HCI, found[1], data, 0, 0,
                        orig, found[0])  # fmt: skip

    def read(self) -> Iterator[Frame]:
        """`frames()`, then the cut records and the v1 caveat said in `warnings`."""
        cuts = CutRecords()
        for frame in self.frames():
            if frame.orig_len is not None:
                cuts.add(frame.index, None, len(frame.payload), frame.orig_len)
            yield frame
        self.warnings.extend(cuts.warnings())
        if self.version == 1:
            self.warnings.append(CaptureWarning(None, "btsnooz version 1 does not record packet "
                                 "lengths: ACL payloads may be cut, so ATT values may be "
                                 "missing"))  # fmt: skip


_CODES = {value: code for code, value in TYPES.items()}


def btsnooz_section(frames: list[Frame], version: int = 2, acl_bytes: int | None = None) -> bytes:
    """The dumpsys text section a phone writes for these HCI frames: base64 lines between
    the markers, v1 or v2 records, ACL packets cut to `acl_bytes` as a phone's ring
    buffer cuts them (for samples and tests; attscope reads these, it has no other use
    for writing them)."""
    records = []
    last_ms = frames[-1].ts_us // 1000 if frames else 0
    previous = frames[0].ts_us // 1000 if frames else 0
    for frame in frames:
        code = _CODES.get((frame.hci_type or 0, frame.direction))
        if frame.encap != Encap.HCI or code is None:
            raise ValueError(f"frame {frame.index}: btsnooz has no record for it")
        data = frame.payload
        if acl_bytes is not None and frame.hci_type == HciType.ACL:
            data = data[:acl_bytes]
        delta, previous = frame.ts_us // 1000 - previous, frame.ts_us // 1000
        if version == 2:
            records.append(_V2.pack(len(data) + 1, len(frame.payload) + 1, delta, code) + data)
        else:
            records.append(_V1.pack(len(data) + 1, delta, code) + data)
    raw = _HEADER.pack(version, last_ms) + zlib.compress(b"".join(records))
    text = base64.b64encode(raw)
    lines = [text[i : i + 76] for i in range(0, len(text), 76)]
    begin = BEGIN + b" (%d bytes in) ---\n" % len(raw)
    return begin + b"\n".join(lines) + b"\n" + END + b" ---\n"
