"""A server's GATT database as export records: one `gatt_server` record, then one
`gatt_service` record per service. Every attribute the capture revealed lands in exactly
one place: a characteristic (its value or a descriptor), a service's other attributes, or
the server's attributes outside any known service."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict

from attscope.dissector.analysis.gatt_db import (
    AttributeValue,
    CccdState,
    Characteristic,
    GattDatabase,
    Invalidation,
    Service,
)
from attscope.export.convert import Clock
from attscope.export.records import (
    ExportAttribute,
    ExportCccd,
    ExportCharacteristic,
    ExportGattServer,
    ExportGattService,
    ExportInclude,
    ExportInvalidation,
    ExportValue,
)


class _Attributes:
    """One database's values and CCCD states by handle, turned into records."""

    def __init__(self, db: GattDatabase, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.types = db.attribute_types
        self.values: dict[int, AttributeValue] = {v.handle: v for v in db.values}
        self.cccd: dict[int, list[CccdState]] = defaultdict(list)
        for state in db.cccd_states():
            self.cccd[state.handle].append(state)

    def value(self, handle: int) -> ExportValue | None:
        last = self.values.get(handle)
        if last is None:
            return None
        decoded = self.db.decode(handle)
        return ExportValue(
            value=last.value.hex(),
            decoded=decoded.text() if decoded is not None else None,
            frame=last.frame,
            time_us=last.ts_us,
            time=self.clock(last.ts_us),
            connection=last.connection,
            source=last.source,
        )

    def attribute(self, handle: int) -> ExportAttribute:
        uuid = self.types.get(handle)
        states = [
            ExportCccd(s.client, s.value, list(s.enabled), s.frame, s.connection)
            for s in self.cccd.get(handle, ())
        ]
        return ExportAttribute(handle, uuid, self.db.name(uuid), self.value(handle), states)

    def characteristic(self, char: Characteristic) -> ExportCharacteristic:
        return ExportCharacteristic(
            declaration_handle=char.declaration,
            value_handle=char.value_handle,
            end_handle=char.end,
            uuid=char.uuid,
            name=char.name,
            properties=char.properties,
            property_names=list(char.property_names),
            frame=char.frame,
            value=self.value(char.value_handle),
            descriptors=[self.attribute(d.handle) for d in char.descriptors],
        )


def _loose_handles(db: GattDatabase, attrs: _Attributes, services: list[Service]) -> list[int]:
    """Handles known (by type, value or CCCD state) that no characteristic holds; a
    declaration only when a value was read from it (its structure says the rest)."""
    held: set[int] = set()
    declarations: set[int] = set()
    for char in db.characteristics:
        held.add(char.value_handle)
        held.update(d.handle for d in char.descriptors)
        declarations.add(char.declaration)
    for service in services:
        declarations.add(service.start)
        declarations.update(i.handle for i in service.includes)
    known = set(attrs.types) | set(attrs.values) | set(attrs.cccd)
    return sorted(
        h for h in known if h not in held and (h not in declarations or h in attrs.values)
    )


def gatt_records(db: GattDatabase, clock: Clock) -> list[ExportGattServer | ExportGattService]:
    """The server record, then its services in handle order."""
    attrs = _Attributes(db, clock)
    services = db.services
    starts = [s.start for s in services]
    loose: dict[int | None, list[int]] = defaultdict(list)  # by service start; None: outside
    for handle in _loose_handles(db, attrs, services):
        i = bisect_right(starts, handle) - 1
        inside = i >= 0 and handle <= services[i].end
        loose[services[i].start if inside else None].append(handle)
    in_services = {c.declaration for s in services for c in s.characteristics}
    server = ExportGattServer(
        server=db.device,
        address=db.address,
        connections=list(db.connections),
        services=len(services),
        characteristics=[
            attrs.characteristic(c) for c in db.characteristics if c.declaration not in in_services
        ],
        attributes=[attrs.attribute(h) for h in loose[None]],
        invalidations=[_invalidation(i, clock) for i in db.invalidations],
    )
    records: list[ExportGattServer | ExportGattService] = [server]
    for service in services:
        records.append(
            ExportGattService(
                server=db.device,
                server_address=db.address,
                start_handle=service.start,
                end_handle=service.end,
                uuid=service.uuid,
                name=service.name,
                primary=service.primary,
                frame=service.frame,
                includes=[
                    ExportInclude(i.handle, i.start, i.end, i.uuid, db.name(i.uuid))
                    for i in service.includes
                ],
                characteristics=[attrs.characteristic(c) for c in service.characteristics],
                attributes=[attrs.attribute(h) for h in loose[service.start]],
            )
        )
    return records


def _invalidation(found: Invalidation, clock: Clock) -> ExportInvalidation:
    server, *services = gatt_records(found.known, clock)
    assert isinstance(server, ExportGattServer)
    return ExportInvalidation(
        found.start, found.end, found.frame, found.reason,
        [s for s in services if isinstance(s, ExportGattService)],
        server.characteristics, server.attributes,
    )  # fmt: skip
