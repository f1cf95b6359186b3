"""What the TUI shows, kept apart from Textual: a capture analysed frame by frame, with
everything long (frames, ATT PDUs, transactions, violations) spilled to temporary files.

One thread feeds frames (`ingest`); the UI thread reads. The analyzer's own state (its
connections and GATT databases) is read under `lock`, which the feeding thread releases
between batches, letting any reader that asked go first. After each batch the feeding
thread calls `on_change` (the TUI posts a message: nothing polls the model). Packets are
not kept: a row on screen is decoded again from the nearest decoder checkpoint, which
gives exactly what the first pass saw.
"""

from __future__ import annotations

import copy
import threading
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from typing import Any

import msgspec

from attscope.capture.frame import Frame
from attscope.dissector.analysis.advertisers import Advertiser
from attscope.dissector.analysis.analysis_records import (
    OTHER_SIDE,
    Connection,
    Side,
    Transaction,
    Violation,
)
from attscope.dissector.analysis.analyzer import Analyzer, Event
from attscope.dissector.analysis.connections import SIDE_OF
from attscope.dissector.analysis.gatt_db import GattDatabase
from attscope.dissector.decoding import att_pdus as att
from attscope.dissector.decoding.att_errors import ends_procedure, error_name
from attscope.dissector.decoding.decoder import Decoder, Packet
from attscope.dissector.decoding.gatt_values import decoded_text
from attscope.dissector.decoding.le_keys import Keys
from attscope.dissector.decoding.uuid_names import uuid_name
from attscope.tui.handoff_lock import HandoffLock
from attscope.tui.spill import SpillList
from attscope.tui.time_axis import ConnectionStarts, TimeAxis

CHECKPOINT_EVERY = 4096  # frames between decoder copies: the most a jump re-decodes
BATCH = 512  # frames fed per hold of the lock
_CACHE_SIZE = 4096  # decoded packets kept for the rows on and near the screen
_PREVIEW = 32  # value bytes kept per ATT PDU for the flow view
_DECODED_CACHE_SIZE = 4096  # short values decoded, remembered (cleared when full)
_FROM_SERVER = att.FROM_SERVER
_ERROR_RSP = int(att.AttOpcode.ERROR_RSP)


@cache
def _shape(cls: type) -> tuple[bool, bool]:
    """Whether an ATT PDU class has a handle and a value, worked out once per class."""
    fields = getattr(cls, "__struct_fields__", ())
    return "handle" in fields, "value" in fields


class FlowRecord(msgspec.Struct, array_like=True, gc=False):
    """One ATT PDU as the flow view draws it."""

    frame: int
    ts_us: int
    connection: int  # index into CaptureModel.connection_ids
    bearer: int
    side: Side  # the sender: local / remote / central / peripheral / ?
    role: str  # the sender's ATT role: "client" or "server"
    opcode: int
    handle: int  # -1: none
    value: bytes  # the first bytes of the value
    value_len: int
    latency_us: int  # responses and confirmations: the transaction's latency; else -1
    error: str  # Error Response: "<request>: <error name>"; else ""
    about: int = -1  # the attribute the value is of: `handle`, or a Read Response's; -1
    decoded: str = ""  # the whole value decoded by its attribute's type, as the GATT panel does
    expected: bool = False  # an Error Response that ends a discovery or long read normally
    pair: int = -1  # an answer (response, confirmation): the frame of what it answers


class Counts(msgspec.Struct, gc=False):
    """Per connection: what the connections list shows beside it."""

    transactions: int = 0
    errors: int = 0  # Error Responses, but for the expected ones
    expected: int = 0  # Error Responses that end a discovery or long read (ends_procedure)
    violations: int = 0
    att_pdus: int = 0


