"""L2CAP signalling commands: C-frames on CID 0x0001 (BR/EDR) and 0x0005 (LE)
(Core 5.4 Vol 3 Part A 4).

Every command starts with code (1 byte), identifier (1), length (2) and carries `length`
bytes of data. A BR/EDR C-frame may hold several commands, an LE one holds exactly one
(Vol 3 Part A 4). One class per code, registered by `@signalling`; the layout is declared
once with the field codecs of `pdu`, so `from_bytes(c.to_bytes()) == c`. Codes the table
does not know (0x0C-0x11, reserved since AMP left the spec, and anything above 0x1A)
become `SignallingUnknown` records that keep code, identifier and data.

A command's codec sees its identifier byte followed by its data: the code is the table
key, and the length field is the framing's business (`decode_signalling`), so `length` is
the property `len(data)` rather than a stored field.

Section numbers: 4.1-4.11 are the same in every Core version since 4.0. The commands from
code 0x12 on are cited by their Core 5.2 numbers (4.20-4.28, as in att-rules.md): later
versions renumbered them when AMP was removed; the 5.4 names (L2CAP_..._REQ) go with each.
"""

from __future__ import annotations

import struct
import typing
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Self, TypeVar

from attscope.dissector.decoding.l2cap import (
    CID_BREDR_SIGNALLING,
    CID_LE_SIGNALLING,
    LAYER,
    PSM_NAMES,
)
from attscope.dissector.decoding.pdu import (
    REST,
    U8,
    U16,
    Int,
    InvalidPdu,
    Malformed,
    Pdu,
    Registry,
    TruncatedPdu,
    compile_pdu,
)

_HEADER = struct.Struct("<BBH")  # code, identifier, length
BOTH = frozenset({CID_BREDR_SIGNALLING, CID_LE_SIGNALLING})
BREDR = frozenset({CID_BREDR_SIGNALLING})
LE = frozenset({CID_LE_SIGNALLING})
MAX_CREDIT_BASED_CIDS = 5  # channels per credit based connection or reconfiguration
_HEX_SHOWN = 32  # bytes of opaque data a summary shows

# -- value names (tables of Vol 3 Part A 4.x); values not listed stay numbers ----------------

REJECT_REASONS = {
    0x0000: "Command not understood",
    0x0001: "Signalling MTU exceeded",
    0x0002: "Invalid CID in request",
}
CONNECTION_RESULTS = {
    0x0000: "Success",
    0x0001: "Pending",
    0x0002: "Refused: PSM not supported",
    0x0003: "Refused: security block",
    0x0004: "Refused: no resources available",
    0x0006: "Refused: invalid Source CID",
    0x0007: "Refused: Source CID already allocated",
}
CONNECTION_STATUS = {
    0x0000: "No further information",
    0x0001: "Authentication pending",
    0x0002: "Authorization pending",
}
CONFIGURATION_RESULTS = {
    0x0000: "Success",
    0x0001: "Failure: unacceptable parameters",
    0x0002: "Failure: rejected",
    0x0003: "Failure: unknown options",
    0x0004: "Pending",
    0x0005: "Failure: flow spec rejected",
}
CONFIGURATION_OPTIONS = {
    0x01: "MTU",
    0x02: "flush timeout",
    0x03: "QoS",
    0x04: "retransmission and flow control",
    0x05: "FCS",
    0x06: "extended flow specification",
    0x07: "extended window size",
}
INFO_TYPES = {0x0001: "Connectionless MTU", 0x0002: "Extended features", 0x0003: "Fixed channels"}
INFO_RESULTS = {0x0000: "Success", 0x0001: "Not supported"}
CONN_PARAM_RESULTS = {0x0000: "Accepted", 0x0001: "Rejected"}
LE_CREDIT_RESULTS = {
    0x0000: "Success",
    0x0002: "Refused: SPSM not supported",
    0x0004: "Refused: no resources available",
    0x0005: "Refused: insufficient authentication",
    0x0006: "Refused: insufficient authorization",
    0x0007: "Refused: encryption key size too short",
    0x0008: "Refused: insufficient encryption",
    0x0009: "Refused: invalid Source CID",
    0x000A: "Refused: Source CID already allocated",
    0x000B: "Refused: unacceptable parameters",
}
CREDIT_RESULTS = {
    0x0000: "All successful",
    0x0002: "All refused: SPSM not supported",
    0x0004: "Some refused: insufficient resources",
    0x0005: "All refused: insufficient authentication",
    0x0006: "All refused: insufficient authorization",
    0x0007: "All refused: encryption key size too short",
    0x0008: "All refused: insufficient encryption",
    0x0009: "Some refused: invalid Source CID",
    0x000A: "Some refused: Source CID already allocated",
    0x000B: "All refused: unacceptable parameters",
    0x000C: "All refused: invalid parameters",
    0x000D: "All pending: no further information",
    0x000E: "All pending: authentication pending",
    0x000F: "All pending: authorization pending",
}
RECONFIGURE_RESULTS = {
    0x0000: "Success",
    0x0001: "Failure: MTU reduction not allowed",
    0x0002: "Failure: MPS reduction not allowed for more than one channel",
    0x0003: "Failure: invalid Destination CID",
    0x0004: "Failure: unacceptable parameters",
}
REMOVED_COMMANDS = {  # AMP, removed from the spec; the codes are reserved now
    0x0C: "Create Channel Request",
    0x0D: "Create Channel Response",
    0x0E: "Move Channel Request",
    0x0F: "Move Channel Response",
    0x10: "Move Channel Confirmation Request",
    0x11: "Move Channel Confirmation Response",
}


