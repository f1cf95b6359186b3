"""ATT PDUs: every opcode of Core 5.4 Vol 3 Part F 3.4, one class each.

`decode_att(data)` looks the first byte up in `ATT_PDUS` and runs that class's compiled
codec; it never raises: bytes that do not form the PDU become a `Malformed` record and an
opcode nobody registered becomes an `AttUnknown` record. Every record's `to_bytes()` gives
the bytes back exactly. Classes whose layout is more than a flat field list (attribute data
lists, tuple lists, the signed write) write their own `decode_body` and `encode_body`; the
others are compiled from their field declarations (see `pdu.py`).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from enum import IntEnum
from functools import cache
from typing import Annotated, ClassVar, Self, TypeVar

import msgspec

from attscope.dissector.decoding.att_errors import error_name
from attscope.dissector.decoding.pdu import (
    REST,
    U8,
    U16,
    UUID,
    InvalidPdu,
    Pdu,
    Registry,
    TruncatedPdu,
    uuid_bytes,
    uuid_text,
)

# -- opcodes (3.3.1, 3.4.8) --------------------------------------------------------------

METHOD_MASK = 0x3F  # bits 0-5: the method
COMMAND_FLAG = 0x40  # bit 6: a command, which gets no response
AUTH_SIGNATURE_FLAG = 0x80  # bit 7: a 12-octet authentication signature ends the PDU


class AttOpcode(IntEnum):
    """Every ATT opcode of Core 5.4 (Vol 3 Part F 3.4.8)."""

    ERROR_RSP = 0x01
    EXCHANGE_MTU_REQ = 0x02
    EXCHANGE_MTU_RSP = 0x03
    FIND_INFORMATION_REQ = 0x04
    FIND_INFORMATION_RSP = 0x05
    FIND_BY_TYPE_VALUE_REQ = 0x06
    FIND_BY_TYPE_VALUE_RSP = 0x07
    READ_BY_TYPE_REQ = 0x08
    READ_BY_TYPE_RSP = 0x09
    READ_REQ = 0x0A
    READ_RSP = 0x0B
    READ_BLOB_REQ = 0x0C
    READ_BLOB_RSP = 0x0D
    READ_MULTIPLE_REQ = 0x0E
    READ_MULTIPLE_RSP = 0x0F
    READ_BY_GROUP_TYPE_REQ = 0x10
    READ_BY_GROUP_TYPE_RSP = 0x11
    WRITE_REQ = 0x12
    WRITE_RSP = 0x13
    PREPARE_WRITE_REQ = 0x16
    PREPARE_WRITE_RSP = 0x17
    EXECUTE_WRITE_REQ = 0x18
    EXECUTE_WRITE_RSP = 0x19
    HANDLE_VALUE_NTF = 0x1B
    HANDLE_VALUE_IND = 0x1D
    HANDLE_VALUE_CFM = 0x1E
    READ_MULTIPLE_VARIABLE_REQ = 0x20
    READ_MULTIPLE_VARIABLE_RSP = 0x21
    MULTIPLE_HANDLE_VALUE_NTF = 0x23
    WRITE_CMD = 0x52
    SIGNED_WRITE_CMD = 0xD2


_WORDS = {"REQ": "Request", "RSP": "Response", "CMD": "Command", "NTF": "Notification"}
_WORDS |= {"IND": "Indication", "CFM": "Confirmation", "MTU": "MTU"}
# btmon's and Wireshark's titles: "Read By Type Request"
TITLES: dict[int, str] = {
    op: " ".join(_WORDS.get(w, w.capitalize()) for w in op.name.split("_")) for op in AttOpcode
}

# request -> its success response (the server may answer any request with ATT_ERROR_RSP)
_RESPONSE_FOR: dict[int, int] = {
    op: op + 1 for op in (0x02, 0x04, 0x06, 0x08, 0x0A, 0x0C, 0x0E, 0x10, 0x12, 0x16, 0x18, 0x20)
}
_REQUEST_FOR: dict[int, int] = {rsp: req for req, rsp in _RESPONSE_FOR.items()}
REQUESTS = frozenset(_RESPONSE_FOR)
RESPONSES = frozenset(_REQUEST_FOR) | {AttOpcode.ERROR_RSP}
COMMANDS = frozenset({AttOpcode.WRITE_CMD, AttOpcode.SIGNED_WRITE_CMD})
NOTIFICATIONS = frozenset({AttOpcode.HANDLE_VALUE_NTF, AttOpcode.MULTIPLE_HANDLE_VALUE_NTF})
# what only a server sends: responses, notifications and indications
FROM_SERVER = frozenset(int(op) for op in RESPONSES | NOTIFICATIONS | {AttOpcode.HANDLE_VALUE_IND})


def opcode_name(opcode: int) -> str:
    """The specification's name, e.g. "ATT_READ_REQ"; "ATT_0x3F" for an unknown opcode."""
    try:
        return "ATT_" + AttOpcode(opcode).name
    except ValueError:
        return f"ATT_0x{opcode:02X}"


