"""Records the log's writer cut short of the packet (a snap length, Android's filtered snoop
mode and btsnooz buffer, a Windows logger): each keeps its original length, and the
reader says once, at the end, that data is missing and from where, because a cut ACL
packet silently loses the ATT values it carried."""

from __future__ import annotations

from attscope.capture.errors import CaptureWarning

CUT = "cut short by the log's writer"  # in the warning: how a viewer tells it apart


class CutRecords:
    """Collects the cut records while a reader iterates; `warnings()` says them."""

    __slots__ = ("count", "first", "first_offset", "longest_kept")

    def __init__(self) -> None:
        self.count = 0
        self.first = 0  # the first cut record's frame
        self.first_offset: int | None = 0
        self.longest_kept = 0

    def add(self, index: int, offset: int | None, kept: int, original: int) -> None:
        if original <= kept:
            return  # an original length that says nothing more (some writers give 0)
        if not self.count:
            self.first, self.first_offset = index, offset
        self.count += 1
        self.longest_kept = max(self.longest_kept, kept)

    def warnings(self) -> list[CaptureWarning]:
        if not self.count:
            return []
        return [CaptureWarning(self.first_offset,
                               f"{self.count} record(s) {CUT} (at most "
                               f"{self.longest_kept} bytes kept), the first at frame "
                               f"{self.first}: ATT values and anything else past the cut are "
                               "missing")]  # fmt: skip