def named(table: dict[int, str], value: int) -> str:
    """'Success (0x0000)'; a value the table lacks is 'Reserved (0x0009)'."""
    return f"{table.get(value, 'Reserved')} (0x{value:04x})"


def _hex(data: bytes) -> str:
    if len(data) <= _HEX_SHOWN:
        return data.hex()
    return f"{data[:_HEX_SHOWN].hex()}... ({len(data)} bytes)"


def _cids(cids: tuple[int, ...]) -> str:
    return " ".join(f"0x{c:04x}" for c in cids) or "none"


def config_options(options: bytes) -> list[tuple[int, bytes]]:
    """Configuration options as (type, value) pairs (Vol 3 Part A 5); bit 7 of the type
    marks a hint. Raises `TruncatedPdu` when an option runs past the end."""
    out: list[tuple[int, bytes]] = []
    pos = 0
    while pos < len(options):
        if len(options) - pos < 2:
            raise TruncatedPdu("configuration option needs type and length")
        kind, size = options[pos], options[pos + 1]
        if pos + 2 + size > len(options):
            raise TruncatedPdu(f"configuration option 0x{kind:02x} runs past the end")
        out.append((kind, options[pos + 2 : pos + 2 + size]))
        pos += 2 + size
    return out


def _options_text(options: bytes) -> str:
    if not options:
        return ""
    try:
        parsed = config_options(options)
    except TruncatedPdu:
        return f" options {_hex(options)} (malformed)"
    parts = []
    for kind, value in parsed:
        name = CONFIGURATION_OPTIONS.get(kind & 0x7F, f"option 0x{kind & 0x7F:02x}")
        hint = " (hint)" if kind & 0x80 else ""
        if kind & 0x7F in (0x01, 0x02, 0x07) and len(value) == 2:
            parts.append(f"{name} {int.from_bytes(value, 'little')}{hint}")
        else:
            parts.append(f"{name} {value.hex()}{hint}".rstrip())
    return " options " + ", ".join(parts)


# -- the command table -----------------------------------------------------------------------


