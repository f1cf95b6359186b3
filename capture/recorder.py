"""A live recording: frames written to a pcap or pcapng as they arrive.

Records are collected in memory and handed to the OS whole, one `os.write` per `flush()`
(the live session flushes after every read from the port), so the file on disk always ends
on a record boundary: killed at any moment, it is a valid capture holding every packet
flushed before, which Wireshark and attscope open without complaint.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from attscope.capture import linktypes as lt
from attscope.capture.errors import CaptureError
from attscope.capture.frame import Frame
from attscope.capture.pcap import PcapWriter
from attscope.capture.pcapng import PcapngWriter
from attscope.capture.write import format_for_name


class Recorder:
    """`write` each frame, `flush` to put what was written on disk; pcapng when the name
    ends in .pcapng (or .ntar), else pcap. Raises CaptureError when the file cannot be
    created, or when its name asks for btsnoop, which holds no air packets."""

    def __init__(self, path: str | os.PathLike[str], linktype: int = lt.NORDIC_BLE) -> None:
        self.path = Path(path)
        fmt = format_for_name(self.path, "pcap")
        if fmt == "btsnoop":
            raise CaptureError(
                f"{path}: a btsnoop file holds HCI traffic, not the sniffer's air packets; "
                "record to a .pcap or .pcapng"
            )
        self.pcapng = fmt == "pcapng"
        self.written = 0  # frames on disk
        self.error: str | None = None  # why recording stopped, if it did
        try:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        except OSError as exc:
            raise CaptureError(f"{path}: cannot record: {exc.strerror or exc}") from None
        self._buffer = io.BytesIO()
        self._pending = 0
        self._writer = (
            PcapngWriter(self._buffer, linktype)
            if self.pcapng
            else PcapWriter(self._buffer, linktype)
        )
        self.flush()  # the file header: an empty recording is a valid file too

    @property
    def closed(self) -> bool:
        return self._fd < 0

    def write(self, frame: Frame) -> None:
        if self.error is None and not self.closed:
            self._writer.write(frame)
            self._pending += 1

    def flush(self) -> None:
        data = self._buffer.getbuffer()
        if not data or self.error is not None or self.closed:
            del data
            return
        try:
            written = 0
            while written < len(data):  # a regular file takes it all at once, but be sure
                written += os.write(self._fd, data[written:])
        except OSError as exc:  # disk full, a removed mount: the session goes on unrecorded
            self.error = f"{self.path}: recording stopped: {exc.strerror or exc}"
            return
        finally:
            del data
        self._buffer.seek(0)
        self._buffer.truncate()
        self.written += self._pending
        self._pending = 0

    def close(self) -> None:
        self.flush()
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
