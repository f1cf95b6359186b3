"""The report's charts of one connection, as plotly figures: ATT throughput over time per
side, the ATT latency distribution per kind of transaction, RSSI over time per side, and
each data channel's packets, damage and signal."""

from __future__ import annotations

import plotly.graph_objects as go

from attscope.dissector.analysis.analysis_records import Connection
from attscope.dissector.analysis.latency import HISTOGRAM_EDGES_US
from attscope.text.health_text import who

HEIGHT = 380
# the legend under the axis title, out of its way
_LAYOUT = {"height": HEIGHT, "margin": {"l": 60, "r": 20, "t": 40, "b": 110},
           "legend": {"orientation": "h", "y": -0.3, "yanchor": "top"},
           "template": "plotly_white"}  # fmt: skip


def _bin_names() -> list[str]:
    edges = [0, *HISTOGRAM_EDGES_US]
    names = [f"{edges[i] / 1000:g}-{edges[i + 1] / 1000:g} ms" for i in range(len(edges) - 1)]
    return [*names, f"{edges[-1] / 1000:g} ms+"]


def throughput(conn: Connection) -> go.Figure | None:
    health = conn.health
    if health is None or health.series_start_us is None or not health.series:
        return None
    step = health.series_step_us / 1e6
    fig = go.Figure()
    for side in health.series:
        times = [i * step for i in range(len(side.att_bytes))]
        fig.add_scatter(x=times, y=[b / step for b in side.att_bytes], mode="lines",
                        name=f"ATT from {who(side.sender)}", line_shape="hv")  # fmt: skip
        fig.add_scatter(x=times, y=[b / step for b in side.link_bytes], mode="lines",
                        name=f"link layer from {who(side.sender)}", line_shape="hv",
                        line={"dash": "dot"})  # fmt: skip
    fig.update_layout(title=f"Throughput (bytes/s, {step:g} s buckets)", **_LAYOUT)
    fig.update_xaxes(title="seconds since the link's first packet")
    return fig


def latency(conn: Connection) -> go.Figure | None:
    if not conn.latency:
        return None
    names = _bin_names()
    used = sorted({i for s in conn.latency for i, n in enumerate(s.histogram) if n})
    if not used:
        return None
    shown = range(used[0], used[-1] + 1)
    fig = go.Figure()
    for stats in conn.latency:
        fig.add_bar(x=[names[i] for i in shown], y=[stats.histogram[i] for i in shown],
                    name=f"{stats.kind} (p95 {stats.p95_us / 1000:.1f} ms)")  # fmt: skip
    fig.update_layout(title="ATT transaction latency", barmode="stack", **_LAYOUT)
    fig.update_yaxes(title="transactions")
    return fig


def rssi(conn: Connection) -> go.Figure | None:
    health = conn.health
    if health is None or not any(v is not None for s in health.series for v in s.rssi_mean):
        return None
    step = health.series_step_us / 1e6
    fig = go.Figure()
    for side in health.series:
        fig.add_scatter(x=[i * step for i in range(len(side.rssi_mean))], y=list(side.rssi_mean),
                        mode="lines+markers", name=f"from {who(side.sender)}",
                        connectgaps=False)  # fmt: skip
    fig.update_layout(title="RSSI over time (dBm, mean per bucket)", **_LAYOUT)
    fig.update_xaxes(title="seconds since the link's first packet")
    return fig


def channels(conn: Connection) -> go.Figure | None:
    air = conn.health.air if conn.health is not None else None
    if air is None or not air.channels:
        return None
    chans = [c.channel for c in air.channels]
    fig = go.Figure()
    fig.add_bar(x=chans, y=[c.packets - c.crc_errors for c in air.channels], name="good packets")
    fig.add_bar(x=chans, y=[c.crc_errors for c in air.channels], name="CRC errors")
    fig.add_bar(x=chans, y=[c.retransmissions for c in air.channels], name="retransmissions")
    fig.add_scatter(x=chans, y=[c.rssi_mean for c in air.channels], name="mean RSSI (dBm)",
                    yaxis="y2", mode="markers")  # fmt: skip
    fig.update_layout(title="Data channels", barmode="stack",
                      yaxis2={"overlaying": "y", "side": "right", "title": "dBm"},
                      **_LAYOUT)  # fmt: skip
    fig.update_xaxes(title="data channel index", dtick=1)
    fig.update_yaxes(title="packets")
    return fig


def figures(conn: Connection) -> list[tuple[str, go.Figure]]:
    """The connection's charts that its capture has data for, by name."""
    made = [("throughput", throughput(conn)), ("latency", latency(conn)),
            ("rssi", rssi(conn)), ("channels", channels(conn))]  # fmt: skip
    return [(name, fig) for name, fig in made if fig is not None]
