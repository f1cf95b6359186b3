"""The attscope TUI: connections, flow ladder, transactions, GATT tree, violations,
packets, devices and security of one capture (or live stream), all narrowed by the chosen
connection and the filter bar. `make_app(source)` builds it for the command line and the
tests alike.

Each panel is a widget of its own (tui/panels) that owns its list, its detail and its
keys. The ingest worker posts `ModelChanged` as the model grows; the App passes it on to
the panels and keeps what is common: the bindings, the focus, the filter, the title and
the routing of what one panel asks of another (tui/messages.py).
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.notifications import SeverityLevel
from textual.widgets import Footer, Input, ProgressBar, Static, TabbedContent
from textual.worker import get_current_worker

from attscope.capture import CaptureError, open_capture
from attscope.capture.cut_records import CUT
from attscope.capture.frame import Frame
from attscope.dissector.decoding.le_keys import Keys
from attscope.tui.clipboard import clipboard_refusal
from attscope.tui.crash import cause
from attscope.tui.filter_query import EVERYTHING, Filter, FilterError, parse_filter
from attscope.tui.help_screen import HelpScreen
from attscope.tui.messages import (
    FocusConnection,
    GoToFrame,
    ModelChanged,
    ShowInFlow,
    SourcePaused,
)
from attscope.tui.model import CaptureModel
from attscope.tui.panels.base import Panel
from attscope.tui.panels.connections import ConnectionsPanel
from attscope.tui.panels.devices import DevicesPanel
from attscope.tui.panels.flow import FlowPanel
from attscope.tui.panels.gatt import GattPanel
from attscope.tui.panels.health import HealthPanel
from attscope.tui.panels.packets import PacketsPanel
from attscope.tui.panels.security import SecurityPanel
from attscope.tui.panels.transactions import TransactionsPanel
from attscope.tui.panels.violations import ViolationsPanel
from attscope.tui.prompt import Prompt, PromptBar
from attscope.tui.rows import safe
from attscope.tui.value_timeline import ValueTimeline
from attscope.tui.view_export import export_view, exportable
from attscope.tui.views import View
from attscope.tui.virtual_list import VirtualList

if TYPE_CHECKING:
    from attscope.capture.live import LiveCapture

TABS = ("connections", "flow", "transactions", "gatt", "violations", "packets", "devices",
        "security", "health")  # fmt: skip
NOTES_PER_TICK = 3  # live packet-level notes shown at once; a burst of them is summed up
_PACKET_NEWS = re.compile(r"packet\(s\) lost|skipped \d+ byte|dropped a broken frame")
WARNING_LINES = 3  # the source's warnings shown at most, the rest counted
PROGRESS_WIDTH = 22  # the progress bar's columns (#progress in CSS)
WIDE = 120  # columns from which the title and the tabs use their long words
SHORT_TABS = {"connections": "1 Conns", "transactions": "3 Txns", "violations": "5 Viol.",
              "packets": "6 Pkts", "devices": "7 Devs", "security": "8 Sec.",
              "health": "9 Health"}  # fmt: skip
# ModelChanged at most this often while a capture is read: each redraw takes the GIL
# from the analysis (at 10 a 200,000-frame capture took 15% longer to analyse)
REDRAWS_PER_S = 4
SEARCH_PATIENCE = 0.5  # s a search runs before it says how far it got
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
    .legend { height: 1; padding: 0 1; color: $text-muted; }
    #packets-list { height: 1fr; }
    PacketDetail { height: 1fr; min-height: 6; }
    #gatt-tree { height: 1fr; }
    """
    # the footer shows them in this order after the panel's own: what must stay on an 80
    # column terminal (quit, export, help, the filter) comes first
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help"),
        # the keys that open a place to type are priority bindings: the app runs them as
        # soon as it reads them, so the keys after them go there too (a paste, a fast
        # typist, lag over SSH), none to the panel as a command; see check_action
        Binding("e", "export", "Export", priority=True),
        Binding("f", "focus_filter", "Filter", priority=True),
        Binding("slash", "search", "Search", priority=True),
        Binding("colon", "goto", "Go to frame", priority=True),
        Binding("n", "search_next", "Next match", show=False),
        Binding("a", "all_connections", "All conns"),
        Binding("T", "time_mode", "Time"),
        Binding("t", "time_reference", "Time ref", show=False),
        Binding("c", "copy", "Copy"),
        Binding("v", "values", "Values"),
        Binding("1", "tab('connections')", "Connections", show=False),
        Binding("2", "tab('flow')", "Flow", show=False),
        Binding("3", "tab('transactions')", "Transactions", show=False),
        Binding("4", "tab('gatt')", "GATT", show=False),
        Binding("5", "tab('violations')", "Violations", show=False),
        Binding("6", "tab('packets')", "Packets", show=False),
        Binding("7", "tab('devices')", "Devices", show=False),
        Binding("8", "tab('security')", "Security", show=False),
        Binding("9", "tab('health')", "Health", show=False),
        Binding("escape", "escape", "Back", show=False),
    ]

    def __init__(
        self, source: Source, uuid_names: dict[str, str] | None = None, keys: Keys | None = None
    ) -> None:
        super().__init__()
        self.source = source
        self.model = CaptureModel(source.name, uuid_names, keys)
        self.focus_conn: int | None = None  # connection index, None: all
        self.filter: Filter = EVERYTHING
        self._stop = threading.Event()
        self._change_waiting = threading.Event()  # a ModelChanged is posted, not yet read
        self._pause_waiting = threading.Event()  # a SourcePaused likewise
        self._posted_at = 0.0  # when the last ModelChanged was posted
        self._seen_version = -1
        self._done_seen = False
        self._last_search = ""
        self.first_screen_at: float | None = None  # when the first rows were drawn
        self.exit_after: str | None = None  # "first-screen" | "analysed": benchmarks
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
        model = self.model
        with TabbedContent(id="tabs", initial=initial):
            yield ConnectionsPanel(model)
            yield FlowPanel(model)
            yield TransactionsPanel(model, live)
            yield GattPanel(model, live)
            yield ViolationsPanel(model)
            yield PacketsPanel(model)
            yield DevicesPanel(model, live)
            yield SecurityPanel(model)
            yield HealthPanel(model)
        yield PromptBar()
        yield Footer()

    def on_mount(self) -> None:
        self.current_panel().is_shown = True
        self._rescope()
        self.ingest()
        self.current_panel().focus_content()

    def panels(self) -> list[Panel]:
        return list(self.query(Panel))

    def panel(self, kind: str) -> Panel:
        return self.query_one(f"#{kind}", Panel)

    def current_panel(self) -> Panel:
        return self.panel(self.query_one(TabbedContent).active)

    def list_of(self, name: str) -> VirtualList:
        """A panel's list (the tests read them)."""
        return self.panel(name).list_widget()

    def views(self) -> dict[str, View]:
        """The views the filter scan completes, by panel."""
        return {name: view for panel in self.panels() for name, view in panel.views().items()}

    def settled(self) -> bool:
        """The capture analysed, every filter scan done and the last change shown."""
        model = self.model
        return (
            model.done
            and self._seen_version == model.version
            and all(v.complete for v in self.views().values())
        )

    # -- ingest: the worker posts, the panels react ---------------------------------------

    @work(thread=True, exclusive=True, group="ingest")
    def ingest(self) -> None:
        def warnings() -> list[str]:
            return list(self.source.describe().get("warnings", []))

        self.model.on_change = self._changed
        pause = self._paused if self.source.live is not None else None
        try:
            self.model.ingest(
                self.source.frames(), self.source.total_bytes, self._stop, warnings, pause
            )
        except (CaptureError, OSError) as exc:  # the source broke off: say so, keep what came
            self.model.error = str(exc)
            self.model.finish(warnings())

    def _changed(self) -> None:
        """(ingest thread) One ModelChanged waiting at a time, which reads the latest, and
        at most REDRAWS_PER_S while the capture is read: drawing competes with reading."""
        now = time.monotonic()
        if self._change_waiting.is_set():
            return
        if not self.model.done and now - self._posted_at < 1 / REDRAWS_PER_S:
            return  # the next batch, a pause or the end says it
        self._posted_at = now
        self._change_waiting.set()
        self.post_message(ModelChanged())

    def _paused(self) -> None:
        if not self._pause_waiting.is_set():
            self._pause_waiting.set()
            self.post_message(SourcePaused())

    def _shutting_down(self) -> bool:
        # closing (quit sets _stop): the widgets go one by one
        return not self.is_running or self._stop.is_set()

    @on(ModelChanged)
    def _model_changed(self) -> None:
        self._change_waiting.clear()  # cleared first: a change after this posts again
        model = self.model
        if self._shutting_down() or model.version == self._seen_version:
            return
        self._seen_version = model.version
        for panel in self.panels():
            panel.model_changed()
        if model.done and not self._done_seen:
            self._done_seen = True
            for panel in self.panels():
                panel.analysis_done()
            self._show_warnings()
        self._show_title()
        self._advance_views()
        if self.first_screen_at is None and len(model.frames):
            self.first_screen_at = time.perf_counter()
            if self.exit_after == "first-screen":
                self.call_after_refresh(self.exit)
        self._exit_if_analysed()

    def _exit_if_analysed(self) -> None:
        if self.exit_after == "analysed" and self.settled():
            self.call_after_refresh(self.exit)

    @on(SourcePaused)
    def _source_paused(self) -> None:
        """A live source's state into the title; its news as notifications."""
        self._pause_waiting.clear()
        live = self.source.live
        if self._shutting_down() or live is None:
            return
        if self.model.version != self._seen_version:  # a change the rate left unsaid
            self._model_changed()
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
        title = Text(no_wrap=True, overflow="ellipsis")
        counts = (len(model.frames), len(model.transactions), len(model.violations))
        if self.size.width >= WIDE:
            rest = "  {} frames, {} transactions, {} violations".format(*counts)
        else:  # narrow: what is focused and filtered must stay in sight
            rest = "  {} fr {} txn {} viol.".format(*counts)
        rest += f" ({state})  [{safe(self._focus_name())}]"
        status = f"  {safe(model.status)}" if model.status else ""
        shows_bar = not model.done and self.source.total_bytes is not None
        width = self.size.width - (PROGRESS_WIDTH if shows_bar else 0)
        room = width - len(" attscope  ") - len(status) - len(rest) - 1
        title.append(f" attscope  {_shortened(safe(model.name), max(12, room))}", "bold")
        if status:  # live: the port's state comes first, it is what changes
            title.append(status, "yellow")
        title.append(rest)
        if not self.filter.empty:
            scans = [v.scanned for v in self.views().values() if not v.complete]
            if scans:  # a big capture: the filter is still looking
                title.append(f"  [filtering {100 * min(scans):.0f}%]", "yellow")
            else:
                title.append("  [filtered]", "yellow")
        if any(CUT in warning for warning in model.warnings):
            title.append("  [packets cut by the log: ATT values missing]", "bold red")
        self.query_one("#title", Static).update(title)
        bar = self.query_one("#progress", ProgressBar)
        bar.update(progress=model.progress * 100)
        bar.display = shows_bar

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

    # -- scope: the focused connection and the filter, for every panel --------------------

    def _rescope(self) -> None:
        for panel in self.panels():
            panel.set_scope(self.focus_conn, self.filter)
        self._show_title()
        self._advance_views()

    def _advance_views(self) -> None:
        if any(not v.complete for v in self.views().values()):
            self._filter_worker()

    @work(thread=True, exclusive=True, group="filter")
    def _filter_worker(self) -> None:
        worker = get_current_worker()
        panels = {panel: named for panel in self.panels() if (named := panel.views())}
        views = [(panel, view) for panel, named in panels.items() for view in named.values()]
        while any(not view.complete for _, view in views):
            for panel, view in views:
                if worker.is_cancelled or panel.views() != panels[panel]:
                    return  # the views were rebuilt: a newer worker scans those
                if view.advance(20000):
                    self.call_from_thread(self._rows_grew, panel)
        if not worker.is_cancelled:
            self.call_from_thread(self._scan_done, list(panels))

    def _rows_grew(self, panel: Panel) -> None:
        """On the UI thread: a panel's view has more rows. The worker may finish while the
        app closes, its widgets already gone: then there is nothing to draw."""
        if not self._shutting_down():
            panel.rows_grew()
            self._show_title()  # the filter's progress

    def _scan_done(self, panels: list[Panel]) -> None:
        if self._shutting_down():
            return
        for panel in panels:
            panel.scan_done()
        self._show_title()
        self._exit_if_analysed()

    # -- what a panel asks of another ------------------------------------------------------

    @on(FocusConnection)
    def _focus_connection(self, event: FocusConnection) -> None:
        conn = event.connection
        self.focus_conn = None if conn is None else self.model.connection_index(conn)
        self._rescope()
        self.notify(f"focus: {safe(self._focus_name())}", timeout=2)

    @on(ShowInFlow)
    def _show_in_flow(self, event: ShowInFlow) -> None:
        flow = self.panel("flow")
        assert isinstance(flow, FlowPanel)
        flow.show_frame(event.frame)

    @on(GoToFrame)
    def _go_to(self, event: GoToFrame) -> None:
        self._go_to_frame(event.frame)

    def _go_to_frame(self, number: int) -> None:
        """Show a frame in the packet list (clearing a filter that hides it)."""
        packets = self.panel("packets")
        assert isinstance(packets, PacketsPanel)
        index = packets.index_of(number)
        if index is None:
            if not 1 <= number <= len(self.model.frames):
                self.notify(f"no frame {number}", severity="warning")
                return
            self.filter, self.focus_conn = EVERYTHING, None
            self.query_one("#filter", Input).value = ""
            self._rescope()
            index = number - 1
        if self.query_one(TabbedContent).active != "packets":
            self.notify(f"frame {number}: shown in the Packets panel (6)", timeout=2)
        self.action_tab("packets")
        packets.show_frame(index)

    def on_resize(self) -> None:
        """Short tab names and title below WIDE columns, long ones above."""
        found = self.query(TabbedContent)
        if not found:
            return  # not composed yet
        tabs = found.first()
        wide = self.size.width >= WIDE
        for panel in self.panels():
            label = panel.TITLE if wide else SHORT_TABS.get(panel.KIND, panel.TITLE)
            tabs.get_tab(panel).label = label
        self._show_title()

    @on(TabbedContent.TabActivated, "#tabs")
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        for panel in self.panels():
            panel.is_shown = panel.id == event.pane.id
            if panel.is_shown:  # by key or by click: its detail is drawn now
                panel.shown()

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
        self._rescope()
        self.current_panel().focus_content()

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
        panel = self.current_panel()
        if isinstance(panel, GattPanel):
            self.notify("search works on the lists; the filter bar narrows the GATT tree")
            return
        self._search_worker(panel.list_widget(), self._last_search)

    @work(thread=True, exclusive=True, group="search")
    def _search_worker(self, widget: VirtualList, needle: str) -> None:
        """From the row after the cursor to the end, then from the top back to it; a long
        search says it is running and how far it got."""
        source = widget.source
        total = len(source)
        cursor = widget.cursor
        began = time.monotonic()
        told = 0.0
        chunk = 256
        for looked, first in enumerate(_search_order(cursor, total, chunk)):
            now = time.monotonic()
            if now - began > SEARCH_PATIENCE and now - told > SEARCH_PATIENCE:
                told = now
                done = min(100, 100 * looked * chunk // max(1, total))
                self.call_from_thread(self.notify, f"searching {total} rows: {done}%", timeout=1)
            rows = source.rows(first, min(total, first + chunk), 160)
            for offset, row in enumerate(rows):
                if needle in row.plain.lower():
                    found = first + offset
                    if found <= cursor:
                        self.call_from_thread(self.notify, "search wrapped to the top", timeout=2)
                    self.call_from_thread(widget.move_to, found)
                    return
        self.call_from_thread(self.notify, f"{safe(needle)!r} not found", timeout=3)

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
        panels = [(str(panel.TITLE), list(panel.BINDINGS)) for panel in self.panels()]
        legends = [(str(panel.TITLE), panel.LEGEND) for panel in self.panels() if panel.LEGEND]
        self.push_screen(HelpScreen(self.BINDINGS, panels, legends))

    def action_tab(self, name: str) -> None:
        self.query_one(TabbedContent).active = name
        self.current_panel().focus_content()

    def action_time_mode(self) -> None:
        """The time columns' next mode: capture, UTC, delta, since the connection, from
        the reference row."""
        self.model.clock.cycle()
        self._time_changed()

    def action_time_reference(self) -> None:
        found = self.current_panel().time_at_cursor()
        if found is None:
            self.notify("no row with a time here to take as the reference", severity="warning")
            return
        self.model.clock.set_reference(*found)
        self._time_changed()

    def _time_changed(self) -> None:
        for panel in self.panels():
            panel.redraw()
        self.notify(f"time: {self.model.clock.describe()}", timeout=3)

    def action_all_connections(self) -> None:
        self.focus_conn = None
        self._rescope()

    def action_escape(self) -> None:
        self.current_panel().focus_content()

    def action_values(self) -> None:
        """Every value of the attribute under the cursor, over time, on a screen."""
        target = self.current_panel().value_target()
        if target is None:
            self.notify("no attribute under the cursor: v works on a characteristic or "
                        "descriptor (GATT), a transaction, or an ATT PDU", severity="warning")  # fmt: skip
            return

        def chosen(frame: int | None) -> None:
            if frame is not None:
                self._go_to_frame(frame)

        self.push_screen(ValueTimeline(self.model, target), chosen)

    def action_copy(self) -> None:
        text = self.current_panel().selected_value()
        if text is None:
            self.notify("nothing to copy here", severity="warning")
            return
        refusal = clipboard_refusal()
        if refusal is not None:
            self.notify(f"not copied: {refusal}. The value: {safe(text[:200])}",
                        severity="warning", timeout=10)  # fmt: skip
            return
        self.copy_to_clipboard(text)
        # the escape gets no answer: where the terminal refuses it, nothing was copied
        self.notify(f"copied {safe(text[:40])} (through the terminal's clipboard escape, "
                    "OSC 52; a terminal that refuses it copies nothing)", timeout=4)  # fmt: skip

    def action_export(self) -> None:
        active = self.query_one(TabbedContent).active
        if not exportable(active):
            self.notify(f"the {active} panel has no export", severity="warning")
            return
        stem = Path(self.model.name).stem
        default = f"attscope-{stem}-{active}.jsonl"
        title = self.current_panel().TITLE.split(" ", 1)[-1]
        self.query_one(Prompt).ask(f"export the {title} panel as JSON Lines", "", self._export,
                                   default, _writes)  # fmt: skip

    def _export(self, path: str) -> None:
        if not path.strip():
            return
        self._export_worker(self.current_panel(), path.strip())

    @work(thread=True, group="export")
    def _export_worker(self, panel: Panel, path: str) -> None:
        view = panel.views().get(panel.KIND)
        try:
            count = export_view(
                self.model, panel.KIND, view, panel.focused_connection_id(),
                str(Path(path).expanduser()), self.source.describe(),
            )  # fmt: skip
        except OSError as exc:
            self.call_from_thread(self.notify, f"export failed: {exc}", severity="error")
            return
        where = safe(str(Path(path).expanduser().resolve()))
        self.call_from_thread(self.notify, f"exported {count} records to {where}", timeout=8)

    def on_unmount(self) -> None:
        self._stop_source()

    async def action_quit(self) -> None:
        self._stop_source()
        self.exit()

    def _stop_source(self) -> None:
        self._stop.set()
        if self.source.live is not None:
            self.source.live.close()


def _shortened(name: str, room: int) -> str:
    """A file name cut in its middle to `room` characters: its start and its end (often
    the date or the kind of log) both say something."""
    if len(name) <= room:
        return name
    keep = room - 1
    return name[: keep - keep // 2] + "…" + name[len(name) - keep // 2 :]


def _search_order(cursor: int, total: int, chunk: int) -> list[int]:
    """The first rows of the chunks a search reads: below the cursor, then from the top."""
    below = list(range(cursor + 1, total, chunk))
    return below + list(range(0, min(cursor + 1, total), chunk))


def _writes(path: str) -> str:
    """What the export prompt will do with the path typed so far."""
    if not path.strip():
        return "type a file name"
    return f"writes {Path(path.strip()).expanduser().resolve()}"


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