class SignallingCommand(Pdu, frozen=True):
    """Base of every signalling command record (Vol 3 Part A 4)."""

    identifier: Annotated[int, U8]

    CODE: ClassVar[int]
    TITLE: ClassVar[str]  # the command's name in summaries
    ALLOWED_CIDS: ClassVar[frozenset[int]]  # signalling channels the spec allows it on
    MIN_LENGTH: ClassVar[int]  # bytes of data its fixed fields take

    @property
    def code(self) -> int:
        return self.CODE

    @property
    def length(self) -> int:
        """The length field: bytes of data after the 4-byte command header."""
        return len(self.encode_body()) - 1

    @classmethod
    def from_bytes(cls, data: bytes) -> SignallingCommand:
        """One whole command (header and data) -> its record; raises `InvalidPdu` (or
        `TruncatedPdu`) when the bytes are not exactly one well-formed command."""
        if len(data) < _HEADER.size:
            raise TruncatedPdu(f"command header needs 4 bytes, has {len(data)}")
        code, identifier, length = _HEADER.unpack_from(data)
        if length != len(data) - _HEADER.size:
            raise InvalidPdu(f"command length {length}, data {len(data) - _HEADER.size}")
        return _decode_command(code, identifier, data[_HEADER.size :])

    def to_bytes(self) -> bytes:
        body = self.encode_body()
        return _HEADER.pack(self.code, body[0], len(body) - 1) + body[1:]

    def summary(self) -> str:
        return f"{self.TITLE} id {self.identifier}{self._details()}"

    def _details(self) -> str:
        return ""


class _CidList(SignallingCommand, frozen=True):
    """A command ending in a list of 16-bit CIDs (at most 5 by the spec; more are kept)."""

    _HEAD: ClassVar[struct.Struct]  # identifier and the fixed fields before the list

    @classmethod
    def decode_body(cls, body: bytes) -> Self:
        head = cls._HEAD
        if len(body) < head.size:
            raise TruncatedPdu(f"{cls.__name__} needs {head.size - 1} bytes, has {len(body) - 1}")
        tail = len(body) - head.size
        if tail % 2:
            raise InvalidPdu(f"{cls.__name__}: CID list of {tail} bytes is not whole CIDs")
        cids = struct.unpack_from(f"<{tail // 2}H", body, head.size)
        fields: list[Any] = [*head.unpack_from(body), cids]  # the subclass's fields, in order
        return cls(*fields)

    def encode_body(self) -> bytes:
        fields = self.__struct_fields__
        head = self._HEAD.pack(*(getattr(self, f) for f in fields[:-1]))
        cids: tuple[int, ...] = getattr(self, fields[-1])
        return head + struct.pack(f"<{len(cids)}H", *cids)


def _prepare(cls: type[SignallingCommand]) -> None:
    if issubclass(cls, _CidList):
        cls.MIN_LENGTH = cls._HEAD.size - 1
    else:
        compile_pdu(cls)
        hints = typing.get_type_hints(cls, include_extras=True)
        metadata = (getattr(hints[f], "__metadata__", ()) for f in cls.__struct_fields__[1:])
        cls.MIN_LENGTH = sum(m.size for ms in metadata for m in ms if isinstance(m, Int))


SIGNALLING: Registry[SignallingCommand] = Registry("l2cap signalling", prepare=_prepare)
COMMANDS = SIGNALLING.classes  # code -> class
C = TypeVar("C", bound=type[SignallingCommand])


def signalling(code: int, title: str, allowed: frozenset[int]) -> Callable[[C], C]:
    """Register a command class under its code, compiling its field codecs unless it
    brings its own `decode_body`/`encode_body`."""

    def titled(cls: C) -> None:
        cls.TITLE, cls.ALLOWED_CIDS = title, allowed

    return SIGNALLING.register(code, setup=titled)


class SignallingUnknown(SignallingCommand, frozen=True, tag="l2cap_signalling_unknown"):
    """A command whose code this table does not know; kept whole (Vol 3 Part A 4)."""

    code: int  # a field here, the class's code elsewhere
    data: bytes

    CODE = -1
    TITLE = "Reserved command"
    ALLOWED_CIDS = frozenset()
    MIN_LENGTH = 0

    @property
    def length(self) -> int:
        return len(self.data)

    def to_bytes(self) -> bytes:
        return _HEADER.pack(self.code, self.identifier, len(self.data)) + self.data

    def summary(self) -> str:
        removed = REMOVED_COMMANDS.get(self.code)
        what = f"Reserved command 0x{self.code:02x}"
        if removed:
            what += f" (was {removed})"
        data = f" data {_hex(self.data)}" if self.data else ""
        return f"{what} id {self.identifier}{data}"


