"""The attscope TUI: connections, flow ladder, transactions, GATT tree, violations and
packets of one capture (or live stream), all narrowed by the chosen connection and the
filter bar. `make_app(source)` builds it for the command line and the tests alike."""

from __future__ import annotations

import os
import re
import threading
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.notifications import SeverityLevel
from textual.widgets import (
    Footer,
    Input,
    ProgressBar,
    Static,
    TabbedContent,
    TabPane,
    Tree,
)
from textual.worker import get_current_worker

from attscope.capture import CaptureError, open_capture
from attscope.capture.cut_records import CUT
from attscope.capture.frame import Frame
from attscope.dissector.analysis.analysis_records import Connection
from attscope.dissector.decoding.le_keys import Keys
from attscope.text.analysis_text import connection_lines, security_lines, violation_line
from attscope.tui.crash import cause
from attscope.tui.filter_query import EVERYTHING, Filter, FilterError, parse_filter
from attscope.tui.gatt_tree import fill_gatt_tree
from attscope.tui.help_screen import HelpScreen
from attscope.tui.model import CaptureModel
from attscope.tui.packet_detail import PacketDetail
from attscope.tui.prompt import Prompt
from attscope.tui.rows import (
    PACKET_HEADER,
    VIOLATION_HEADER,
    connection_header,
    connection_width,
    device_header,
    flow_header,
    safe,
    security_header,
    transaction_header,
)
from attscope.tui.sources import (
    DEVICE_SORTS,
    ConnectionRows,
    DeviceRows,
    FlowRows,
    PacketRows,
    SecurityRows,
    TransactionRows,
    ViolationRows,
)
from attscope.tui.view_export import export_view, exportable
from attscope.tui.views import (
    View,
    flow_view,
    frame_view,
    sorted_transactions,
    transaction_view,
    violation_view,
)
from attscope.tui.virtual_list import VirtualList

if TYPE_CHECKING:
    from attscope.capture.live import LiveCapture

TABS = ("connections", "flow", "transactions", "gatt", "violations", "packets", "devices",
        "security")  # fmt: skip
LIVE_GATT_REFRESH = 2.0  # s between redraws of the GATT tree while a live stream runs
LIVE_RESORT = 1.0  # s between re-sorts of a sorted transactions table while live
NOTES_PER_TICK = 3  # live packet-level notes shown at once; a burst of them is summed up
_PACKET_NEWS = re.compile(r"packet\(s\) lost|skipped \d+ byte|dropped a broken frame")
SORTS = ("time", "latency", "handle", "outcome")
WARNING_LINES = 3  # the source's warnings shown at most, the rest counted
TYPING_ACTIONS = {"focus_filter", "search", "goto", "export"}  # each opens a place to type


class Source:
    """Where frames come from: a capture file, or any iterable of frames; `live` is the
    sniffer session behind a live stream (its state, notes, and following a device)."""

    def __init__(
        self,
        name: str,
        frames: Callable[[], Iterable[Frame | None]],
        total_bytes: int | None = None,
        describe: Callable[[], dict[str, Any]] | None = None,
        live: LiveCapture | None = None,
    ) -> None:
        self.name = name
        self.frames = frames
        self.total_bytes = total_bytes
        self.describe = describe or (lambda: {})
        self.live = live

    @classmethod
    def file(cls, path: str, log: str | None = None) -> Source:
        """A capture file (`log`: which log of a bug report); opening it raises
        CaptureError when it cannot be read."""
        reader = open_capture(path, log)
        info = {"format": reader.format, "detail": reader.detail, "path": path}
        size = os.path.getsize(path) if os.path.isfile(path) else None
        return cls(
            Path(path).name,
            lambda: reader,
            size,
            lambda: (
                info
                | {"linktypes": list(reader.linktypes), "warnings": list(map(str, reader.warnings))}
            ),
        )