def opcode_title(opcode: int) -> str:
    """A btmon-like title, e.g. "Read Request"; "Unknown (0x3f)" for an unknown opcode."""
    return TITLES.get(opcode) or f"Unknown (0x{opcode:02x})"


def is_request(opcode: int) -> bool:
    """A request: the server answers it with its response or ATT_ERROR_RSP (3.3, 3.4.8)."""
    return opcode in REQUESTS


def is_response(opcode: int) -> bool:
    """A response to a request, ATT_ERROR_RSP included."""
    return opcode in RESPONSES


def response_for(request_opcode: int) -> int:
    """The success response's opcode for a request; raises ValueError for a non-request."""
    try:
        return _RESPONSE_FOR[request_opcode]
    except KeyError:
        raise ValueError(f"0x{request_opcode:02x} is not an ATT request") from None


def request_for(response_opcode: int) -> int:
    """The request a success response answers; raises ValueError for anything else."""
    try:
        return _REQUEST_FOR[response_opcode]
    except KeyError:
        raise ValueError(f"0x{response_opcode:02x} is not an ATT success response") from None


def is_command(opcode: int) -> bool:
    """Bit 6 of the opcode, the Command Flag (3.3.1): the PDU gets no response, and a
    server ignores a command it does not support."""
    return bool(opcode & COMMAND_FLAG)


def has_auth_signature(opcode: int) -> bool:
    """Bit 7 of the opcode, the Authentication Signature Flag (3.3.1)."""
    return bool(opcode & AUTH_SIGNATURE_FLAG)


def method(opcode: int) -> int:
    """Bits 0-5 of the opcode (3.3.1)."""
    return opcode & METHOD_MASK


# -- records -----------------------------------------------------------------------------


def _hex(value: bytes, limit: int = 16) -> str:
    """Bytes as btmon shows them ("06 48"), cut after `limit` bytes."""
    if len(value) <= limit:
        return value.hex(" ")
    return f"{value[:limit].hex(' ')} ... ({len(value)} bytes)"


def _uuid(text: str) -> str:
    return f"0x{text}" if len(text) <= 8 else text


def _show(name: str, value: object) -> str:
    """A parameter for a summary line: handles and 16-bit types in hex, bytes as hex."""
    if isinstance(value, bytes):
        return _hex(value) or "(empty)"
    if isinstance(value, str):
        return _uuid(value)
    if isinstance(value, tuple):
        items = [_show(name, item) for item in value]
        more = f", +{len(items) - 4} more" if len(items) > 4 else ""
        return ", ".join(items[:4]) + more
    if isinstance(value, int):
        return f"0x{value:04x}" if name.endswith(("handle", "handles", "_type")) else str(value)
    return str(value)  # list entries say themselves


_LABELS = {"client_rx_mtu": "client RX MTU", "server_rx_mtu": "server RX MTU"}


