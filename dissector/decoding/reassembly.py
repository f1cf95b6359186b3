"""Joining fragments into L2CAP PDUs: HCI ACL packets per connection handle, LE data
PDUs per connection and direction. Both mark a start fragment (ACL packet-boundary flag
0b00/0b10, LLID 0b10) and continuations (0b01); the L2CAP length in the first four bytes
says when the PDU is whole (Core 5.4 Vol 4 Part E 5.4.2; Vol 6 Part B 2.4; Vol 3 Part A 7.2).
"""

from __future__ import annotations

from collections.abc import Hashable

import msgspec

from attscope.dissector.decoding.pdu import Malformed

L2CAP_HEADER = 4
MAX_L2CAP_PDU = L2CAP_HEADER + 0xFFFF  # the length field's limit bounds every buffer


class Reassembled(msgspec.Struct, frozen=True, gc=False):
    """A whole L2CAP PDU and the frames its fragments came in (the last completes it)."""

    pdu: bytes
    frames: tuple[int, ...]


class _Partial:
    __slots__ = ("frames", "need", "parts", "size")

    def __init__(self, first: bytes, frame: int, need: int) -> None:
        self.parts = [first]
        self.size = len(first)
        self.frames = [frame]
        self.need = need  # total bytes of the PDU, header included; 0 until the header is in


class Reassembler:
    """Fragments in, whole PDUs out, per key. Damage (a continuation with no start, a start
    before the previous PDU was whole, a PDU longer than its length says) comes back as
    Malformed records naming the frames lost, and reassembly goes on with the next start."""

    def __init__(self) -> None:
        self.partials: dict[Hashable, _Partial] = {}  # key -> a PDU still being joined

    def start(
        self, key: Hashable, data: bytes, frame: int
    ) -> tuple[Reassembled | None, Malformed | None]:
        dropped = self._drop(key, "a new PDU started before this one was complete")
        partial = _Partial(data, frame, 0)
        return self._progress(key, partial, dropped)

    def cont(
        self, key: Hashable, data: bytes, frame: int
    ) -> tuple[Reassembled | None, Malformed | None]:
        partial = self.partials.get(key)
        if partial is None:
            return None, Malformed("l2cap", "continuation fragment with no start before it", data)
        partial.parts.append(data)
        partial.size += len(data)
        partial.frames.append(frame)
        return self._progress(key, partial, None)

    def pending(self, key: Hashable) -> bool:
        return key in self.partials

    def close(self, key: Hashable) -> Malformed | None:
        """The link went away: an unfinished PDU is lost."""
        return self._drop(key, "the connection ended before this PDU was complete")

    def _drop(self, key: Hashable, why: str) -> Malformed | None:
        partial = self.partials.pop(key, None)
        if partial is None:
            return None
        frames = ", ".join(map(str, partial.frames))
        return Malformed(
            "l2cap", f"incomplete PDU from frames {frames} dropped: {why}", b"".join(partial.parts)
        )

    def _progress(
        self, key: Hashable, partial: _Partial, dropped: Malformed | None
    ) -> tuple[Reassembled | None, Malformed | None]:
        if not partial.need and partial.size >= L2CAP_HEADER:
            head = partial.parts[0] if len(partial.parts[0]) >= 2 else b"".join(partial.parts)
            partial.need = L2CAP_HEADER + int.from_bytes(head[:2], "little")
        if partial.need and partial.size >= partial.need:
            self.partials.pop(key, None)
            pdu = partial.parts[0] if len(partial.parts) == 1 else b"".join(partial.parts)
            if len(pdu) > partial.need:
                extra = len(pdu) - partial.need
                return None, Malformed(
                    "l2cap", f"fragments carry {extra} bytes more than the L2CAP length", pdu
                )
            return Reassembled(pdu, tuple(partial.frames)), dropped
        if partial.size > MAX_L2CAP_PDU:  # unreachable with a sane length, kept as a bound
            self.partials.pop(key, None)
            return None, Malformed(
                "l2cap", "fragments exceed the largest L2CAP PDU", b"".join(partial.parts)
            )
        self.partials[key] = partial
        return None, dropped
