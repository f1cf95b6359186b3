"""A connection's link health and ATT latency as export records (health_records.py)."""

from __future__ import annotations

from collections.abc import Callable

from attscope.dissector.analysis.analysis_records import LatencyStats
from attscope.dissector.analysis.health.records import LinkHealth
from attscope.export.health_records import (
    ExportAirEvents,
    ExportChannel,
    ExportDataLength,
    ExportEnding,
    ExportHealth,
    ExportHostLatency,
    ExportLastPacket,
    ExportLatency,
    ExportLinkParameters,
    ExportProcedure,
    ExportSeries,
    ExportSideSeries,
    ExportSideTotals,
)

Clock = Callable[[int], str]


def latency_records(stats: tuple[LatencyStats, ...]) -> list[ExportLatency]:
    return [
        ExportLatency(s.kind, s.count, s.min_us, s.median_us, s.p95_us, s.max_us, list(s.histogram))
        for s in stats
    ]


def _rounded(rate: float | None) -> float | None:
    return round(rate, 1) if rate is not None else None


def health_record(health: LinkHealth, clock: Clock) -> ExportHealth:
    p = health.parameters
    parameters = ExportLinkParameters(
        p.interval_ms, p.peripheral_latency, p.supervision_timeout_ms, p.channel_selection,
        p.used_channels, p.channel_map, dict(p.phy),
        {side: ExportDataLength(d.max_octets, d.max_time_us) for side, d in p.data_length.items()},
        p.encrypted, p.key_size, list(p.consequences),
    )  # fmt: skip
    air = None
    if health.air is not None:
        a = health.air
        silence = a.longest_silence
        air = ExportAirEvents(
            a.packets, a.events_heard, a.events_missed, a.missed_proven, a.retransmissions,
            a.crc_errors, silence.us if silence else None,
            silence.after_frame if silence else None, silence.before_frame if silence else None,
            a.supervision_margin_us,
            [ExportChannel(c.channel, c.packets, c.crc_errors, c.retransmissions, c.rssi_min,
                           c.rssi_mean, c.rssi_max) for c in a.channels],
        )  # fmt: skip
    series = None
    if health.series_start_us is not None:
        start = health.series_start_us
        series = ExportSeries(start, clock(start), health.series_step_us, [
            ExportSideSeries(s.sender, list(s.att_bytes), list(s.link_bytes),
                             list(s.notifications), list(s.write_commands), list(s.rssi_mean))
            for s in health.series
        ])  # fmt: skip
    host = health.host_latency
    ending = health.ending
    return ExportHealth(
        parameters=parameters,
        procedures=[
            ExportProcedure(
                x.name,
                x.initiator,
                x.frame,
                x.ts_us,
                clock(x.ts_us),
                x.outcome,
                x.detail,
                x.instant,
                x.event_counter,
                x.end_frame,
            )
            for x in health.procedures
        ],
        procedures_dropped=health.procedures_dropped,
        air=air,
        sides=[
            ExportSideTotals(
                s.sender,
                s.packets,
                s.link_bytes,
                s.att_bytes,
                s.notifications,
                s.write_commands,
                s.first_us,
                clock(s.first_us) if s.first_us else None,
                s.last_us,
                clock(s.last_us) if s.last_us else None,
                _rounded(s.mean_att_bytes_per_s()),
                s.peak_att_bytes_per_s,
            )
            for s in health.sides
        ],
        series=series,
        host_latency=ExportHostLatency(
            host.sent, host.completed, host.min_us, host.median_us, host.p95_us, host.max_us
        )
        if host
        else None,
        ending=ExportEnding(
            ending.reason,
            ending.frame,
            [
                ExportLastPacket(x.sender, x.frame, x.ts_us, clock(x.ts_us), x.summary)
                for x in ending.last_packets
            ],
            ending.silence_us,
            ending.timeout_reached,
            ending.verdict,
        )
        if ending
        else None,
    )
