"""The time column as engineers read it: seconds since the capture's first frame, the UTC
time of day, the step from the previous row shown, the time since the row's connection
opened, or the time from a reference row (`t` sets it). `T` cycles the mode; the column's
header says which."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import UTC, datetime

MODES = ("capture", "utc", "delta", "connection", "reference")
LABELS = {
    "capture": "time (s)",
    "utc": "UTC time",
    "delta": "delta (s)",
    "connection": "in conn (s)",
    "reference": "from ref (s)",
}
NAMES = {
    "capture": "seconds since the first frame",
    "utc": "UTC time of day",
    "delta": "seconds since the row above",
    "connection": "seconds since the row's connection opened",
    "reference": "seconds from the reference row",
}


class ConnectionStarts:
    """When each connection opened, by the name its packets carry (a handle reused by a
    later link names both: the one open at a time is the latest opened before it)."""

    def __init__(self, starts: Iterable[tuple[str, int]]) -> None:
        self._by_name: dict[str, list[int]] = {}
        for conn_id, start_us in starts:
            self._by_name.setdefault(conn_id.split(" #", 1)[0], []).append(start_us)
        for times in self._by_name.values():
            times.sort()

    def start_of(self, name: str, ts_us: int) -> int | None:
        times = self._by_name.get(name.split(" #", 1)[0])
        if not times:
            return None
        index = bisect_right(times, ts_us)
        return times[index - 1] if index else None


class TimeAxis:
    """The mode of the time column, shared by every panel."""

    def __init__(self) -> None:
        self.mode = "capture"
        self.reference_us: int | None = None
        self.reference_frame: int | None = None

    def cycle(self) -> str:
        self.mode = MODES[(MODES.index(self.mode) + 1) % len(MODES)]
        return self.mode

    def set_reference(self, ts_us: int, frame: int | None) -> None:
        self.reference_us, self.reference_frame = ts_us, frame
        self.mode = "reference"

    @property
    def width(self) -> int:
        return 15 if self.mode == "utc" else 12

    @property
    def label(self) -> str:
        return LABELS[self.mode]

    def describe(self) -> str:
        """The mode in words, for a notice."""
        if self.mode == "reference" and self.reference_frame is not None:
            return f"{NAMES[self.mode]} (frame {self.reference_frame})"
        return NAMES[self.mode]

    def text(
        self,
        ts_us: int,
        first_us: int | None,
        previous_us: int | None = None,
        conn_start_us: int | None = None,
    ) -> str:
        """One row's time. `previous_us`: the row above's (None: the first row shown);
        `conn_start_us`: when its connection opened (None: not known or no connection)."""
        mode = self.mode
        if mode == "utc":
            return datetime.fromtimestamp(ts_us / 1e6, UTC).strftime("%H:%M:%S.%f")
        if mode == "delta":
            return f"+{(ts_us - previous_us) / 1e6:.6f}" if previous_us is not None else "+0.000000"
        if mode == "connection":
            return f"{(ts_us - conn_start_us) / 1e6:.6f}" if conn_start_us is not None else "-"
        if mode == "reference":
            if self.reference_us is None:
                return "-"
            return f"{(ts_us - self.reference_us) / 1e6:+.6f}"
        return f"{(ts_us - (first_us if first_us is not None else ts_us)) / 1e6:.6f}"