@cache
def _field_labels(cls: type[Pdu]) -> tuple[tuple[str, str], ...]:
    """Each field of a PDU class with its label in summaries, worked out once per class."""
    return tuple((n, _LABELS.get(n) or n.replace("_", " ")) for n in cls.__struct_fields__)


class AttPdu(Pdu, frozen=True):
    """Base of every ATT PDU record (3.3). The class knows its opcode; the record holds
    the parameters."""

    opcode: ClassVar[int]
    name: ClassVar[str]  # "ATT_READ_REQ"
    title: ClassVar[str]  # "Read Request"

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        """The PDU from its bytes, opcode first; raises InvalidPdu (see `decode_att`)."""
        if not data or data[0] != cls.opcode:
            raise InvalidPdu(f"{cls.name} starts with opcode 0x{cls.opcode:02x}")
        return cls.decode_body(data[1:])

    def to_bytes(self) -> bytes:
        return bytes((self.opcode,)) + self.encode_body()

    def summary(self) -> str:
        """One short btmon-like line: "Read Request handle 0x0003"."""
        parts = [self.title]
        for name, label in _field_labels(type(self)):
            parts.append(f"{label} {_show(name, getattr(self, name))}")
        return " ".join(parts)


ATT: Registry[AttPdu] = Registry(
    "att",
    code_attr="opcode",
    unknown=lambda code, params: AttUnknown(code, params),
    empty="empty ATT PDU",
)
ATT_PDUS = ATT.classes  # opcode -> class


def _named(cls: type[AttPdu]) -> None:
    cls.name = opcode_name(cls.CODE)
    cls.title = opcode_title(cls.CODE)


AttPduT = TypeVar("AttPduT", bound=AttPdu)


def att_pdu(opcode: int) -> Callable[[type[AttPduT]], type[AttPduT]]:
    """Register a PDU class for `opcode` (see `pdu.Registry`)."""
    return ATT.register(opcode, setup=_named)


class AttUnknown(AttPdu, frozen=True, tag="att_unknown"):
    """A PDU whose opcode no class is registered for, kept with its parameters: a server
    answers an unsupported request with Request Not Supported (3.4.1.1) and ignores an
    unsupported command (3.3)."""

    opcode: int  # type: ignore[misc]  # an instance field here, a class constant elsewhere
    params: bytes

    @property
    def name(self) -> str:  # type: ignore[override]  # a property here, a class constant elsewhere
        return opcode_name(self.opcode)

    @property
    def title(self) -> str:  # type: ignore[override]  # a property here, a class constant elsewhere
        return opcode_title(self.opcode)

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        if not data:
            raise TruncatedPdu("an ATT PDU has at least an opcode")
        return cls(data[0], data[1:])

    def encode_body(self) -> bytes:
        return self.params

    def summary(self) -> str:
        kind = "command" if is_command(self.opcode) else "PDU"
        text = f"Unknown ATT {kind} 0x{self.opcode:02x}"
        return f"{text} params {_hex(self.params)}" if self.params else text


# -- list entries ------------------------------------------------------------------------

_U16 = struct.Struct("<H")
_U16X2 = struct.Struct("<HH")


def _entries(what: str, body: bytes, start: int, size: int) -> range:
    """Where each `size`-byte entry of a non-empty list from `body[start:]` begins."""
    count, extra = divmod(len(body) - start, size)
    if count == 0 or extra:
        raise InvalidPdu(f"{what} of {len(body) - start} bytes is no list of {size}-byte entries")
    return range(start, len(body), size)


class HandleUuid(msgspec.Struct, frozen=True, gc=False):
    """An attribute handle and its type, in ATT_FIND_INFORMATION_RSP (3.4.3.2)."""

    handle: int
    uuid: str  # see pdu.uuid_text

    def __str__(self) -> str:
        return f"0x{self.handle:04x}: {_uuid(self.uuid)}"


