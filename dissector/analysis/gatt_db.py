"""The GATT database of one server device as a capture reveals it (Core 5.4 Vol 3 Part G 3).

A `GattDatabase` holds services (primary, secondary, with their includes), characteristics
(declaration handle, properties, value handle, UUID) and their descriptors, the type of
every attribute whose handle the capture revealed, the last value of each attribute with
the frame that carried it, and each client's Client Characteristic Configuration (3.3.3.3).
`gatt_learn.GattDatabases` fills it from the ATT traffic; this module only stores and
answers. A Service Changed indication (7.1) or a new Database Hash (7.3) drops what the
affected handle range held. Memory is bounded: handles are 16-bit, only the last value of
an attribute is kept and at most 512 octets of it (Vol 3 Part F 3.2.9), and the per-client
tables are capped.
"""

from __future__ import annotations

import struct
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable
from typing import TypeVar

import msgspec

from attscope.dissector.decoding.gatt_values import CCCD_BITS, GattValue, bit_names, decode_value
from attscope.dissector.decoding.gatt_values import property_names as _property_names
from attscope.dissector.decoding.uuid_names import uuid_name

PRIMARY, SECONDARY, INCLUDE, CHARACTERISTIC = "2800", "2801", "2802", "2803"
DECLARATION_TYPES = frozenset({PRIMARY, SECONDARY, INCLUDE, CHARACTERISTIC})
CCCD = "2902"
SERVICE_CHANGED, CLIENT_FEATURES, DATABASE_HASH, SERVER_FEATURES = "2a05", "2b29", "2b2a", "2b3a"
MAX_HANDLE = 0xFFFF
MAX_VALUE = 512  # the longest attribute value (Vol 3 Part F 3.2.9)
MAX_CLIENT_STATES = 65_536  # CCCD states and client feature values per database
MAX_LISTED = 256  # connections and invalidations listed per database
_NOTIFY, _INDICATE = 0x0001, 0x0002  # CCCD bits (3.3.3.3)
_HANDLE_PAIR = struct.Struct("<HH")


class Descriptor(msgspec.Struct, frozen=True, gc=False):
    """A characteristic descriptor (3.3.3): an attribute after the value, before the next
    declaration."""

    handle: int
    uuid: str
    name: str | None


class Characteristic(msgspec.Struct, gc=False):
    """A characteristic (3.3.1): its declaration, properties, value handle and UUID;
    `end` (its last handle) and `descriptors` follow from what else is known."""

    declaration: int
    properties: int
    value_handle: int
    uuid: str
    name: str | None
    frame: int  # where the declaration was seen
    end: int = 0
    descriptors: list[Descriptor] = msgspec.field(default_factory=list)

    @property
    def property_names(self) -> tuple[str, ...]:
        return _property_names(self.properties)

    @property
    def cccd(self) -> int | None:
        return next((d.handle for d in self.descriptors if d.uuid == CCCD), None)


class Include(msgspec.Struct, frozen=True, gc=False):
    """An include declaration (3.2): the included service's range, and its UUID when it is
    a 16-bit one (a 128-bit UUID is read from the service declaration instead)."""

    handle: int
    start: int
    end: int
    uuid: str | None


class Service(msgspec.Struct, gc=False):
    """A service (3.1): its handle range and UUID. `primary` is None for a service known
    only from an include; `uuid` is None until its 128-bit UUID is read."""

    start: int
    end: int
    uuid: str | None
    name: str | None
    primary: bool | None
    frame: int
    includes: list[Include] = msgspec.field(default_factory=list)
    characteristics: list[Characteristic] = msgspec.field(default_factory=list)


class AttributeValue(msgspec.Struct, frozen=True, gc=False):
    """The last value seen of an attribute and the frame that carried it."""

    handle: int
    value: bytes
    frame: int
    ts_us: int
    connection: str
    source: str  # "read", "write", "write_command", "notification", "indication" ...


