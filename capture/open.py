"""Open any capture file: the format comes from its first bytes, never from its name."""

from __future__ import annotations

import os
import struct
from pathlib import Path

from attscope.capture.btsnoop import MAGIC as BTSNOOP_MAGIC
from attscope.capture.btsnoop import BtsnoopReader
from attscope.capture.btsnooz import sniff_btsnooz
from attscope.capture.btsnooz_file import BtsnoozReader
from attscope.capture.bugreport import ZIP_MAGIC, BugreportReader, is_bugreport_text, is_tar
from attscope.capture.errors import CaptureError
from attscope.capture.packetlogger import PacketLoggerReader, byte_order
from attscope.capture.pcap import MAGICS as PCAP_MAGICS
from attscope.capture.pcap import PcapReader
from attscope.capture.pcap_layout import record_header_size
from attscope.capture.pcapng import SHB, PcapngReader
from attscope.capture.reader import CaptureReader
from attscope.capture.stream_input import ForwardStream, is_stream, open_stream, read_head, spool
from attscope.capture.tshark_reader import TsharkReader

PROBE_BYTES = 1 << 16  # enough for the first records of any pcap
PKLG_PROBE = 4096  # PacketLogger has no header: its first records are checked instead


def open_capture(path: str | os.PathLike[str], log: str | None = None) -> CaptureReader:
    """A reader for the capture at `path`; iterate it for frames. `log` picks one log of
    a bug report or an archive that holds several (see BugreportReader).

    Raises CaptureError, with a one-line message, when the file cannot be read or is no
    capture. Damage further in is reported in the reader's `warnings` while iterating.
    """
    p = Path(path)
    if log is not None:
        if is_stream(path) or not (p.is_dir() or _is_report(p)):
            raise CaptureError(f"{p}: --log picks one log of a bug report or an archive, "
                               "and this is neither")  # fmt: skip
        return BugreportReader(p, log)
    if is_stream(path):
        return _open_stream(p)
    if p.is_dir():  # an unzipped Android bug report
        return BugreportReader(p)
    try:
        with open(p, "rb") as f:
            head = f.read(PKLG_PROBE)
    except OSError as exc:
        raise CaptureError(f"{p}: {exc.strerror or exc}") from None
    if not head:
        raise CaptureError(f"{p}: empty file, not a capture")
    if head.startswith(BTSNOOP_MAGIC):
        return BtsnoopReader(p, head)
    if len(head) >= 4:
        magic = struct.unpack_from("<I", head)[0]
        if magic in PCAP_MAGICS:
            return PcapReader(p, head, _pcap_record_header(p, PCAP_MAGICS[magic][0]))
        if magic == SHB:
            return PcapngReader(p, head)
    if (snooz := sniff_btsnooz(head)) is not None:  # before PacketLogger: it is stricter
        return BtsnoozReader(p, snooz)
    if byte_order(head) is not None:
        return PacketLoggerReader(p, head)
    if _is_report(p, head):
        return BugreportReader(p)
    return TsharkReader(p)


def _is_report(p: Path, head: bytes | None = None) -> bool:
    """An Android bug report (zip or text) or an archive (tar); `head`: the file's first
    bytes when already read."""
    if head is None:
        try:
            with open(p, "rb") as f:
                head = f.read(len(ZIP_MAGIC))
        except OSError as exc:
            raise CaptureError(f"{p}: {exc.strerror or exc}") from None
    return head.startswith(ZIP_MAGIC) or is_tar(p) or is_bugreport_text(p)


def _open_stream(p: Path) -> CaptureReader:
    """Standard input or a pipe: btsnoop, pcap and pcapng are read as they come; other
    formats go through tshark, which needs a file, so they are kept in a temporary one."""
    raw = open_stream(p)
    head = read_head(raw, PROBE_BYTES)  # a pcap's first records tell its layout
    if not head:
        raise CaptureError(f"{p}: empty, not a capture")
    stream = ForwardStream(raw, head, p)
    if head.startswith(BTSNOOP_MAGIC):
        return BtsnoopReader(p, head, stream)
    magic = struct.unpack_from("<I", head)[0] if len(head) >= 4 else None
    if magic in PCAP_MAGICS:
        order = PCAP_MAGICS[magic][0]
        complete = len(head) < PROBE_BYTES
        return PcapReader(p, head, record_header_size(head[24:], order, complete), stream)
    if magic == SHB:
        return PcapngReader(p, head, stream)
    if byte_order(head[:PKLG_PROBE]) is not None:
        return PacketLoggerReader(p, head, stream)
    reader = TsharkReader(spool(stream))
    reader.name = str(p)
    return reader


def _pcap_record_header(path: Path, order: str) -> int:
    """The size of the file's record headers: 16, or a variant's (pcap_layout)."""
    try:
        with open(path, "rb") as f:
            f.seek(24)
            data = f.read(PROBE_BYTES)
            complete = not f.read(1)
    except OSError as exc:
        raise CaptureError(f"{path}: {exc.strerror or exc}") from None
    return record_header_size(data, order, complete)