class HandleRange(msgspec.Struct, frozen=True, gc=False):
    """Found attribute handle and group end handle (ATT_FIND_BY_TYPE_VALUE_RSP, 3.4.3.4)."""

    handle: int
    end_group_handle: int

    def __str__(self) -> str:
        return f"0x{self.handle:04x}-0x{self.end_group_handle:04x}"


class HandleValue(msgspec.Struct, frozen=True, gc=False):
    """A handle and a value: ATT_READ_BY_TYPE_RSP attribute data (3.4.4.2) and
    ATT_MULTIPLE_HANDLE_VALUE_NTF tuples (3.4.7.4)."""

    handle: int
    value: bytes

    def __str__(self) -> str:
        return f"0x{self.handle:04x}: {_hex(self.value, 8)}"


class GroupValue(msgspec.Struct, frozen=True, gc=False):
    """Attribute handle, end group handle and value (ATT_READ_BY_GROUP_TYPE_RSP, 3.4.4.10)."""

    handle: int
    end_group_handle: int
    value: bytes

    def __str__(self) -> str:
        return f"0x{self.handle:04x}-0x{self.end_group_handle:04x}: {_hex(self.value)}"


class LengthValue(msgspec.Struct, frozen=True, gc=False):
    """A tuple of ATT_READ_MULTIPLE_VARIABLE_RSP (3.4.4.12): the attribute value's length
    and the value, which is shorter than `length` when the response was cut at ATT_MTU."""

    length: int
    value: bytes

    @property
    def truncated(self) -> bool:
        return len(self.value) < self.length

    def __str__(self) -> str:
        return f"{_hex(self.value, 8) or '(empty)'}{' (cut)' if self.truncated else ''}"


# -- 3.4.1 error handling, 3.4.2 MTU exchange ----------------------------------------------


@att_pdu(0x01)
class ErrorResponse(AttPdu, frozen=True, tag="att_error_rsp"):
    """ATT_ERROR_RSP (3.4.1.1): the request that failed, the handle in error and why."""

    request_opcode: Annotated[int, U8]
    handle: Annotated[int, U16]
    error_code: Annotated[int, U8]

    @property
    def error_name(self) -> str:
        return error_name(self.error_code)

    def summary(self) -> str:
        code, name = f"0x{self.error_code:02x}", error_name(self.error_code)
        why = name if name.endswith(code) else f"{name} ({code})"
        return f"Error Response to {opcode_title(self.request_opcode)} handle 0x{self.handle:04x}: {why}"


@att_pdu(0x02)
class ExchangeMtuRequest(AttPdu, frozen=True, tag="att_exchange_mtu_req"):
    """ATT_EXCHANGE_MTU_REQ (3.4.2.1): the client's receive MTU."""

    client_rx_mtu: Annotated[int, U16]


@att_pdu(0x03)
class ExchangeMtuResponse(AttPdu, frozen=True, tag="att_exchange_mtu_rsp"):
    """ATT_EXCHANGE_MTU_RSP (3.4.2.2): the server's receive MTU."""

    server_rx_mtu: Annotated[int, U16]


# -- 3.4.3 find information ----------------------------------------------------------------


@att_pdu(0x04)
class FindInformationRequest(AttPdu, frozen=True, tag="att_find_information_req"):
    """ATT_FIND_INFORMATION_REQ (3.4.3.1)."""

    start_handle: Annotated[int, U16]
    end_handle: Annotated[int, U16]


_FIND_INFO_UUID_SIZE = {1: 2, 2: 16}  # format: 16-bit or 128-bit UUIDs


