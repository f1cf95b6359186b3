"""A small GATT server model: the peripheral's attribute table and its answers to requests.

Scenarios declare services and characteristics; `GattServer` lays them out as attributes
(Core 5.4, Vol 3, Part G, 3: service declaration, characteristic declaration, value,
descriptors) and answers ATT requests the way a conforming server does (Vol 3, Part F, 3.4),
honouring the negotiated ATT_MTU, so a scenario never writes a response by hand and can
never write an inconsistent one.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import att_pdus as att

# Characteristic properties (Vol 3, Part G, 3.3.1.1)
READ = 0x02
WRITE_WITHOUT_RESPONSE = 0x04
WRITE = 0x08
NOTIFY = 0x10
INDICATE = 0x20

WriteHook = Callable[[bytes], "int | None"]
"""Called with a written value; returns an ATT error code to refuse it, or None."""


@dataclass
class Characteristic:
    uuid: att.Uuid
    properties: int
    value: bytes = b""
    on_write: WriteHook | None = None
    # Client Characteristic Configuration (Vol 3, Part G, 3.3.3.3) when notify/indicate
    descriptors: list[tuple[att.Uuid, bytes]] = field(default_factory=list)


@dataclass
class Service:
    uuid: att.Uuid
    characteristics: list[Characteristic]


@dataclass
class Attribute:
    handle: int
    type: att.Uuid
    value: bytes
    readable: bool = True
    writable: bool = False
    group_end: int = 0  # service declarations: last handle of the service
    on_write: WriteHook | None = None


class GattServer:
    """The attribute table of one server and its ATT request handler."""

    def __init__(self, services: list[Service], rx_mtu: int = 23, first_handle: int = 1) -> None:
        self.rx_mtu = rx_mtu
        self.mtu = 23  # ATT_MTU until an MTU exchange (Vol 3, Part F, 3.2.8)
        self.attributes: list[Attribute] = []
        self._value_handles: dict[att.Uuid, int] = {}
        handle = first_handle
        for service in services:
            decl = Attribute(handle, att.PRIMARY_SERVICE, att.uuid_bytes(service.uuid))
            self.attributes.append(decl)
            handle += 1
            for char in service.characteristics:
                handle = self._add_characteristic(char, handle)
            decl.group_end = handle - 1
        self._by_handle = {a.handle: a for a in self.attributes}

    def _add_characteristic(self, char: Characteristic, handle: int) -> int:
        """Declaration, value and descriptors (Vol 3, Part G, 3.3.1, 3.3.2, 3.3.3)."""
        decl_value = struct.pack("<BH", char.properties, handle + 1) + att.uuid_bytes(char.uuid)
        self.attributes.append(Attribute(handle, att.CHARACTERISTIC, decl_value))
        writable = bool(char.properties & (WRITE | WRITE_WITHOUT_RESPONSE))
        self.attributes.append(
            Attribute(
                handle + 1,
                char.uuid,
                char.value,
                bool(char.properties & READ),
                writable,
                on_write=char.on_write,
            )
        )
        self._value_handles.setdefault(char.uuid, handle + 1)
        handle += 2
        descriptors = list(char.descriptors)
        if char.properties & (NOTIFY | INDICATE):
            descriptors.insert(0, (att.CCCD, b"\x00\x00"))
        for uuid, value in descriptors:
            self.attributes.append(Attribute(handle, uuid, value, True, uuid == att.CCCD))
            handle += 1
        return handle

    # -- what scenarios ask ----------------------------------------------------------------

    def handle_of(self, uuid: att.Uuid) -> int:
        """The value handle of the first characteristic with this UUID."""
        return self._value_handles[uuid]

    def cccd_of(self, uuid: att.Uuid) -> int:
        value = self.handle_of(uuid)
        for attr in self.attributes:
            if attr.handle > value and attr.type == att.CHARACTERISTIC:
                break
            if attr.handle > value and attr.type == att.CCCD:
                return attr.handle
        raise KeyError(f"characteristic {uuid!r} has no CCCD")

    def value(self, handle: int) -> bytes:
        return self._by_handle[handle].value

    def set_value(self, uuid: att.Uuid, value: bytes) -> None:
        self._by_handle[self.handle_of(uuid)].value = value

    def notification(self, uuid: att.Uuid, value: bytes) -> bytes:
        """ATT_HANDLE_VALUE_NTF for a characteristic; only sent when the client enabled
        notifications in its CCCD (Vol 3, Part G, 3.3.3.3)."""
        if not att.u16(self.value(self.cccd_of(uuid))) & 0x0001:
            raise RuntimeError(f"notification of {uuid!r} without the client subscribing")
        handle = self.handle_of(uuid)
        self.set_value(uuid, value)
        return att.handle_value_ntf(handle, value[: self.mtu - 3])

    # -- ATT request handling --------------------------------------------------------------

    def respond(self, pdu: bytes) -> bytes:
        """The server's answer to one ATT request."""
        opcode = pdu[0]
        handler = self._HANDLERS.get(opcode)
        if handler is None:
            return att.error_rsp(opcode, 0x0000, att.REQUEST_NOT_SUPPORTED)
        return handler(self, pdu)

    def _in_range(self, pdu: bytes) -> tuple[int, int, list[Attribute]] | bytes:
        start, end = struct.unpack_from("<HH", pdu, 1)
        if start == 0 or start > end:
            return att.error_rsp(pdu[0], start, att.INVALID_HANDLE)
        return start, end, [a for a in self.attributes if start <= a.handle <= end]

    def _exchange_mtu(self, pdu: bytes) -> bytes:
        """Vol 3, Part F, 3.4.2: ATT_MTU becomes the smaller of the two Rx MTUs."""
        self.mtu = max(23, min(att.u16(pdu, 1), self.rx_mtu))
        return att.exchange_mtu_rsp(self.rx_mtu)

    def _read_by_group_type(self, pdu: bytes) -> bytes:
        """Vol 3, Part F, 3.4.4.9/10: grouping attributes of one value length, up to MTU."""
        found = self._in_range(pdu)
        if isinstance(found, bytes):
            return found
        start, _end, attrs = found
        group = att.uuid_from(pdu[5:])
        if group not in (att.PRIMARY_SERVICE, 0x2801):
            return att.error_rsp(pdu[0], start, att.UNSUPPORTED_GROUP_TYPE)
        entries: list[tuple[int, int, bytes]] = []
        for attr in (a for a in attrs if a.type == group):
            if entries and len(attr.value) != len(entries[0][2]):
                break
            if 2 + (len(entries) + 1) * (4 + len(attr.value)) > self.mtu:
                break
            entries.append((attr.handle, attr.group_end, attr.value))
        if not entries:
            return att.error_rsp(pdu[0], start, att.ATTRIBUTE_NOT_FOUND)
        return att.read_by_group_type_rsp(entries)

    def _read_by_type(self, pdu: bytes) -> bytes:
        """Vol 3, Part F, 3.4.4.1/2: handle-value pairs of one length, up to MTU."""
        found = self._in_range(pdu)
        if isinstance(found, bytes):
            return found
        start, _end, attrs = found
        wanted = att.uuid_from(pdu[5:])
        entries: list[tuple[int, bytes]] = []
        for attr in (a for a in attrs if a.type == wanted):
            if not attr.readable:
                if entries:
                    break
                return att.error_rsp(pdu[0], attr.handle, att.READ_NOT_PERMITTED)
            value = attr.value[: min(self.mtu - 4, 253)]
            if entries and len(value) != len(entries[0][1]):
                break
            if 2 + (len(entries) + 1) * (2 + len(value)) > self.mtu:
                break
            entries.append((attr.handle, value))
        if not entries:
            return att.error_rsp(pdu[0], start, att.ATTRIBUTE_NOT_FOUND)
        return att.read_by_type_rsp(entries)

    def _find_information(self, pdu: bytes) -> bytes:
        """Vol 3, Part F, 3.4.3.1/2: handle-UUID pairs of one UUID size, up to MTU."""
        found = self._in_range(pdu)
        if isinstance(found, bytes):
            return found
        start, _end, attrs = found
        entries: list[tuple[int, att.Uuid]] = []
        for attr in attrs:
            size = len(att.uuid_bytes(attr.type))
            if entries and size != len(att.uuid_bytes(entries[0][1])):
                break
            if 2 + (len(entries) + 1) * (2 + size) > self.mtu:
                break
            entries.append((attr.handle, attr.type))
        if not entries:
            return att.error_rsp(pdu[0], start, att.ATTRIBUTE_NOT_FOUND)
        return att.find_information_rsp(entries)

    def _readable(self, pdu: bytes) -> Attribute | bytes:
        handle = att.u16(pdu, 1)
        attr = self._by_handle.get(handle)
        if attr is None:
            return att.error_rsp(pdu[0], handle, att.INVALID_HANDLE)
        if not attr.readable:
            return att.error_rsp(pdu[0], handle, att.READ_NOT_PERMITTED)
        return attr

    def _read(self, pdu: bytes) -> bytes:
        """Vol 3, Part F, 3.4.4.3/4: the first ATT_MTU-1 octets of the value."""
        attr = self._readable(pdu)
        if isinstance(attr, bytes):
            return attr
        return att.read_rsp(attr.value[: self.mtu - 1])

    def _read_blob(self, pdu: bytes) -> bytes:
        """Vol 3, Part F, 3.4.4.5/6: ATT_MTU-1 octets from the offset."""
        attr = self._readable(pdu)
        if isinstance(attr, bytes):
            return attr
        offset = att.u16(pdu, 3)
        if offset > len(attr.value):
            return att.error_rsp(pdu[0], attr.handle, att.INVALID_OFFSET)
        return att.read_blob_rsp(attr.value[offset : offset + self.mtu - 1])

    def _write(self, pdu: bytes) -> bytes:
        """Vol 3, Part F, 3.4.5.1/2; a CCCD takes exactly two octets (Vol 3, Part G,
        3.3.3.3)."""
        handle = att.u16(pdu, 1)
        value = pdu[3:]
        attr = self._by_handle.get(handle)
        if attr is None:
            return att.error_rsp(pdu[0], handle, att.INVALID_HANDLE)
        if not attr.writable:
            return att.error_rsp(pdu[0], handle, att.WRITE_NOT_PERMITTED)
        if attr.type == att.CCCD and len(value) != 2:
            return att.error_rsp(pdu[0], handle, att.INVALID_ATTRIBUTE_VALUE_LENGTH)
        if attr.on_write is not None:
            error = attr.on_write(value)
            if error is not None:
                return att.error_rsp(pdu[0], handle, error)
        attr.value = value
        return att.write_rsp()

    _HANDLERS: ClassVar[dict[int, Callable[[GattServer, bytes], bytes]]] = {
        att.EXCHANGE_MTU_REQ: _exchange_mtu,
        att.FIND_INFORMATION_REQ: _find_information,
        att.READ_BY_TYPE_REQ: _read_by_type,
        att.READ_REQ: _read,
        att.READ_BLOB_REQ: _read_blob,
        att.READ_BY_GROUP_TYPE_REQ: _read_by_group_type,
        att.WRITE_REQ: _write,
    }
