"""What every capture reader offers: iterate frames lazily, then look at the warnings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from attscope.capture.errors import CaptureWarning
from attscope.capture.frame import Frame
from attscope.capture.stream_input import ForwardStream

# Wireshark's limit for one record (WTAP_MAX_PACKET_SIZE_STANDARD); a larger length field
# means the file is damaged, not that a packet is that big.
MAX_RECORD = 262_144


class CaptureReader:
    """Base for file readers. Iterating opens the file, streams frames and records damage
    in `warnings`; iterating again starts over."""

    format = "unknown"

    def __init__(self, path: Path, stream: ForwardStream | None = None) -> None:
        self.path = path
        self.name = str(path)  # what the user named (a stream may be read from elsewhere)
        self.stream = stream  # standard input or a pipe: read once, front to back
        self.detail = ""  # byte order, precision, version: whatever tells files apart
        self.linktypes: list[int] = []  # link types the headers declare, in order
        self.warnings: list[CaptureWarning] = []

    def _open(self) -> BinaryIO | ForwardStream:
        """The bytes from the start: the file, or the stream (which refuses a second
        reading)."""
        if self.stream is not None:
            return self.stream
        return open(self.path, "rb")

    def warn(self, offset: int, message: str) -> None:
        self.warnings.append(CaptureWarning(offset, message))

    def __iter__(self) -> Iterator[Frame]:
        raise NotImplementedError
