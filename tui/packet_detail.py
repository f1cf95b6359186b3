"""The packet detail pane: what the capture and the sniffer recorded, each layer's fields
as a tree in readable words (handles named, values decoded, enumerations by name), the
request or answer it pairs with, and the frame's bytes with the chosen layer or field
highlighted. Enter on a link (or on the row in the list) follows it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from attscope.capture.frame import Direction, Frame, SnifferInfo
from attscope.dissector.analysis.analysis_records import OTHER_SIDE
from attscope.dissector.decoding import att_pdus as att
from attscope.dissector.decoding.decoder import Packet
from attscope.text.field_text import field_label, field_value, type_label
from attscope.text.packet_text import layer_label, value_text
from attscope.tui.byte_spans import Span, field_spans, layer_spans
from attscope.tui.messages import GoToFrame
from attscope.tui.model import CaptureModel, FlowRecord
from attscope.tui.rows import safe

_HIGHLIGHT = "black on yellow"
_WRAP_BYTES = 16  # bytes per line of a long value
_MAX_BYTES = 1024  # a value's bytes shown at most (the hex pane has them all)
_WRAP_TEXT = 72  # characters per line of a long text
DIRECTIONS = {
    Direction.HOST_TO_CONTROLLER: "host → controller",
    Direction.CONTROLLER_TO_HOST: "controller → host",
    Direction.CENTRAL_TO_PERIPHERAL: "central → peripheral",
    Direction.PERIPHERAL_TO_CENTRAL: "peripheral → central",
    Direction.UNKNOWN: "direction unknown",
}
PHYS = {0: "LE 1M", 1: "LE 2M", 2: "LE Coded"}


class FrameLink(msgspec.Struct, frozen=True):
    """A tree node that leads to another frame."""

    frame: int


def hex_text(data: bytes, span: Span | None, width: int = 16) -> Text:
    """A hex dump as Text, the bytes of `span` highlighted in both columns."""
    out = Text(no_wrap=True)
    for start in range(0, len(data), width):
        chunk = data[start : start + width]
        out.append(f"{start:04x}  ", "dim")
        for i, byte in enumerate(chunk):
            lit = span is not None and span[0] <= start + i < span[1]
            out.append(f"{byte:02x}", _HIGHLIGHT if lit else "")
            out.append(" ")
        out.append("   " * (width - len(chunk)) + " ")
        for i, byte in enumerate(chunk):
            lit = span is not None and span[0] <= start + i < span[1]
            out.append(chr(byte) if 0x20 <= byte < 0x7F else ".", _HIGHLIGHT if lit else "")
        if start + width < len(data):
            out.append("\n")
    return out


def sniffer_lines(info: SnifferInfo, direction: Direction, guessed: bool) -> list[str]:
    """What an air sniffer recorded with a packet, in words."""
    lines = []
    if info.channel is not None:
        kind = "advertising" if info.channel >= 37 else "data"
        lines.append(f"channel {info.channel} ({kind})")
    if info.rssi is not None:
        lines.append(f"RSSI {info.rssi} dBm")
    if info.noise is not None:
        lines.append(f"noise {info.noise} dBm")
    lines.append(f"PHY {PHYS.get(info.phy, f'0x{info.phy:02x}')}")
    crc = "not checked" if info.crc_ok is None else ("ok" if info.crc_ok else "bad")
    lines.append(f"CRC {crc}")
    if info.encrypted:
        mic = "not checked" if info.mic_ok is None else ("ok" if info.mic_ok else "failed")
        lines.append(f"encrypted, MIC {mic}" + (", decrypted" if info.decrypted else ""))
    if info.event_counter is not None:
        lines.append(f"connection event {info.event_counter}")
    way = DIRECTIONS[direction]
    lines.append(f"sender {way}" + (" (guessed from the link layer)" if guessed else ""))
    return lines


class PacketDetail(Horizontal):
    """Field tree on the left, hex on the right."""

    DEFAULT_CSS = """
    PacketDetail { height: 1fr; }
    PacketDetail > Tree { width: 1fr; }
    PacketDetail > #hex { width: auto; overflow-y: auto; padding: 0 1; }
    """

    def __init__(self, model: CaptureModel | None = None) -> None:
        super().__init__()
        self.model = model
        self.link: int | None = None  # the frame this packet pairs with, if any

    def compose(self) -> ComposeResult:
        tree: Tree[Any] = Tree(Text("no packet chosen"), id="fields")
        tree.show_root = True
        yield tree
        yield Static(Text(""), id="hex")

    def show(self, frame: Frame, packet: Packet) -> None:
        self._payload = frame.payload
        self.link = None
        tree: Tree[Any] = self.query_one("#fields", Tree)
        tree.clear()
        way = DIRECTIONS[packet.direction] + (" (guessed)" if packet.side_guessed else "")
        tree.root.set_label(Text(f"Frame {frame.index}: {len(frame.payload)} bytes, {way}"))
        tree.root.data = (0, len(frame.payload))
        tree.root.add_leaf(Text(self._when(frame, packet)))
        if frame.orig_len is not None and frame.orig_len > len(frame.payload):
            tree.root.add_leaf(Text(f"the log kept {len(frame.payload)} of its "
                                    f"{frame.orig_len} bytes: the rest is missing", "bold red"))  # fmt: skip
        if frame.sniffer is not None:
            sniffer = tree.root.add(Text("Sniffer", "bold"), expand=True)
            for line in sniffer_lines(frame.sniffer, packet.direction, packet.side_guessed):
                sniffer.add_leaf(Text(line))
        found = self.model.flow_at(frame.index) if self.model is not None else None
        spans = layer_spans(frame.payload, packet.layers)
        for layer, span in zip(packet.layers, spans, strict=True):
            label = Text(f"{layer_label(layer)}: {safe(_name(layer))}", "bold")
            node = tree.root.add(label, data=span, expand=True)
            record = found[1] if found is not None and isinstance(layer, att.AttPdu) else None
            _fields(node, layer, field_spans(layer, span), names=self._namer(record))
            if record is not None and found is not None:
                self._att_extras(node, found[0], record)
        if packet.fragments:
            tree.root.add_leaf(
                Text(f"reassembled from frames {', '.join(map(str, packet.fragments))}", "dim")
            )
        tree.root.expand()
        self.highlight(None)

    def _when(self, frame: Frame, packet: Packet) -> str:
        """The frame's time (UTC, and since the first frame) and its connection."""
        when = datetime.fromtimestamp(frame.ts_us / 1e6, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        since = ""
        if self.model is not None and self.model.first_ts is not None:
            since = f", {(frame.ts_us - self.model.first_ts) / 1e6:.6f} s in"
        conn = f"; connection {packet.connection}" if packet.connection else ""
        return f"{when} UTC{since}{conn}"

    def _namer(self, record: FlowRecord | None) -> Any:
        """Names a handle of this ATT PDU by its server's database."""
        model = self.model
        if model is None or record is None:
            return None
        server = (
            record.side if record.role == "server" else OTHER_SIDE.get(record.side, record.side)
        )

        def name(handle: int) -> str | None:
            return model.handle_text(record.connection, server, handle)

        return name

    def _att_extras(self, node: TreeNode[Any], position: int, record: FlowRecord) -> None:
        """The value decoded, and the request or answer this PDU pairs with."""
        assert self.model is not None
        if record.decoded:
            node.add_leaf(Text(f"value decoded: {safe(record.decoded)}", "bold"))
        if record.expected:
            node.add_leaf(Text("the normal end of a discovery or long read, not a failure"))
        if record.pair >= 0:
            self.link = record.pair
            node.add_leaf(Text(f"answers frame {record.pair} (Enter goes there)", "cyan"),
                          data=FrameLink(record.pair))  # fmt: skip
        elif record.opcode in att.REQUESTS or record.opcode == att.AttOpcode.HANDLE_VALUE_IND:
            answer = self.model.answer_to(position, record)
            if answer is None:
                node.add_leaf(Text("no answer in the capture", "yellow"))
            else:
                self.link = answer
                node.add_leaf(Text(f"answered in frame {answer} (Enter goes there)", "cyan"),
                              data=FrameLink(answer))  # fmt: skip

    def highlight(self, span: Any) -> None:
        payload = getattr(self, "_payload", b"")
        pane = self.query_one("#hex", Static)
        width = 16 if self.app.size.width >= 110 else 8  # the field tree keeps half
        pane.update(hex_text(payload, span if isinstance(span, tuple) else None, width))

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[Any]) -> None:
        self.highlight(event.node.data)

    @on(Tree.NodeSelected)
    def _follow(self, event: Tree.NodeSelected[Any]) -> None:
        if isinstance(event.node.data, FrameLink):
            event.stop()
            self.post_message(GoToFrame(event.node.data.frame))