class CccdState(msgspec.Struct, gc=False):
    """One client's Client Characteristic Configuration (3.3.3.3). `value` is None while
    unknown; `pending` while a write to it awaits its response."""

    client: str
    handle: int
    value: int | None
    frame: int | None
    connection: str | None
    pending: bool = False
    reported: bool = False  # a notification it disables was reported since it was set

    @property
    def enabled(self) -> tuple[str, ...]:
        return bit_names(self.value or 0, CCCD_BITS)


class InvalidationRecord(msgspec.Struct, frozen=True, gc=False):
    """An invalidation as exported: the range, the frame, why, and what was known."""

    start: int
    end: int
    frame: int
    reason: str
    known: GattDatabaseRecord


class Invalidation:
    """A handle range dropped because the server said its database changed (Part G 7.1,
    7.3), and `known`: what the database held of that range until then, as a database of
    its own, so that it can still be shown (as invalidated, not as current)."""

    __slots__ = ("end", "frame", "known", "reason", "start")

    def __init__(self, start: int, end: int, frame: int, reason: str, known: GattDatabase):
        self.start, self.end, self.frame, self.reason = start, end, frame, reason
        self.known = known

    def record(self) -> InvalidationRecord:
        return InvalidationRecord(self.start, self.end, self.frame, self.reason,
                                  self.known.record())  # fmt: skip


class GattDatabaseRecord(msgspec.Struct, gc=False, tag="gatt_database"):
    """A database as exported: services with their characteristics, what lies outside any
    known service, values, CCCD states and invalidations."""

    device: str
    address: str | None
    connections: list[str]
    services: list[Service]
    other_characteristics: list[Characteristic]
    attribute_types: dict[int, str]
    values: list[AttributeValue]
    cccd: list[CccdState]
    invalidations: list[InvalidationRecord]


def _in(keys: Iterable[int], start: int, end: int) -> list[int]:
    return [k for k in keys if start <= k <= end]


V = TypeVar("V")


def _move_in(source: dict[int, V], target: dict[int, V], start: int, end: int) -> None:
    """Move the entries of handles `start`..`end` from `source` to `target`."""
    for handle in _in(list(source), start, end):
        target[handle] = source.pop(handle)