class AttscopeApp(App[None]):
    TITLE = "attscope"
    CSS = """
    #top { height: 1; }
    #tabs { height: 1fr; }
    TabPane { height: 1fr; }
    #title { width: 1fr; }
    #progress { width: 22; }
    #progress Bar { width: 14; }
    #filter { height: 1; border: none; padding: 0 1; }
    #filter:focus { background: $boost; }
    #filter.error { background: $error 30%; }
    #warnings { height: auto; max-height: 3; padding: 0 1; background: $warning 25%;
                display: none; }
    .detail { height: auto; max-height: 8; padding: 0 1; border-top: solid $panel; }
    #packets-list { height: 1fr; }
    PacketDetail { height: 1fr; min-height: 6; }
    #gatt-tree { height: 1fr; }
    #search { dock: bottom; display: none; }
    """
    BINDINGS = [
        Binding("question_mark", "help", "Help"),
        # the keys that open a place to type are priority bindings: the app runs them as
        # soon as it reads them, so the keys after them go there too (a paste, a fast
        # typist, lag over SSH), none to the panel as a command; see check_action
        Binding("f", "focus_filter", "Filter", priority=True),
        Binding("slash", "search", "Search", priority=True),
        Binding("colon", "goto", "Go to frame", priority=True),
        Binding("n", "search_next", "Next match", show=False),
        Binding("a", "all_connections", "All conns"),
        Binding("s", "sort", "Sort", show=False),
        Binding("space", "toggle_row", "Expand", show=False),
        Binding("c", "copy", "Copy"),
        Binding("e", "export", "Export", priority=True),
        Binding("1", "tab('connections')", "Connections", show=False),
        Binding("2", "tab('flow')", "Flow", show=False),
        Binding("3", "tab('transactions')", "Transactions", show=False),
        Binding("4", "tab('gatt')", "GATT", show=False),
        Binding("5", "tab('violations')", "Violations", show=False),
        Binding("6", "tab('packets')", "Packets", show=False),
        Binding("7", "tab('devices')", "Devices", show=False),
        Binding("8", "tab('security')", "Security", show=False),
        Binding("escape", "escape", "Back", show=False),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self, source: Source, uuid_names: dict[str, str] | None = None, keys: Keys | None = None
    ) -> None:
        super().__init__()
        self.source = source
        self.model = CaptureModel(source.name, uuid_names, keys)
        self.focus_conn: int | None = None  # connection index, None: all
        self.filter: Filter = EVERYTHING
        self.sort = "time"
        self._views: dict[str, View] = {}
        self._seen_version = -1
        self._stop = threading.Event()
        self._last_search = ""
        self.first_screen_at: float | None = None  # when the first rows were drawn
        self.exit_after: str | None = None  # "first-screen" | "analysed": benchmarks
        self._gatt_drawn_at = 0.0
        self._sorted_at = 0.0
        self._unsorted = False  # live and sorted: transactions came since the last sort
        self.crash: BaseException | None = None  # what stopped the app, if anything did

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The keys that open a place to type are letters while one is open (the filter
        bar, a prompt) or while another screen (help, the command palette) is up."""
        if action in TYPING_ACTIONS:
            return self.screen is self.screen_stack[0] and not isinstance(self.focused, Input)
        return True

    def _handle_exception(self, error: Exception) -> None:
        """Keep what stopped the app (a worker's failure unwrapped) for `run_app`."""
        if self.crash is None:
            self.crash = cause(error)
        super()._handle_exception(error)

    # -- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="top"):
            yield Static(Text(""), id="title")
            yield ProgressBar(total=100, show_eta=False, show_percentage=True, id="progress")
        yield Input(
            placeholder="f: filter  conn:ID handle:0x12 op:write name:battery errors "
            "violations text",
            id="filter",
        )
        yield Static(Text(""), id="warnings")
        live = self.source.live
        initial = "devices" if live is not None and not live.follow_requested else "connections"
        with TabbedContent(id="tabs", initial=initial):
            with TabPane("1 Connections", id="connections"):
                yield VirtualList(
                    lambda width: connection_header(width, max(12, connection_width(self.model))),
                    id="connections-list",
                )
                yield Static(Text(""), id="connection-detail", classes="detail")
            with TabPane("2 Flow", id="flow"):
                yield VirtualList("", id="flow-list")
            with TabPane("3 Transactions", id="transactions"):
                yield VirtualList(
                    lambda width: transaction_header(width, connection_width(self.model)),
                    id="transactions-list",
                )
                yield Static(Text(""), id="transaction-detail", classes="detail")
            with TabPane("4 GATT", id="gatt"):
                yield Tree(Text("GATT databases"), id="gatt-tree")
            with TabPane("5 Violations", id="violations"):
                yield VirtualList(VIOLATION_HEADER, id="violations-list")
                yield Static(Text(""), id="violation-detail", classes="detail")
            with TabPane("6 Packets", id="packets"):
                yield VirtualList(PACKET_HEADER, id="packets-list")
                yield PacketDetail()
            with TabPane("7 Devices", id="devices"):
                yield VirtualList(device_header, id="devices-list")
                yield Static(Text(""), id="device-detail", classes="detail")
            with TabPane("8 Security", id="security"):
                yield VirtualList(
                    lambda width: security_header(width, max(12, connection_width(self.model))),
                    id="security-list",
                )
                yield Static(Text(""), id="security-detail", classes="detail")
        yield Prompt(id="search")
        yield Footer()

    def on_mount(self) -> None:
        self._connections = ConnectionRows(self.model)
        self.list("connections").set_source(self._connections)
        self._devices = DeviceRows(self.model)
        self.list("devices").set_source(self._devices)
        self._security = SecurityRows(self.model)
        self.list("security").set_source(self._security)
        self._rebuild_views()
        self.set_interval(0.1, self._tick)
        self.ingest()
        self._current_list_focus()

    def list(self, name: str) -> VirtualList:
        return self.query_one(f"#{name}-list", VirtualList)

    # -- ingest -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="ingest")
    def ingest(self) -> None:
        def warnings() -> list[str]:
            return list(self.source.describe().get("warnings", []))

        try:
            self.model.ingest(self.source.frames(), self.source.total_bytes, self._stop, warnings)
        except (CaptureError, OSError) as exc:  # the source broke off: say so, keep what came
            self.model.error = str(exc)
            self.model.finish(warnings())

    def _tick(self) -> None:
        # closing (quit sets _stop): the widgets go one by one, the timers last
        if not self.is_running or self._stop.is_set():
            return
        model = self.model
        live = self.source.live
        if live is not None:
            self._live_tick(live)
            if self._unsorted and time.monotonic() - self._sorted_at >= LIVE_RESORT:
                self._sorted_at = time.monotonic()
                self._unsorted = False
                self._set_transactions(keep_cursor=True)  # new ones take their place
        if model.version == self._seen_version:
            self._advance_views()
            return
        self._seen_version = model.version
        self._connections.refresh()
        self._security.refresh()
        self._refresh_devices()
        if self.query_one(TabbedContent).active == "devices":
            self._show_device(self.list("devices").cursor)
        for name in ("connections", "flow", "transactions", "violations", "packets", "security"):
            self.list(name).update_rows(changed=name in ("connections", "security"))
        if self.query_one(TabbedContent).active == "security":
            self._show_security(self.list("security").cursor)
        self._advance_views()
        self._show_title()
        if live is not None and not model.done:
            now = time.monotonic()
            if now - self._gatt_drawn_at >= LIVE_GATT_REFRESH:
                self._gatt_drawn_at = now
                self._fill_gatt()
            self._unsorted = self.sort != "time"
        if model.done and not getattr(self, "_gatt_done", False):
            self._gatt_done = True
            self._fill_gatt()
            if self.sort != "time":
                self._set_transactions(keep_cursor=True)
            self.list("transactions").update_rows(changed=True)
            self._show_warnings()
        if self.first_screen_at is None and len(model.frames):
            self.first_screen_at = time.perf_counter()
            if self.exit_after == "first-screen":
                self.call_after_refresh(self.exit)
        analysed = model.done and all(v.complete for v in self._views.values())
        if self.exit_after == "analysed" and analysed:
            self.call_after_refresh(self.exit)

    def _live_tick(self, live: LiveCapture) -> None:
        """The port's state into the title; its news as notifications."""
        status = live.status()
        if status != self.model.status:
            self.model.status = status
            self._show_title()
        notes = []
        while live.notes:
            notes.append(live.notes.popleft())
        # a burst of packet-level news (gaps, garbage) is summed up; the port's own news
        # (lost, back, following) is always shown
        noisy = [n for n in notes if _PACKET_NEWS.search(n)]
        if len(noisy) > NOTES_PER_TICK:
            keep = set(noisy[-NOTES_PER_TICK + 1 :])
            notes = [n for n in notes if n in keep or not _PACKET_NEWS.search(n)]
            notes.append(f"and {len(noisy) - len(keep)} more: {status}")
        for note in notes:
            bad = any(word in note for word in ("lost", "dropped", "skipped", "stopped"))
            self.notify(safe(note), severity="warning" if bad else "information", timeout=4)

    def _show_title(self) -> None:
        model = self.model
        live = self.source.live is not None
        state = ("stopped" if live else "done") if model.done else ("live" if live else "analysing")
        focus = self._focus_name()
        title = Text(no_wrap=True)
        title.append(f" attscope  {safe(model.name)}", "bold")
        if model.status:  # live: the port's state comes first, it is what changes
            title.append(f"  {safe(model.status)}", "yellow")
        title.append(
            f"  {len(model.frames)} frames, {len(model.transactions)} transactions, "
            f"{len(model.violations)} violations ({state})  [{safe(focus)}]"
        )
        if not self.filter.empty:
            title.append("  [filtered]", "yellow")
        if any(CUT in warning for warning in model.warnings):
            title.append("  [packets cut by the log: ATT values missing]", "bold red")
        self.query_one("#title", Static).update(title)
        bar = self.query_one("#progress", ProgressBar)
        bar.update(progress=model.progress * 100)
        bar.display = not model.done and self.source.total_bytes is not None

    def _show_warnings(self) -> None:
        """The source's damage and warnings, in a line that stays (a notification fades)."""
        model = self.model
        said = [("error", model.error)] if model.error else []
        said += [("warning", warning) for warning in model.warnings]
        line = self.query_one("#warnings", Static)
        line.display = bool(said)
        if not said:
            return
        text = Text(no_wrap=True, overflow="ellipsis")
        for number, (kind, message) in enumerate(said[:WARNING_LINES]):
            text.append("\n" if number else "")
            text.append(f"{kind} ", "bold")
            text.append(safe(message))
        if len(said) > WARNING_LINES:
            text.append(f"  (and {len(said) - WARNING_LINES} more: attscope info lists them)")
        line.update(text)

    def _focus_name(self) -> str:
        if self.focus_conn is None:
            return "all connections"
        return self.model.connection_ids[self.focus_conn]

    # -- views --------------------------------------------------------------------------

    def _rebuild_views(self) -> None:
        model, focus, wanted = self.model, self.focus_conn, self.filter
        self._views = {
            "packets": frame_view(model, focus, wanted),
            "flow": flow_view(model, focus, wanted),
            "transactions": transaction_view(model, focus, wanted),
            "violations": violation_view(model, focus, wanted),
        }
        conn = self._focused_connection()
        flow_list = self.list("flow")
        flows = FlowRows(model, self._views["flow"], every_connection=conn is None)
        flow_list.header = lambda width: flow_header(model, conn, width, flows.connection_column())
        flow_list.set_source(flows)
        self.list("packets").set_source(PacketRows(model, self._views["packets"]))
        self.list("violations").set_source(ViolationRows(model, self._views["violations"]))
        self._set_transactions()
        self._devices.wanted = wanted
        self._refresh_devices()
        self._fill_gatt()
        self._show_title()
        self._advance_views()

    def _set_transactions(self, keep_cursor: bool = False) -> None:
        """The transactions table in the chosen order; `keep_cursor`: re-sorted as it grew,
        the cursor and the opened rows stay with their transactions."""
        view = self._views["transactions"]
        order = None
        if self.sort != "time" and view.complete:
            order = list(sorted_transactions(self.model, view, self.sort))
        rows = TransactionRows(self.model, view, order)
        widget = self.list("transactions")
        old = widget.source
        if keep_cursor and isinstance(old, TransactionRows):
            cursor = rows.take_over(old, widget.cursor)
            widget.set_source(rows, keep_cursor=True)
            widget.cursor = cursor
            return
        widget.set_source(rows)

    def _refresh_devices(self) -> None:
        """New adverts, another filter or order: the rows again, the cursor kept on its
        device (in a live session sorted by signal the rows move under it)."""
        widget = self.list("devices")
        current = self._devices.device(widget.cursor)
        self._devices.refresh()
        widget.update_rows(changed=True)
        index = None if current is None else self._devices.index_of(current)
        if index is not None and index != widget.cursor:
            widget.cursor = index

    def _focused_connection(self) -> Connection | None:
        if self.focus_conn is None:
            return None
        conn_id = self.model.connection_ids[self.focus_conn]
        return next((c for c in self.model.connections() if c.id == conn_id), None)

    def _advance_views(self) -> None:
        if any(not v.complete for v in self._views.values()):
            self._filter_worker()

    @work(thread=True, exclusive=True, group="filter")
    def _filter_worker(self) -> None:
        worker = get_current_worker()
        views = dict(self._views)
        while any(not v.complete for v in views.values()):
            for name, view in views.items():
                if worker.is_cancelled or views != self._views:
                    return  # the views were rebuilt: a newer worker scans those
                if view.advance(20000):
                    self.call_from_thread(self._rows_grew, name)
        if not worker.is_cancelled:
            self.call_from_thread(self._filtered_done)

    def _rows_grew(self, name: str) -> None:
        """On the UI thread: a list's view has more rows. The worker may finish while the
        app closes, its widgets already gone: then there is nothing to draw."""
        if self.is_running and not self._stop.is_set():
            self.list(name).update_rows()

    def _filtered_done(self) -> None:
        if not self.is_running or self._stop.is_set():
            return
        for name in ("flow", "transactions", "violations", "packets"):
            self.list(name).update_rows(changed=True)
        if self.sort != "time":
            self._set_transactions(keep_cursor=True)

    # -- panels -------------------------------------------------------------------------

    def _fill_gatt(self) -> None:
        tree = self.query_one("#gatt-tree", Tree)
        conn_id = None if self.focus_conn is None else self.model.connection_ids[self.focus_conn]
        fill_gatt_tree(tree, self.model, conn_id, self.filter)

    @on(VirtualList.Chosen, "#connections-list")
    def _choose_connection(self, event: VirtualList.Chosen) -> None:
        conn = self._connections.connection(event.index)
        self.focus_conn = None if conn is None else self.model.connection_index(conn.id)
        self._rebuild_views()
        self.notify(f"focus: {safe(self._focus_name())}", timeout=2)

    @on(VirtualList.Highlighted, "#connections-list")
    def _show_connection(self, event: VirtualList.Highlighted) -> None:
        conn = self._connections.connection(event.index)
        detail = self.query_one("#connection-detail", Static)
        if conn is None:
            detail.update(Text("All connections: choose one (Enter) to focus every view on it."))
            return
        lines = connection_lines(conn, self.model.first_ts or 0)
        detail.update(Text("\n".join(safe(line) for line in lines), no_wrap=True))

    @on(VirtualList.Highlighted, "#security-list")
    def _security_highlighted(self, event: VirtualList.Highlighted) -> None:
        self._show_security(event.index)

    def _show_security(self, index: int) -> None:
        """The link's security in full, then its encryption events."""
        conn = self._security.connection(index)
        detail = self.query_one("#security-detail", Static)
        if conn is None or conn.security is None:
            detail.update(Text("No link in this capture shows its security (pairing, keys or "
                               "encryption)."))  # fmt: skip
            return
        start = self.model.first_ts or 0
        lines = [f"{conn.id}: {conn.central_address or conn.local_address or '?'} / "
                 f"{conn.peripheral_address or conn.peer_address or '?'}"]  # fmt: skip
        lines += security_lines(conn.security)
        lines += [
            f"{e.frame:>7} {(e.ts_us - start) / 1e6:>11.6f} {e.kind}: {e.detail}"
            for e in conn.timeline
            if e.kind.startswith("encryption")
        ]
        detail.update(Text("\n".join(safe(line) for line in lines), no_wrap=True))

    @on(TabbedContent.TabActivated, "#tabs")
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "security":  # by key or by click: its detail is drawn now
            self._show_security(self.list("security").cursor)

    @on(VirtualList.Chosen, "#security-list")
    def _choose_secured(self, event: VirtualList.Chosen) -> None:
        conn = self._security.connection(event.index)
        if conn is not None:
            self.focus_conn = self.model.connection_index(conn.id)
            self._rebuild_views()
            self.notify(f"focus: {safe(self._focus_name())}", timeout=2)

    @on(VirtualList.Highlighted, "#devices-list")
    def _device_highlighted(self, event: VirtualList.Highlighted) -> None:
        self._show_device(event.index)

    def _show_device(self, index: int) -> None:
        device = self._devices.device(index)
        if device is None:
            return
        model = self.model
        text = Text(no_wrap=True)
        text.append(f"{device.address} ({device.address_type})", "bold")
        if device.name:
            text.append(f"  {safe(device.name)}", "bold")
        first = (device.first_us - (model.first_ts or device.first_us)) / 1e6
        last = (device.last_us - (model.first_ts or device.last_us)) / 1e6
        text.append(
            f"\n{device.packets} packets ({', '.join(device.pdu_types)}), frames "
            f"{device.first_frame} to {device.last_frame}, {first:.3f} s to {last:.3f} s\n"
        )
        if device.services:
            text.append(f"services {safe(', '.join(map(model.uuid_name, device.services)))}\n")
        live = self.source.live
        if live is not None:
            text.append("Enter: follow this device", "italic")
        else:
            text.append("Enter: its first packet", "italic")
        self.query_one("#device-detail", Static).update(text)

    @on(VirtualList.Chosen, "#devices-list")
    def _choose_device(self, event: VirtualList.Chosen) -> None:
        device = self._devices.device(event.index)
        if device is None:
            return
        live = self.source.live
        if live is None:
            self._go_to_frame(device.first_frame)
            return
        live.follow(device.address, device.random)

    @on(VirtualList.Highlighted, "#transactions-list")
    def _show_transaction(self, event: VirtualList.Highlighted) -> None:
        rows = self.list("transactions").source
        assert isinstance(rows, TransactionRows)
        txn = rows.transaction(event.index)
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

    @on(VirtualList.Chosen, "#transactions-list")
    def _open_transaction(self, event: VirtualList.Chosen) -> None:
        rows = self.list("transactions").source
        assert isinstance(rows, TransactionRows)
        self._go_to_frame(rows.frame_at(event.index))

    @on(VirtualList.Highlighted, "#violations-list")
    def _show_violation(self, event: VirtualList.Highlighted) -> None:
        rows = self.list("violations").source
        assert isinstance(rows, ViolationRows)
        found = self.model.violations[rows.view[event.index]]
        self.query_one("#violation-detail", Static).update(Text(safe(violation_line(found))))

    @on(VirtualList.Chosen, "#violations-list")
    def _open_violation(self, event: VirtualList.Chosen) -> None:
        rows = self.list("violations").source
        assert isinstance(rows, ViolationRows)
        found = self.model.violations[rows.view[event.index]]
        self._show_in_flow(found.frames[0])
        self._go_to_frame(found.frames[0])

    @on(VirtualList.Chosen, "#flow-list")
    def _open_flow(self, event: VirtualList.Chosen) -> None:
        rows = self.list("flow").source
        assert isinstance(rows, FlowRows)
        self._go_to_frame(rows.frame_at(event.index))

    @on(VirtualList.Highlighted, "#packets-list")
    def _show_packet(self, event: VirtualList.Highlighted) -> None:
        rows = self.list("packets").source
        assert isinstance(rows, PacketRows)
        found = self.model.packet(rows.frame_at(event.index))
        if found is not None:
            self.query_one(PacketDetail).show(*found)

    def _show_in_flow(self, frame: int) -> None:
        """Put the flow view's cursor on a frame's ATT PDU, or the nearest after it."""
        view = self._views["flow"]
        flows = self.model.flows

        class _Frames:
            def __len__(self) -> int:
                return len(view)

            def __getitem__(self, i: int) -> int:
                return flows[view[i]].frame

        index = bisect_left(_Frames(), frame)
        if index < len(view):
            self.list("flow").move_to(index)

    def _go_to_frame(self, number: int) -> None:
        """Show a frame in the packet list (clearing a filter that hides it)."""
        view = self._views["packets"]

        class _Numbers:
            def __len__(self) -> int:
                return len(view)

            def __getitem__(self, i: int) -> int:
                return view[i] + 1

        index = bisect_left(_Numbers(), number)
        if index >= len(view) or view[index] + 1 != number:
            if not 1 <= number <= len(self.model.frames):
                self.notify(f"no frame {number}", severity="warning")
                return
            self.filter, self.focus_conn = EVERYTHING, None
            self.query_one("#filter", Input).value = ""
            self._rebuild_views()
            index = number - 1
        self.query_one(TabbedContent).active = "packets"
        packets = self.list("packets")
        packets.move_to(index)
        packets.focus()

    # -- filter, search, go to ----------------------------------------------------------

    @on(Input.Submitted, "#filter")
    def _apply_filter(self, event: Input.Submitted) -> None:
        bar = self.query_one("#filter", Input)
        try:
            self.filter = parse_filter(event.value)
        except FilterError as exc:
            bar.add_class("error")
            self.notify(str(exc), severity="error")
            return
        bar.remove_class("error")
        self._rebuild_views()
        self._current_list_focus()

    def _current_list_focus(self) -> None:
        active = self.query_one(TabbedContent).active
        if active == "gatt":
            self.query_one("#gatt-tree", Tree).focus()
        else:
            self.list(active).focus()

    def action_focus_filter(self) -> None:
        # at once, not after the keys already queued (focus() waits for them): what is
        # typed right after f goes into the bar, none of it runs as a command
        self.screen.set_focus(self.query_one("#filter", Input))

    def action_search(self) -> None:
        self.query_one(Prompt).ask("search", "/", self._search)

    def action_goto(self) -> None:
        self.query_one(Prompt).ask("frame number", ":", self._goto)

    def _goto(self, text: str) -> None:
        try:
            number = int(text.strip().lstrip(":"), 0)
        except ValueError:
            self.notify(f"{safe(text)!r} is not a frame number", severity="error")
            return
        self._go_to_frame(number)

    def _search(self, text: str) -> None:
        self._last_search = text.lower()
        self.action_search_next()

    def action_search_next(self) -> None:
        if not self._last_search:
            return
        active = self.query_one(TabbedContent).active
        if active == "gatt":
            self.notify("search works on the lists; the filter bar narrows the GATT tree")
            return
        self._search_worker(self.list(active), self._last_search)

    @work(thread=True, exclusive=True, group="search")
    def _search_worker(self, widget: VirtualList, needle: str) -> None:
        source = widget.source
        start = widget.cursor + 1
        total = len(source)
        chunk = 256
        for first in range(start, total, chunk):
            rows = source.rows(first, min(total, first + chunk), 160)
            for offset, row in enumerate(rows):
                if needle in row.plain.lower():
                    self.call_from_thread(widget.move_to, first + offset)
                    return
        self.call_from_thread(self.notify, f"{safe(needle)!r} not found below", timeout=3)

    # -- actions --------------------------------------------------------------------------

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Notifications carry names and values from captures: plain text, never markup
        (a file or device name holding `[link=...]` made Textual raise)."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.BINDINGS))

    def action_tab(self, name: str) -> None:
        self.query_one(TabbedContent).active = name
        self._current_list_focus()

    def action_all_connections(self) -> None:
        self.focus_conn = None
        self._rebuild_views()

    def action_sort(self) -> None:
        active = self.query_one(TabbedContent).active
        if active == "devices":
            orders = list(DEVICE_SORTS)
            self._devices.order = orders[(orders.index(self._devices.order) + 1) % len(orders)]
            self._refresh_devices()
            self.notify(f"devices sorted by {self._devices.order}", timeout=2)
            return
        if active != "transactions":
            return
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self._set_transactions()
        self.notify(f"transactions sorted by {self.sort}", timeout=2)

    def action_toggle_row(self) -> None:
        widget = self.list("transactions")
        if self.query_one(TabbedContent).active != "transactions":
            return
        rows = widget.source
        assert isinstance(rows, TransactionRows)
        rows.toggle(widget.cursor)
        widget.update_rows(changed=True)

    def action_escape(self) -> None:
        self._current_list_focus()

    def action_copy(self) -> None:
        text = self._selected_value()
        if text is None:
            self.notify("nothing to copy here", severity="warning")
            return
        self.copy_to_clipboard(text)
        self.notify(f"copied {safe(text[:40])}", timeout=2)

    def _selected_value(self) -> str | None:
        """The value under the cursor, as hex (or the row's text when it has no value)."""
        active = self.query_one(TabbedContent).active
        if active == "gatt":
            node = self.query_one("#gatt-tree", Tree).cursor_node
            return None if node is None else str(node.data or node.label)
        widget = self.list(active)
        if not len(widget.source):
            return None
        source = widget.source
        if isinstance(source, TransactionRows):
            txn = source.transaction(widget.cursor)
            if txn is not None and txn.value is not None:
                return str(txn.value.hex())
        if isinstance(source, FlowRows):
            record = source.records(widget.cursor, widget.cursor + 1)[0]
            found = self.model.packet(record.frame) if record.value_len else None
            value = getattr(found[1].pdu, "value", None) if found is not None else None
            if isinstance(value, bytes):  # the whole value: the flow keeps its first bytes
                return value.hex()
        if isinstance(source, PacketRows):
            found = self.model.packet(source.frame_at(widget.cursor))
            if found is not None:
                return found[0].payload.hex()
        rows = widget.source.rows(widget.cursor, widget.cursor + 1, 160)
        return rows[0].plain if rows else None

    def action_export(self) -> None:
        active = self.query_one(TabbedContent).active
        if not exportable(active):
            self.notify(f"the {active} panel has no export", severity="warning")
            return
        stem = Path(self.model.name).stem
        default = f"attscope-{stem}-{active}.jsonl"
        self.query_one(Prompt).ask("export to", "", self._export, default)

    def _export(self, path: str) -> None:
        if not path.strip():
            return
        self._export_worker(self.query_one(TabbedContent).active, path.strip())

    @work(thread=True, group="export")
    def _export_worker(self, active: str, path: str) -> None:
        conn_id = None if self.focus_conn is None else self.model.connection_ids[self.focus_conn]
        try:
            count = export_view(
                self.model, active, self._views.get(active), conn_id, path,
                self.source.describe(),
            )  # fmt: skip
        except OSError as exc:
            self.call_from_thread(self.notify, f"export failed: {exc}", severity="error")
            return
        self.call_from_thread(self.notify, f"exported {count} records to {safe(path)}")

    def on_unmount(self) -> None:
        self._stop_source()

    async def action_quit(self) -> None:
        self._stop_source()
        self.exit()

    def _stop_source(self) -> None:
        self._stop.set()
        if self.source.live is not None:
            self.source.live.close()


def make_app(
    source: str | Source,
    uuid_names: dict[str, str] | None = None,
    keys: Keys | None = None,
    log: str | None = None,
) -> AttscopeApp:
    """The app over a capture file's path (`log`: which log of a bug report), or over any
    `Source` (a live stream); `keys` decrypt its encrypted air links."""
    if isinstance(source, str):
        source = Source.file(source, log)
    return AttscopeApp(source, uuid_names, keys)