def _decode_command(code: int, identifier: int, data: bytes) -> SignallingCommand:
    cls = COMMANDS.get(code)
    if cls is None:
        return SignallingUnknown(identifier, code, data)
    if len(data) < cls.MIN_LENGTH:
        raise TruncatedPdu(f"needs {cls.MIN_LENGTH} bytes of data, has {len(data)}")
    return cls.decode_body(bytes((identifier,)) + data)


def decode_signalling(payload: bytes, le: bool) -> list[SignallingCommand | Malformed]:
    """The information payload of a C-frame -> its commands, in order; never raises.

    A command whose bytes do not fit its layout becomes a `Malformed` record and decoding
    goes on with the next one, since its length field still delimits it; a header or
    length that runs past the end ends the packet. On LE (`le`) bytes after the first
    command are malformed (Vol 3 Part A 4: one command per C-frame). Joining each record's
    `to_bytes()` or `raw` gives back `payload`."""
    out: list[SignallingCommand | Malformed] = []
    if not payload:
        return [Malformed(LAYER, "C-frame without a command", payload)]
    pos, end = 0, len(payload)
    while pos < end:
        if end - pos < _HEADER.size:
            out.append(Malformed(LAYER, "command header cut short", payload[pos:]))
            break
        code, identifier, length = _HEADER.unpack_from(payload, pos)
        stop = pos + _HEADER.size + length
        if stop > end:
            reason = f"command 0x{code:02x} length {length} runs past the C-frame"
            out.append(Malformed(LAYER, reason, payload[pos:]))
            break
        try:
            out.append(_decode_command(code, identifier, payload[pos + _HEADER.size : stop]))
        except InvalidPdu as e:
            title = COMMANDS[code].TITLE
            out.append(Malformed(LAYER, f"{title} id {identifier}: {e}", payload[pos:stop]))
        pos = stop
        if le and pos < end:
            reason = f"{end - pos} bytes after the command; an LE C-frame carries one"
            out.append(Malformed(LAYER, reason, payload[pos:]))
            break
    return out


# -- BR/EDR and shared commands (Vol 3 Part A 4.1-4.11) --------------------------------------


@signalling(0x01, "Command Reject", BOTH)
class CommandReject(SignallingCommand, frozen=True, tag="l2cap_command_reject"):
    """L2CAP_COMMAND_REJECT_RSP (Vol 3 Part A 4.1): reason, then 0, 2 (actual signalling
    MTU) or 4 (local and remote CID) bytes of data."""

    reason: Annotated[int, U16]
    data: Annotated[bytes, REST]

    def _details(self) -> str:
        text = f" reason {named(REJECT_REASONS, self.reason)}"
        if self.reason == 0x0001 and len(self.data) == 2:
            return f"{text} MTU {int.from_bytes(self.data, 'little')}"
        if self.reason == 0x0002 and len(self.data) == 4:
            local, remote = struct.unpack("<HH", self.data)
            return f"{text} local CID 0x{local:04x} remote CID 0x{remote:04x}"
        return f"{text} data {_hex(self.data)}" if self.data else text


@signalling(0x02, "Connection Request", BREDR)
class ConnectionRequest(SignallingCommand, frozen=True, tag="l2cap_conn_req"):
    """L2CAP_CONNECTION_REQ (Vol 3 Part A 4.2). The PSM could in principle grow past two
    bytes; no assigned PSM does, so a longer one is malformed here."""

    psm: Annotated[int, U16]
    source_cid: Annotated[int, U16]

    def _details(self) -> str:
        name = PSM_NAMES.get(self.psm)
        psm = f"0x{self.psm:04x}" + (f" ({name})" if name else "")
        return f" PSM {psm} SCID 0x{self.source_cid:04x}"