@att_pdu(0x05)
class FindInformationResponse(AttPdu, frozen=True, tag="att_find_information_rsp"):
    """ATT_FIND_INFORMATION_RSP (3.4.3.2): `format` 1 lists (handle, 16-bit UUID) pairs,
    format 2 (handle, 128-bit UUID) pairs."""

    format: int
    entries: tuple[HandleUuid, ...]

    @classmethod
    def decode_body(cls, body: bytes) -> Self:
        if not body:
            raise TruncatedPdu("Find Information Response needs a format byte")
        size = _FIND_INFO_UUID_SIZE.get(body[0])
        if size is None:
            raise InvalidPdu(f"Find Information Response format {body[0]} is neither 1 nor 2")
        unpack, step = _U16.unpack_from, 2 + size
        starts = _entries("Find Information Response data", body, 1, step)
        entries = (
            HandleUuid(unpack(body, p)[0], uuid_text(body[p + 2 : p + step])) for p in starts
        )
        return cls(body[0], tuple(entries))

    def encode_body(self) -> bytes:
        parts = [bytes((self.format,))]
        for entry in self.entries:
            parts += (_U16.pack(entry.handle), uuid_bytes(entry.uuid))
        return b"".join(parts)


@att_pdu(0x06)
class FindByTypeValueRequest(AttPdu, frozen=True, tag="att_find_by_type_value_req"):
    """ATT_FIND_BY_TYPE_VALUE_REQ (3.4.3.3): the type is always a 16-bit UUID."""

    start_handle: Annotated[int, U16]
    end_handle: Annotated[int, U16]
    attribute_type: Annotated[int, U16]
    value: Annotated[bytes, REST]

    @property
    def attribute_type_uuid(self) -> str:
        """The type as `uuid_text` writes a 16-bit UUID ("2800")."""
        return f"{self.attribute_type:04x}"


@att_pdu(0x07)
class FindByTypeValueResponse(AttPdu, frozen=True, tag="att_find_by_type_value_rsp"):
    """ATT_FIND_BY_TYPE_VALUE_RSP (3.4.3.4): handles information list."""

    entries: tuple[HandleRange, ...]

    @classmethod
    def decode_body(cls, body: bytes) -> Self:
        starts = _entries("Find By Type Value Response list", body, 0, 4)
        return cls(tuple(HandleRange(*_U16X2.unpack_from(body, p)) for p in starts))

    def encode_body(self) -> bytes:
        return b"".join(_U16X2.pack(e.handle, e.end_group_handle) for e in self.entries)


# -- 3.4.4 reading attributes --------------------------------------------------------------


def _check_uuid_width(title: str, body: bytes) -> None:
    """ATT carries 16-bit and 128-bit UUIDs only (3.2.1), never 32-bit ones."""
    if len(body) not in (6, 20):
        raise InvalidPdu(f"{title} type is {len(body) - 4} bytes, not a 2- or 16-byte UUID")


@att_pdu(0x08)
class ReadByTypeRequest(AttPdu, frozen=True, tag="att_read_by_type_req"):
    """ATT_READ_BY_TYPE_REQ (3.4.4.1): attribute type is a 16-bit or 128-bit UUID."""

    start_handle: Annotated[int, U16]
    end_handle: Annotated[int, U16]
    attribute_type: Annotated[str, UUID]

    @classmethod
    def decode_body(cls, body: bytes) -> Self:
        _check_uuid_width("Read By Type Request", body)
        return cls(*cls._decode(body))


@att_pdu(0x09)
class ReadByTypeResponse(AttPdu, frozen=True, tag="att_read_by_type_rsp"):
    """ATT_READ_BY_TYPE_RSP (3.4.4.2): `length` is the size of each handle-value pair of
    the attribute data list."""

    length: int
    entries: tuple[HandleValue, ...]

    @classmethod
    def decode_body(cls, body: bytes) -> Self:
        if not body or body[0] < 2:
            raise InvalidPdu(
                f"Read By Type Response pair length {body[:1].hex() or 'missing'} under 2"
            )
        length, unpack = body[0], _U16.unpack_from
        starts = _entries("Read By Type Response data", body, 1, length)
        return cls(
            length, tuple(HandleValue(unpack(body, p)[0], body[p + 2 : p + length]) for p in starts)
        )

    def encode_body(self) -> bytes:
        parts = [bytes((self.length,))]
        for entry in self.entries:
            parts += (_U16.pack(entry.handle), entry.value)
        return b"".join(parts)


