"""The rows each view shows: positions in the model's lists, narrowed to the chosen
connection and the filter, sorted where the view sorts.

A view with nothing to narrow is the model's own growing list. Otherwise it is built by a
scan that can stop after a budget of rows and go on later, so a million frames are
filtered a slice at a time in a worker while new frames keep arriving.
"""

from __future__ import annotations

import copy
import threading
from array import array
from collections.abc import Callable, Sequence
from typing import Any, overload

from attscope.dissector.analysis.analysis_records import Transaction, Violation
from attscope.dissector.decoding.att_pdus import AttPdu
from attscope.dissector.decoding.decoder import Decoder, Packet
from attscope.tui.filter_query import Filter
from attscope.tui.model import CHECKPOINT_EVERY, CaptureModel, FlowRecord
from attscope.tui.rows import (
    expected_end,
    flow_row,
    packet_row,
    safe,
    transaction_row,
    violation_row,
)

# outcomes in the order the "outcome" sort shows them: answers first, then what the
# capture cannot tell
OUTCOME_RANK = {"ok": 0, "error": 1, "timeout": 2, "cancelled": 3, "cut": 4, "incomplete": 5,
                "encrypted": 6}  # fmt: skip
_UNANSWERED = ("incomplete", "encrypted")

# each sort: (whether it goes last whatever the direction, the value sorted by)
SORT_KEYS: dict[str, Callable[[Transaction], tuple[bool, int]]] = {
    "time": lambda t: (False, t.start_us),
    "latency": lambda t: (t.latency_us is None, t.latency_us or 0),
    "handle": lambda t: (t.handle is None or t.outcome in _UNANSWERED, t.handle or 0),
    "outcome": lambda t: (t.outcome in _UNANSWERED, OUTCOME_RANK.get(t.outcome, 9)),
}


class GrowingRange(Sequence[int]):
    """0..n-1 of a list that grows."""

    def __init__(self, length: Callable[[], int]) -> None:
        self._length = length

    def __len__(self) -> int:
        return self._length()

    @overload
    def __getitem__(self, i: int) -> int: ...
    @overload
    def __getitem__(self, i: slice) -> range: ...
    def __getitem__(self, i: int | slice) -> int | range:
        if isinstance(i, slice):
            return range(self._length())[i]
        if not 0 <= i < self._length():
            raise IndexError(i)
        return i


class View:
    """Positions into one of the model's lists (frames, flows, transactions, violations)."""

    def __init__(self, base: Sequence[int], match: Callable[[int], bool] | None) -> None:
        self.base = base  # every candidate, growing with the model
        self._match = match
        self.positions: Sequence[int] = base if match is None else array("I")
        self._scanned = 0  # candidates looked at so far
        self._busy = threading.Lock()  # one scanning thread at a time

    @property
    def complete(self) -> bool:
        return self._match is None or self._scanned >= len(self.base)

    @property
    def scanned(self) -> float:
        """How much of the candidates the scan has looked at, 0..1."""
        total = len(self.base)
        return 1.0 if self._match is None or not total else min(1.0, self._scanned / total)

    def advance(self, budget: int = 20000) -> bool:
        """Look at up to `budget` new candidates; True when rows were added."""
        if self._match is None or not self._busy.acquire(blocking=False):
            return False
        try:
            return self._advance(budget)
        finally:
            self._busy.release()

    def _advance(self, budget: int) -> bool:
        assert self._match is not None
        found = array("I")
        end = min(len(self.base), self._scanned + budget)
        match, base = self._match, self.base
        for i in range(self._scanned, end):
            position = base[i]
            if match(position):
                found.append(position)
        self._scanned = end
        if found:
            assert isinstance(self.positions, array)
            self.positions.extend(found)
        return bool(found)

    def __len__(self) -> int:
        return len(self.positions)

    def __getitem__(self, i: int) -> int:
        return self.positions[i]


def _contains(haystack: str, needles: tuple[str, ...]) -> bool:
    low = haystack.lower()
    return all(n in low for n in needles)


def _connections_matching(model: CaptureModel, words: tuple[str, ...]) -> set[int]:
    """Connection indices whose id or an address contains every word."""
    found = set()
    for conn in model.connections():
        index = model.connection_index(conn.id)
        if index is None:
            continue
        names = " ".join(
            filter(
                None,
                [
                    conn.id,
                    conn.peer_address,
                    conn.local_address,
                    conn.central_address,
                    conn.peripheral_address,
                    model.device_name(conn),
                ],
            )
        )
        if all(w in names.lower() for w in words):
            found.add(index)
    return found