@signalling(0x03, "Connection Response", BREDR)
class ConnectionResponse(SignallingCommand, frozen=True, tag="l2cap_conn_rsp"):
    """L2CAP_CONNECTION_RSP (Vol 3 Part A 4.3)."""

    destination_cid: Annotated[int, U16]
    source_cid: Annotated[int, U16]
    result: Annotated[int, U16]
    status: Annotated[int, U16]

    def _details(self) -> str:
        return (
            f" DCID 0x{self.destination_cid:04x} SCID 0x{self.source_cid:04x}"
            f" result {named(CONNECTION_RESULTS, self.result)}"
            f" status {named(CONNECTION_STATUS, self.status)}"
        )


@signalling(0x04, "Configuration Request", BREDR)
class ConfigurationRequest(SignallingCommand, frozen=True, tag="l2cap_config_req"):
    """L2CAP_CONFIGURATION_REQ (Vol 3 Part A 4.4); options kept raw (`config_options`)."""

    destination_cid: Annotated[int, U16]
    flags: Annotated[int, U16]  # bit 0: continuation
    options: Annotated[bytes, REST]

    @property
    def continuation(self) -> bool:
        return bool(self.flags & 0x0001)

    def _details(self) -> str:
        cont = " (continuation)" if self.continuation else ""
        return (
            f" DCID 0x{self.destination_cid:04x} flags 0x{self.flags:04x}{cont}"
            f"{_options_text(self.options)}"
        )


@signalling(0x05, "Configuration Response", BREDR)
class ConfigurationResponse(SignallingCommand, frozen=True, tag="l2cap_config_rsp"):
    """L2CAP_CONFIGURATION_RSP (Vol 3 Part A 4.5); options kept raw (`config_options`)."""

    source_cid: Annotated[int, U16]
    flags: Annotated[int, U16]  # bit 0: continuation
    result: Annotated[int, U16]
    options: Annotated[bytes, REST]

    @property
    def continuation(self) -> bool:
        return bool(self.flags & 0x0001)

    def _details(self) -> str:
        cont = " (continuation)" if self.continuation else ""
        return (
            f" SCID 0x{self.source_cid:04x} flags 0x{self.flags:04x}{cont}"
            f" result {named(CONFIGURATION_RESULTS, self.result)}"
            f"{_options_text(self.options)}"
        )


@signalling(0x06, "Disconnection Request", BOTH)
class DisconnectionRequest(SignallingCommand, frozen=True, tag="l2cap_disconn_req"):
    """L2CAP_DISCONNECTION_REQ (Vol 3 Part A 4.6)."""

    destination_cid: Annotated[int, U16]
    source_cid: Annotated[int, U16]

    def _details(self) -> str:
        return f" DCID 0x{self.destination_cid:04x} SCID 0x{self.source_cid:04x}"


@signalling(0x07, "Disconnection Response", BOTH)
class DisconnectionResponse(SignallingCommand, frozen=True, tag="l2cap_disconn_rsp"):
    """L2CAP_DISCONNECTION_RSP (Vol 3 Part A 4.7)."""

    destination_cid: Annotated[int, U16]
    source_cid: Annotated[int, U16]

    def _details(self) -> str:
        return f" DCID 0x{self.destination_cid:04x} SCID 0x{self.source_cid:04x}"


@signalling(0x08, "Echo Request", BREDR)
class EchoRequest(SignallingCommand, frozen=True, tag="l2cap_echo_req"):
    """L2CAP_ECHO_REQ (Vol 3 Part A 4.8): optional, implementation-specific data."""

    data: Annotated[bytes, REST]

    def _details(self) -> str:
        return f" data {_hex(self.data)}" if self.data else ""


@signalling(0x09, "Echo Response", BREDR)
class EchoResponse(SignallingCommand, frozen=True, tag="l2cap_echo_rsp"):
    """L2CAP_ECHO_RSP (Vol 3 Part A 4.9): optional, implementation-specific data."""

    data: Annotated[bytes, REST]

    def _details(self) -> str:
        return f" data {_hex(self.data)}" if self.data else ""


