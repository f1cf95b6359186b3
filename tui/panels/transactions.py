"""3 Transactions: each request and its answer with latency and value; `s` cycles the
order, space opens a long read or queued write into its exchanges, Enter opens the frame."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import Static

from attscope.tui.messages import GoToFrame
from attscope.tui.model import CaptureModel
from attscope.tui.panels.base import Panel
from attscope.tui.rows import connection_width, safe, transaction_header
from attscope.tui.sources import TransactionRows
from attscope.tui.value_timeline import Target
from attscope.tui.views import View, sorted_transactions, transaction_view
from attscope.tui.virtual_list import VirtualList

if TYPE_CHECKING:
    from attscope.capture.live import LiveCapture

SORTS = ("time", "latency", "handle", "outcome")
LIVE_RESORT = 1.0  # s between re-sorts of a sorted table while a live stream runs


class TransactionsPanel(Panel):
    KIND = "transactions"
    TITLE = "3 Transactions"
    LEGEND = ("▸ ▾ space opens the exchanges  * the capture has a gap while it was open  "
              "▲ ▼ the sorted column  dim: a discovery's normal end  red mark: a violation")  # fmt: skip
    BINDINGS = [
        Binding("s", "sort", "Sort"),
        Binding("S", "reverse", "Reverse", show=False),
        Binding("space", "toggle_row", "Expand"),
    ]

    def __init__(self, model: CaptureModel, live: LiveCapture | None) -> None:
        super().__init__(model, live)
        self.sort = "time"
        self.descending = False
        self._sorted_at = 0.0
        self._resort_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        model = self.model
        yield VirtualList(
            lambda width: transaction_header(
                width, connection_width(model), self.sort, self.descending, model.clock
            ),
            id="transactions-list",
        )
        yield self.legend()
        yield Static(Text(""), id="transaction-detail", classes="detail")

    def rebuild(self) -> None:
        self.view = transaction_view(self.model, self.focus_conn, self.wanted)
        self.set_rows()

    def views(self) -> dict[str, View]:
        return {self.KIND: self.view}

    def sorted(self) -> bool:
        """In another order than the capture's."""
        return self.sort != "time" or self.descending

    def set_rows(self, keep_cursor: bool = False) -> None:
        """The table in the chosen order; `keep_cursor`: re-sorted as it grew, the cursor
        and the opened rows stay with their transactions."""
        view = self.view
        order = None
        if self.sorted() and view.complete:
            order = list(sorted_transactions(self.model, view, self.sort, self.descending))
        rows = TransactionRows(self.model, view, order)
        widget = self.list_widget()
        old = getattr(self, "rows", None)
        self.rows = rows
        if keep_cursor and isinstance(old, TransactionRows):
            cursor = rows.take_over(old, widget.cursor)
            widget.set_source(rows, keep_cursor=True)
            widget.cursor = cursor
            return
        widget.set_source(rows)

    def model_changed(self) -> None:
        if self.live is not None and self.sorted():
            self._resort()
        self.list_widget().update_rows()

    def _resort(self) -> None:
        """A live table re-sorted at most every LIVE_RESORT s: new transactions take their
        place; the last ones to come are sorted in once that time has passed."""
        waited = time.monotonic() - self._sorted_at
        if waited >= LIVE_RESORT:
            self._sorted_at = time.monotonic()
            self._resort_timer = None
            self.set_rows(keep_cursor=True)
        elif self._resort_timer is None:
            self._resort_timer = self.set_timer(LIVE_RESORT - waited, self._resort)

    def analysis_done(self) -> None:
        if self.sorted():
            self.set_rows(keep_cursor=True)
        self.list_widget().update_rows(changed=True)

    def scan_done(self) -> None:
        super().scan_done()
        if self.sorted():
            self.set_rows(keep_cursor=True)

    def action_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self.descending = False
        self._sorted()

    def action_reverse(self) -> None:
        self.descending = not self.descending
        self._sorted()

    def _sorted(self) -> None:
        self.set_rows()
        way = "descending" if self.descending else "ascending"
        last = "" if self.sort == "time" else "; unanswered ones last"
        self.notify(f"transactions sorted by {self.sort}, {way}{last}", timeout=2)

    def action_toggle_row(self) -> None:
        widget = self.list_widget()
        self.rows.toggle(widget.cursor)
        widget.update_rows(changed=True)

    def time_at_cursor(self) -> tuple[int, int | None] | None:
        txn = self.rows.transaction(self.list_widget().cursor)
        return None if txn is None else (txn.start_us, txn.request_frame)

    def value_target(self) -> Target | None:
        txn = self.rows.transaction(self.list_widget().cursor)
        if txn is None or txn.handle is None:
            return None
        index = self.model.connection_index(txn.connection)
        if index is None:
            return None
        name = txn.characteristic_name or txn.descriptor_name or txn.characteristic_uuid or ""
        return Target(txn.handle, ((index, txn.server),), name)

    def selected_value(self) -> str | None:
        txn = self.rows.transaction(self.list_widget().cursor)
        if txn is not None and txn.value is not None:
            return str(txn.value.hex())
        return super().selected_value()

    @on(VirtualList.Highlighted)
    def _highlighted(self, event: VirtualList.Highlighted) -> None:
        txn = self.rows.transaction(event.index)
        if txn is None:
            return
        frames = ", ".join(map(str, txn.frames))
        text = Text(no_wrap=True)
        text.append(f"{txn.kind} on {safe(txn.connection)} bearer 0x{txn.bearer:04x}: ", "bold")
        text.append(f"{safe(txn.client)} asks {safe(txn.server)}; frames {frames}\n")
        names = [txn.service_name, txn.characteristic_name, txn.descriptor_name]
        named = " / ".join(safe(n) for n in names if n)
        if named:
            text.append(f"{named}\n")
        if txn.value is not None:
            text.append(f"value {txn.value.hex(' ')}\n")
        if txn.decoded:
            text.append(f"decoded {safe(txn.decoded)}\n")
        if txn.error_name:
            text.append(f"error {safe(txn.error_name)}\n", "bold red")
        self.query_one("#transaction-detail", Static).update(text)

    @on(VirtualList.Chosen)
    def _chosen(self, event: VirtualList.Chosen) -> None:
        self.post_message(GoToFrame(self.rows.frame_at(event.index)))
