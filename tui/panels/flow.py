"""2 Flow: the ATT PDUs as a ladder between client and server; Enter opens the frame."""

from __future__ import annotations

from bisect import bisect_left

from textual import on
from textual.app import ComposeResult

from attscope.tui.messages import GoToFrame
from attscope.tui.panels.base import Panel
from attscope.tui.rows import flow_header
from attscope.tui.sources import FlowRows
from attscope.tui.value_timeline import Target, flow_target
from attscope.tui.views import View, flow_view
from attscope.tui.virtual_list import VirtualList


class FlowPanel(Panel):
    KIND = "flow"
    TITLE = "2 Flow"
    LEGEND = ("C/S the sender's ATT role (client, server)  ▶ ◀ who sent it  ! named by a "
              "violation  red: an error  dim: a discovery's normal end")  # fmt: skip

    def compose(self) -> ComposeResult:
        yield VirtualList("", id="flow-list")
        yield self.legend()

    def rebuild(self) -> None:
        model = self.model
        self.view = flow_view(model, self.focus_conn, self.wanted)
        conn_id = self.focused_connection_id()
        conn = None
        if conn_id is not None:
            conn = next((c for c in model.connections() if c.id == conn_id), None)
        rows = FlowRows(model, self.view, every_connection=conn is None)
        self.rows = rows
        widget = self.list_widget()
        widget.header = lambda width: flow_header(model, conn, width, rows.connection_column())
        widget.set_source(rows)

    def views(self) -> dict[str, View]:
        return {self.KIND: self.view}

    def model_changed(self) -> None:
        self.list_widget().update_rows()

    def show_frame(self, frame: int) -> None:
        """The cursor on a frame's ATT PDU, or the nearest after it."""
        view, flows = self.view, self.model.flows
        index = bisect_left(view, frame, key=lambda position: flows[position].frame)
        if index < len(view):
            self.list_widget().move_to(index)

    def time_at_cursor(self) -> tuple[int, int | None] | None:
        if not len(self.rows):
            return None
        cursor = self.list_widget().cursor
        record = self.rows.records(cursor, cursor + 1)[0]
        return record.ts_us, record.frame

    def value_target(self) -> Target | None:
        if not len(self.rows):
            return None
        cursor = self.list_widget().cursor
        return flow_target(self.model, self.rows.records(cursor, cursor + 1)[0])

    def selected_value(self) -> str | None:
        widget = self.list_widget()
        if not len(self.rows):
            return None
        record = self.rows.records(widget.cursor, widget.cursor + 1)[0]
        found = self.model.packet(record.frame) if record.value_len else None
        value = getattr(found[1].pdu, "value", None) if found is not None else None
        if isinstance(value, bytes):  # the whole value: the flow keeps its first bytes
            return value.hex()
        return super().selected_value()

    @on(VirtualList.Chosen)
    def _chosen(self, event: VirtualList.Chosen) -> None:
        self.post_message(GoToFrame(self.rows.frame_at(event.index)))