@signalling(0x0A, "Information Request", BREDR)
class InformationRequest(SignallingCommand, frozen=True, tag="l2cap_info_req"):
    """L2CAP_INFORMATION_REQ (Vol 3 Part A 4.10)."""

    info_type: Annotated[int, U16]

    def _details(self) -> str:
        return f" type {named(INFO_TYPES, self.info_type)}"


@signalling(0x0B, "Information Response", BREDR)
class InformationResponse(SignallingCommand, frozen=True, tag="l2cap_info_rsp"):
    """L2CAP_INFORMATION_RSP (Vol 3 Part A 4.11): the data is a 2-byte connectionless MTU,
    a 4-byte extended feature mask or an 8-byte fixed channel mask, by type; kept raw."""

    info_type: Annotated[int, U16]
    result: Annotated[int, U16]
    data: Annotated[bytes, REST]

    @property
    def value(self) -> int | None:
        """The data as a number when its size fits the type, else None."""
        sizes = {0x0001: 2, 0x0002: 4, 0x0003: 8}
        if self.result != 0 or sizes.get(self.info_type) != len(self.data):
            return None
        return int.from_bytes(self.data, "little")

    def _details(self) -> str:
        text = (
            f" type {named(INFO_TYPES, self.info_type)} result {named(INFO_RESULTS, self.result)}"
        )
        value = self.value
        if value is not None:
            label = {0x0001: "MTU", 0x0002: "features", 0x0003: "channels"}[self.info_type]
            shown = str(value) if self.info_type == 0x0001 else f"0x{value:0{len(self.data) * 2}x}"
            return f"{text} {label} {shown}"
        return f"{text} data {_hex(self.data)}" if self.data else text


# -- LE and credit based commands (Core 5.2 Vol 3 Part A 4.20-4.28) --------------------------


@signalling(0x12, "Connection Parameter Update Request", LE)
class ConnectionParameterUpdateRequest(
    SignallingCommand, frozen=True, tag="l2cap_conn_param_update_req"
):
    """L2CAP_CONNECTION_PARAMETER_UPDATE_REQ (Core 5.2 Vol 3 Part A 4.20): intervals in
    1.25 ms units, peripheral latency in connection events, timeout in 10 ms units."""

    interval_min: Annotated[int, U16]
    interval_max: Annotated[int, U16]
    latency: Annotated[int, U16]
    timeout: Annotated[int, U16]

    def _details(self) -> str:
        return (
            f" interval min {self.interval_min} max {self.interval_max}"
            f" latency {self.latency} timeout {self.timeout}"
        )


@signalling(0x13, "Connection Parameter Update Response", LE)
class ConnectionParameterUpdateResponse(
    SignallingCommand, frozen=True, tag="l2cap_conn_param_update_rsp"
):
    """L2CAP_CONNECTION_PARAMETER_UPDATE_RSP (Core 5.2 Vol 3 Part A 4.21)."""

    result: Annotated[int, U16]

    def _details(self) -> str:
        return f" result {named(CONN_PARAM_RESULTS, self.result)}"


@signalling(0x14, "LE Credit Based Connection Request", LE)
class LeCreditConnectionRequest(SignallingCommand, frozen=True, tag="l2cap_le_credit_conn_req"):
    """L2CAP_LE_CREDIT_BASED_CONNECTION_REQ (Core 5.2 Vol 3 Part A 4.22)."""

    spsm: Annotated[int, U16]
    source_cid: Annotated[int, U16]
    mtu: Annotated[int, U16]
    mps: Annotated[int, U16]
    initial_credits: Annotated[int, U16]

    def _details(self) -> str:
        return (
            f" PSM 0x{self.spsm:04x} SCID 0x{self.source_cid:04x} MTU {self.mtu}"
            f" MPS {self.mps} credits {self.initial_credits}"
        )


