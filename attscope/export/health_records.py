"""The export records of a connection's link health and ATT latency (`connection.health`,
`connection.latency`): declared once, so the JSON Schema says every key. Durations are
integer microseconds (`*_us` that are not times) or, where named so, milliseconds; a value
the capture cannot tell is null."""

from __future__ import annotations

import msgspec

from attscope.export.json_types import FrameNo, Iso, Micros


class _Record(msgspec.Struct, frozen=True, gc=False, forbid_unknown_fields=True):
    """Closed objects, as every export record."""


class ExportLatency(_Record, frozen=True, gc=False):
    """ATT transactions of one kind on the connection, answered and timed: request to
    answer, in microseconds; percentiles by nearest rank. `histogram` counts them per bin:
    under 1 ms, 1-2, 2-5, 5-10, 10-20, 20-50, 50-100, 100-200, 200-500, 500-1000 ms,
    1-2, 2-5, 5-10, 10-30 s, and 30 s or more."""

    kind: str
    count: int
    min_us: int
    median_us: int
    p95_us: int
    max_us: int
    histogram: list[int]


class ExportDataLength(_Record, frozen=True, gc=False):
    max_octets: int  # the longest LL payload the side sends
    max_time_us: int


class ExportLinkParameters(_Record, frozen=True, gc=False):
    """What the link runs with at the record's time. `phy` and `data_length` are keyed by
    the sending side (central, peripheral; an HCI log's local and remote)."""

    interval_ms: float | None
    peripheral_latency: int | None
    supervision_timeout_ms: int | None
    channel_selection: int | None  # algorithm #1 or #2
    used_channels: int | None
    channel_map: str | None  # 5 octets as sent, hex
    phy: dict[str, str]
    data_length: dict[str, ExportDataLength]
    encrypted: bool | None
    key_size: int | None  # octets
    consequences: list[str]  # what the values mean for a full ATT PDU, in words


class ExportProcedure(_Record, frozen=True, gc=False):
    """A link-layer procedure (Core Vol 6 Part B 5.1): `outcome` is applied, done,
    rejected, unknown, timeout, instant passed, not applied, failed or unseen (the
    capture cannot tell)."""

    name: str
    initiator: str | None
    frame: FrameNo
    time_us: Micros
    time: Iso
    outcome: str
    detail: str
    instant: int | None
    event_counter: int | None  # the connection event it was sent in (air)
    end_frame: FrameNo | None


class ExportChannel(_Record, frozen=True, gc=False):
    channel: int  # data channel index 0-36
    packets: int
    crc_errors: int
    retransmissions: int
    rssi_min: int | None  # dBm
    rssi_mean: float | None
    rssi_max: int | None


class ExportAirEvents(_Record, frozen=True, gc=False):
    """Connection events of an air link as the sniffer saw them. `events_missed`: events
    the sniffer's counter skipped; `missed_proven`: of those, the ones after which the
    acknowledgement bits prove the sniffer missed packets (the others the devices may
    have left empty). Without a sniffer event counter the three are null."""

    packets: int
    events_heard: int | None
    events_missed: int | None
    missed_proven: int | None
    retransmissions: int
    crc_errors: int
    longest_silence_us: int | None  # between two packets of the link
    silence_after_frame: FrameNo | None
    silence_before_frame: FrameNo | None
    supervision_margin_us: int | None  # the supervision timeout minus the longest silence
    channels: list[ExportChannel]


class ExportSideTotals(_Record, frozen=True, gc=False):
    """What one side sent: link bytes are LL payload octets (air) or ACL payload octets
    (HCI); ATT bytes are whole ATT PDUs."""

    sender: str
    packets: int
    link_bytes: int
    att_bytes: int
    notifications: int
    write_commands: int
    first_us: Micros | None
    first: Iso | None
    last_us: Micros | None
    last: Iso | None
    mean_att_bytes_per_s: float | None  # over first to last
    peak_att_bytes_per_s: float  # the busiest bucket of the series


class ExportSideSeries(_Record, frozen=True, gc=False):
    sender: str
    att_bytes: list[int]
    link_bytes: list[int]
    notifications: list[int]
    write_commands: list[int]
    rssi_mean: list[float | None]  # air: dBm, null where the side sent nothing


class ExportSeries(_Record, frozen=True, gc=False):
    """Each side's traffic per bucket of `step_us`, from `start_us`."""

    start_us: Micros
    start: Iso
    step_us: int
    sides: list[ExportSideSeries]


class ExportHostLatency(_Record, frozen=True, gc=False):
    """HCI: each ACL packet from the host to the Number Of Completed Packets event that
    counted it, in microseconds."""

    sent: int
    completed: int
    min_us: int | None
    median_us: int | None
    p95_us: int | None
    max_us: int | None


class ExportLastPacket(_Record, frozen=True, gc=False):
    sender: str
    frame: FrameNo
    time_us: Micros
    time: Iso
    summary: str


class ExportEnding(_Record, frozen=True, gc=False):
    """Why and how the link ended, as far as the capture shows."""

    reason: str | None
    frame: FrameNo | None
    last_packets: list[ExportLastPacket]  # each side's last
    silence_us: int | None  # from the last packet to the end
    timeout_reached: bool | None
    verdict: str


class ExportHealth(_Record, frozen=True, gc=False):
    """The link's health: parameters, procedures, air events, traffic and its end."""

    parameters: ExportLinkParameters
    procedures: list[ExportProcedure]
    procedures_dropped: int  # past the per-link cap (1,000): counted only
    air: ExportAirEvents | None
    sides: list[ExportSideTotals]
    series: ExportSeries | None
    host_latency: ExportHostLatency | None
    ending: ExportEnding | None
