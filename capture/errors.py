"""How the capture layer reports trouble: an exception for a file it cannot read at all,
and warnings, kept as records, for damage it can read past or stop at."""

from __future__ import annotations

import msgspec


class CaptureError(Exception):
    """The file is not a capture attscope can read. The message is one line for the user."""


class CaptureWarning(msgspec.Struct, frozen=True):
    """Damage found while reading: where it is and what it means for the frames."""

    offset: int | None  # byte offset in the file; None where bytes have no place in it
    message: str

    def __str__(self) -> str:
        if self.offset is None:  # a compressed section's records, say
            return self.message
        return f"at byte {self.offset}: {self.message}"