@signalling(0x15, "LE Credit Based Connection Response", LE)
class LeCreditConnectionResponse(SignallingCommand, frozen=True, tag="l2cap_le_credit_conn_rsp"):
    """L2CAP_LE_CREDIT_BASED_CONNECTION_RSP (Core 5.2 Vol 3 Part A 4.23)."""

    destination_cid: Annotated[int, U16]
    mtu: Annotated[int, U16]
    mps: Annotated[int, U16]
    initial_credits: Annotated[int, U16]
    result: Annotated[int, U16]

    def _details(self) -> str:
        return (
            f" DCID 0x{self.destination_cid:04x} MTU {self.mtu} MPS {self.mps}"
            f" credits {self.initial_credits} result {named(LE_CREDIT_RESULTS, self.result)}"
        )


@signalling(0x16, "Flow Control Credit Indication", BOTH)
class FlowControlCreditInd(SignallingCommand, frozen=True, tag="l2cap_flow_control_credit_ind"):
    """L2CAP_FLOW_CONTROL_CREDIT_IND (Core 5.2 Vol 3 Part A 4.24): credits for the
    sender's local (source) CID."""

    cid: Annotated[int, U16]
    credits: Annotated[int, U16]

    def _details(self) -> str:
        return f" CID 0x{self.cid:04x} credits {self.credits}"


@signalling(0x17, "Credit Based Connection Request", BOTH)
class CreditConnectionRequest(_CidList, frozen=True, tag="l2cap_credit_conn_req"):
    """L2CAP_CREDIT_BASED_CONNECTION_REQ (Core 5.2 Vol 3 Part A 4.25): one request for
    up to 5 enhanced credit based channels."""

    spsm: int
    mtu: int
    mps: int
    initial_credits: int
    source_cids: tuple[int, ...]

    _HEAD = struct.Struct("<BHHHH")

    def _details(self) -> str:
        return (
            f" PSM 0x{self.spsm:04x} MTU {self.mtu} MPS {self.mps}"
            f" credits {self.initial_credits} SCIDs {_cids(self.source_cids)}"
        )


@signalling(0x18, "Credit Based Connection Response", BOTH)
class CreditConnectionResponse(_CidList, frozen=True, tag="l2cap_credit_conn_rsp"):
    """L2CAP_CREDIT_BASED_CONNECTION_RSP (Core 5.2 Vol 3 Part A 4.26): a destination CID
    per requested channel, 0x0000 for a refused one."""

    mtu: int
    mps: int
    initial_credits: int
    result: int
    destination_cids: tuple[int, ...]

    _HEAD = struct.Struct("<BHHHH")

    def _details(self) -> str:
        return (
            f" MTU {self.mtu} MPS {self.mps} credits {self.initial_credits}"
            f" result {named(CREDIT_RESULTS, self.result)}"
            f" DCIDs {_cids(self.destination_cids)}"
        )


@signalling(0x19, "Credit Based Reconfigure Request", BOTH)
class CreditReconfigureRequest(_CidList, frozen=True, tag="l2cap_credit_reconf_req"):
    """L2CAP_CREDIT_BASED_RECONFIGURE_REQ (Core 5.2 Vol 3 Part A 4.27): new MTU and MPS
    for up to 5 of the sender's channels (its destination CIDs)."""

    mtu: int
    mps: int
    destination_cids: tuple[int, ...]

    _HEAD = struct.Struct("<BHH")

    def _details(self) -> str:
        return f" MTU {self.mtu} MPS {self.mps} DCIDs {_cids(self.destination_cids)}"


@signalling(0x1A, "Credit Based Reconfigure Response", BOTH)
class CreditReconfigureResponse(SignallingCommand, frozen=True, tag="l2cap_credit_reconf_rsp"):
    """L2CAP_CREDIT_BASED_RECONFIGURE_RSP (Core 5.2 Vol 3 Part A 4.28)."""

    result: Annotated[int, U16]

    def _details(self) -> str:
        return f" result {named(RECONFIGURE_RESULTS, self.result)}"
