"""What every panel is to the App: a tab that owns its list, its detail and its keys, and
is told when the model grows, when the analysis ends and when the scope (the focused
connection and the filter) changes."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.widgets import Static, TabPane

from attscope.tui.filter_query import EVERYTHING, Filter
from attscope.tui.messages import FocusConnection
from attscope.tui.model import CaptureModel
from attscope.tui.sources import LinkRows
from attscope.tui.value_timeline import Target
from attscope.tui.views import View
from attscope.tui.virtual_list import VirtualList

if TYPE_CHECKING:
    from attscope.capture.live import LiveCapture


class Panel(TabPane):
    """A tab of the App. Subclasses set KIND (its id, also the export's and the filter
    worker's name for it) and TITLE, compose their widgets and override what they use."""

    KIND: ClassVar[str]
    TITLE: ClassVar[str]
    LEGEND: ClassVar[str] = ""  # what the panel's markers mean, one line under its list

    def __init__(self, model: CaptureModel, live: LiveCapture | None = None) -> None:
        super().__init__(self.TITLE, id=self.KIND)
        self.model = model
        self.live = live  # the sniffer session behind a live stream
        self.focus_conn: int | None = None  # index of the focused connection, None: all
        self.wanted: Filter = EVERYTHING
        self.is_shown = False  # the tab shown (the App says, with `shown`)

    def legend(self) -> Static:
        """The one-line legend of the panel's markers (compose it where it belongs)."""
        return Static(Text(self.LEGEND, no_wrap=True, overflow="ellipsis"), classes="legend")

    # -- told by the App --------------------------------------------------------------------

    def set_scope(self, focus_conn: int | None, wanted: Filter) -> None:
        """Another connection or filter: the panel's rows are rebuilt."""
        self.focus_conn, self.wanted = focus_conn, wanted
        self.rebuild()

    def rebuild(self) -> None:
        """Rows for the current scope, from scratch."""

    def model_changed(self) -> None:
        """The model published more of the capture."""

    def analysis_done(self) -> None:
        """The capture is read to its end."""

    def views(self) -> dict[str, View]:
        """Views that a filter scan completes in the background, by name."""
        return {}

    def rows_grew(self) -> None:
        """A background scan found more rows for one of `views()`."""
        self.list_widget().update_rows()

    def scan_done(self) -> None:
        """The background scan of `views()` finished."""
        self.list_widget().update_rows(changed=True)

    def shown(self) -> None:
        """The tab became the active one (`is_shown` is set)."""

    # -- asked by the App -------------------------------------------------------------------

    def list_widget(self) -> VirtualList:
        return self.query_one(VirtualList)

    def focus_content(self) -> None:
        self.list_widget().focus()

    def selected_value(self) -> str | None:
        """What `c` copies: the value under the cursor, else the row's text."""
        widget = self.list_widget()
        if not len(widget.source):
            return None
        rows = widget.source.rows(widget.cursor, widget.cursor + 1, 160)
        return rows[0].plain if rows else None

    def time_at_cursor(self) -> tuple[int, int | None] | None:
        """The time of the row under the cursor and its frame, for `t` (None: no time)."""
        return None

    def value_target(self) -> Target | None:
        """The attribute under the cursor, for `v` (its values over time)."""
        return None

    def redraw(self) -> None:
        """Draw the rows again (the time column changed its mode)."""
        self.list_widget().update_rows(changed=True)

    def focused_connection_id(self) -> str | None:
        return None if self.focus_conn is None else self.model.connection_ids[self.focus_conn]


class LinkPanel(Panel):
    """A panel that lists links (its `rows`, made in `on_mount`) and shows the
    highlighted one below (`show`); Enter narrows every panel to it."""

    rows: LinkRows

    def show(self, index: int) -> None:
        """The link at `index` in full, below the list."""

    def model_changed(self) -> None:
        self.rows.refresh()
        widget = self.list_widget()
        widget.update_rows(changed=True)
        if self.is_shown:
            self.show(widget.cursor)

    def shown(self) -> None:
        self.show(self.list_widget().cursor)

    @on(VirtualList.Highlighted)
    def _highlighted(self, event: VirtualList.Highlighted) -> None:
        self.show(event.index)

    @on(VirtualList.Chosen)
    def _chosen(self, event: VirtualList.Chosen) -> None:
        conn = self.rows.connection(event.index)
        if conn is not None:
            self.post_message(FocusConnection(conn.id))
