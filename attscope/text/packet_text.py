"""Text renderings of decoded records shared by `dump` and the TUI: a one-line summary per
packet, a field tree per layer and a hex dump. Values from captures are only ever formatted, never interpreted."""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum
from typing import Any

import msgspec

from attscope.capture.frame import Direction
from attscope.dissector.decoding.decoder import Packet


def hexdump(data: bytes, width: int = 16) -> list[str]:
    """Offset, hex bytes and printable ASCII, `width` bytes a line."""
    lines = []
    for start in range(0, len(data), width):
        chunk = data[start : start + width]
        hexes = " ".join(f"{b:02x}" for b in chunk)
        text = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        lines.append(f"{start:04x}  {hexes:<{width * 3 - 1}}  {text}")
    return lines


def value_text(value: Any) -> str:
    """One value as text: bytes as hex, enums by name, text quoted with escapes visible."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex(" ") if value else "(empty)"
    if isinstance(value, Enum):
        return f"{value.name} ({value.value})"
    if isinstance(value, str):
        return repr(value)  # control characters and escapes show as escapes
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value} (0x{value:x})" if value > 9 else str(value)
    return str(value)


def record_name(record: Any) -> str:
    name = getattr(record, "name", None)
    return name if isinstance(name, str) else type(record).__name__


def field_tree(record: Any, indent: int = 0) -> Iterator[str]:
    """The fields of a record, nested records and lists indented under their field."""
    pad = "  " * indent
    if not isinstance(record, msgspec.Struct):
        yield f"{pad}{value_text(record)}"
        return
    for field in msgspec.structs.fields(record):
        value = getattr(record, field.name)
        if isinstance(value, msgspec.Struct):
            yield f"{pad}{field.name}: {record_name(value)}"
            yield from field_tree(value, indent + 1)
        elif isinstance(value, list | tuple) and value and not isinstance(value[0], int):
            yield f"{pad}{field.name}: {len(value)} entries"
            for i, item in enumerate(value):
                yield f"{pad}  [{i}] {record_name(item) if isinstance(item, msgspec.Struct) else ''}"
                yield from field_tree(item, indent + 2)
        else:
            yield f"{pad}{field.name}: {value_text(value)}"


# tag prefix -> the layer's short name in one-line listings
_LABELS = (
    ("hci_acl", "ACL"),
    ("hci_sco", "SCO"),
    ("hci_iso", "ISO"),
    ("l2cap", "L2CAP"),
    ("att_", "ATT"),
    ("smp_", "SMP"),
    ("ll_", "LL"),
    ("monitor", "Monitor"),
)


def layer_label(record: Any) -> str:
    """A layer's short name: 'HCI Command', 'ACL', 'L2CAP', 'ATT', 'LL' ..."""
    from attscope.dissector.decoding.hci_commands import HciCommand
    from attscope.dissector.decoding.hci_events import HciEvent
    from attscope.dissector.decoding.pdu import Malformed

    if isinstance(record, Malformed):
        return f"malformed {record.layer}"
    if isinstance(record, HciCommand):
        return "HCI Command"
    if isinstance(record, HciEvent):
        return "HCI Event"
    tag = getattr(getattr(type(record), "__struct_config__", None), "tag", None)
    if isinstance(tag, str):
        for prefix, label in _LABELS:
            if tag.startswith(prefix):
                return label
    return record_name(record)


ARROWS = {
    Direction.HOST_TO_CONTROLLER: "<",  # btmon's marks: < to the controller, > from it
    Direction.CONTROLLER_TO_HOST: ">",
    Direction.CENTRAL_TO_PERIPHERAL: "C->P",
    Direction.PERIPHERAL_TO_CENTRAL: "P->C",
    Direction.UNKNOWN: "",
}


def arrow(packet: Packet) -> str:
    """The packet's direction; a "?" after it when the sender is a guess (an air capture
    that does not record it, and no evidence in the link layer)."""
    mark = ARROWS[packet.direction]
    return mark + "?" if packet.side_guessed else mark


def layer_names(packet: Packet) -> str:
    return " / ".join(layer_label(layer) for layer in packet.layers) or "-"


def summary(record: Any) -> str:
    describe = getattr(record, "summary", None)
    if callable(describe):
        return str(describe())
    reason = getattr(record, "reason", None)
    if reason is not None:  # Malformed: the layer label already says so
        return str(reason)
    return record_name(record)


def line(packet: Packet, start_us: int) -> str:
    seconds = (packet.ts_us - start_us) / 1e6
    conn = packet.connection or "-"
    text = summary(packet.pdu) if packet.layers else "(no packet)"
    if packet.fragments:
        text += f" [reassembled from frames {', '.join(map(str, packet.fragments))}]"
    return (
        f"{packet.frame:>7} {seconds:>12.6f} {conn:<18} {arrow(packet):<4} "
        f"{layer_names(packet)}: {text}"
    )
