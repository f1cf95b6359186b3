"""GATT client procedures the way Android's Bluetooth stack runs them over a `Connection`.

Service discovery (Core 5.4, Vol 3, Part G, 4.4.1 Discover All Primary Services, 4.5.1 Find
Included Services, 4.6.1 Discover All Characteristics of a Service, 4.7.1 Discover All
Characteristic Descriptors) in Android's order: all primary services first, then per
service its includes, its characteristics and their descriptors, each procedure repeated
from the handle after the last one found until the server answers Attribute Not Found.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import att_pdus as att
from scenario import Connection


@dataclass
class DiscoveredCharacteristic:
    declaration: int
    properties: int
    value_handle: int
    uuid: att.Uuid
    descriptors: list[tuple[int, att.Uuid]] = field(default_factory=list)


@dataclass
class DiscoveredService:
    start: int
    end: int
    uuid: att.Uuid
    characteristics: list[DiscoveredCharacteristic] = field(default_factory=list)


def exchange_mtu(conn: Connection, client_rx_mtu: int = 517) -> int:
    """Exchange MTU (Vol 3, Part G, 4.3.1); returns the ATT_MTU both sides now use."""
    rsp = conn.att(att.exchange_mtu_req(client_rx_mtu))
    conn.mtu = max(23, min(client_rx_mtu, att.u16(rsp, 1)))
    return conn.mtu


def discover(conn: Connection) -> list[DiscoveredService]:
    services = _primary_services(conn)
    for service in services:
        _included_services(conn, service)
        _characteristics(conn, service)
        _descriptors(conn, service)
    return services


def _primary_services(conn: Connection) -> list[DiscoveredService]:
    """Read By Group Type (0x2800) from 0x0001 to 0xFFFF, then from the handle after the
    last group end, until Attribute Not Found (Vol 3, Part G, 4.4.1)."""
    services: list[DiscoveredService] = []
    start = 0x0001
    while True:
        rsp = conn.att(att.read_by_group_type_req(start, 0xFFFF, att.PRIMARY_SERVICE))
        if rsp[0] != att.READ_BY_GROUP_TYPE_RSP:
            return services
        for entry in att.parse_list(rsp):
            handle, end = struct.unpack_from("<HH", entry)
            services.append(DiscoveredService(handle, end, att.uuid_from(entry[4:])))
        if services[-1].end == 0xFFFF:
            return services
        start = services[-1].end + 1


def _included_services(conn: Connection, service: DiscoveredService) -> None:
    """Read By Type (0x2802) over the service range (Vol 3, Part G, 4.5.1)."""
    start = service.start
    while start <= service.end:
        rsp = conn.att(att.read_by_type_req(start, service.end, att.INCLUDE))
        if rsp[0] != att.READ_BY_TYPE_RSP:
            return
        start = att.u16(att.parse_list(rsp)[-1]) + 1


def _characteristics(conn: Connection, service: DiscoveredService) -> None:
    """Read By Type (0x2803) over the service range, again from the handle after the last
    declaration found, until Attribute Not Found (Vol 3, Part G, 4.6.1)."""
    start = service.start
    while start <= service.end:
        rsp = conn.att(att.read_by_type_req(start, service.end, att.CHARACTERISTIC))
        if rsp[0] != att.READ_BY_TYPE_RSP:
            return
        for entry in att.parse_list(rsp):
            decl, props, value_handle = struct.unpack_from("<HBH", entry)
            char = DiscoveredCharacteristic(decl, props, value_handle, att.uuid_from(entry[5:]))
            service.characteristics.append(char)
        start = service.characteristics[-1].declaration + 1


def _descriptors(conn: Connection, service: DiscoveredService) -> None:
    """Find Information over each characteristic's descriptor range, the handles between
    its value and the next declaration or the end of the service (Vol 3, Part G, 4.7.1);
    Android skips empty ranges."""
    chars = service.characteristics
    for i, char in enumerate(chars):
        end = chars[i + 1].declaration - 1 if i + 1 < len(chars) else service.end
        start = char.value_handle + 1
        while start <= end:
            rsp = conn.att(att.find_information_req(start, end))
            if rsp[0] != att.FIND_INFORMATION_RSP:
                break
            found = att.parse_find_information(rsp)
            char.descriptors += found
            start = found[-1][0] + 1


def find(services: list[DiscoveredService], uuid: att.Uuid) -> DiscoveredCharacteristic:
    """The first discovered characteristic with this UUID."""
    for service in services:
        for char in service.characteristics:
            if char.uuid == uuid:
                return char
    raise KeyError(uuid)


def cccd(char: DiscoveredCharacteristic) -> int:
    for handle, uuid in char.descriptors:
        if uuid == att.CCCD:
            return handle
    raise KeyError(f"characteristic {char.uuid!r} has no CCCD")


def read(conn: Connection, handle: int) -> bytes:
    """Read Characteristic Value (Vol 3, Part G, 4.8.1), continued with Read Blob when the
    response filled ATT_MTU-1 octets, as Android's stack does (4.8.3)."""
    rsp = conn.att(att.read_req(handle))
    if rsp[0] != att.READ_RSP:
        return b""
    value = rsp[1:]
    part = value
    while len(part) == conn.mtu - 1:
        rsp = conn.att(att.read_blob_req(handle, len(value)))
        if rsp[0] != att.READ_BLOB_RSP:
            break
        part = rsp[1:]
        value += part
    return value


def write(conn: Connection, handle: int, value: bytes) -> bool:
    """Write Characteristic Value / Descriptor with a Write Request (Vol 3, Part G, 4.9.3,
    4.12.3); True when the server answered Write Response."""
    return conn.att(att.write_req(handle, value))[0] == att.WRITE_RSP