class GattDatabase:
    """What a capture tells about one server device's attributes, across its connections."""

    def __init__(self, device: str, address: str | None, names: dict[str, str] | None = None):
        self.device = device  # the key: identity address, "local", or "<connection>/<side>"
        self.address = address
        self.names = names or {}
        self.connections: list[str] = []
        self.invalidations: list[Invalidation] = []
        self.client_features: dict[str, AttributeValue] = {}  # by client
        self.server_features: AttributeValue | None = None
        self.database_hash: AttributeValue | None = None
        self.service_changed_handle: int | None = None  # survives invalidation
        self.reported: set[tuple[str, str, int]] = set()  # feature warnings given
        self._services: dict[int, Service] = {}  # by start handle
        self._service_starts: list[int] = []  # the keys of _services, sorted
        self._chars: dict[int, Characteristic] = {}  # by declaration handle
        self._includes: dict[int, Include] = {}  # by include declaration handle
        self._types: dict[int, str] = {}  # handle -> attribute type
        self._values: dict[int, AttributeValue] = {}
        self._cccd: dict[tuple[str, int], CccdState] = {}  # (client, CCCD handle)
        self._dirty = True
        self._sorted_services: list[Service] = []
        self._starts: list[int] = []
        self._sorted_chars: list[Characteristic] = []
        self._decls: list[int] = []
        self._cccd_of: dict[int, int] = {}  # value handle -> CCCD handle

    def __repr__(self) -> str:
        return (f"<GattDatabase {self.device}: {len(self._services)} services, "
                f"{len(self._chars)} characteristics>")  # fmt: skip

    def name(self, uuid: str | None) -> str | None:
        return None if uuid is None else uuid_name(uuid, self.names)

    # -- learning ---------------------------------------------------------------------------

    def add_connection(self, connection: str) -> None:
        if connection not in self.connections and len(self.connections) < MAX_LISTED:
            self.connections.append(connection)

    def add_service(
        self, start: int, end: int, uuid: str | None, primary: bool | None, frame: int
    ) -> None:
        """A service declaration and its group end (Part G 4.4). Services do not overlap
        (3.1): one the server now reports replaces those it overlaps."""
        if not 0 < start <= end:
            return
        old = self._services.get(start)
        if old is not None and old.end == end and (uuid is None or old.uuid == uuid):
            if primary is not None and old.primary is None:
                old.primary = primary
                self._types[start] = PRIMARY if primary else SECONDARY
                self._dirty = True
            return
        overlaps = self._overlapping(start, end)
        if primary is None and overlaps:  # known only from an include: it displaces nothing
            return
        starts = self._service_starts
        for other in overlaps:
            del self._services[other.start]
            del starts[bisect_left(starts, other.start)]
        if old is not None and uuid is None:
            uuid = old.uuid
        self._services[start] = Service(start, end, uuid, self.name(uuid), primary, frame)
        insort(starts, start)
        if primary is not None:
            self._types[start] = PRIMARY if primary else SECONDARY
        self._dirty = True

    def _overlapping(self, start: int, end: int) -> list[Service]:
        """The known services whose range meets start..end. Services do not overlap, so
        in start order their ends rise too: a bisection finds them (a discovery answer
        listing 10,000 services took a second when each was compared with all)."""
        starts, found = self._service_starts, []
        i = bisect_right(starts, end)
        while i > 0:
            i -= 1
            service = self._services[starts[i]]
            if service.end < start:
                break
            found.append(service)
        return found

    def set_service_uuid(self, start: int, uuid: str) -> None:
        """A service declaration read: its UUID (an included 128-bit service's, 4.5.1)."""
        service = self._services.get(start)
        if service is not None and service.uuid != uuid:
            service.uuid, service.name = uuid, self.name(uuid)
            self._dirty = True

    def add_include(self, handle: int, start: int, end: int, uuid: str | None, frame: int) -> None:
        """An include declaration (Part G 4.5); the included service becomes known too."""
        if handle <= 0:
            return
        self._includes[handle] = Include(handle, start, end, uuid)
        self._types[handle] = INCLUDE
        self.add_service(start, end, uuid, None, frame)
        self._dirty = True

    def add_characteristic(
        self, declaration: int, properties: int, value_handle: int, uuid: str, frame: int
    ) -> None:
        """A characteristic declaration (Part G 4.6)."""
        if declaration <= 0 or value_handle <= 0:
            return
        old = self._chars.get(declaration)
        fields = (properties, value_handle, uuid)
        if old is not None and (old.properties, old.value_handle, old.uuid) == fields:
            return  # discovered again (a new connection): nothing changed
        self._chars[declaration] = Characteristic(
            declaration, properties, value_handle, uuid, self.name(uuid), frame
        )
        self._types[declaration] = CHARACTERISTIC
        self._types[value_handle] = uuid
        if uuid == SERVICE_CHANGED:
            self.service_changed_handle = value_handle
        elif self.service_changed_handle == value_handle:
            self.service_changed_handle = None
        self._dirty = True

    def add_type(self, handle: int, uuid: str) -> None:
        """An attribute's type (Find Information, Part G 4.7; Read By Type)."""
        if handle > 0 and self._types.get(handle) != uuid:
            self._types[handle] = uuid
            self._dirty = True

    def set_value(
        self, handle: int, value: bytes, frame: int, ts_us: int, connection: str, source: str
    ) -> AttributeValue | None:
        if not 0 < handle <= MAX_HANDLE:
            return None
        found = AttributeValue(handle, value[:MAX_VALUE], frame, ts_us, connection, source)
        self._values[handle] = found
        return found

    def notified(
        self,
        client: str,
        connection: str,
        handle: int,
        value: bytes,
        frame: int,
        ts_us: int,
        indication: bool,
    ) -> CccdState | None:
        """A notification or indication of `handle` to `client` (Part G 4.10, 4.11): its
        value stored, a Service Changed range dropped (7.1). Returns the client's CCCD state
        when it is known to disable this and has not been reported yet (3.3.3.3); the caller
        reports it."""
        if indication and (
            handle == self.service_changed_handle or self._types.get(handle) == SERVICE_CHANGED
        ):
            if len(value) == 4:
                start, end = _HANDLE_PAIR.unpack(value)
                self.invalidate(start, end, frame, "Service Changed indication")
            self.service_changed_handle = handle
        if 0 < handle <= MAX_HANDLE:
            source = "indication" if indication else "notification"
            self._values[handle] = AttributeValue(
                handle, value[:MAX_VALUE], frame, ts_us, connection, source
            )
        if self._dirty:
            self._reindex()
        cccd = self._cccd_of.get(handle)
        if cccd is None:
            return None
        state = self._cccd.get((client, cccd))
        if state is None or state.value is None or state.pending or state.reported:
            return None
        if state.value & (_INDICATE if indication else _NOTIFY):
            return None
        state.reported = True
        return state

    def set_cccd(
        self, client: str, handle: int, value: int | None, frame: int | None, connection: str
    ) -> CccdState | None:
        """A client's CCCD value, read or written (Part G 4.12)."""
        key = (client, handle)
        state = self._cccd.get(key)
        if state is None:
            if len(self._cccd) >= MAX_CLIENT_STATES:
                return None
            state = self._cccd[key] = CccdState(client, handle, value, frame, connection)
        else:
            state.value, state.frame, state.connection = value, frame, connection
            state.reported = False
        state.pending = False
        return state

    def cccd_write_started(self, client: str, handle: int) -> None:
        """A Write Request to a CCCD went out: until its answer the state is in flux."""
        state = self._cccd.get((client, handle))
        if state is not None:  # an unknown state stays unknown: nothing is checked against it
            state.pending = True

    def cccd_write_ended(self, client: str, handle: int) -> None:
        state = self._cccd.get((client, handle))
        if state is not None:
            state.pending = False

    def invalidate(self, start: int, end: int, frame: int, reason: str) -> None:
        """The server's attributes from `start` to `end` changed (Part G 7.1, 7.3)."""
        start, end = max(start, 1), min(end, MAX_HANDLE)
        if start > end:
            return
        self._fresh()  # characteristics in their services, as they were
        known = GattDatabase(self.device, self.address, self.names)
        known.connections = list(self.connections)
        for s in self._overlapping(start, end):
            known._services[s.start] = self._services.pop(s.start)
        self._service_starts = sorted(self._services)
        known._service_starts = sorted(known._services)
        for c in [c for c in self._chars.values() if start <= c.declaration <= end]:
            known._chars[c.declaration] = self._chars.pop(c.declaration)
        _move_in(self._includes, known._includes, start, end)
        _move_in(self._types, known._types, start, end)
        _move_in(self._values, known._values, start, end)
        for key in [k for k in self._cccd if start <= k[1] <= end]:
            known._cccd[key] = self._cccd.pop(key)
        if len(self.invalidations) < MAX_LISTED:
            self.invalidations.append(Invalidation(start, end, frame, reason, known))
        self._dirty = True

    # -- structure ----------------------------------------------------------------------------

    def _reindex(self) -> None:
        """Sort services and characteristics; give each characteristic its end handle,
        descriptors and CCCD (Part G 3.3.3: descriptors follow the value up to the next
        declaration or the end of the service)."""
        self._dirty = False
        types = self._types
        typed = sorted(types)
        bounds = [h for h in typed if types[h] in DECLARATION_TYPES]
        services = sorted(self._services.values(), key=lambda s: s.start)
        starts = [s.start for s in services]
        for service in services:
            service.characteristics, service.includes = [], []
        chars = sorted(self._chars.values(), key=lambda c: c.declaration)
        cccd_of: dict[int, int] = {}
        for char in chars:
            owner = _containing(services, starts, char.declaration)
            i = bisect_right(bounds, char.value_handle)
            end = bounds[i] - 1 if i < len(bounds) else MAX_HANDLE
            if owner is not None:
                end = min(end, owner.end)
                owner.characteristics.append(char)
            char.end = max(end, char.value_handle)
            lo, hi = bisect_right(typed, char.value_handle), bisect_right(typed, char.end)
            char.descriptors = [Descriptor(h, types[h], self.name(types[h])) for h in typed[lo:hi]]
            cccd = char.cccd
            if cccd is not None:
                cccd_of.setdefault(char.value_handle, cccd)
        for include in sorted(self._includes.values(), key=lambda i: i.handle):
            holder = _containing(services, starts, include.handle)
            if holder is not None:
                holder.includes.append(include)
        self._sorted_services, self._starts = services, starts
        self._sorted_chars, self._decls = chars, [c.declaration for c in chars]
        self._cccd_of = cccd_of

    def _fresh(self) -> None:
        if self._dirty:
            self._reindex()

    # -- queries ------------------------------------------------------------------------------

    @property
    def services(self) -> list[Service]:
        """Every known service in handle order, with its includes and characteristics."""
        self._fresh()
        return list(self._sorted_services)

    @property
    def characteristics(self) -> list[Characteristic]:
        """Every known characteristic in handle order (also those outside known services)."""
        self._fresh()
        return list(self._sorted_chars)

    def service(self, uuid: str) -> Service | None:
        """The first service with this UUID."""
        return next((s for s in self.services if s.uuid == uuid), None)

    def characteristic(self, uuid: str) -> Characteristic | None:
        """The first characteristic with this UUID."""
        return next((c for c in self.characteristics if c.uuid == uuid), None)

    def service_at(self, handle: int) -> Service | None:
        """The service whose range holds `handle`."""
        self._fresh()
        return _containing(self._sorted_services, self._starts, handle)

    def characteristic_at(self, handle: int) -> Characteristic | None:
        """The characteristic whose declaration, value or descriptors hold `handle`."""
        self._fresh()
        i = bisect_right(self._decls, handle) - 1
        if i < 0:
            return None
        char = self._sorted_chars[i]
        return char if handle <= char.end else None

    def service_starting_at(self, handle: int) -> Service | None:
        return self._services.get(handle)

    def attribute_type(self, handle: int) -> str | None:
        return self._types.get(handle)

    @property
    def attribute_types(self) -> dict[int, str]:
        return dict(sorted(self._types.items()))

    def cccd_handle(self, value_handle: int) -> int | None:
        """The CCCD of the characteristic with this value handle, when known."""
        if self._dirty:
            self._reindex()
        return self._cccd_of.get(value_handle)

    def value(self, handle: int) -> AttributeValue | None:
        return self._values.get(handle)

    @property
    def values(self) -> list[AttributeValue]:
        return [self._values[h] for h in sorted(self._values)]

    def cccd_state(self, client: str, handle: int) -> CccdState | None:
        return self._cccd.get((client, handle))

    def cccd_states(self, client: str | None = None) -> list[CccdState]:
        """Each client's CCCD states (of one client, or all), in handle order."""
        found = [s for s in self._cccd.values() if client is None or s.client == client]
        return sorted(found, key=lambda s: (s.client, s.handle))

    def decode(self, handle: int, value: bytes | None = None) -> GattValue | None:
        """An attribute's value decoded by its type; its last value when none is given."""
        if value is None:
            last = self._values.get(handle)
            value = None if last is None else last.value
        return decode_value(self._types.get(handle), value)

    def record(self) -> GattDatabaseRecord:
        services = self.services
        inside = {c.declaration for s in services for c in s.characteristics}
        return GattDatabaseRecord(
            self.device, self.address, list(self.connections), services,
            [c for c in self.characteristics if c.declaration not in inside],
            self.attribute_types, self.values, self.cccd_states(),
            [i.record() for i in self.invalidations],
        )  # fmt: skip


def _containing(services: list[Service], starts: list[int], handle: int) -> Service | None:
    i = bisect_right(starts, handle) - 1
    if i >= 0 and services[i].end >= handle:
        return services[i]
    return None


def overlapping(services: list[Service]) -> list[tuple[Service, Service]]:
    """Pairs of services whose ranges overlap (none in a consistent database)."""
    ordered = sorted(services, key=lambda s: s.start)
    starts = [s.start for s in ordered]
    pairs = []
    for i, service in enumerate(ordered):
        j = bisect_left(starts, service.end + 1)
        pairs += [(service, other) for other in ordered[i + 1 : j]]
    return pairs
