"""9 Health: each link's negotiated parameters, procedures, air events and ending, with
charts of the highlighted one: ATT throughput and RSSI over time per side, the ATT latency
distribution, and each data channel's damage and signal. Enter narrows every panel to it."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Sparkline, Static

from attscope.text.health_text import health_lines, who
from attscope.tui.health_view import filled, health_header, health_row, latency_bins
from attscope.tui.panels.base import LinkPanel
from attscope.tui.rows import connection_width, safe
from attscope.tui.sources import LinkRows
from attscope.tui.virtual_list import VirtualList

# the charts, in two columns: each side's traffic and signal over time; the link's latency
# and channels
COLUMNS = (("throughput-0", "throughput-1", "rssi-0", "rssi-1"),
           ("latency", "channel-crc", "channel-rssi"))  # fmt: skip
CHARTS = COLUMNS[0] + COLUMNS[1]


class HealthPanel(LinkPanel):
    KIND = "health"
    TITLE = "9 Health"
    DEFAULT_CSS = """
    #health-list { height: auto; max-height: 6; }
    #health-detail { height: 1fr; padding: 0 1; border-top: solid $panel; }
    #health-charts { height: auto; }
    #health-charts Vertical { height: auto; width: 1fr; padding-right: 2; }
    #health-charts Sparkline { height: 2; }
    #health-charts .chart-label { height: 1; color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        model = self.model
        yield VirtualList(
            lambda width: health_header(width, max(12, connection_width(model))),
            id="health-list",
        )
        with VerticalScroll(id="health-detail"):
            with Horizontal(id="health-charts"):
                for column in COLUMNS:
                    with Vertical():
                        for chart in column:
                            yield Static("", id=f"{chart}-label", classes="chart-label")
                            yield Sparkline([], id=chart)
            yield Static(Text(""), id="health-summary")

    def on_mount(self) -> None:
        self.rows = LinkRows(self.model, lambda c: c.health is not None, health_row)
        self.list_widget().set_source(self.rows)

    def _chart(self, chart: str, label: str, data: list[float]) -> None:
        """One chart and the line above it; an empty one is hidden."""
        line = self.query_one(f"#{chart}-label", Static)
        spark = self.query_one(f"#{chart}", Sparkline)
        shown = bool(data)
        line.display = spark.display = shown
        if shown:
            line.update(Text(label, no_wrap=True, overflow="ellipsis"))
            spark.data = data

    def show(self, index: int) -> None:
        conn = self.rows.connection(index)
        summary = self.query_one("#health-summary", Static)
        health = conn.health if conn is not None else None
        if conn is None or health is None:
            summary.update(Text("No connection in this capture."))
            for chart in CHARTS:
                self._chart(chart, "", [])
            return
        lines = [f"{conn.id} ({conn.transport})"]
        lines += health_lines(health, self.model.first_ts or 0)
        summary.update(Text("\n".join(safe(line) for line in lines), no_wrap=True))
        step = health.series_step_us / 1e6
        series = list(health.series)[:2]
        for i in range(2):
            side = series[i] if i < len(series) else None
            att = [float(v) for v in side.att_bytes] if side else []
            sender = who(side.sender) if side else ""
            self._chart(f"throughput-{i}", f"ATT bytes per {step:g} s from {sender}: "
                        f"peak {max(att, default=0):.0f}", att)  # fmt: skip
            known = [v for v in side.rssi_mean if v is not None] if side else []
            self._chart(f"rssi-{i}", f"RSSI of {sender} over time: "
                        f"{min(known, default=0):.0f} to {max(known, default=0):.0f} dBm",
                        filled(side.rssi_mean) if known and side else [])  # fmt: skip
        bins, span = latency_bins(conn)
        self._chart("latency", f"ATT latency, {span} (bins 1-2-5 per decade)",
                    [float(b) for b in bins])  # fmt: skip
        channels = health.air.channels if health.air else ()
        by = {c.channel: c for c in channels}
        crc = [by[ch].crc_errors / by[ch].packets if ch in by else 0.0 for ch in range(37)]
        self._chart("channel-crc", "CRC errors per packet, data channels 0-36",
                    crc if channels else [])  # fmt: skip
        rssi = [by[ch].rssi_mean if ch in by else None for ch in range(37)]
        self._chart("channel-rssi", "mean RSSI, data channels 0-36 (high: strong)",
                    filled(tuple(rssi)) if any(v is not None for v in rssi) else [])  # fmt: skip
