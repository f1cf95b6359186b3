"""A forward-only byte window over a file, so readers parse records from memory without
holding the whole file: memory stays flat whatever the file's size."""

from __future__ import annotations

from typing import Protocol

CHUNK = 1 << 20


class Readable(Protocol):
    """A file, or a stream read front to back (stream_input.ForwardStream)."""

    def read(self, size: int = -1, /) -> bytes: ...


class ChunkedInput:
    """`buf[pos:]` holds the unread bytes; `file_offset(pos)` maps back to the file."""

    __slots__ = ("_f", "base", "buf", "eof")

    def __init__(self, f: Readable, start: int = 0) -> None:
        self._f = f
        self.buf = b""
        self.base = start  # file offset of buf[0]
        self.eof = False

    def fill(self, pos: int, need: int) -> int:
        """Make `need` bytes available from `pos`; return the new position of those bytes.

        Fewer are available only at end of file: the caller checks `len(buf) - pos`.
        """
        if pos + need <= len(self.buf) or self.eof:
            return pos
        rest = self.buf[pos:]
        self.base += pos
        parts = [rest]
        have = len(rest)
        while have < need:
            block = self._f.read(max(CHUNK, need - have))
            if not block:
                self.eof = True
                break
            parts.append(block)
            have += len(block)
        self.buf = b"".join(parts)
        return 0

    def file_offset(self, pos: int) -> int:
        return self.base + pos
