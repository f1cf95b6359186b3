"""A connection's link health in lines of text (`attscope dump --connections`, the report):
what the link negotiated, its procedures, its air events, its traffic and its end."""

from __future__ import annotations

from attscope.dissector.analysis.health.records import (
    AirEvents,
    HostLatency,
    LinkHealth,
    LinkParameters,
    SideTotals,
)

WORST_CHANNELS = 3  # channels named for their damage


def who(side: str) -> str:
    """A side as a sentence names it."""
    if side in ("local", "remote"):
        return f"the {side} side"
    return "a side the capture does not show" if side == "?" else f"the {side}"


def ms(us: int | float) -> str:
    return f"{us / 1000:.1f} ms"


def att_rate(health: LinkHealth) -> float | None:
    """ATT bytes per second both ways, over the link's traffic."""
    firsts = [s.first_us for s in health.sides if s.first_us is not None]
    lasts = [s.last_us for s in health.sides if s.last_us is not None]
    if not firsts or not lasts or max(lasts) <= min(firsts):
        return None
    return sum(s.att_bytes for s in health.sides) / ((max(lasts) - min(firsts)) / 1e6)


def end_summary(health: LinkHealth) -> str:
    """How the link ended, in a few words."""
    ending = health.ending
    if ending is None:
        return "open"
    verdict = ending.verdict
    if verdict.startswith("supervision timeout"):
        return "supervision timeout"
    if "the link was lost" in verdict:
        return "lost (or the sniffer lost it)"
    if verdict.startswith("still open"):
        return "open at the capture's end"
    return ending.reason or "ended"


def parameters_line(p: LinkParameters) -> str:
    """'interval 30.00 ms, peripheral latency 0, supervision timeout 720 ms; PHY ...'."""
    parts = []
    if p.interval_ms is not None:
        parts.append(f"interval {p.interval_ms:.2f} ms")
    if p.peripheral_latency is not None:
        parts.append(f"peripheral latency {p.peripheral_latency}")
    if p.supervision_timeout_ms is not None:
        parts.append(f"supervision timeout {p.supervision_timeout_ms} ms")
    if p.phy:
        parts.append("PHY " + ", ".join(f"{side} {phy}" for side, phy in p.phy.items()))
    if p.data_length:
        parts.append("data length " + ", ".join(
            f"{side} {d.max_octets} octets" for side, d in p.data_length.items()))  # fmt: skip
    if p.channel_selection is not None:
        parts.append(f"channel selection #{p.channel_selection}")
    if p.used_channels is not None:
        parts.append(f"{p.used_channels} of 37 data channels")
    if p.encrypted is not None:
        parts.append("encrypted" if p.encrypted else "not encrypted")
    if p.key_size is not None:
        parts.append(f"key size {p.key_size}")
    return "Link: " + (", ".join(parts) or "parameters not in the capture")


def air_lines(air: AirEvents, timeout_ms: int | None) -> list[str]:
    events = ""
    if air.events_heard is not None:
        events = (f"{air.events_heard} events heard, {air.events_missed} skipped by the "
                  f"sniffer's counter ({air.missed_proven} proven sniffer losses), ")  # fmt: skip
    lines = [f"Air: {air.packets} packets, {events}{air.retransmissions} retransmissions, "
             f"{air.crc_errors} CRC errors"]  # fmt: skip
    silence = air.longest_silence
    if silence is not None:
        margin = ""
        if air.supervision_margin_us is not None and timeout_ms:
            margin = f", margin {ms(air.supervision_margin_us)} of the {timeout_ms} ms timeout"
            if air.supervision_margin_us < 0:
                margin += " (the link lived on: the sniffer, not the devices, went quiet)"
        lines.append(f"  longest silence {ms(silence.us)} (frames {silence.after_frame}-"
                     f"{silence.before_frame}){margin}")  # fmt: skip
    damaged = sorted(
        (c for c in air.channels if c.crc_errors), key=lambda c: -c.crc_errors / c.packets
    )
    if damaged:
        lines.append("  most damaged channels: " + ", ".join(
            f"{c.channel} ({c.crc_errors} of {c.packets})" for c in damaged[:WORST_CHANNELS]))  # fmt: skip
    means = [c.rssi_mean for c in air.channels if c.rssi_mean is not None]
    if means:
        weakest = min(air.channels, key=lambda c: c.rssi_mean if c.rssi_mean is not None else 0)
        lines.append(f"  RSSI per channel: mean {min(means):.1f} to {max(means):.1f} dBm "
                     f"(weakest channel {weakest.channel})")  # fmt: skip
    return lines


def side_line(side: SideTotals) -> str:
    span = ""
    rate = side.mean_att_bytes_per_s()
    if rate is not None:
        span = f" ({rate:.0f} bytes/s mean, {side.peak_att_bytes_per_s:.0f} peak)"
    return (f"Sent by {who(side.sender)}: {side.packets} packets, {side.link_bytes} link bytes, "
            f"{side.att_bytes} ATT bytes{span}, {side.notifications} notifications, "
            f"{side.write_commands} write commands")  # fmt: skip


def host_line(host: HostLatency) -> str:
    if host.min_us is None:
        return f"Host to controller: {host.sent} ACL packets sent, none completed in the capture"
    return (f"Host to controller: {host.sent} ACL packets sent, {host.completed} completed; "
            f"min {ms(host.min_us)}, median {ms(host.median_us or 0)}, 95th percentile "
            f"{ms(host.p95_us or 0)}, max {ms(host.max_us or 0)}")  # fmt: skip


def health_lines(health: LinkHealth, start_us: int) -> list[str]:
    """The link's health, one fact a line."""
    p = health.parameters
    lines = [parameters_line(p)]
    lines.extend(f"  {text}" for text in p.consequences)
    for x in health.procedures:
        by = f" by {who(x.initiator)}" if x.initiator else ""
        seconds = (x.ts_us - start_us) / 1e6
        lines.append(f"  {x.frame:>7} {seconds:>11.6f} procedure {x.name}{by}: "
                     f"{x.outcome} ({x.detail})")  # fmt: skip
    if health.procedures_dropped:
        lines.append(f"  {health.procedures_dropped} more procedures counted, not kept")
    if health.air is not None:
        lines.extend(air_lines(health.air, p.supervision_timeout_ms))
    lines.extend(side_line(side) for side in health.sides)
    if health.host_latency is not None:
        lines.append(host_line(health.host_latency))
    ending = health.ending
    if ending is not None:
        lines.append(f"End: {ending.verdict}")
        last = ", ".join(f"{x.sender} frame {x.frame} ({x.summary})" for x in ending.last_packets)
        if last:
            lines.append(f"  last packets: {last}")
    return lines