def _name(record: Any) -> str:
    name = getattr(record, "name", None)
    return name if isinstance(name, str) else type_label(type(record).__name__)


def _fields(
    node: TreeNode[Any], record: Any, spans: dict[str, Span], depth: int = 0, names: Any = None
) -> None:
    """`names`: a function naming a handle (an ATT PDU's), or None."""
    if not isinstance(record, msgspec.Struct) or depth > 6:
        return
    for field in msgspec.structs.fields(record):
        value = getattr(record, field.name)
        if value is None:
            continue  # a field that holds nothing says nothing
        span = spans.get(field.name)
        label = field_label(field.name)
        if isinstance(value, msgspec.Struct):
            child = node.add(Text(f"{label}: {safe(_name(value))}"), data=span)
            _fields(child, value, {}, depth + 1, names)
        elif isinstance(value, list | tuple) and value and not isinstance(value[0], int):
            child = node.add(Text(f"{label}: {len(value)} entries"), data=span)
            for i, item in enumerate(value[:256]):
                name = _name(item) if isinstance(item, msgspec.Struct) else value_text(item)
                grand = child.add(Text(f"[{i}] {safe(name)}"), data=span)
                _fields(grand, item, {}, depth + 2, names)
        elif isinstance(value, bytes | bytearray | memoryview) and len(value) > _WRAP_BYTES:
            data = bytes(value)
            child = node.add(Text(f"{label}: {len(data)} bytes"), data=span, expand=True)
            for start in range(0, min(len(data), _MAX_BYTES), _WRAP_BYTES):
                child.add_leaf(Text(data[start : start + _WRAP_BYTES].hex(" "), "dim"), data=span)
            if len(data) > _MAX_BYTES:
                child.add_leaf(Text(f"... {len(data) - _MAX_BYTES} more (the hex pane)", "dim"))
        else:
            text = field_value(record, field.name, value) or value_text(value)
            if names is not None and isinstance(value, int) and field.name.endswith("handle"):
                known = names(value)
                if known:
                    text += f" ({known})"
            _leaf(node, f"{label}: {text}", span)


def _leaf(node: TreeNode[Any], text: str, span: Span | None) -> None:
    """A field, a long one wrapped over lines under its first."""
    text = safe(text)
    if len(text) <= _WRAP_TEXT:
        node.add_leaf(Text(text), data=span)
        return
    child = node.add(Text(text[:_WRAP_TEXT] + " …"), data=span, expand=True)
    for start in range(_WRAP_TEXT, len(text), _WRAP_TEXT):
        child.add_leaf(Text(text[start : start + _WRAP_TEXT]), data=span)
