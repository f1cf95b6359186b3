"""Capture bytes that can be read only once, front to back: standard input (`-`), a pipe,
a FIFO, a character device (`/dev/stdin`). The readers take one in place of a file: the
first bytes, already read to tell the format, are given back first, and `seek` may only
skip forward."""

from __future__ import annotations

import atexit
import contextlib
import os
import stat
import sys
import tempfile
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from attscope.capture.errors import CaptureError


def is_stream(path: str | os.PathLike[str]) -> bool:
    """`-`, or a path that is no regular file (a pipe, FIFO, socket or device)."""
    if str(path) == "-":
        return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False  # opening it says why
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def open_stream(path: str | os.PathLike[str]) -> BinaryIO:
    if str(path) == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb", buffering=0)
    except OSError as exc:
        raise CaptureError(f"{path}: {exc.strerror or exc}") from None


class ForwardStream:
    """A stream with `prefix` (bytes read from it already) put back in front."""

    def __init__(self, raw: BinaryIO, prefix: bytes, name: Path) -> None:
        self._raw = raw
        self._prefix = prefix
        self._pos = 0
        self._used = False
        self.name = name

    def read(self, size: int = -1) -> bytes:
        parts = []
        if self._prefix:
            take = len(self._prefix) if size < 0 else min(size, len(self._prefix))
            parts.append(self._prefix[:take])
            self._prefix = self._prefix[take:]
            size = size - take if size >= 0 else size
        while size != 0:
            block = self._raw.read(size if size > 0 else 1 << 20)
            if not block:
                break
            parts.append(block)
            if size > 0:
                size -= len(block)
        data = b"".join(parts)
        self._pos += len(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        """Only forward, from the start: skips the bytes between."""
        if whence != 0 or offset < self._pos:
            raise CaptureError(f"{self.name}: a stream cannot go back")
        self.read(offset - self._pos)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def __enter__(self) -> ForwardStream:
        """Reading it twice is impossible: the second time is an error, not 0 frames."""
        if self._used:
            raise CaptureError(f"{self.name}: a stream can be read only once")
        self._used = True
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._raw is not sys.stdin.buffer:
            self._raw.close()


def read_head(raw: BinaryIO, size: int) -> bytes:
    """Up to `size` bytes, fewer only at the end of the stream."""
    parts, have = [], 0
    while have < size:
        block = raw.read(size - have)
        if not block:
            break
        parts.append(block)
        have += len(block)
    return b"".join(parts)


def spool(stream: ForwardStream) -> Path:
    """The whole stream in a temporary file (removed when the program ends), for readers
    that need a file: tshark reads it twice."""
    fd, name = tempfile.mkstemp(prefix="attscope-stdin-", suffix=".capture")
    atexit.register(_remove, name)
    with stream, os.fdopen(fd, "wb") as out:
        while block := stream.read(1 << 20):
            out.write(block)
    return Path(name)


def _remove(name: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(name)


def spool_path(path: str | os.PathLike[str]) -> Path:
    """`spool` for a path that names a stream (`-`, a pipe): a file with its bytes."""
    return spool(ForwardStream(open_stream(path), b"", Path(path)))
