"""The SLIP variant that wraps every nRF Sniffer UART packet, as a sans-I/O codec.

Byte values are Nordic's own, not RFC 1055's (nRF Sniffer reference, section 2): a frame is
`AB`, the data with `AB`, `BC` and `CD` escaped as `CD AC`, `CD BD` and `CD CE`, then `BC`.
There is no checksum, so the decoder is the first line of defence against a noisy or
hostile line: it re-synchronises at the next `AB`, drops a frame with a broken escape, keeps
its buffer bounded, and says what it threw away (section 15) instead of raising.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

import msgspec

SLIP_START = 0xAB
SLIP_END = 0xBC
SLIP_ESC = 0xCD
SLIP_ESC_START = 0xAC
SLIP_ESC_END = 0xBD
SLIP_ESC_ESC = 0xCE

_START = b"\xab"
_END = b"\xbc"
_ESC = b"\xcd"
_ESCAPED = (SLIP_ESC_START, SLIP_ESC_END, SLIP_ESC_ESC)

# A BLE packet event is at most 6 + 10 + 4 + 1 + 2 + 1 + 255 + 3 bytes; 2048 leaves room for
# anything a firmware could reasonably send and still bounds what garbage can make us hold.
DEFAULT_MAX_FRAME = 2048


class SlipFault(StrEnum):
    """Why the decoder threw bytes away."""

    GARBAGE = "garbage"  # bytes outside any frame (before an `AB`)
    BAD_ESCAPE = "bad escape"  # `CD` followed by anything but AC/BD/CE: frame dropped
    RESTART = "restart"  # an `AB` inside a frame: the partial frame dropped, a new one begun
    OVERSIZE = "oversize"  # a frame longer than the limit: dropped up to its end
    EMPTY = "empty"  # `AB BC`: no data at all
    TRUNCATED = "truncated"  # the stream closed in the middle of a frame


class SlipProblem(msgspec.Struct, frozen=True, tag=True):
    """One run of discarded bytes: what was wrong and how many wire bytes went."""

    fault: SlipFault
    discarded: int


def slip_encode(data: bytes) -> bytes:
    """One SLIP frame around `data`. `CD` is escaped first so the later escapes stay intact."""
    return (
        _START
        + data.replace(_ESC, b"\xcd\xce").replace(_START, b"\xcd\xac").replace(_END, b"\xcd\xbd")
        + _END
    )


def slip_unescape(body: bytes) -> bytes | None:
    """The data inside a frame (without its `AB`/`BC`), or None when an escape is broken."""
    if SLIP_ESC not in body:
        return body
    first, *rest = body.split(_ESC)
    out = [first]
    for part in rest:
        # an empty part is `CD CD` or a `CD` at the very end (the frame's `BC` followed it)
        if not part or part[0] not in _ESCAPED:
            return None
        out.append(bytes((part[0] - 1,)))
        out.append(part[1:])
    return b"".join(out)


class _State(IntEnum):
    IDLE = 0  # between frames: everything up to the next `AB` is garbage
    FRAME = 1  # inside a frame, collecting its wire bytes
    DROPPING = 2  # inside a frame already judged bad: skip to its `BC` (or a new `AB`)


class SlipDecoder:
    """Feed bytes in any chunking; get whole frames out.

    `feed` returns the frames only; `feed_events` returns frames and `SlipProblem`s in stream
    order. Both give the same result whatever the chunking, because every decision is taken
    at a frame boundary, not at a chunk boundary. The counters add up everything seen.
    """

    def __init__(self, max_frame: int = DEFAULT_MAX_FRAME) -> None:
        self.max_frame = max_frame
        self._max_wire = 2 * max_frame  # every data byte escaped at worst
        self._state = _State.IDLE
        self._wire = bytearray()  # wire bytes of the current frame after its `AB`
        self._pending_garbage = 0  # garbage seen since the last frame, reported at next `AB`
        self._dropping = 0  # wire bytes of the frame being dropped
        self._drop_fault = SlipFault.OVERSIZE
        self.frames = 0
        self.garbage_bytes = 0
        self.dropped_frames = 0
        self.dropped_bytes = 0
        self.faults: dict[SlipFault, int] = dict.fromkeys(SlipFault, 0)

    def feed(self, data: bytes) -> list[bytes]:
        """The frames completed by `data` (problems are counted, see `feed_events`)."""
        return [e for e in self.feed_events(data) if isinstance(e, bytes)]

    def feed_events(self, data: bytes) -> list[bytes | SlipProblem]:
        out: list[bytes | SlipProblem] = []
        pos, n = 0, len(data)
        while pos < n:
            if self._state == _State.IDLE:
                start = data.find(_START, pos)
                if start < 0:
                    self._pending_garbage += n - pos
                    self.garbage_bytes += n - pos
                    return out
                self._pending_garbage += start - pos
                self.garbage_bytes += start - pos
                self._report_garbage(out)
                self._begin()
                pos = start + 1
            elif self._state == _State.FRAME:
                pos = self._collect(data, pos, out)
            else:
                pos = self._skip(data, pos, out)
        return out

    def close(self) -> list[SlipProblem]:
        """End of stream (port closed): report what is left and start afresh."""
        out: list[bytes | SlipProblem] = []
        self._report_garbage(out)
        if self._state == _State.FRAME:
            self._drop(out, SlipFault.TRUNCATED, 1 + len(self._wire))
        elif self._state == _State.DROPPING:
            self._drop(out, self._drop_fault, self._dropping)
        self._state = _State.IDLE
        self._wire = bytearray()
        return [e for e in out if isinstance(e, SlipProblem)]

    # -- internals -----------------------------------------------------------------------

    def _begin(self) -> None:
        self._state = _State.FRAME
        self._wire = bytearray()

    def _report_garbage(self, out: list[bytes | SlipProblem]) -> None:
        if self._pending_garbage:
            out.append(SlipProblem(SlipFault.GARBAGE, self._pending_garbage))
            self.faults[SlipFault.GARBAGE] += 1
            self._pending_garbage = 0

    def _drop(self, out: list[bytes | SlipProblem], fault: SlipFault, discarded: int) -> None:
        out.append(SlipProblem(fault, discarded))
        self.faults[fault] += 1
        self.dropped_frames += 1
        self.dropped_bytes += discarded

    def _collect(self, data: bytes, pos: int, out: list[bytes | SlipProblem]) -> int:
        """Inside a good frame: find its end, a restart, or run out of data or room."""
        end = data.find(_END, pos)
        limit = len(data) if end < 0 else end
        restart = data.find(_START, pos, limit)
        stop = restart if restart >= 0 else limit
        if len(self._wire) + stop - pos > self._max_wire:
            # too long whatever follows: never hold more than the limit, skip to its end
            self._start_dropping(SlipFault.OVERSIZE, 1 + len(self._wire))
            return pos
        if restart >= 0:
            # count the `AB` that began the frame, not the one that restarts it
            self._drop(out, SlipFault.RESTART, 1 + len(self._wire) + restart - pos)
            self._begin()
            return restart + 1
        if end < 0:
            self._wire += data[pos:]
            return len(data)
        self._wire += data[pos:end]
        wire_len = 2 + len(self._wire)
        body = slip_unescape(bytes(self._wire))
        self._state = _State.IDLE
        self._wire = bytearray()
        if body is None:
            self._drop(out, SlipFault.BAD_ESCAPE, wire_len)
        elif not body:
            self._drop(out, SlipFault.EMPTY, wire_len)
        elif len(body) > self.max_frame:
            self._drop(out, SlipFault.OVERSIZE, wire_len)
        else:
            out.append(body)
            self.frames += 1
        return end + 1

    def _start_dropping(self, fault: SlipFault, so_far: int) -> None:
        self._state = _State.DROPPING
        self._drop_fault = fault
        self._dropping = so_far
        self._wire = bytearray()

    def _skip(self, data: bytes, pos: int, out: list[bytes | SlipProblem]) -> int:
        """Inside a bad frame: nothing is kept, only counted, until `BC` or a new `AB`."""
        end = data.find(_END, pos)
        limit = len(data) if end < 0 else end
        restart = data.find(_START, pos, limit)
        if restart >= 0:
            self._drop(out, self._drop_fault, self._dropping + restart - pos)
            self._begin()
            return restart + 1
        if end < 0:
            self._dropping += len(data) - pos
            return len(data)
        self._drop(out, self._drop_fault, self._dropping + end + 1 - pos)
        self._state = _State.IDLE
        return end + 1
