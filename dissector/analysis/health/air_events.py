"""Connection events of an air link as the sniffer saw them: events it heard and skipped,
packets per channel (damaged, retransmitted, their RSSI), and the longest silence.

The central sends in every connection event it holds (Vol 6 Part B 4.5.1), but a central
may leave events out, and a sniffer misses packets: a skipped event counter is an event
the sniffer caught nothing of, either way. Acknowledgement bits tell more: the first
packet after the skip showing that the sniffer missed a packet (`Packet.missed_before`)
proves the sniffer's loss."""

from __future__ import annotations

from attscope.capture.frame import SnifferInfo
from attscope.dissector.analysis.health.records import AirEvents, ChannelStats, Silence

_PACKETS, _CRC, _RETX, _RMIN, _RSUM, _RN, _RMAX = range(7)


class AirEventStats:
    """One air link's events and channels."""

    __slots__ = ("channels", "crc_errors", "events_heard", "events_missed", "last_counter",
                 "last_frame", "last_ts", "longest", "missed_proven", "packets",
                 "retransmissions")  # fmt: skip

    def __init__(self) -> None:
        self.packets = 0
        self.crc_errors = 0
        self.retransmissions = 0
        # channel -> [packets, CRC errors, retransmissions, RSSI min, sum, count, max]
        self.channels: dict[int, list[int]] = {}
        self.last_counter: int | None = None
        self.events_heard = 0
        self.events_missed = 0
        self.missed_proven = 0
        self.last_ts: int | None = None  # the last good packet
        self.last_frame = 0
        self.longest: Silence | None = None

    def packet(self, sniffer: SnifferInfo, frame: int, ts_us: int, retransmitted: bool,
               missed_before: bool, bad_time: bool) -> bool:  # fmt: skip
        """One packet of the link; True if it is good (its CRC did not fail)."""
        self.packets += 1
        good = sniffer.crc_ok is not False
        channel = sniffer.channel
        if channel is not None:
            stats = self.channels.get(channel)
            if stats is None:
                stats = self.channels[channel] = [0, 0, 0, 0, 0, 0, 0]
            stats[_PACKETS] += 1
            if not good:
                stats[_CRC] += 1
            elif retransmitted:
                stats[_RETX] += 1
            rssi = sniffer.rssi
            if rssi is not None:
                if not stats[_RN] or rssi < stats[_RMIN]:
                    stats[_RMIN] = rssi
                if not stats[_RN] or rssi > stats[_RMAX]:
                    stats[_RMAX] = rssi
                stats[_RSUM] += rssi
                stats[_RN] += 1
        if not good:
            self.crc_errors += 1
            return False
        if retransmitted:
            self.retransmissions += 1
        counter = sniffer.event_counter if sniffer.protover is not None else None
        if counter is not None and not (counter == 0 and self.last_counter is not None):
            last = self.last_counter
            if last is None:
                self.events_heard = 1
            elif counter != last:
                skipped = (counter - last - 1) & 0xFFFF
                if skipped < 0x8000:  # not a counter going back (a reordered packet)
                    self.events_heard += 1
                    self.events_missed += skipped
                    # the first packet after the skip: do its bits show a packet missed?
                    if skipped and missed_before:
                        self.missed_proven += skipped
            self.last_counter = counter
        if not bad_time:
            last_ts = self.last_ts
            if last_ts is not None:
                gap = ts_us - last_ts
                if self.longest is None or gap > self.longest.us:
                    self.longest = Silence(gap, self.last_frame, frame)
            self.last_ts = ts_us
            self.last_frame = frame
        else:
            self.last_ts = None  # no silence is measured across a clock jump
        return True

    def record(self, timeout_ms: int | None) -> AirEvents:
        counted = self.last_counter is not None
        longest = self.longest
        margin = None
        if timeout_ms and longest is not None:
            margin = timeout_ms * 1000 - longest.us
        channels = tuple(
            ChannelStats(
                ch,
                s[_PACKETS],
                s[_CRC],
                s[_RETX],
                s[_RMIN] if s[_RN] else None,
                round(s[_RSUM] / s[_RN], 1) if s[_RN] else None,
                s[_RMAX] if s[_RN] else None,
            )
            for ch, s in sorted(self.channels.items())
        )
        return AirEvents(
            packets=self.packets,
            events_heard=self.events_heard if counted else None,
            events_missed=self.events_missed if counted else None,
            missed_proven=self.missed_proven if counted else None,
            retransmissions=self.retransmissions,
            crc_errors=self.crc_errors,
            longest_silence=longest,
            supervision_margin_us=margin,
            channels=channels,
        )
