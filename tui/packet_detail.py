"""The packet detail pane: each layer's fields as a tree, and the frame's bytes with the
chosen layer or field highlighted."""

from __future__ import annotations

from typing import Any

import msgspec
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from attscope.capture.frame import Frame
from attscope.dissector.decoding.decoder import Packet
from attscope.text.packet_text import layer_label, record_name, value_text
from attscope.tui.byte_spans import Span, field_spans, layer_spans
from attscope.tui.rows import safe

_HIGHLIGHT = "black on yellow"


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


class PacketDetail(Horizontal):
    """Field tree on the left, hex on the right."""

    DEFAULT_CSS = """
    PacketDetail { height: 1fr; }
    PacketDetail > Tree { width: 1fr; }
    PacketDetail > #hex { width: auto; overflow-y: auto; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        tree: Tree[Span | None] = Tree(Text("no packet chosen"), id="fields")
        tree.show_root = True
        yield tree
        yield Static(Text(""), id="hex")

    def show(self, frame: Frame, packet: Packet) -> None:
        self._payload = frame.payload
        tree: Tree[Span | None] = self.query_one("#fields", Tree)
        tree.clear()
        title = f"Frame {frame.index}: {len(frame.payload)} bytes, {frame.direction.name.lower()}"
        tree.root.set_label(Text(title))
        tree.root.data = (0, len(frame.payload))
        spans = layer_spans(frame.payload, packet.layers)
        for layer, span in zip(packet.layers, spans, strict=True):
            label = Text(f"{layer_label(layer)}: {safe(record_name(layer))}", "bold")
            node = tree.root.add(label, data=span, expand=True)
            _fields(node, layer, field_spans(layer, span))
        if packet.fragments:
            tree.root.add_leaf(
                Text(f"reassembled from frames {', '.join(map(str, packet.fragments))}", "dim")
            )
        tree.root.expand()
        self.highlight(None)

    def highlight(self, span: Span | None) -> None:
        payload = getattr(self, "_payload", b"")
        pane = self.query_one("#hex", Static)
        width = 16 if self.app.size.width >= 110 else 8  # the field tree keeps half
        pane.update(hex_text(payload, span, width))

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[Any]) -> None:
        self.highlight(event.node.data)


def _fields(node: TreeNode[Any], record: Any, spans: dict[str, Span], depth: int = 0) -> None:
    if not isinstance(record, msgspec.Struct) or depth > 6:
        return
    for field in msgspec.structs.fields(record):
        value = getattr(record, field.name)
        span = spans.get(field.name)
        if isinstance(value, msgspec.Struct):
            child = node.add(Text(f"{field.name}: {safe(record_name(value))}"), data=span)
            _fields(child, value, {}, depth + 1)
        elif isinstance(value, list | tuple) and value and not isinstance(value[0], int):
            child = node.add(Text(f"{field.name}: {len(value)} entries"), data=span)
            for i, item in enumerate(value[:256]):
                name = record_name(item) if isinstance(item, msgspec.Struct) else value_text(item)
                grand = child.add(Text(f"[{i}] {safe(name)}"), data=span)
                _fields(grand, item, {}, depth + 2)
        else:
            node.add_leaf(Text(f"{field.name}: {safe(value_text(value))}"), data=span)
