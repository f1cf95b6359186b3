"""Text renderings of decoded records shared by `dump` and the TUI: a one-line summary per
packet, a field tree per layer and a hex dump. Values from captures are only ever formatted, never interpreted."""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum
from functools import cache
from typing import Any

import msgspec

from attscope.capture.frame import Direction
from attscope.dissector.decoding.decoder import Packet
from attscope.dissector.decoding.hci_commands import HciCommand
from attscope.dissector.decoding.hci_events import HciEvent
from attscope.dissector.decoding.pdu import Malformed


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
    label = _type_label(type(record))
    if label is not None:
        return label
    if isinstance(record, Malformed):  # the layer it broke in is the record's own
        return f"malformed {record.layer}"
    return record_name(record)


_TYPE_LABELS: dict[type, str | None] = {}


def _type_label(kind: type) -> str | None:
    """The label every record of this type gets, None when it depends on the record: one
    lookup per type, not per record, since a dump labels every layer of every frame."""
    try:
        return _TYPE_LABELS[kind]
    except KeyError:
        label = _TYPE_LABELS[kind] = _label_of(kind)
        return label


def _label_of(kind: type) -> str | None:
    if issubclass(kind, Malformed):
        return None
    if issubclass(kind, HciCommand):
        return "HCI Command"
    if issubclass(kind, HciEvent):
        return "HCI Event"
    tag = getattr(getattr(kind, "__struct_config__", None), "tag", None)
    if isinstance(tag, str):
        for prefix, label in _LABELS:
            if tag.startswith(prefix):
                return label
    return None  # its name, which may be the record's own


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
    layers = packet.layers
    kinds = tuple(map(type, layers))
    names = _stack_names(kinds)  # once per stack of layer types
    if names is None:  # a layer whose label is its own (malformed, named by its record)
        names = " / ".join(map(layer_label, layers))
    return names or "-"


@cache
def _stack_names(kinds: tuple[type, ...]) -> str | None:
    labels = [_type_label(kind) for kind in kinds]
    return None if None in labels else " / ".join(labels)  # type: ignore[arg-type]


# A record's summary is a function of the record alone, and real captures repeat records
# (two thirds of a phone's log are repeats: Number Of Completed Packets, the same
# notification again): each distinct one is described once, while the cache holds it.
_SUMMARIES: dict[Any, str] = {}
SUMMARY_CACHE = 16_384  # records; emptied when full, so memory stays flat


def summary(record: Any) -> str:
    try:
        text = _SUMMARIES.get(record)
    except TypeError:  # a record holding a list is unhashable: described every time
        return _describe(record)
    if text is None:
        text = _describe(record)
        if len(_SUMMARIES) >= SUMMARY_CACHE:
            _SUMMARIES.clear()
        _SUMMARIES[record] = text
    return text


def _describe(record: Any) -> str:
    describe = getattr(record, "summary", None)
    if callable(describe):
        return str(describe())
    reason = getattr(record, "reason", None)
    if reason is not None:  # Malformed: the layer label already says so
        return str(reason)
    return record_name(record)


# What a line holds between its time and its summary (connection, direction, layers)
# repeats from frame to frame: made once per combination while the cache holds it.
_MIDDLES: dict[tuple[Any, ...], str] = {}
MIDDLE_CACHE = 4_096


def line(packet: Packet, start_us: int) -> str:
    seconds = (packet.ts_us - start_us) / 1e6
    layers = packet.layers
    key = (packet.connection, packet.direction, packet.side_guessed, *map(type, layers))
    middle = _MIDDLES.get(key)
    if middle is None:
        conn = packet.connection or "-"
        middle = f"{conn:<18} {arrow(packet):<4} {layer_names(packet)}: "
        if _stack_names(key[3:]) is not None:  # no label of the record's own in it
            if len(_MIDDLES) >= MIDDLE_CACHE:
                _MIDDLES.clear()
            _MIDDLES[key] = middle
    text = summary(layers[-1]) if layers else "(no packet)"
    if packet.fragments:
        text += f" [reassembled from frames {', '.join(map(str, packet.fragments))}]"
    # %-formatting: a third faster than the same f-string, on every frame of a dump
    return "%7d %12.6f %s%s" % (packet.frame, seconds, middle, text)  # noqa: UP031