@att_pdu(0x0A)
class ReadRequest(AttPdu, frozen=True, tag="att_read_req"):
    """ATT_READ_REQ (3.4.4.3)."""

    handle: Annotated[int, U16]


@att_pdu(0x0B)
class ReadResponse(AttPdu, frozen=True, tag="att_read_rsp"):
    """ATT_READ_RSP (3.4.4.4): the value, or its first (ATT_MTU - 1) octets."""

    value: Annotated[bytes, REST]


@att_pdu(0x0C)
class ReadBlobRequest(AttPdu, frozen=True, tag="att_read_blob_req"):
    """ATT_READ_BLOB_REQ (3.4.4.5)."""

    handle: Annotated[int, U16]
    offset: Annotated[int, U16]


@att_pdu(0x0D)
class ReadBlobResponse(AttPdu, frozen=True, tag="att_read_blob_rsp"):
    """ATT_READ_BLOB_RSP (3.4.4.6): part of the value, from the requested offset."""

    value: Annotated[bytes, REST]


class _HandleSet(AttPdu, frozen=True):
    """A set of two or more handles (3.4.4.7, 3.4.4.11)."""

    handles: tuple[int, ...]

    @classmethod
    def decode_body(cls, body: bytes) -> Self:
        count, extra = divmod(len(body), 2)
        if count < 2 or extra:
            raise InvalidPdu(f"{cls.title} needs two or more handles, has {len(body)} bytes")
        return cls(struct.unpack(f"<{count}H", body))

    def encode_body(self) -> bytes:
        return struct.pack(f"<{len(self.handles)}H", *self.handles)


@att_pdu(0x0E)
class ReadMultipleRequest(_HandleSet, frozen=True, tag="att_read_multiple_req"):
    """ATT_READ_MULTIPLE_REQ (3.4.4.7)."""


@att_pdu(0x0F)
class ReadMultipleResponse(AttPdu, frozen=True, tag="att_read_multiple_rsp"):
    """ATT_READ_MULTIPLE_RSP (3.4.4.8): the values one after another, unseparated (only
    the request says where one ends)."""

    values: Annotated[bytes, REST]


@att_pdu(0x10)
class ReadByGroupTypeRequest(AttPdu, frozen=True, tag="att_read_by_group_type_req"):
    """ATT_READ_BY_GROUP_TYPE_REQ (3.4.4.9): group type is a 16-bit or 128-bit UUID."""

    start_handle: Annotated[int, U16]
    end_handle: Annotated[int, U16]
    group_type: Annotated[str, UUID]

    @classmethod
    def decode_body(cls, body: bytes) -> Self:
        _check_uuid_width("Read By Group Type Request", body)
        return cls(*cls._decode(body))


@att_pdu(0x11)
class ReadByGroupTypeResponse(AttPdu, frozen=True, tag="att_read_by_group_type_rsp"):
    """ATT_READ_BY_GROUP_TYPE_RSP (3.4.4.10): `length` is the size of each attribute data
    entry (handle, end group handle, value)."""

    length: int
    entries: tuple[GroupValue, ...]

    @classmethod
    def decode_body(cls, body: bytes) -> Self:
        if not body or body[0] < 4:
            raise InvalidPdu(
                f"Read By Group Type Response length {body[:1].hex() or 'missing'} under 4"
            )
        length, unpack = body[0], _U16X2.unpack_from
        entries = []
        for p in _entries("Read By Group Type Response data", body, 1, length):
            handle, end_group_handle = unpack(body, p)
            entries.append(GroupValue(handle, end_group_handle, body[p + 4 : p + length]))
        return cls(length, tuple(entries))

    def encode_body(self) -> bytes:
        parts = [bytes((self.length,))]
        for entry in self.entries:
            parts += (_U16X2.pack(entry.handle, entry.end_group_handle), entry.value)
        return b"".join(parts)


@att_pdu(0x20)
class ReadMultipleVariableRequest(_HandleSet, frozen=True, tag="att_read_multiple_variable_req"):
    """ATT_READ_MULTIPLE_VARIABLE_REQ (3.4.4.11)."""


