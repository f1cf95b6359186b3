"""1 Connections: "all connections" and each link, the highlighted one's timeline below;
Enter narrows every panel to it."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Static

from attscope.text.analysis_text import connection_lines
from attscope.tui.messages import FocusConnection
from attscope.tui.model import Counts
from attscope.tui.panels.base import Panel
from attscope.tui.rows import connection_header, connection_width, safe
from attscope.tui.sources import ConnectionRows
from attscope.tui.virtual_list import VirtualList


def counts_line(counts: Counts) -> str:
    """The counts beside a connection, the expected Error Responses apart."""
    line = (
        f"{counts.transactions} transactions, {counts.errors} errors, "
        f"{counts.violations} violations"
    )
    if counts.expected:
        line += (
            f"; {counts.expected} Error Responses that end a discovery or long read as the "
            "specification means them to (Attribute Not Found, Attribute Not Long), not "
            "counted as errors"
        )
    return line


class ConnectionsPanel(Panel):
    KIND = "connections"
    TITLE = "1 Connections"

    def compose(self) -> ComposeResult:
        model = self.model
        yield VirtualList(
            lambda width: connection_header(width, max(12, connection_width(model))),
            id="connections-list",
        )
        yield Static(Text(""), id="connection-detail", classes="detail")

    def on_mount(self) -> None:
        self.rows = ConnectionRows(self.model)
        self.list_widget().set_source(self.rows)

    def model_changed(self) -> None:
        self.rows.refresh()
        widget = self.list_widget()
        widget.update_rows(changed=True)
        self._show(widget.cursor)  # its counts and timeline grow with the capture

    @on(VirtualList.Chosen)
    def _chosen(self, event: VirtualList.Chosen) -> None:
        conn = self.rows.connection(event.index)
        self.post_message(FocusConnection(None if conn is None else conn.id))

    @on(VirtualList.Highlighted)
    def _highlighted(self, event: VirtualList.Highlighted) -> None:
        self._show(event.index)

    def _show(self, index: int) -> None:
        conn = self.rows.connection(index)
        detail = self.query_one("#connection-detail", Static)
        if conn is None:
            lines = ["All connections: choose one (Enter) to focus every view on it.",
                     counts_line(self.model.totals())]  # fmt: skip
            detail.update(Text("\n".join(lines), no_wrap=True))
            return
        lines = connection_lines(conn, self.model.first_ts or 0)
        counts = self.model.counts.get(conn.id)
        if counts is not None:
            lines.insert(1, f"  {counts_line(counts)}")
        detail.update(Text("\n".join(safe(line) for line in lines), no_wrap=True))
