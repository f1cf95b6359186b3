"""The report's charts of one connection, as plotly.js figure specifications (plain data
that plotly.js draws; building them as plotly's Python objects cost a hundred times more):
ATT throughput over time per side, the ATT latency distribution per kind of transaction,
RSSI over time per side, and each data channel's packets, damage and signal."""

from __future__ import annotations

from typing import Any

from attscope.dissector.analysis.analysis_records import Connection
from attscope.dissector.analysis.latency import HISTOGRAM_EDGES_US
from attscope.text.health_text import who

Figure = dict[str, Any]
HEIGHT = 380


def _layout(title: str, **more: Any) -> dict[str, Any]:
    """The layout every chart shares: its legend under the axis title, out of its way."""
    return {"title": {"text": title}, "height": HEIGHT,
            "margin": {"l": 60, "r": 20, "t": 40, "b": 110},
            "legend": {"orientation": "h", "y": -0.3, "yanchor": "top"},
            "paper_bgcolor": "white", "plot_bgcolor": "white", **more}  # fmt: skip


def _bin_names() -> list[str]:
    edges = [0, *HISTOGRAM_EDGES_US]
    names = [f"{edges[i] / 1000:g}-{edges[i + 1] / 1000:g} ms" for i in range(len(edges) - 1)]
    return [*names, f"{edges[-1] / 1000:g} ms+"]


def _seconds(count: int, step: float) -> list[float]:
    return [round(i * step, 6) for i in range(count)]


def throughput(conn: Connection) -> Figure | None:
    health = conn.health
    if health is None or health.series_start_us is None or not health.series:
        return None
    step = health.series_step_us / 1e6
    data = []
    for side in health.series:
        x = _seconds(len(side.att_bytes), step)
        data.append({"type": "scatter", "mode": "lines", "line": {"shape": "hv"}, "x": x,
                     "y": [b / step for b in side.att_bytes],
                     "name": f"ATT from {who(side.sender)}"})  # fmt: skip
        data.append({"type": "scatter", "mode": "lines", "line": {"shape": "hv", "dash": "dot"},
                     "x": x, "y": [b / step for b in side.link_bytes],
                     "name": f"link layer from {who(side.sender)}"})  # fmt: skip
    return {"data": data, "layout": _layout(
        f"Throughput (bytes/s, {step:g} s buckets)",
        xaxis={"title": {"text": "seconds since the link's first packet"}})}  # fmt: skip


def latency(conn: Connection) -> Figure | None:
    used = sorted({i for s in conn.latency for i, n in enumerate(s.histogram) if n})
    if not used:
        return None
    names = _bin_names()
    shown = range(used[0], used[-1] + 1)
    data = [{"type": "bar", "x": [names[i] for i in shown],
             "y": [stats.histogram[i] for i in shown],
             "name": f"{stats.kind} (p95 {stats.p95_us / 1000:.1f} ms)"}
            for stats in conn.latency]  # fmt: skip
    return {"data": data, "layout": _layout(
        "ATT transaction latency", barmode="stack",
        yaxis={"title": {"text": "transactions"}})}  # fmt: skip


def rssi(conn: Connection) -> Figure | None:
    health = conn.health
    if health is None or not any(v is not None for s in health.series for v in s.rssi_mean):
        return None
    step = health.series_step_us / 1e6
    data = [{"type": "scatter", "mode": "lines+markers", "connectgaps": False,
             "x": _seconds(len(side.rssi_mean), step), "y": list(side.rssi_mean),
             "name": f"from {who(side.sender)}"} for side in health.series]  # fmt: skip
    return {"data": data, "layout": _layout(
        "RSSI over time (dBm, mean per bucket)",
        xaxis={"title": {"text": "seconds since the link's first packet"}})}  # fmt: skip


def channels(conn: Connection) -> Figure | None:
    air = conn.health.air if conn.health is not None else None
    if air is None or not air.channels:
        return None
    chans = [c.channel for c in air.channels]
    data = [
        {"type": "bar", "x": chans, "y": [c.packets - c.crc_errors for c in air.channels],
         "name": "good packets"},
        {"type": "bar", "x": chans, "y": [c.crc_errors for c in air.channels],
         "name": "CRC errors"},
        {"type": "bar", "x": chans, "y": [c.retransmissions for c in air.channels],
         "name": "retransmissions"},
        {"type": "scatter", "mode": "markers", "yaxis": "y2", "x": chans,
         "y": [c.rssi_mean for c in air.channels], "name": "mean RSSI (dBm)"},
    ]  # fmt: skip
    return {"data": data, "layout": _layout(
        "Data channels", barmode="stack",
        xaxis={"title": {"text": "data channel index"}, "dtick": 1},
        yaxis={"title": {"text": "packets"}},
        yaxis2={"overlaying": "y", "side": "right", "title": {"text": "dBm"}})}  # fmt: skip


def figures(conn: Connection) -> list[tuple[str, Figure]]:
    """The connection's charts that its capture has data for, by name."""
    made = [("throughput", throughput(conn)), ("latency", latency(conn)),
            ("rssi", rssi(conn)), ("channels", channels(conn))]  # fmt: skip
    return [(name, fig) for name, fig in made if fig is not None]
