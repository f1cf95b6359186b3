"""Where each layer, and each field of a layer, lies in a frame's bytes, so the packet
detail can highlight the field chosen in the tree."""

from __future__ import annotations

import typing
from functools import cache
from typing import Any

from attscope.dissector.decoding.pdu import Fixed, Int

Span = tuple[int, int]  # start, end (exclusive) in the frame's payload


@cache
def _field_sizes(cls: type) -> tuple[tuple[str, int | None], ...]:
    """(field, size) in wire order; size None for the variable-length last field."""
    try:
        hints = typing.get_type_hints(cls, include_extras=True)
    except (NameError, TypeError):
        return ()
    sizes: list[tuple[str, int | None]] = []
    for name in getattr(cls, "__struct_fields__", ()):
        meta = getattr(hints.get(name), "__metadata__", ())
        codec = next((m for m in meta if isinstance(m, Int | Fixed)), None)
        if codec is not None:
            sizes.append((name, codec.size))
        elif meta:
            sizes.append((name, None))
        else:
            return tuple(sizes)  # a field without a wire codec: nothing after it is known
    return tuple(sizes)


def _layout(layer: Any) -> tuple[tuple[str, int | None], ...]:
    kind: type = type(layer)  # as `type`: mypy takes no type[X] for Hashable (python/mypy#11470)
    return _field_sizes(kind)


def _wire(layer: Any) -> tuple[bytes, int] | None:
    """A layer's bytes and the length of its prefix before the first field (an opcode)."""
    to_bytes = getattr(layer, "to_bytes", None)
    if not callable(to_bytes):
        raw = getattr(layer, "raw", None)
        return (raw, 0) if isinstance(raw, bytes) else None
    try:
        whole = to_bytes()
        body = layer.encode_body() if hasattr(layer, "encode_body") else whole
    except (TypeError, ValueError, AttributeError, OverflowError):
        return None
    if not isinstance(whole, bytes):
        return None
    return whole, max(0, len(whole) - len(body)) if isinstance(body, bytes) else 0


def layer_spans(payload: bytes, layers: list[Any]) -> list[Span | None]:
    """Each layer's bytes in the payload, found in order; None where it is not there (a
    PDU reassembled from several frames, a layer that keeps no bytes)."""
    spans: list[Span | None] = []
    cursor = 0
    for layer in layers:
        wire = _wire(layer)
        if wire is None or not wire[0]:
            spans.append(None)
            continue
        found = payload.find(wire[0][:64], cursor)
        if found < 0:
            spans.append(None)
            continue
        end = min(len(payload), found + len(wire[0]))
        spans.append((found, end))
        # the next layer is inside this one, after its header
        cursor = found + min(len(wire[0]), _header_size(layer, wire))
    return spans


def _header_size(layer: Any, wire: tuple[bytes, int]) -> int:
    size = getattr(layer, "SIZE", None)
    if isinstance(size, int):
        return size
    total = wire[1]
    for _name, field_size in _layout(layer):
        if field_size is None:
            break
        total += field_size
    return total


def field_spans(layer: Any, layer_span: Span | None) -> dict[str, Span]:
    """The span of each fixed-position field of a layer."""
    if layer_span is None:
        return {}
    wire = _wire(layer)
    if wire is None:
        return {}
    offset = layer_span[0] + wire[1]
    spans: dict[str, Span] = {}
    for name, size in _layout(layer):
        if size is None:
            spans[name] = (offset, layer_span[1])
            break
        spans[name] = (offset, min(offset + size, layer_span[1]))
        offset += size
    return spans