class CaptureModel:
    """A capture (or a live stream) analysed for display."""

    def __init__(
        self, name: str, uuid_names: dict[str, str] | None = None, keys: Keys | None = None
    ) -> None:
        self.name = name
        self.uuid_names = uuid_names
        self.analyzer = Analyzer(retain=False, uuid_names=uuid_names, keys=keys)
        self.lock = HandoffLock()
        self.frames: SpillList[Frame] = SpillList(Frame)
        self.flows: SpillList[FlowRecord] = SpillList(FlowRecord)
        self.transactions: SpillList[Transaction] = SpillList(Transaction)
        self.violations: SpillList[Violation] = SpillList(Violation)
        self.connection_ids: list[str] = []
        self._conn_index: dict[str, int] = {}
        self.counts: dict[str, Counts] = {}
        self._kinds: frozenset[bool] = frozenset()  # link_kinds, for the connections seen
        self._kinds_seen = 0
        # positions in the spills, per connection index
        self.flows_of: dict[int, array[int]] = {}
        self.transactions_of: dict[int, array[int]] = {}
        self.violations_of: dict[int, array[int]] = {}
        self.violation_frames: set[int] = set()  # frame numbers named by a violation
        self.first_ts: int | None = None
        self.warnings: list[str] = []
        self.done = False
        self.error: str | None = None
        self.progress = 0.0  # 0..1 when the size is known
        self.status = ""  # what the source says about itself (live: port state)
        self.version = 0  # bumped whenever something readable changed
        self.on_change: Callable[[], None] | None = None  # called (feeding thread) on a bump
        self.clock = TimeAxis()  # how the time columns show time (UI thread)
        self._starts: tuple[int, ConnectionStarts] | None = None
        self._connections: tuple[int, list[Connection]] | None = None  # (version, records)
        self._checkpoints: list[Decoder] = []
        self._cache: OrderedDict[int, Packet] = OrderedDict()
        self._cursor: tuple[int, Decoder] | None = None  # a decoder and the next position
        self._cache_lock = threading.Lock()
        self._decoded_cache: dict[tuple[str, bytes], str] = {}
        # appended since the last publish, not yet readable
        self.frames_pending = self._flows_pending = 0
        self._txns_pending = self._violations_pending = 0

    # -- feeding (one thread) -------------------------------------------------------------

    def ingest(
        self,
        frames: Iterable[Frame | None],
        total_bytes: int | None = None,
        stop: threading.Event | None = None,
        warnings: Callable[[], list[str]] | None = None,
        on_pause: Callable[[], None] | None = None,
    ) -> None:
        """Analyse every frame; returns when the frames end (or `stop` is set). A None
        among the frames publishes what came before it at once (a live source's pause)
        and calls `on_pause`. `warnings`: what the source warns of once read (damage),
        known when `done` is."""
        batch: list[Frame] = []
        for frame in frames:
            if frame is None:  # a live source has nothing more for now: show what came
                self.feed_batch(batch, total_bytes)
                batch = []
                if on_pause is not None:
                    on_pause()
                if stop is not None and stop.is_set():
                    break
                continue
            batch.append(frame)
            if len(batch) >= BATCH:
                self.feed_batch(batch, total_bytes)
                batch = []
                if stop is not None and stop.is_set():
                    break
        self.feed_batch(batch, total_bytes)
        self.finish(warnings() if warnings is not None else [])

    def feed_batch(self, batch: list[Frame], total_bytes: int | None = None) -> None:
        if not batch:
            return
        with self.lock.feeding():
            for frame in batch:
                self._feed(frame)
            self._publish()
            if total_bytes:
                self.progress = min(1.0, batch[-1].offset / total_bytes)

    def finish(self, warnings: list[str] | None = None) -> None:
        """The end of the frames, with the source's warnings (they are read with `done`)."""
        with self.lock.feeding():
            self.warnings = list(warnings or [])
            self._events(self.analyzer.finish())
            self.done = True
            self.progress = 1.0
            self._publish()

    def _feed(self, frame: Frame) -> None:
        position = len(self.frames) + self.frames_pending
        if position % CHECKPOINT_EVERY == 0:
            self._checkpoints.append(copy.deepcopy(self.analyzer.decoder))
        if self.first_ts is None:
            self.first_ts = frame.ts_us
        self.frames.append(frame)
        self.frames_pending += 1
        fed = self.analyzer.feed(frame)
        events = fed.events
        answered = None  # the transaction this frame answers
        for event in events:
            if isinstance(event, Transaction) and event.response_frame == frame.index:
                answered = event
        packet, conn_id = fed.packet, fed.connection
        if conn_id is not None and isinstance(packet.pdu, att.AttPdu):
            self._flow(packet, conn_id, packet.pdu, answered)
        if events:
            self._events(events)

    def _flow(self, packet: Packet, conn_id: str, pdu: Any, answered: Transaction | None) -> None:
        has_handle, has_value = _shape(pdu.__class__)  # not type(): mypy holds type[Any] unhashable
        index = self._connection(conn_id)
        counts = self.counts[conn_id]
        opcode = int(pdu.opcode)
        handle = pdu.handle if has_handle else None
        if not isinstance(handle, int):
            handle = -1
        value = pdu.value if has_value else b""
        if not isinstance(value, bytes):
            value = b""
        side = SIDE_OF[packet.direction]
        from_server = opcode in _FROM_SERVER
        about = handle
        if about < 0 and answered is not None and answered.kind == "read" and value:
            about = -1 if answered.handle is None else answered.handle  # a Read Response
        decoded = ""
        if value and about >= 0:
            server = side if from_server else OTHER_SIDE.get(side, side)
            db = self.analyzer.gatt_for(conn_id, server)
            if db is not None:
                decoded = self._decoded(db.attribute_type(about), value)
        latency = pair = -1
        if answered is not None:
            pair = answered.request_frame
            if answered.latency_us is not None:
                latency = answered.latency_us
        error = ""
        expected = False
        if opcode == _ERROR_RSP:
            why = error_name(pdu.error_code)
            error = f"{att.opcode_title(pdu.request_opcode)}: {why}"
            expected = ends_procedure(pdu.request_opcode, pdu.error_code)
            if expected:
                counts.expected += 1
            else:
                counts.errors += 1
        counts.att_pdus += 1
        record = FlowRecord(
            packet.frame,
            packet.ts_us,
            index,
            packet.cid or 0,
            side,
            "server" if from_server else "client",
            opcode,
            handle,
            value[:_PREVIEW],
            len(value),
            latency,
            error,
            about,
            decoded,
            expected,
            pair,
        )
        self.flows_of[index].append(len(self.flows) + self._flows_pending)
        self._flows_pending += 1
        self.flows.append(record)

    def _decoded(self, kind: str | None, value: bytes) -> str:
        """A value decoded by its attribute's type, as the GATT panel shows it; short
        values are remembered, as a device sends the same few again and again."""
        if kind is None:
            return ""
        if len(value) > _PREVIEW:
            return decoded_text(kind, value) or ""
        key = (kind, value)
        text = self._decoded_cache.get(key)
        if text is None:
            if len(self._decoded_cache) >= _DECODED_CACHE_SIZE:
                self._decoded_cache.clear()
            text = self._decoded_cache[key] = decoded_text(kind, value) or ""
        return text

    def _connection(self, conn_id: str) -> int:
        index = self._conn_index.get(conn_id)
        if index is None:
            index = self._conn_index[conn_id] = len(self.connection_ids)
            self.connection_ids.append(conn_id)
            self.counts[conn_id] = Counts()
            self.flows_of[index] = array("I")
            self.transactions_of[index] = array("I")
            self.violations_of[index] = array("I")
        return index

    def _events(self, events: Sequence[Event]) -> None:
        for event in events:
            if isinstance(event, Transaction):
                index = self._connection(event.connection)
                self.transactions_of[index].append(len(self.transactions) + self._txns_pending)
                self._txns_pending += 1
                self.transactions.append(event)
                self.counts[event.connection].transactions += 1
            elif isinstance(event, Violation):
                if event.connection is not None:
                    index = self._connection(event.connection)
                    position = len(self.violations) + self._violations_pending
                    self.violations_of[index].append(position)
                    self.counts[event.connection].violations += 1
                self._violations_pending += 1
                self.violations.append(event)
                self.violation_frames.update(event.frames)
            elif isinstance(event, Connection):
                self._connection(event.id)

    def _publish(self) -> None:
        for spill in (self.frames, self.flows, self.transactions, self.violations):
            spill.flush()
        self.frames_pending = self._flows_pending = 0
        self._txns_pending = self._violations_pending = 0
        self.version += 1
        if self.on_change is not None:
            self.on_change()

    # -- reading (UI thread) --------------------------------------------------------------

    def connection_index(self, conn_id: str) -> int | None:
        return self._conn_index.get(conn_id)

    def connections(self) -> list[Connection]:
        """The analyzer's connections, copied under the lock once per version: every panel
        asks after each change, and a record of each connection with its health is the
        dearest thing a redraw reads."""
        with self.lock:
            if self._connections is None or self._connections[0] != self.version:
                self._connections = (self.version, self.analyzer.connections)
            return list(self._connections[1])

    def flow_at(self, frame: int) -> tuple[int, FlowRecord] | None:
        """The ATT PDU a frame carried (its position among the flows), if any."""
        flows = self.flows
        position = bisect_left(flows, frame, key=lambda record: record.frame)
        if position < len(flows) and flows[position].frame == frame:
            return position, flows[position]
        return None

    def answer_to(self, position: int, record: FlowRecord, look: int = 4096) -> int | None:
        """The frame that answered the request or indication at flow `position`: the
        next `look` PDUs of its connection are searched."""
        mine = self.flows_of.get(record.connection)
        if mine is None:
            return None
        start = bisect_left(mine, position) + 1
        for later in mine[start : start + look]:
            if self.flows[later].pair == record.frame:
                return self.flows[later].frame
        return None

    def handle_text(self, connection: int, server_side: str, handle: int) -> str | None:
        """'Heart Rate Measurement, in Heart Rate' for a handle the server's database
        knows; None otherwise."""
        name = self.attribute_name(connection, server_side, handle)
        with self.lock:
            db = self.analyzer.gatt_for(self.connection_ids[connection], server_side)
            service = db.service_at(handle) if db is not None else None
        where = service.name or service.uuid if service is not None else None
        if name is None and where is None:
            return None
        if service is not None and handle == service.start:
            return f"{where} service declaration"
        return ", in ".join(filter(None, [name, where]))

    def connection_starts(self) -> ConnectionStarts:
        """When each connection opened (for the time since it), kept until the model grows."""
        if self._starts is None or self._starts[0] != self.version:
            starts = [(c.id, c.start_us) for c in self.connections()]
            self._starts = (self.version, ConnectionStarts(starts))
        return self._starts[1]

    def time_text(
        self,
        ts_us: int,
        previous_us: int | None,
        connection: str | None,
        starts: ConnectionStarts | None,
    ) -> str:
        """A row's time in the chosen mode (`starts`: when the mode needs connections)."""
        conn_start = None
        if starts is not None and connection is not None:
            conn_start = starts.start_of(connection, ts_us)
        return self.clock.text(ts_us, self.first_ts, previous_us, conn_start)

    def totals(self) -> Counts:
        """Every connection's counts summed under the lock (the ingest thread adds
        connections meanwhile); violations are the model's, with those of no connection."""
        with self.lock:
            counts = list(self.counts.values())
        return Counts(
            transactions=sum(c.transactions for c in counts),
            errors=sum(c.errors for c in counts),
            expected=sum(c.expected for c in counts),
            violations=len(self.violations),
            att_pdus=sum(c.att_pdus for c in counts),
        )

    def link_kinds(self) -> frozenset[bool]:
        """Whether the links are an air capture's (True) or an HCI log's (False)."""
        with self.lock:
            if self.analyzer.connection_count != self._kinds_seen:  # only ever added
                connections = self.analyzer.connections
                self._kinds |= {c.transport == "le air" for c in connections[self._kinds_seen :]}
                self._kinds_seen = len(connections)
            return self._kinds

    @property
    def checkpoints(self) -> list[Decoder]:
        """Decoder states before frames 0, CHECKPOINT_EVERY, 2 * CHECKPOINT_EVERY ..."""
        return self._checkpoints

    def device_name(self, conn: Connection) -> str | None:
        """The peer's Device Name (0x2A00), when the capture read it."""
        with self.lock:
            for side in ("remote", "peripheral", "local", "central"):
                db = self.analyzer.gatt_for(conn.id, side)
                char = db.characteristic("2a00") if db is not None else None
                last = db.value(char.value_handle) if db is not None and char else None
                if last is not None:
                    return last.value.decode("utf-8", "replace")
        return None

    def devices(self) -> list[Advertiser]:
        """Devices heard advertising, copied under the lock."""
        with self.lock:
            return [copy.copy(d) for d in self.analyzer.advertisers]

    def uuid_name(self, uuid: str) -> str:
        """A UUID's name (the user's names first), or the UUID itself."""
        return uuid_name(uuid, self.uuid_names) or uuid

    def gatt_databases(self) -> list[GattDatabase]:
        with self.lock:
            return list(self.analyzer.gatt_databases.values())

    def attribute_name(self, connection: int, server_side: str, handle: int) -> str | None:
        """The characteristic or descriptor a handle belongs to, by name or UUID."""
        if handle < 0 or connection >= len(self.connection_ids):
            return None
        with self.lock:
            db = self.analyzer.gatt_for(self.connection_ids[connection], server_side)
            if db is None:
                return None
            char = db.characteristic_at(handle)
            if char is None:
                kind = db.attribute_type(handle)
                return db.name(kind) or kind if kind else None
            if handle in (char.declaration, char.value_handle):
                return char.name or char.uuid
            for desc in char.descriptors:
                if desc.handle == handle:
                    return desc.name or desc.uuid
            return char.name or char.uuid

    def packet(self, frame_number: int) -> tuple[Frame, Packet] | None:
        """A frame and its decoding, as the analysis saw it."""
        position = frame_number - 1
        if not 0 <= position < len(self.frames):
            return None
        frame = self.frames[position]
        return frame, self.packets(position, position + 1)[0]

    def packets(self, start: int, stop: int) -> list[Packet]:
        """The decodings of the frames at positions start..stop-1."""
        stop = min(stop, len(self.frames))
        if start >= stop:
            return []
        with self._cache_lock:
            cache = self._cache
            if all(p in cache for p in range(start, stop)):
                return [cache[p] for p in range(start, stop)]
            cursor = self._cursor
            if cursor is None or not (cursor[0] <= start and start - cursor[0] < CHECKPOINT_EVERY):
                base = (start // CHECKPOINT_EVERY) * CHECKPOINT_EVERY
                cursor = (base, copy.deepcopy(self._checkpoints[base // CHECKPOINT_EVERY]))
            position, decoder = cursor
            for frame in self.frames.slice(position, stop):
                packet = decoder.decode(frame)
                if position >= start:
                    cache[position] = packet
                    cache.move_to_end(position)
                position += 1
            self._cursor = (position, decoder)
            while len(cache) > _CACHE_SIZE:
                cache.popitem(last=False)
            return [cache[p] for p in range(start, stop)]

    def close(self) -> None:
        for spill in (self.frames, self.flows, self.transactions, self.violations):
            spill.close()
