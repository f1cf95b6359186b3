"""The link-health records a connection carries (`Connection.health`): plain msgspec
records, final when made. A value the capture cannot tell is None, never a guess."""

from __future__ import annotations

import msgspec


class DataLength(msgspec.Struct, frozen=True, gc=False):
    """The longest LL data PDU payload one side sends, and its air time (Vol 6 Part B
    4.5.10): the effective values, the smaller of what the sender may send and what the
    receiver takes."""

    max_octets: int
    max_time_us: int


class LinkParameters(msgspec.Struct, frozen=True, gc=False):
    """What the link runs with now. Sides are the senders: `phy["central"]` is the PHY
    the central sends on (an HCI log's "local" is its own controller). None or absent:
    the capture has not shown it (the defaults hold only from the link's start)."""

    interval_ms: float | None = None
    peripheral_latency: int | None = None
    supervision_timeout_ms: int | None = None
    channel_selection: int | None = None  # algorithm #1 or #2
    used_channels: int | None = None  # of the data channel map
    channel_map: str | None = None  # 5 octets, hex, as sent
    phy: dict[str, str] = msgspec.field(default_factory=dict)
    data_length: dict[str, DataLength] = msgspec.field(default_factory=dict)
    encrypted: bool | None = None
    key_size: int | None = None  # octets
    # what the values mean for a full ATT PDU, in words ("a 244-byte notification ...")
    consequences: tuple[str, ...] = ()


class Procedure(msgspec.Struct, frozen=True, gc=False):
    """One link-layer procedure (Vol 6 Part B 5.1), as far as the capture shows it.

    `outcome`: "applied" (an update took effect at its instant), "done" (answered),
    "rejected", "unknown" (the peer did not support it), "timeout" (no answer in 40 s),
    "instant passed", "not applied", "failed" (an HCI event's status), "unseen" (the
    capture cannot tell: it ends, or the sniffer lost packets, before the outcome)."""

    name: str  # "connection update", "channel map update", "phy update", "data length" ...
    initiator: str | None  # the side that started it
    frame: int
    ts_us: int
    outcome: str
    detail: str
    instant: int | None = None
    event_counter: int | None = None  # when it was sent (air, from the sniffer)
    end_frame: int | None = None


class ChannelStats(msgspec.Struct, frozen=True, gc=False):
    """One data channel of an air link: packets the sniffer caught on it, the damaged
    ones, the retransmitted ones, and their signal strength."""

    channel: int
    packets: int
    crc_errors: int
    retransmissions: int
    rssi_min: int | None
    rssi_mean: float | None
    rssi_max: int | None


class Silence(msgspec.Struct, frozen=True, gc=False):
    """The longest time between two packets of the link the capture holds."""

    us: int
    after_frame: int
    before_frame: int | None  # None: the capture ended first


class AirEvents(msgspec.Struct, frozen=True, gc=False):
    """Connection events of an air link, as the sniffer saw them.

    `events_missed` are connection events the sniffer's event counter skipped (it caught
    no undamaged packet in them); of those, `missed_proven` ended with acknowledgement
    bits proving the sniffer missed packets. The rest the devices may have left empty
    (peripheral latency, a central busy elsewhere) or the sniffer missed: the capture
    cannot tell which. Without an event counter both are None."""

    packets: int
    events_heard: int | None
    events_missed: int | None
    missed_proven: int | None
    retransmissions: int  # data and control PDUs sent again (SN not acknowledged)
    crc_errors: int
    longest_silence: Silence | None
    supervision_margin_us: int | None  # timeout minus the longest silence
    channels: tuple[ChannelStats, ...] = ()


class SideTotals(msgspec.Struct, frozen=True, gc=False):
    """What one side sent over the link."""

    sender: str
    packets: int
    link_bytes: int  # air: LL payload octets; HCI: ACL payload octets
    att_bytes: int  # ATT PDUs, opcode included
    notifications: int
    write_commands: int
    first_us: int | None
    last_us: int | None
    peak_att_bytes_per_s: float  # of the series' buckets

    def mean_att_bytes_per_s(self) -> float | None:
        """ATT bytes per second from the side's first packet to its last (None: they were
        at one instant)."""
        if self.first_us is None or self.last_us is None or self.last_us <= self.first_us:
            return None
        return self.att_bytes / ((self.last_us - self.first_us) / 1e6)


class SideSeries(msgspec.Struct, frozen=True, gc=False):
    """One side's traffic per bucket of `LinkHealth.series_step_us`."""

    sender: str
    att_bytes: tuple[int, ...]
    link_bytes: tuple[int, ...]
    notifications: tuple[int, ...]
    write_commands: tuple[int, ...]
    rssi_mean: tuple[float | None, ...]  # air: dBm of the side's packets, None if none


class HostLatency(msgspec.Struct, frozen=True, gc=False):
    """HCI: time from each ACL packet the host sent to the Number Of Completed Packets
    event that counted it (Vol 4 Part E 7.7.19), in microseconds."""

    sent: int
    completed: int
    min_us: int | None
    median_us: int | None
    p95_us: int | None
    max_us: int | None


class LastPacket(msgspec.Struct, frozen=True, gc=False):
    sender: str
    frame: int
    ts_us: int
    summary: str


class Ending(msgspec.Struct, frozen=True, gc=False):
    """Why and how a link ended, as far as the capture shows: `verdict` says it in words."""

    reason: str | None  # the error code's name, from LL_TERMINATE_IND or HCI
    frame: int | None  # the PDU or event that ended it; None: the capture ran on silent
    last_packets: tuple[LastPacket, ...]  # each side's last packet
    silence_us: int | None  # from the last packet of either side to the end
    timeout_reached: bool | None  # the silence reached the supervision timeout
    verdict: str


class LinkHealth(msgspec.Struct, frozen=True, gc=False):
    """Everything attscope works out of a link's health."""

    parameters: LinkParameters
    procedures: tuple[Procedure, ...] = ()
    procedures_dropped: int = 0  # past the per-link cap, counted only
    air: AirEvents | None = None
    sides: tuple[SideTotals, ...] = ()
    series_start_us: int | None = None
    series_step_us: int = 1_000_000
    series: tuple[SideSeries, ...] = ()
    host_latency: HostLatency | None = None
    ending: Ending | None = None
