"""A btsnooz log kept as a file of its own (see capture.btsnooz): the base64 text copied
out of a bug report, or its bytes, compressed or not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from attscope.capture import linktypes as lt
from attscope.capture.btsnooz import MAX_DECOMPRESSED, Btsnooz, find_btsnooz
from attscope.capture.errors import CaptureError
from attscope.capture.frame import Frame
from attscope.capture.reader import CaptureReader


class BtsnoozReader(CaptureReader):
    format = "btsnooz log"

    def __init__(self, path: Path, kind: str) -> None:
        """`kind`: what `sniff_btsnooz` said the file is, 'base64' or 'binary'."""
        super().__init__(path)
        self._base64 = kind == "base64"
        self.linktypes = [lt.BTSNOOP_H4]
        self.detail = "ACL payloads are cut by the phone"

    def __iter__(self) -> Iterator[Frame]:
        self.warnings = []
        try:
            with self._open() as f:
                data = f.read(MAX_DECOMPRESSED)  # a phone's buffer is a few MB
        except OSError as exc:
            raise CaptureError(f"{self.path}: {exc.strerror or exc}") from None
        if self._base64:
            text = find_btsnooz(data)  # the markers too, when they were copied
            snooz = Btsnooz.from_base64(text if text is not None else b"".join(data.split()),
                                        str(self.path))  # fmt: skip
        else:
            snooz = Btsnooz(data, str(self.path))
        self.detail = f"version {snooz.version}; ACL payloads are cut by the phone"
        yield from snooz.read()
        self.warnings.extend(snooz.warnings)
