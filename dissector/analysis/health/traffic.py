"""What each side of a link sent, in total and over time: packets, link-layer bytes, ATT
bytes, notifications and write commands per time bucket, and the mean RSSI of its packets.

Buckets start at one second; when a link outlives MAX_BUCKETS of them, each two merge and
the bucket doubles, so a link of any length costs the same memory."""

from __future__ import annotations

from typing import Any

from attscope.dissector.analysis.health.records import SideSeries, SideTotals

MAX_BUCKETS = 720
FIRST_STEP_US = 1_000_000
NOTIFICATION, WRITE_COMMAND = 1, 2  # what an ATT PDU counts as, besides its bytes


class _Side:
    __slots__ = ("att", "att_bytes", "first_us", "last_frame", "last_pdu", "last_us", "link",
                 "link_bytes", "notifications", "notify", "packets", "rssi_n", "rssi_sum",
                 "write", "write_commands")  # fmt: skip

    def __init__(self, ts_us: int) -> None:
        self.packets = 0
        self.link_bytes = 0
        self.att_bytes = 0
        self.notifications = 0
        self.write_commands = 0
        self.first_us = ts_us
        self.last_us = ts_us
        self.last_frame = 0  # the side's last packet (a retransmission too) and its record
        self.last_pdu: Any = None
        # per bucket
        self.att: list[int] = []
        self.link: list[int] = []
        self.notify: list[int] = []
        self.write: list[int] = []
        self.rssi_sum: list[int] = []
        self.rssi_n: list[int] = []

    def grow(self, size: int) -> None:
        more = size - len(self.att)
        if more > 0:
            zeros = [0] * more
            for series in (self.att, self.link, self.notify, self.write, self.rssi_sum,
                           self.rssi_n):  # fmt: skip
                series.extend(zeros)

    def halve(self) -> None:
        """Two buckets into one."""
        for name in ("att", "link", "notify", "write", "rssi_sum", "rssi_n"):
            old = getattr(self, name)
            if len(old) % 2:
                old.append(0)
            setattr(self, name, [old[i] + old[i + 1] for i in range(0, len(old), 2)])


class TrafficSeries:
    """One link's traffic by side."""

    __slots__ = ("packets", "sides", "start_us", "step_us")

    def __init__(self) -> None:
        self.packets = 0  # every packet added or seen, both sides
        self.start_us: int | None = None
        self.step_us = FIRST_STEP_US
        self.sides: dict[str, _Side] = {}

    def add(self, sender: str, ts_us: int, link_bytes: int, att_bytes: int, kind: int,
            rssi: int | None, frame: int, pdu: Any) -> None:  # fmt: skip
        """One packet of `sender` (`pdu`, its innermost record, in `frame`); `kind`:
        NOTIFICATION, WRITE_COMMAND or 0."""
        self.packets += 1
        side = self.sides.get(sender)
        if side is None:
            side = self._side(sender, ts_us)
        side.packets += 1
        side.link_bytes += link_bytes
        side.last_us = ts_us
        side.last_frame = frame
        side.last_pdu = pdu
        since = ts_us - (self.start_us or 0)  # set by the first side's first packet
        index = since // self.step_us
        if index < 0:
            index = 0  # time went back: the first bucket
        elif index >= MAX_BUCKETS:
            index = self._coarsen(since)
        if index >= len(side.att):
            side.grow(index + 1)
        side.link[index] += link_bytes
        if att_bytes:
            side.att_bytes += att_bytes
            side.att[index] += att_bytes
            if kind == NOTIFICATION:
                side.notifications += 1
                side.notify[index] += 1
            elif kind == WRITE_COMMAND:
                side.write_commands += 1
                side.write[index] += 1
        if rssi is not None:
            side.rssi_sum[index] += rssi
            side.rssi_n[index] += 1

    def seen(self, sender: str, ts_us: int, frame: int, pdu: Any) -> None:
        """A packet of `sender` that is no new traffic (a retransmission): its last."""
        self.packets += 1
        side = self.sides.get(sender)
        if side is None:
            side = self._side(sender, ts_us)
        side.last_us, side.last_frame, side.last_pdu = ts_us, frame, pdu

    def _side(self, sender: str, ts_us: int) -> _Side:
        if self.start_us is None:
            self.start_us = ts_us
        side = self.sides[sender] = _Side(ts_us)
        return side

    def last_packets(self) -> list[tuple[str, int, int, Any]]:
        """Each side's last packet: sender, frame, time, record."""
        return [(name, s.last_frame, s.last_us, s.last_pdu) for name, s in sorted(self.sides.items())
                if s.last_frame]  # fmt: skip

    def _coarsen(self, since_start: int) -> int:
        """Buckets twice as wide until `since_start` falls in one; its index."""
        while since_start // self.step_us >= MAX_BUCKETS:
            self.step_us *= 2
            for each in self.sides.values():
                each.halve()
        return since_start // self.step_us

    def totals(self) -> tuple[SideTotals, ...]:
        step_s = self.step_us / 1e6
        return tuple(
            SideTotals(
                name,
                s.packets,
                s.link_bytes,
                s.att_bytes,
                s.notifications,
                s.write_commands,
                s.first_us,
                s.last_us,
                round(max(s.att, default=0) / step_s, 1),
            )
            for name, s in sorted(self.sides.items())
        )

    def series(self) -> tuple[SideSeries, ...]:
        size = max((len(s.att) for s in self.sides.values()), default=0)
        out = []
        for name, s in sorted(self.sides.items()):
            s.grow(size)
            rssi = tuple(
                round(total / n, 1) if n else None
                for total, n in zip(s.rssi_sum, s.rssi_n, strict=True)
            )
            out.append(SideSeries(name, tuple(s.att), tuple(s.link), tuple(s.notify),
                                  tuple(s.write), rssi))  # fmt: skip
        return tuple(out)
