"""5 Violations: each rule broken, grouped with how often (space opens a group), the rule
and its Core citation below; Enter opens its first frame (and puts the Flow panel there)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from attscope.text.analysis_text import violation_line
from attscope.tui.messages import GoToFrame, ShowInFlow
from attscope.tui.panels.base import Panel
from attscope.tui.rows import VIOLATION_HEADER, safe
from attscope.tui.sources import ViolationRows
from attscope.tui.views import View, violation_view
from attscope.tui.virtual_list import VirtualList


class ViolationsPanel(Panel):
    KIND = "violations"
    TITLE = "5 Violations"
    LEGEND = "▸ ▾ space opens a group  count: how often on this connection  Enter: its frames"
    BINDINGS = [Binding("space", "toggle_row", "Expand")]

    def compose(self) -> ComposeResult:
        yield VirtualList(VIOLATION_HEADER, id="violations-list")
        yield self.legend()
        yield Static(Text(""), id="violation-detail", classes="detail")

    def rebuild(self) -> None:
        self.view = violation_view(self.model, self.focus_conn, self.wanted)
        self.rows = ViolationRows(self.model, self.view)
        self.list_widget().set_source(self.rows)

    def views(self) -> dict[str, View]:
        return {self.KIND: self.view}

    def model_changed(self) -> None:
        self.list_widget().update_rows()

    def action_toggle_row(self) -> None:
        widget = self.list_widget()
        self.rows.toggle(widget.cursor)
        widget.update_rows(changed=True)

    def selected_value(self) -> str | None:
        found = self.rows.violation(self.list_widget().cursor)
        return None if found is None else violation_line(found)

    @on(VirtualList.Highlighted)
    def _highlighted(self, event: VirtualList.Highlighted) -> None:
        found = self.rows.violation(event.index)
        if found is None:
            return
        text = safe(violation_line(found))
        count = self.rows.count(event.index)
        if count > 1:
            text += f"\n{count} violations of this rule on this connection: space lists them"
        self.query_one("#violation-detail", Static).update(Text(text))

    @on(VirtualList.Chosen)
    def _chosen(self, event: VirtualList.Chosen) -> None:
        found = self.rows.violation(event.index)
        if found is not None:
            self.post_message(ShowInFlow(found.frames[0]))
            self.post_message(GoToFrame(found.frames[0]))
