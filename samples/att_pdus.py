"""L2CAP and ATT PDU builders (and the few response parsers a GATT client needs).

Layouts follow the Bluetooth Core Specification 5.4: L2CAP in Vol 3, Part A; ATT in Vol 3,
Part F, 3.4. Every multi-octet field is little-endian. UUIDs are ints for 16-bit UUIDs and
16-octet `bytes` (little-endian, as on the wire) for 128-bit ones.
"""

from __future__ import annotations

import struct

CID_ATT = 0x0004
CID_LE_SIGNALING = 0x0005

# ATT opcodes (Vol 3, Part F, 3.4.8)
ERROR_RSP = 0x01
EXCHANGE_MTU_REQ = 0x02
EXCHANGE_MTU_RSP = 0x03
FIND_INFORMATION_REQ = 0x04
FIND_INFORMATION_RSP = 0x05
READ_BY_TYPE_REQ = 0x08
READ_BY_TYPE_RSP = 0x09
READ_REQ = 0x0A
READ_RSP = 0x0B
READ_BLOB_REQ = 0x0C
READ_BLOB_RSP = 0x0D
READ_BY_GROUP_TYPE_REQ = 0x10
READ_BY_GROUP_TYPE_RSP = 0x11
WRITE_REQ = 0x12
WRITE_RSP = 0x13
HANDLE_VALUE_NTF = 0x1B
HANDLE_VALUE_IND = 0x1D
HANDLE_VALUE_CFM = 0x1E

# ATT error codes (Vol 3, Part F, 3.4.1.1)
INVALID_HANDLE = 0x01
READ_NOT_PERMITTED = 0x02
WRITE_NOT_PERMITTED = 0x03
REQUEST_NOT_SUPPORTED = 0x06
INVALID_OFFSET = 0x07
ATTRIBUTE_NOT_FOUND = 0x0A
ATTRIBUTE_NOT_LONG = 0x0B
INVALID_ATTRIBUTE_VALUE_LENGTH = 0x0D
UNSUPPORTED_GROUP_TYPE = 0x10

# GATT attribute types (Vol 3, Part G, 3)
PRIMARY_SERVICE = 0x2800
INCLUDE = 0x2802
CHARACTERISTIC = 0x2803
CCCD = 0x2902

# L2CAP LE signalling codes (Vol 3, Part A, 4)
CONNECTION_PARAMETER_UPDATE_REQ = 0x12
CONNECTION_PARAMETER_UPDATE_RSP = 0x13

Uuid = int | bytes

_U16 = struct.Struct("<H")
_HANDLES = struct.Struct("<HH")


def uuid_bytes(uuid: Uuid) -> bytes:
    """A UUID as it goes on the wire: 2 octets for a 16-bit UUID, 16 for a 128-bit one."""
    if isinstance(uuid, int):
        return _U16.pack(uuid)
    if len(uuid) != 16:
        raise ValueError("a 128-bit UUID is 16 octets")
    return uuid


def uuid_from(data: bytes) -> Uuid:
    return _U16.unpack(data)[0] if len(data) == 2 else bytes(data)


# -- L2CAP ------------------------------------------------------------------------------------


def l2cap(cid: int, payload: bytes) -> bytes:
    """L2CAP B-frame (Vol 3, Part A, 3.1): PDU length, channel ID, information payload."""
    return struct.pack("<HH", len(payload), cid) + payload


def signaling(code: int, identifier: int, data: bytes) -> bytes:
    """L2CAP signalling command (Vol 3, Part A, 4): code, identifier, data length, data."""
    return struct.pack("<BBH", code, identifier, len(data)) + data


def connection_parameter_update_req(
    identifier: int, interval_min: int, interval_max: int, latency: int, timeout: int
) -> bytes:
    """L2CAP_CONNECTION_PARAMETER_UPDATE_REQ (Vol 3, Part A, 4.20); 1.25 ms / 10 ms units."""
    data = struct.pack("<HHHH", interval_min, interval_max, latency, timeout)
    return signaling(CONNECTION_PARAMETER_UPDATE_REQ, identifier, data)


def connection_parameter_update_rsp(identifier: int, result: int = 0) -> bytes:
    """L2CAP_CONNECTION_PARAMETER_UPDATE_RSP (Vol 3, Part A, 4.21); result 0 accepted."""
    return signaling(CONNECTION_PARAMETER_UPDATE_RSP, identifier, _U16.pack(result))


# -- ATT requests (client to server) ----------------------------------------------------------


def exchange_mtu_req(client_rx_mtu: int) -> bytes:
    """ATT_EXCHANGE_MTU_REQ (Vol 3, Part F, 3.4.2.1)."""
    return bytes((EXCHANGE_MTU_REQ,)) + _U16.pack(client_rx_mtu)


def find_information_req(start: int, end: int) -> bytes:
    """ATT_FIND_INFORMATION_REQ (Vol 3, Part F, 3.4.3.1)."""
    return bytes((FIND_INFORMATION_REQ,)) + _HANDLES.pack(start, end)


