"""Records whose time cannot be believed: a sub-second field out of its range (a pcap
record's microseconds of 1,000,000 or more, as some sniffers write), or a time earlier
than the believed record before it by a millisecond or more. Readers note them here; the warnings name the frames,
so that a user knows which times to doubt (the analyzer derives nothing across them)."""

from __future__ import annotations

from attscope.capture.errors import CaptureWarning

_NAMED = 12  # frames named in a warning; the rest are counted
# host logs stamp packets on several threads, so a time a few microseconds before the
# previous one is ordering, not a clock jump (Android logs have them)
REORDER_US = 1_000


class _Kind:
    __slots__ = ("count", "first_offset", "frames")

    def __init__(self) -> None:
        self.count = 0
        self.first_offset = 0
        self.frames: list[str] = []

    def add(self, offset: int, text: str) -> None:
        if not self.count:
            self.first_offset = offset
        self.count += 1
        if len(self.frames) < _NAMED:
            self.frames.append(text)

    def named(self) -> str:
        more = self.count - len(self.frames)
        return ", ".join(self.frames) + (f" and {more} more" if more > 0 else "")


class TimeCheck:
    """Collects the records whose time is out of range or goes backwards while a reader
    iterates; `warnings()` says them once, at the end."""

    __slots__ = ("_backwards", "_fraction", "_out_of_range")

    def __init__(self, fraction: str = "microsecond field of 1,000,000") -> None:
        self._fraction = fraction
        self._out_of_range = _Kind()
        self._backwards = _Kind()

    def out_of_range(self, index: int, offset: int) -> None:
        self._out_of_range.add(offset, str(index))

    def backwards(self, index: int, offset: int, by_us: int) -> None:
        """Call for any step back; steps under REORDER_US are not counted."""
        if by_us >= REORDER_US:
            self._backwards.add(offset, f"{index} (by {by_us / 1e6:.6f} s)")

    def warnings(self) -> list[CaptureWarning]:
        found = []
        bad = self._out_of_range
        if bad.count:
            found.append(
                CaptureWarning(
                    bad.first_offset,
                    f"{bad.count} record(s) with a {self._fraction} or more: frames "
                    f"{bad.named()}; their times are not believed",
                )
            )
        back = self._backwards
        if back.count:
            found.append(
                CaptureWarning(
                    back.first_offset,
                    f"time goes backwards at {back.count} record(s): frames {back.named()}; "
                    "nothing is timed across them",
                )
            )
        return found
