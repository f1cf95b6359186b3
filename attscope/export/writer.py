"""Writing export records as they come, in constant memory: JSON Lines straight to the
output, or one JSON document grouped by kind, each kind's array spilled to a temporary
file until the end, when the document is put together in order."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from typing import IO

import msgspec

from attscope.export.records import DOCUMENT_KEYS, ExportDocument, ExportEnd, ExportHeader

FLUSH_AT = 1 << 20  # bytes buffered before a write to the output


def tag_of(record: msgspec.Struct) -> str:
    """A record's `type`."""
    return str(type(record).__struct_config__.tag)


class JsonLinesWriter:
    """One record a line, the header first and the end record last."""

    def __init__(self, out: IO[bytes], header: ExportHeader) -> None:
        self.out = out
        self.encoder = msgspec.json.Encoder()
        self.buffer = bytearray()
        self.write(header)

    def write(self, record: msgspec.Struct) -> None:
        buffer = self.buffer
        self.encoder.encode_into(record, buffer, -1)
        buffer += b"\n"
        if len(buffer) >= FLUSH_AT:
            self.out.write(buffer)
            buffer.clear()

    def finish(self, end: ExportEnd) -> None:
        self.write(end)
        self.out.write(self.buffer)
        self.buffer.clear()
        self.out.flush()

    def close(self) -> None:
        """Nothing held but the buffer: a failed export just stops writing."""


class JsonDocumentWriter:
    """`--format json`: {"type": "export", "header": ..., "<kind>": [...], ..., "end": ...}
    in ExportDocument's key order; `kinds` are the arrays it holds (empty or not)."""

    def __init__(
        self, out: IO[bytes], header: ExportHeader, kinds: list[str], spill_dir: str | None
    ) -> None:
        self.out = out
        self.encoder = msgspec.json.Encoder()
        self.header = self.encoder.encode(header)
        order = [k for k in ExportDocument.__struct_fields__ if k in kinds]
        self.spills: dict[str, IO[bytes]] = {}
        with contextlib.ExitStack() as files:  # on failure, close those already open
            for key in order:
                self.spills[key] = files.enter_context(
                    tempfile.TemporaryFile(dir=spill_dir, prefix=".attscope-")
                )
            self.files = files.pop_all()  # closing a TemporaryFile removes it
        self.counts = dict.fromkeys(order, 0)
        self.buffers = {key: bytearray() for key in order}

    def write(self, record: msgspec.Struct) -> None:
        key = DOCUMENT_KEYS[type(record)]
        buffer = self.buffers[key]
        if self.counts[key]:
            buffer += b","
        self.counts[key] += 1
        self.encoder.encode_into(record, buffer, -1)
        if len(buffer) >= FLUSH_AT:
            self.spills[key].write(buffer)
            buffer.clear()

    def finish(self, end: ExportEnd) -> None:
        out = self.out
        out.write(b'{"type":"export","header":' + self.header)
        for key, spill in self.spills.items():
            spill.write(self.buffers[key])
            spill.seek(0)
            out.write(b',"' + key.encode() + b'":[')
            shutil.copyfileobj(spill, out, FLUSH_AT)
            out.write(b"]")
        out.write(b',"end":' + self.encoder.encode(end) + b"}\n")
        out.flush()
        self.close()

    def close(self) -> None:
        self.files.close()


Writer = JsonLinesWriter | JsonDocumentWriter