def read_by_type_req(start: int, end: int, uuid: Uuid) -> bytes:
    """ATT_READ_BY_TYPE_REQ (Vol 3, Part F, 3.4.4.1)."""
    return bytes((READ_BY_TYPE_REQ,)) + _HANDLES.pack(start, end) + uuid_bytes(uuid)


def read_req(handle: int) -> bytes:
    """ATT_READ_REQ (Vol 3, Part F, 3.4.4.3)."""
    return bytes((READ_REQ,)) + _U16.pack(handle)


def read_blob_req(handle: int, offset: int) -> bytes:
    """ATT_READ_BLOB_REQ (Vol 3, Part F, 3.4.4.5)."""
    return bytes((READ_BLOB_REQ,)) + _HANDLES.pack(handle, offset)


def read_by_group_type_req(start: int, end: int, uuid: Uuid) -> bytes:
    """ATT_READ_BY_GROUP_TYPE_REQ (Vol 3, Part F, 3.4.4.9)."""
    return bytes((READ_BY_GROUP_TYPE_REQ,)) + _HANDLES.pack(start, end) + uuid_bytes(uuid)


def write_req(handle: int, value: bytes) -> bytes:
    """ATT_WRITE_REQ (Vol 3, Part F, 3.4.5.1)."""
    return bytes((WRITE_REQ,)) + _U16.pack(handle) + value


def handle_value_cfm() -> bytes:
    """ATT_HANDLE_VALUE_CFM (Vol 3, Part F, 3.4.7.3)."""
    return bytes((HANDLE_VALUE_CFM,))


# -- ATT responses and server-initiated PDUs --------------------------------------------------


def error_rsp(request_opcode: int, handle: int, code: int) -> bytes:
    """ATT_ERROR_RSP (Vol 3, Part F, 3.4.1.1): request opcode in error, handle, error code."""
    return struct.pack("<BBHB", ERROR_RSP, request_opcode, handle, code)


def exchange_mtu_rsp(server_rx_mtu: int) -> bytes:
    """ATT_EXCHANGE_MTU_RSP (Vol 3, Part F, 3.4.2.2)."""
    return bytes((EXCHANGE_MTU_RSP,)) + _U16.pack(server_rx_mtu)


def find_information_rsp(entries: list[tuple[int, Uuid]]) -> bytes:
    """ATT_FIND_INFORMATION_RSP (Vol 3, Part F, 3.4.3.2): format 0x01 (16-bit UUIDs) or
    0x02 (128-bit), then handle-UUID pairs all of that format."""
    fmt = 0x01 if isinstance(entries[0][1], int) else 0x02
    body = b"".join(_U16.pack(h) + uuid_bytes(u) for h, u in entries)
    return bytes((FIND_INFORMATION_RSP, fmt)) + body


def read_by_type_rsp(entries: list[tuple[int, bytes]]) -> bytes:
    """ATT_READ_BY_TYPE_RSP (Vol 3, Part F, 3.4.4.2): length of each handle-value pair, then
    the pairs (all values the same length)."""
    length = 2 + len(entries[0][1])
    body = b"".join(_U16.pack(h) + v for h, v in entries)
    return bytes((READ_BY_TYPE_RSP, length)) + body


def read_rsp(value: bytes) -> bytes:
    """ATT_READ_RSP (Vol 3, Part F, 3.4.4.4)."""
    return bytes((READ_RSP,)) + value


def read_blob_rsp(part: bytes) -> bytes:
    """ATT_READ_BLOB_RSP (Vol 3, Part F, 3.4.4.6)."""
    return bytes((READ_BLOB_RSP,)) + part


def read_by_group_type_rsp(entries: list[tuple[int, int, bytes]]) -> bytes:
    """ATT_READ_BY_GROUP_TYPE_RSP (Vol 3, Part F, 3.4.4.10): length of each entry, then
    (attribute handle, end group handle, value) entries."""
    length = 4 + len(entries[0][2])
    body = b"".join(_HANDLES.pack(h, e) + v for h, e, v in entries)
    return bytes((READ_BY_GROUP_TYPE_RSP, length)) + body


def write_rsp() -> bytes:
    """ATT_WRITE_RSP (Vol 3, Part F, 3.4.5.2)."""
    return bytes((WRITE_RSP,))


def handle_value_ntf(handle: int, value: bytes) -> bytes:
    """ATT_HANDLE_VALUE_NTF (Vol 3, Part F, 3.4.7.1)."""
    return bytes((HANDLE_VALUE_NTF,)) + _U16.pack(handle) + value


# -- parsers for the client side --------------------------------------------------------------


def parse_list(pdu: bytes) -> list[bytes]:
    """The entries of a Read By Type / Read By Group Type response (length-prefixed list)."""
    size = pdu[1]
    body = pdu[2:]
    return [body[i : i + size] for i in range(0, len(body), size)]


def parse_find_information(pdu: bytes) -> list[tuple[int, Uuid]]:
    size = 2 if pdu[1] == 0x01 else 16
    body = pdu[2:]
    step = 2 + size
    return [
        (_U16.unpack_from(body, i)[0], uuid_from(body[i + 2 : i + step]))
        for i in range(0, len(body), step)
    ]


def u16(data: bytes, offset: int = 0) -> int:
    return _U16.unpack_from(data, offset)[0]