@att_pdu(0x21)
class ReadMultipleVariableResponse(AttPdu, frozen=True, tag="att_read_multiple_variable_rsp"):
    """ATT_READ_MULTIPLE_VARIABLE_RSP (3.4.4.12): length-value tuples. A list longer than
    (ATT_MTU - 1) octets is cut there, so the last value may be shorter than its length."""

    entries: tuple[LengthValue, ...]

    @classmethod
    def decode_body(cls, body: bytes) -> Self:
        if not body:
            raise InvalidPdu("Read Multiple Variable Response has no length-value tuple")
        entries, pos, end = [], 0, len(body)
        while pos < end:
            if end - pos < 2:
                raise TruncatedPdu(f"Read Multiple Variable Response ends in a length at {pos}")
            length = _U16.unpack_from(body, pos)[0]
            entries.append(LengthValue(length, body[pos + 2 : pos + 2 + length]))
            pos += 2 + length
        return cls(tuple(entries))

    def encode_body(self) -> bytes:
        return b"".join(_U16.pack(e.length) + e.value for e in self.entries)


# -- 3.4.5 writing attributes --------------------------------------------------------------


@att_pdu(0x12)
class WriteRequest(AttPdu, frozen=True, tag="att_write_req"):
    """ATT_WRITE_REQ (3.4.5.1)."""

    handle: Annotated[int, U16]
    value: Annotated[bytes, REST]


@att_pdu(0x13)
class WriteResponse(AttPdu, frozen=True, tag="att_write_rsp"):
    """ATT_WRITE_RSP (3.4.5.2): no parameters."""


@att_pdu(0x52)
class WriteCommand(AttPdu, frozen=True, tag="att_write_cmd"):
    """ATT_WRITE_CMD (3.4.5.3): a write with no response."""

    handle: Annotated[int, U16]
    value: Annotated[bytes, REST]


SIGNATURE_SIZE = 12  # SignCounter (4 octets) and MAC (8 octets), Vol 3 Part H 2.4.5


@att_pdu(0xD2)
class SignedWriteCommand(AttPdu, frozen=True, tag="att_signed_write_cmd"):
    """ATT_SIGNED_WRITE_CMD (3.4.5.4): a write command whose last 12 octets are the
    authentication signature (sign counter, then MAC; Vol 3 Part H 2.4.5)."""

    handle: int
    value: bytes
    signature: bytes

    @classmethod
    def decode_body(cls, body: bytes) -> Self:
        if len(body) < 2 + SIGNATURE_SIZE:
            raise TruncatedPdu(f"Signed Write Command needs 14 bytes, has {len(body)}")
        return cls(_U16.unpack_from(body)[0], body[2:-SIGNATURE_SIZE], body[-SIGNATURE_SIZE:])

    def encode_body(self) -> bytes:
        return _U16.pack(self.handle) + self.value + self.signature

    @property
    def sign_counter(self) -> int:
        return int.from_bytes(self.signature[:4], "little")

    @property
    def mac(self) -> bytes:
        return self.signature[4:]


# -- 3.4.6 queued writes -------------------------------------------------------------------


@att_pdu(0x16)
class PrepareWriteRequest(AttPdu, frozen=True, tag="att_prepare_write_req"):
    """ATT_PREPARE_WRITE_REQ (3.4.6.1)."""

    handle: Annotated[int, U16]
    offset: Annotated[int, U16]
    value: Annotated[bytes, REST]


@att_pdu(0x17)
class PrepareWriteResponse(AttPdu, frozen=True, tag="att_prepare_write_rsp"):
    """ATT_PREPARE_WRITE_RSP (3.4.6.2): echoes the request's handle, offset and value."""

    handle: Annotated[int, U16]
    offset: Annotated[int, U16]
    value: Annotated[bytes, REST]


