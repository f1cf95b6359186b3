"""6 Packets: one row per frame, the chosen one's fields and bytes below."""

from __future__ import annotations

from bisect import bisect_left

from textual import on
from textual.app import ComposeResult

from attscope.tui.messages import GoToFrame
from attscope.tui.packet_detail import PacketDetail
from attscope.tui.panels.base import Panel
from attscope.tui.rows import packet_header
from attscope.tui.sources import PacketRows
from attscope.tui.value_timeline import Target, flow_target
from attscope.tui.views import View, frame_view
from attscope.tui.virtual_list import VirtualList


class PacketsPanel(Panel):
    KIND = "packets"
    TITLE = "6 Packets"
    LEGEND = ("< host to controller  > controller to host  C->P P->C on air, ? the sender "
              "guessed  red frame number: named by a violation  Enter: the paired frame")  # fmt: skip

    def compose(self) -> ComposeResult:
        model = self.model
        yield VirtualList(lambda width: packet_header(model), id="packets-list")
        yield self.legend()
        yield PacketDetail(model)

    def rebuild(self) -> None:
        self.view = frame_view(self.model, self.focus_conn, self.wanted)
        self.rows = PacketRows(self.model, self.view)
        self.list_widget().set_source(self.rows)

    def views(self) -> dict[str, View]:
        return {self.KIND: self.view}

    def model_changed(self) -> None:
        self.list_widget().update_rows()

    def index_of(self, frame: int) -> int | None:
        """The row showing frame number `frame`, if the current scope shows it."""
        view = self.view  # frame positions, ascending: frame number - 1
        index = bisect_left(view, frame - 1)
        return index if index < len(view) and view[index] + 1 == frame else None

    def show_frame(self, index: int) -> None:
        widget = self.list_widget()
        widget.move_to(index)
        widget.focus()

    def time_at_cursor(self) -> tuple[int, int | None] | None:
        if not len(self.rows):
            return None
        frame = self.rows.frame_at(self.list_widget().cursor)
        return self.model.frames[frame - 1].ts_us, frame

    def value_target(self) -> Target | None:
        if not len(self.rows):
            return None
        found = self.model.flow_at(self.rows.frame_at(self.list_widget().cursor))
        return None if found is None else flow_target(self.model, found[1])

    def selected_value(self) -> str | None:
        widget = self.list_widget()
        if not len(self.rows):
            return None
        found = self.model.packet(self.rows.frame_at(widget.cursor))
        return None if found is None else found[0].payload.hex()

    @on(VirtualList.Chosen)
    def _chosen(self, event: VirtualList.Chosen) -> None:
        """Enter on a request, an answer or an indication: the frame it pairs with."""
        link = self.query_one(PacketDetail).link
        if link is not None:
            self.post_message(GoToFrame(link))
        else:
            self.notify("this frame pairs with no other", timeout=2)

    @on(VirtualList.Highlighted)
    def _highlighted(self, event: VirtualList.Highlighted) -> None:
        found = self.model.packet(self.rows.frame_at(event.index))
        if found is not None:
            self.query_one(PacketDetail).show(*found)
