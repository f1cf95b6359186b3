"""4 GATT: each server's database as a tree, narrowed by the focused connection and the
filter's names and words."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Tree

from attscope.tui.gatt_tree import GattNode, fill_gatt_tree
from attscope.tui.panels.base import Panel
from attscope.tui.value_timeline import Target, server_target

if TYPE_CHECKING:
    from attscope.capture.live import LiveCapture
    from attscope.tui.model import CaptureModel

LIVE_REFRESH = 2.0  # s between redraws of the tree while a live stream runs


class GattPanel(Panel):
    KIND = "gatt"
    TITLE = "4 GATT"

    def __init__(self, model: CaptureModel, live: LiveCapture | None) -> None:
        super().__init__(model, live)
        self._drawn_at = 0.0

    def compose(self) -> ComposeResult:
        yield Tree(Text("GATT databases"), id="gatt-tree")

    def gatt_tree(self) -> Tree[GattNode | None]:
        return self.query_one("#gatt-tree", Tree)

    def rebuild(self) -> None:
        self._drawn_at = time.monotonic()
        fill_gatt_tree(self.gatt_tree(), self.model, self.focused_connection_id(), self.wanted)

    def model_changed(self) -> None:
        # a file's databases are drawn at its end; a live stream's now and then
        if (
            self.live is not None
            and not self.model.done
            and time.monotonic() - self._drawn_at >= LIVE_REFRESH
        ):
            self.rebuild()

    def analysis_done(self) -> None:
        self.rebuild()

    def redraw(self) -> None:
        pass  # no time column

    def focus_content(self) -> None:
        self.gatt_tree().focus()

    def selected_value(self) -> str | None:
        node = self.gatt_tree().cursor_node
        if node is None:
            return None
        data = node.data
        return data.copy if isinstance(data, GattNode) and data.copy else str(node.label)

    def value_target(self) -> Target | None:
        node = self.gatt_tree().cursor_node
        data = node.data if node is not None else None
        if not isinstance(data, GattNode) or data.handle is None or data.db is None:
            return None
        return server_target(self.model, data.db, data.handle, data.name)