EXECUTE_WRITE_CANCEL = 0x00  # cancel all prepared writes
EXECUTE_WRITE_WRITE = 0x01  # write all pending prepared values
EXECUTE_WRITE_FLAGS = {0x00: "cancel all prepared writes", 0x01: "write all prepared values"}


@att_pdu(0x18)
class ExecuteWriteRequest(AttPdu, frozen=True, tag="att_execute_write_req"):
    """ATT_EXECUTE_WRITE_REQ (3.4.6.3): flags 0x00 cancel, 0x01 write; others reserved."""

    flags: Annotated[int, U8]

    @property
    def flags_name(self) -> str:
        return EXECUTE_WRITE_FLAGS.get(self.flags, "reserved")

    def summary(self) -> str:
        return f"Execute Write Request flags 0x{self.flags:02x} ({self.flags_name})"


@att_pdu(0x19)
class ExecuteWriteResponse(AttPdu, frozen=True, tag="att_execute_write_rsp"):
    """ATT_EXECUTE_WRITE_RSP (3.4.6.4): no parameters."""


# -- 3.4.7 server initiated ----------------------------------------------------------------


@att_pdu(0x1B)
class HandleValueNotification(AttPdu, frozen=True, tag="att_handle_value_ntf"):
    """ATT_HANDLE_VALUE_NTF (3.4.7.1)."""

    handle: Annotated[int, U16]
    value: Annotated[bytes, REST]


@att_pdu(0x1D)
class HandleValueIndication(AttPdu, frozen=True, tag="att_handle_value_ind"):
    """ATT_HANDLE_VALUE_IND (3.4.7.2): the client confirms it."""

    handle: Annotated[int, U16]
    value: Annotated[bytes, REST]


@att_pdu(0x1E)
class HandleValueConfirmation(AttPdu, frozen=True, tag="att_handle_value_cfm"):
    """ATT_HANDLE_VALUE_CFM (3.4.7.3): no parameters."""


@att_pdu(0x23)
class MultipleHandleValueNotification(AttPdu, frozen=True, tag="att_multiple_handle_value_ntf"):
    """ATT_MULTIPLE_HANDLE_VALUE_NTF (3.4.7.4): handle-length-value tuples; each length is
    implied by its entry's value."""

    entries: tuple[HandleValue, ...]

    @classmethod
    def decode_body(cls, body: bytes) -> Self:
        if not body:
            raise InvalidPdu("Multiple Handle Value Notification has no tuple")
        entries, pos, end = [], 0, len(body)
        while pos < end:
            if end - pos < 4:
                raise TruncatedPdu(f"Multiple Handle Value Notification ends in a tuple at {pos}")
            handle, length = _U16X2.unpack_from(body, pos)
            pos += 4
            if end - pos < length:
                raise TruncatedPdu(
                    f"Multiple Handle Value Notification value of handle 0x{handle:04x}"
                    f" needs {length} bytes, has {end - pos}"
                )
            entries.append(HandleValue(handle, body[pos : pos + length]))
            pos += length
        return cls(tuple(entries))

    def encode_body(self) -> bytes:
        return b"".join(_U16X2.pack(e.handle, len(e.value)) + e.value for e in self.entries)


# -- decoding ------------------------------------------------------------------------------


decode_att = ATT.decode  # the layer boundary: the ATT PDU in an L2CAP SDU; never raises


class AttCut(msgspec.Struct, frozen=True, gc=False, tag="att_cut"):
    """An ATT response of which the log's writer kept only the first bytes (a phone's
    btsnooz buffer or filtered snoop log): which PDU it was is known, what it said is not.
    `length` is the PDU's own length from its L2CAP header."""

    opcode: int
    kept: bytes  # the parameters that are left
    length: int

    @property
    def title(self) -> str:
        return opcode_title(self.opcode)

    @property
    def name(self) -> str:
        return opcode_name(self.opcode)

    def summary(self) -> str:
        return (
            f"{self.title}, cut by the log's writer: {1 + len(self.kept)} of {self.length} "
            "bytes kept, its values unknown"
        )
