"""`v`: every read, write, notification and indication of one attribute in time order,
with its value decoded, on a screen of its own; `e` there writes them as CSV or JSON Lines
(by the file's extension), Enter opens the frame of one."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import msgspec
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from attscope.atomic import replaced_on_success
from attscope.capture.summary import iso_time
from attscope.dissector.analysis.analysis_records import OTHER_SIDE
from attscope.dissector.analysis.gatt_db import GattDatabase
from attscope.dissector.decoding import att_pdus as att
from attscope.tui.model import CaptureModel, FlowRecord
from attscope.tui.prompt import Prompt, PromptBar
from attscope.tui.rows import safe
from attscope.tui.virtual_list import VirtualList

_A = att.AttOpcode
KINDS: dict[int, str] = {
    _A.READ_RSP: "read",
    _A.WRITE_REQ: "write",
    _A.WRITE_CMD: "write without response",
    _A.SIGNED_WRITE_CMD: "signed write",
    _A.HANDLE_VALUE_NTF: "notification",
    _A.HANDLE_VALUE_IND: "indication",
}
FIELDS = ("frame", "time", "seconds", "connection", "kind", "sender", "length", "value",
          "decoded")  # fmt: skip


class Target(msgspec.Struct, frozen=True):
    """An attribute of one server: its handle, and the connections (by index) and the side
    on each that is its server."""

    handle: int
    servers: tuple[tuple[int, str], ...]
    name: str


class Entry(msgspec.Struct, frozen=True, gc=False):
    frame: int
    ts_us: int
    connection: str
    kind: str
    sender: str
    length: int
    preview: bytes  # the value's first bytes (the flow keeps no more)
    decoded: str


def server_target(model: CaptureModel, db: GattDatabase, handle: int, name: str) -> Target:
    """An attribute of a database, on every connection the database serves (a device seen
    under several addresses has one database)."""
    servers = []
    with model.lock:
        for conn_id in sorted(db.connections):
            index = model.connection_index(conn_id)
            if index is None:
                continue
            for side in ("remote", "local", "peripheral", "central"):
                if model.analyzer.gatt_for(conn_id, side) is db:
                    servers.append((index, side))
    return Target(handle, tuple(servers), name)


def flow_target(model: CaptureModel, record: FlowRecord) -> Target | None:
    """The attribute an ATT PDU is about, if it names one."""
    if record.about < 0:
        return None
    server = _server(record)
    name = model.attribute_name(record.connection, server, record.about) or ""
    return Target(record.about, ((record.connection, server),), name)


def timeline(model: CaptureModel, target: Target) -> list[Entry]:
    """The values of the target attribute, oldest first."""
    found: list[Entry] = []
    for connection, server in target.servers:
        conn_id = model.connection_ids[connection]
        for position in model.flows_of.get(connection, ()):
            record = model.flows[position]
            kind = KINDS.get(record.opcode)
            if kind is None or record.about != target.handle or _server(record) != server:
                continue
            found.append(Entry(record.frame, record.ts_us, conn_id, kind, record.side,
                               record.value_len, record.value, record.decoded))  # fmt: skip
    found.sort(key=lambda e: e.frame)
    return found


def _server(record: FlowRecord) -> str:
    return record.side if record.role == "server" else OTHER_SIDE.get(record.side, record.side)


def full_value(model: CaptureModel, entry: Entry) -> bytes:
    """The whole value, decoded again from its frame (the flow keeps the first bytes)."""
    found = model.packet(entry.frame)
    value = getattr(found[1].pdu, "value", None) if found is not None else None
    return value if isinstance(value, bytes) else entry.preview


def export_timeline(model: CaptureModel, entries: list[Entry], path: str) -> int:
    """Write the entries as CSV (a .csv path) or JSON Lines (any other); returns how many."""
    rows = []
    first = model.first_ts or 0
    for entry in entries:
        value = full_value(model, entry)
        rows.append({
            "frame": entry.frame,
            "time": iso_time(entry.ts_us),
            "seconds": round((entry.ts_us - first) / 1e6, 6),
            "connection": entry.connection,
            "kind": entry.kind,
            "sender": entry.sender,
            "length": entry.length,
            "value": value.hex(),
            "decoded": entry.decoded or None,
        })  # fmt: skip
    target = Path(path).expanduser()
    with replaced_on_success(target) as temporary, open(temporary, "wb") as out:
        if target.suffix.lower() == ".csv":
            text = io.StringIO()
            writer = csv.DictWriter(text, fieldnames=FIELDS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
            out.write(text.getvalue().encode())
        else:
            for row in rows:
                out.write(msgspec.json.encode(row) + b"\n")
    return len(rows)


class _Rows:
    def __init__(self, model: CaptureModel, entries: list[Entry]) -> None:
        self.model, self.entries = model, entries

    def __len__(self) -> int:
        return len(self.entries)

    def rows(self, start: int, stop: int, width: int) -> list[Text]:
        out = []
        first = self.model.first_ts or 0
        for entry in self.entries[start:stop]:
            shown = entry.decoded or entry.preview[:16].hex(" ")
            row = Text(no_wrap=True)
            row.append(f"{entry.frame:>7} {(entry.ts_us - first) / 1e6:>12.6f} ")
            row.append(f"{safe(entry.connection)[:12]:<12} {entry.kind:<22} ", "cyan")
            row.append(f"{safe(entry.sender)[:10]:<10} {entry.length:>6}  {safe(shown)}")
            out.append(row)
        return out


class ValueTimeline(ModalScreen[int | None]):
    """The screen; dismissed with the frame chosen (Enter) or None."""

    DEFAULT_CSS = """
    ValueTimeline { align: center middle; }
    ValueTimeline > Vertical { width: 95%; height: 90%; border: round $accent;
                               background: $surface; }
    ValueTimeline #timeline-title { height: auto; padding: 0 1; }
    ValueTimeline VirtualList { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape,q", "close", "Close"),
        Binding("e", "export", "Export CSV/JSONL"),
    ]

    def __init__(self, model: CaptureModel, target: Target) -> None:
        super().__init__()
        self.model, self.target = model, target
        self.entries = timeline(model, target)

    def compose(self) -> ComposeResult:
        with Vertical():
            title = Text(no_wrap=True)
            title.append(f"values of 0x{self.target.handle:04x} {safe(self.target.name)}", "bold")
            title.append(f": {len(self.entries)} reads, writes, notifications and indications; "
                         "Enter opens the frame, e exports")  # fmt: skip
            yield Static(title, id="timeline-title")
            header = (f"{'frame':>7} {'time (s)':>12} {'connection':<12} {'kind':<22} "
                      f"{'sender':<10} {'length':>6}  value")  # fmt: skip
            yield VirtualList(header, id="timeline-list")
            yield PromptBar()

    def on_mount(self) -> None:
        widget = self.query_one(VirtualList)
        widget.set_source(_Rows(self.model, self.entries))
        widget.focus()

    @on(VirtualList.Chosen)
    def _chosen(self, event: VirtualList.Chosen) -> None:
        if 0 <= event.index < len(self.entries):
            self.dismiss(self.entries[event.index].frame)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_export(self) -> None:
        name = f"attscope-values-0x{self.target.handle:04x}.csv"
        prompt = self.query_one(Prompt)
        prompt.ask("export the values (.csv: CSV, else JSON Lines)", "", self._export, name,
                   lambda path: f"writes {Path(path.strip() or '.').expanduser().resolve()}")  # fmt: skip

    def _export(self, path: str) -> None:
        if path.strip():
            self._export_worker(path.strip())

    @work(thread=True, group="timeline-export")
    def _export_worker(self, path: str) -> None:
        try:
            count = export_timeline(self.model, self.entries, path)
        except OSError as exc:
            self.app.call_from_thread(self.notify, f"export failed: {exc}", severity="error")
            return
        where = safe(str(Path(path).expanduser().resolve()))
        self.app.call_from_thread(self.notify, f"exported {count} values to {where}",
                                  timeout=8)  # fmt: skip
