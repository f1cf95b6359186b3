"""An append-only list of msgspec records kept in a temporary file, not in memory.

A million-frame capture's frames, transactions and violations go here, so the TUI's
memory does not grow with the capture: the data file holds the encoded records, the index
file one 8-byte offset per record, and reads are `os.pread`s of the rows on screen. One
thread appends, any thread reads what `len()` says is there.
"""

from __future__ import annotations

import os
import struct
import tempfile
import threading
from array import array
from collections.abc import Iterator
from typing import Generic, TypeVar

import msgspec

T = TypeVar("T")
_OFFSET = struct.Struct("=Q")  # the index file's offsets: this process's own, native order
_FLUSH_AT = 1 << 16  # bytes buffered before they go to the files


class SpillList(Generic[T]):
    """Records of one type, appended and read back by position, as the same type: every
    field of `kind` must be typed (an `Any` field would come back as the dict it was
    encoded as)."""

    def __init__(self, kind: type[T], directory: str | None = None) -> None:
        self._encoder = msgspec.msgpack.Encoder()
        self._decoder: msgspec.msgpack.Decoder[T] = msgspec.msgpack.Decoder(kind)
        # open for the list's life, closed by close()
        self._data = tempfile.TemporaryFile(dir=directory, prefix="attscope-")  # noqa: SIM115
        self._index = tempfile.TemporaryFile(dir=directory, prefix="attscope-")  # noqa: SIM115
        self._data_fd = self._data.fileno()
        self._index_fd = self._index.fileno()
        self._encode_into = self._encoder.encode_into
        self._pending_data = bytearray()
        self._pending_index = array("Q")  # each pending record's offset in the data file
        self._size = 0  # bytes in the data file (not its buffer)
        self._written = 0  # records on disk, readable
        self._count = 0  # records appended
        self._lock = threading.Lock()

    def append(self, record: T) -> None:
        pending = self._pending_data
        self._pending_index.append(self._size + len(pending))
        self._encode_into(record, pending, -1)  # at the end, with no bytes object between
        self._count += 1
        if len(pending) >= _FLUSH_AT:
            self.flush()

    def flush(self) -> None:
        """Make every appended record readable."""
        with self._lock:
            if self._pending_index:
                os.write(self._data_fd, self._pending_data)
                os.write(self._index_fd, self._pending_index.tobytes())
                self._size += len(self._pending_data)
                self._pending_data.clear()
                del self._pending_index[:]
            self._written = self._count

    def __len__(self) -> int:
        return self._written

    def _offsets(self, start: int, stop: int) -> list[int]:
        """Offsets of records start..stop, plus where record `stop` begins."""
        raw = os.pread(self._index_fd, (stop - start + 1) * 8, start * 8)
        offsets = [v for (v,) in _OFFSET.iter_unpack(raw[: (len(raw) // 8) * 8])]
        if len(offsets) < stop - start + 1:  # the last record ends where the data ends
            offsets.append(os.fstat(self._data_fd).st_size)
        return offsets

    def __getitem__(self, position: int) -> T:
        if position < 0:
            position += self._written
        if not 0 <= position < self._written:
            raise IndexError(position)
        return self.slice(position, position + 1)[0]

    def slice(self, start: int, stop: int) -> list[T]:
        """Records start..stop-1 (clipped to what is readable), in one read."""
        with self._lock:
            stop = min(stop, self._written)
            if start >= stop:
                return []
            offsets = self._offsets(start, stop)
            blob = os.pread(self._data_fd, offsets[-1] - offsets[0], offsets[0])
        base = offsets[0]
        decode = self._decoder.decode
        records = [
            decode(blob[offsets[i] - base : offsets[i + 1] - base]) for i in range(stop - start)
        ]
        return records

    def scan(self, start: int = 0, chunk: int = 4096) -> Iterator[tuple[int, T]]:
        """Every readable record from `start`, with its position, read in chunks."""
        position = start
        while position < len(self):
            records = self.slice(position, position + chunk)
            for record in records:
                yield position, record
                position += 1

    def close(self) -> None:
        self._data.close()
        self._index.close()