class PacketScanner:
    """Decodes frames in order from any position with a decoder of its own, for scans."""

    def __init__(self, model: CaptureModel, start: int = 0) -> None:
        self.model = model
        base = (start // CHECKPOINT_EVERY) * CHECKPOINT_EVERY
        checkpoints = model.checkpoints
        self._decoder: Decoder = (
            copy.deepcopy(checkpoints[base // CHECKPOINT_EVERY]) if checkpoints else Decoder()
        )
        self._next = base
        self._cached: dict[int, Packet] = {}
        self._skip_to = start

    def packet(self, position: int) -> Packet:
        """The decoding of the frame at `position`; positions must come in order."""
        if position in self._cached:
            return self._cached.pop(position)
        chunk = max(position + 1, self._next + 1024)
        frames = self.model.frames.slice(self._next, chunk)
        for frame in frames:
            self._cached[self._next] = self._decoder.decode(frame)
            self._next += 1
        for old in [p for p in self._cached if p < position]:
            del self._cached[old]
        return self._cached.pop(position)


def frame_view(model: CaptureModel, focus: int | None, wanted: Filter) -> View:
    if focus is None and wanted.empty:
        return View(GrowingRange(lambda: len(model.frames)), None)
    conns = _connections_matching(model, wanted.conn) if wanted.conn else None
    focus_id = model.connection_ids[focus] if focus is not None else None
    scanner = PacketScanner(model)
    flows = FlowCursor(model)

    def match(position: int) -> bool:
        packet = scanner.packet(position)
        if focus_id is not None and not _same_connection(model, packet, focus_id):
            return False
        if conns is not None:
            index = model.connection_index(packet.connection or "")
            if index not in conns:
                return False
        pdu = packet.pdu
        if wanted.handles or wanted.opcodes or wanted.names:
            if not isinstance(pdu, AttPdu):
                return False
            handle = getattr(pdu, "handle", None)
            if wanted.handles and handle not in wanted.handles:
                return False
            if wanted.opcodes and int(pdu.opcode) not in wanted.opcodes:
                return False
        if wanted.violations and packet.frame not in model.violation_frames:
            return False
        if wanted.names:  # as the Flow panel reads them: the ATT PDU with its names
            record = flows.at(packet.frame)
            if record is None or not _contains(flow_row(model, record, 120).plain, wanted.names):
                return False
        if wanted.errors or wanted.text:
            text = packet_row(model, packet).plain
            if wanted.errors and "Error Response" not in text and "malformed" not in text:
                return False
            if wanted.errors and (record := flows.at(packet.frame)) is not None and record.expected:
                return False  # the end of a discovery is no error here either
            if wanted.text and not _contains(text, wanted.text):
                return False
        return True

    return View(GrowingRange(lambda: len(model.frames)), match)


class FlowCursor:
    """The ATT PDUs of frames asked for in increasing order (a scan): one pass over the
    flows beside the pass over the frames."""

    def __init__(self, model: CaptureModel) -> None:
        self.model = model
        self._next = 0

    def at(self, frame: int) -> FlowRecord | None:
        flows = self.model.flows
        while self._next < len(flows) and flows[self._next].frame < frame:
            self._next += 1
        if self._next < len(flows) and flows[self._next].frame == frame:
            return flows[self._next]
        return None


def _same_connection(model: CaptureModel, packet: Packet, conn_id: str) -> bool:
    # a connection id is the decoder's name, with " #2" when a handle is used again
    name = packet.connection
    return name is not None and (conn_id == name or conn_id.startswith(name + " #"))


def flow_view(model: CaptureModel, focus: int | None, wanted: Filter, width: int = 120) -> View:
    base: Sequence[int] = (
        GrowingRange(lambda: len(model.flows)) if focus is None else model.flows_of[focus]
    )
    if wanted.empty:
        return View(base, None)
    conns = _connections_matching(model, wanted.conn) if wanted.conn else None
    records: dict[int, FlowRecord] = {}

    def record(position: int) -> FlowRecord:
        if position not in records:
            records.clear()
            for offset, rec in enumerate(model.flows.slice(position, position + 2048)):
                records[position + offset] = rec
        return records[position]

    def match(position: int) -> bool:
        rec = record(position)
        if conns is not None and rec.connection not in conns:
            return False
        if wanted.handles and rec.handle not in wanted.handles:
            return False
        if wanted.opcodes and rec.opcode not in wanted.opcodes:
            return False
        if wanted.errors and (not rec.error or rec.expected):
            return False
        if wanted.violations and rec.frame not in model.violation_frames:
            return False
        if wanted.names or wanted.text:
            text = flow_row(model, rec, width).plain
            if not _contains(text, wanted.names + wanted.text):
                return False
        return True

    return View(base, match)


def _spill_match(spill: Any, predicate: Callable[[Any], bool]) -> Callable[[int], bool]:
    """A position predicate over a spilled list, reading it a slice at a time."""
    records: dict[int, Any] = {}

    def match(position: int) -> bool:
        if position not in records:
            records.clear()
            for offset, rec in enumerate(spill.slice(position, position + 2048)):
                records[position + offset] = rec
        return predicate(records[position])

    return match


def transaction_view(model: CaptureModel, focus: int | None, wanted: Filter) -> View:
    base: Sequence[int] = (
        GrowingRange(lambda: len(model.transactions))
        if focus is None
        else model.transactions_of[focus]
    )
    if wanted.empty:
        return View(base, None)
    conns = _connections_matching(model, wanted.conn) if wanted.conn else None

    def predicate(txn: Transaction) -> bool:
        if conns is not None and model.connection_index(txn.connection) not in conns:
            return False
        if wanted.handles and txn.handle not in wanted.handles:
            return False
        if wanted.opcodes and wanted.opcodes.isdisjoint(_opcodes(txn)):
            return False
        if wanted.errors and (txn.outcome == "ok" or expected_end(txn)):
            return False
        if wanted.violations and not any(f in model.violation_frames for f in txn.frames):
            return False
        if wanted.names:
            names = " ".join(
                filter(
                    None,
                    [
                        txn.characteristic_name,
                        txn.characteristic_uuid,
                        txn.service_name,
                        txn.service_uuid,
                        txn.descriptor_name,
                        txn.descriptor_uuid,
                    ],
                )
            )
            if not _contains(names, wanted.names):
                return False
        return not wanted.text or _contains(transaction_row(model, txn, None).plain, wanted.text)

    return View(base, _spill_match(model.transactions, predicate))


def _opcodes(txn: Transaction) -> set[int]:
    """The opcodes of a transaction's request and answer (an Error Response included)."""
    found = (getattr(pdu, "opcode", None) for pdu in (txn.request, txn.response))
    return {int(op) for op in found if op is not None}


def violation_view(model: CaptureModel, focus: int | None, wanted: Filter) -> View:
    base: Sequence[int] = (
        GrowingRange(lambda: len(model.violations)) if focus is None else model.violations_of[focus]
    )
    if wanted.empty:
        return View(base, None)
    conns = _connections_matching(model, wanted.conn) if wanted.conn else None

    def predicate(found: Violation) -> bool:
        if conns is not None and model.connection_index(found.connection or "") not in conns:
            return False
        if wanted.errors and found.severity != "error":
            return False
        text = violation_row(found).plain + " " + safe(found.rule)
        return _contains(text, wanted.text + wanted.names)

    return View(base, _spill_match(model.violations, predicate))


def sorted_transactions(
    model: CaptureModel, view: View, key: str, descending: bool = False
) -> array[int]:
    """The view's positions ordered by one of SORT_KEYS, ascending or not; transactions
    the capture holds no answer of last either way (stable: time breaks ties)."""
    sort_key = SORT_KEYS[key]
    sign = -1 if descending else 1

    def wanted(txn: Transaction) -> tuple[bool, int]:
        last, value = sort_key(txn)
        return last, sign * value

    chosen = (
        set(view.positions)
        if view.positions is not view.base or not isinstance(view.base, GrowingRange)
        else None
    )
    keyed = [
        (wanted(txn), position)
        for position, txn in model.transactions.scan()
        if chosen is None or position in chosen
    ]
    keyed.sort(key=lambda pair: pair[0])
    return array("I", (position for _, position in keyed))
