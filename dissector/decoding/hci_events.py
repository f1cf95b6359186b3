"""HCI event packets: one record per event code, and per subevent code of LE Meta.

An event packet (Core 5.4 Vol 4 Part E 5.4.4) is Event_Code (u8), Parameter_Total_Length
(u8) and the parameters; LE Meta (0x3E) puts a Subevent_Code first (7.7.65). Each decoded
event is a record registered by code; every other event stays an `HciEventRaw` or
`LeMetaEventRaw` with its name and parameter bytes. Array parameters follow Part E 5.2 (the
fields of element 0, then those of element 1 ...). `decode_hci_event` never raises: bad
bytes become `Malformed(layer="hci")`.

Vendor events (0xFF) stay raw except TI's ATT events (TI HCI Vendor Specific Guide; the
background is in hci_commands): Event Opcode (u16) 0x0501-0x057F, Status (0 success, 0x1A
bleProcedureComplete ending a GATT procedure, else an error), Connection Handle (u16), PDU
Length (u8), then the ATT PDU's parameters without its opcode. The opcode's low byte is the
ATT opcode (0x051B ATT_HandleValueNoti), except TI's local 0x057E ATT_FlowCtrlViolatedEvt
(offending opcode, pending opcode) and 0x057F ATT_MtuUpdatedEvt (new MTU, u16). TI's other
groups (0x04xx HCI extension, 0x06xx GAP, 0x067F GAP_HCI_ExtentionCommandStatus) stay raw.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Self, TypeVar

import msgspec

from attscope.dissector.decoding.hci_commands import ReturnParams, decode_return, status_of
from attscope.dissector.decoding.hci_names import (
    ROLES,
    address_text,
    command_name,
    connection_text,
    describe_fields,
    error_name,
    event_name,
    le_subevent_name,
    peer_text,
    status_text,
    ti_att_name,
    value_name,
)
from attscope.dissector.decoding.pdu import (
    REST,
    U8,
    U16,
    U32,
    U64,
    Fixed,
    InvalidPdu,
    Malformed,
    Pdu,
    Registry,
    TruncatedPdu,
)

_HEADER = struct.Struct("<BB")


def _h(handle: int) -> str:
    return f"handle 0x{handle:04x}"


class HciEvent(Pdu, frozen=True):
    """Base of the HCI event records; `code` is set by `hci_event` (Part E 5.4.4)."""

    code: ClassVar[int] = -1

    @property
    def name(self) -> str:
        return event_name(self.code)

    def describe(self) -> str:
        """The parameters as btmon-like text ('' when there are none)."""
        return describe_fields(self)

    def summary(self) -> str:
        text = self.describe()
        return f"{self.name} {text}" if text else self.name

    def parameters(self) -> bytes:
        """The parameter octets after the header."""
        return self.encode_body()

    def to_bytes(self) -> bytes:
        body = self.parameters()
        return _HEADER.pack(self.code, len(body)) + body


class LeMetaEvent(HciEvent, frozen=True):
    """Base of the LE Meta subevent records (Vol 4 Part E 7.7.65)."""

    code: ClassVar[int] = 0x3E
    subevent: ClassVar[int] = -1

    @property
    def name(self) -> str:
        return le_subevent_name(self.subevent)

    def parameters(self) -> bytes:
        return bytes([self.subevent]) + self.encode_body()


E = TypeVar("E", bound=type[HciEvent])
L = TypeVar("L", bound=type[LeMetaEvent])
EVENTS: Registry[HciEvent] = Registry("hci event", code_attr="code")
LE_EVENTS: Registry[LeMetaEvent] = Registry("hci le meta event", code_attr="subevent")
EVENT_TYPES = EVENTS.classes  # event code -> class
LE_EVENT_TYPES = LE_EVENTS.classes  # LE subevent code -> class


def hci_event(code: int) -> Callable[[E], E]:
    """Register an event record under its event code."""
    return EVENTS.register(code)


def le_event(subevent: int) -> Callable[[L], L]:
    """Register an LE Meta event record under its subevent code."""
    return LE_EVENTS.register(subevent)


class HciEventRaw(HciEvent, frozen=True, tag="hci_event_raw"):
    """An event kept as bytes, named by its code."""

    code: int  # type: ignore[misc]  # an instance field here, a class constant elsewhere
    params: bytes
    vendor_name: str | None = None  # a vendor event its controller's maker names (hci_vendor.py)

    @property
    def name(self) -> str:
        return event_name(self.code) if self.vendor_name is None else self.vendor_name

    def encode_body(self) -> bytes:
        return self.params

    def describe(self) -> str:
        return f"params {self.params.hex()}" if self.params else ""


class LeMetaEventRaw(LeMetaEvent, frozen=True, tag="hci_le_meta_raw"):
    """An LE Meta event kept as bytes, named by its subevent code."""

    subevent: int  # type: ignore[misc]  # an instance field here, a class constant elsewhere
    params: bytes

    def encode_body(self) -> bytes:
        return self.params

    def describe(self) -> str:
        return f"params {self.params.hex()}" if self.params else ""


class TiAttEvent(HciEvent, frozen=True, tag="hci_ti_att_event"):
    """A TI vendor-specific ATT event, 0xFF with event opcode 0x0501-0x057F (TI HCI Vendor
    Specific Guide, ATT events; see the module doc). `att_opcode` is the opcode's low byte;
    `params` are the octets after PDU Length."""

    code: ClassVar[int] = 0xFF
    att_opcode: int
    status: int
    handle: int
    pdu_len: int
    params: bytes

    @property
    def event_opcode(self) -> int:
        return 0x0500 | self.att_opcode

    @property
    def local(self) -> bool:
        """TI's own ATT_FlowCtrlViolatedEvt or ATT_MtuUpdatedEvt, never sent over the air."""
        return self.att_opcode in (0x7E, 0x7F)

    @property
    def name(self) -> str:
        return f"Vendor TI {ti_att_name(self.att_opcode)}"

    def encode_body(self) -> bytes:
        head = bytes([self.att_opcode, 0x05, self.status]) + self.handle.to_bytes(2, "little")
        return head + bytes([self.pdu_len]) + self.params

    def describe(self) -> str:
        return (
            f"(0x{self.event_opcode:04x}) status {status_text(self.status)} {_h(self.handle)} "
            f"pdu {self.pdu_len}: {self.params.hex() or '-'}"
        )


def _ti_att_event(params: bytes) -> TiAttEvent | None:
    if len(params) < 6 or params[1] != 0x05 or not 0x01 <= params[0] <= 0x7F:
        return None
    handle = int.from_bytes(params[3:5], "little")
    return TiAttEvent(params[0], params[2], handle, params[5], params[6:])


class _StatusHandle(HciEvent, frozen=True):
    """Events that open with Status and Connection_Handle."""

    status: Annotated[int, U8]
    handle: Annotated[int, U16]


class _Address(HciEvent, frozen=True):
    """Events about a BR/EDR device, named by its BD_ADDR."""

    address: Annotated[bytes, Fixed(6)]


# -- events (Vol 4 Part E 7.7) --------------------------------------------------------------


@hci_event(0x03)
class ConnectionComplete(_StatusHandle, frozen=True, tag="hci_connection_complete"):
    """HCI_Connection_Complete (Vol 4 Part E 7.7.3)."""

    address: Annotated[bytes, Fixed(6)]
    link_type: Annotated[int, U8]
    encryption_enabled: Annotated[int, U8]


@hci_event(0x05)
class DisconnectionComplete(_StatusHandle, frozen=True, tag="hci_disconnection_complete"):
    """HCI_Disconnection_Complete (Vol 4 Part E 7.7.5)."""

    reason: Annotated[int, U8]


@hci_event(0x06)
class AuthenticationComplete(_StatusHandle, frozen=True, tag="hci_authentication_complete"):
    """HCI_Authentication_Complete (Vol 4 Part E 7.7.6)."""


@hci_event(0x07)
class RemoteNameRequestComplete(HciEvent, frozen=True, tag="hci_remote_name_request_complete"):
    """HCI_Remote_Name_Request_Complete (Vol 4 Part E 7.7.7): the name is UTF-8 up to the
    first zero octet of a 248-octet field."""

    status: Annotated[int, U8]
    address: Annotated[bytes, Fixed(6)]
    remote_name: Annotated[bytes, REST]

    def describe(self) -> str:
        name = self.remote_name.split(b"\0", 1)[0].decode("utf-8", "replace")
        return f"status {status_text(self.status)} {address_text(self.address)} name {name!r}"


@hci_event(0x08)
class EncryptionChange(_StatusHandle, frozen=True, tag="hci_encryption_change"):
    """HCI_Encryption_Change [v1] (Vol 4 Part E 7.7.8)."""

    encryption_enabled: Annotated[int, U8]


@hci_event(0x59)
class EncryptionChangeV2(EncryptionChange, frozen=True, tag="hci_encryption_change_v2"):
    """HCI_Encryption_Change [v2] (Vol 4 Part E 7.7.8): also the key size in octets."""

    key_size: Annotated[int, U8]


@hci_event(0x0B)
class ReadRemoteFeaturesComplete(
    _StatusHandle, frozen=True, tag="hci_read_remote_features_complete"
):
    """HCI_Read_Remote_Supported_Features_Complete (Vol 4 Part E 7.7.11)."""

    lmp_features: Annotated[int, U64]


@hci_event(0x0C)
class ReadRemoteVersionComplete(_StatusHandle, frozen=True, tag="hci_read_remote_version_complete"):
    """HCI_Read_Remote_Version_Information_Complete (Vol 4 Part E 7.7.12)."""

    version: Annotated[int, U8]
    company_id: Annotated[int, U16]
    subversion: Annotated[int, U16]


_COMPLETE_HEAD = struct.Struct("<BH")


@hci_event(0x0E)
class CommandComplete(HciEvent, frozen=True, tag="hci_command_complete"):
    """HCI_Command_Complete (Vol 4 Part E 7.7.14): return parameters decoded by opcode."""

    num_packets: int
    opcode: int
    ret: ReturnParams
    vendor_name: str | None = None  # the vendor command's name (hci_vendor.py)

    @classmethod
    def decode_body(cls, body: bytes) -> Self:
        if len(body) < _COMPLETE_HEAD.size:
            raise TruncatedPdu(f"Command Complete needs 3 bytes, has {len(body)}")
        num_packets, opcode = _COMPLETE_HEAD.unpack_from(body)
        try:
            ret = decode_return(opcode, body[_COMPLETE_HEAD.size :])
        except InvalidPdu as exc:
            raise type(exc)(f"{command_name(opcode)} return parameters: {exc}") from None
        return cls(num_packets, opcode, ret)

    def encode_body(self) -> bytes:
        return _COMPLETE_HEAD.pack(self.num_packets, self.opcode) + self.ret.encode_body()

    @property
    def status(self) -> int | None:
        return status_of(self.ret)

    def describe(self) -> str:
        name = command_name(self.opcode)
        if self.vendor_name is not None:
            name = f"{self.vendor_name} (0x{self.opcode:04x})"
        text = self.ret.describe()
        return f"{name} {text}" if text else name


@hci_event(0x0F)
class CommandStatus(HciEvent, frozen=True, tag="hci_command_status"):
    """HCI_Command_Status (Vol 4 Part E 7.7.15)."""

    status: Annotated[int, U8]
    num_packets: Annotated[int, U8]
    opcode: Annotated[int, U16]

    def describe(self) -> str:
        return f"{command_name(self.opcode)} status {error_name(self.status)}"


@hci_event(0x10)
class HardwareError(HciEvent, frozen=True, tag="hci_hardware_error"):
    """HCI_Hardware_Error (Vol 4 Part E 7.7.16)."""

    hardware_code: Annotated[int, U8]


@hci_event(0x12)
class RoleChange(HciEvent, frozen=True, tag="hci_role_change"):
    """HCI_Role_Change (Vol 4 Part E 7.7.18)."""

    status: Annotated[int, U8]
    address: Annotated[bytes, Fixed(6)]
    new_role: Annotated[int, U8]


class CompletedPackets(msgspec.Struct, frozen=True, gc=False):
    """One handle of Number Of Completed Packets."""

    handle: int
    count: int


_COMPLETED = struct.Struct("<HH")


@hci_event(0x13)
class NumberOfCompletedPackets(HciEvent, frozen=True, tag="hci_number_of_completed_packets"):
    """HCI_Number_Of_Completed_Packets (Vol 4 Part E 7.7.19)."""

    entries: tuple[CompletedPackets, ...]

    @classmethod
    def decode_body(cls, body: bytes) -> Self:
        if not body:
            raise TruncatedPdu("Number Of Completed Packets: no count octet")
        need = 1 + body[0] * _COMPLETED.size
        if len(body) != need:
            kind = TruncatedPdu if len(body) < need else InvalidPdu
            raise kind(f"{body[0]} handles need {need} bytes, has {len(body)}")
        pairs = _COMPLETED.iter_unpack(body[1:])
        return cls(tuple(CompletedPackets(h, n) for h, n in pairs))

    def encode_body(self) -> bytes:
        pairs = b"".join(_COMPLETED.pack(e.handle, e.count) for e in self.entries)
        return bytes([len(self.entries)]) + pairs

    @property
    def handles(self) -> list[int]:
        return [e.handle for e in self.entries]

    def describe(self) -> str:
        return ", ".join(f"{_h(e.handle)} {e.count}" for e in self.entries)


@hci_event(0x14)
class ModeChange(_StatusHandle, frozen=True, tag="hci_mode_change"):
    """HCI_Mode_Change (Vol 4 Part E 7.7.20); interval in 0.625 ms slots."""

    current_mode: Annotated[int, U8]
    interval: Annotated[int, U16]


@hci_event(0x17)
class LinkKeyRequest(_Address, frozen=True, tag="hci_link_key_request"):
    """HCI_Link_Key_Request (Vol 4 Part E 7.7.23)."""


@hci_event(0x1A)
class DataBufferOverflow(HciEvent, frozen=True, tag="hci_data_buffer_overflow"):
    """HCI_Data_Buffer_Overflow (Vol 4 Part E 7.7.26): 0x00 synchronous, 0x01 ACL."""

    link_type: Annotated[int, U8]


@hci_event(0x1B)
class MaxSlotsChange(HciEvent, frozen=True, tag="hci_max_slots_change"):
    """HCI_Max_Slots_Change (Vol 4 Part E 7.7.27)."""

    handle: Annotated[int, U16]
    lmp_max_slots: Annotated[int, U8]


@hci_event(0x1C)
class ReadClockOffsetComplete(_StatusHandle, frozen=True, tag="hci_read_clock_offset_complete"):
    """HCI_Read_Clock_Offset_Complete (Vol 4 Part E 7.7.28)."""

    clock_offset: Annotated[int, U16]


@hci_event(0x1D)
class ConnectionPacketTypeChanged(
    _StatusHandle, frozen=True, tag="hci_connection_packet_type_changed"
):
    """HCI_Connection_Packet_Type_Changed (Vol 4 Part E 7.7.29)."""

    packet_type: Annotated[int, U16]


@hci_event(0x23)
class ReadRemoteExtendedFeaturesComplete(
    _StatusHandle, frozen=True, tag="hci_read_remote_ext_features"
):
    """HCI_Read_Remote_Extended_Features_Complete (Vol 4 Part E 7.7.34)."""

    page_number: Annotated[int, U8]
    max_page_number: Annotated[int, U8]
    extended_lmp_features: Annotated[int, U64]


@hci_event(0x30)
class EncryptionKeyRefreshComplete(
    _StatusHandle, frozen=True, tag="hci_encryption_key_refresh_complete"
):
    """HCI_Encryption_Key_Refresh_Complete (Vol 4 Part E 7.7.39)."""


@hci_event(0x31)
class IoCapabilityRequest(_Address, frozen=True, tag="hci_io_capability_request"):
    """HCI_IO_Capability_Request (Vol 4 Part E 7.7.40)."""


@hci_event(0x32)
class IoCapabilityResponse(_Address, frozen=True, tag="hci_io_capability_response"):
    """HCI_IO_Capability_Response (Vol 4 Part E 7.7.41)."""

    io_capability: Annotated[int, U8]
    oob_data_present: Annotated[int, U8]
    authentication_requirements: Annotated[int, U8]


@hci_event(0x33)
class UserConfirmationRequest(_Address, frozen=True, tag="hci_user_confirmation_request"):
    """HCI_User_Confirmation_Request (Vol 4 Part E 7.7.42)."""

    numeric_value: Annotated[int, U32]


@hci_event(0x36)
class SimplePairingComplete(HciEvent, frozen=True, tag="hci_simple_pairing_complete"):
    """HCI_Simple_Pairing_Complete (Vol 4 Part E 7.7.45)."""

    status: Annotated[int, U8]
    address: Annotated[bytes, Fixed(6)]


@hci_event(0x3D)
class RemoteHostFeaturesNotification(
    _Address, frozen=True, tag="hci_remote_host_features_notification"
):
    """HCI_Remote_Host_Supported_Features_Notification (Vol 4 Part E 7.7.50)."""

    host_features: Annotated[int, U64]


@hci_event(0x57)
class AuthenticatedPayloadTimeoutExpired(
    HciEvent, frozen=True, tag="hci_authenticated_payload_timeout"
):
    """HCI_Authenticated_Payload_Timeout_Expired (Vol 4 Part E 7.7.75)."""

    handle: Annotated[int, U16]


# -- LE Meta subevents (Vol 4 Part E 7.7.65) -----------------------------------------------


def _connection(status: int, handle: int, role: int, peer: str, interval: int) -> str:
    """What the LE connection complete events say first; interval in 1.25 ms."""
    return (
        f"status {status_text(status)} {_h(handle)} role {value_name(ROLES, role)} "
        f"peer {peer} interval {interval * 1.25:.2f} ms"
    )


@le_event(0x01)
class LeConnectionComplete(LeMetaEvent, frozen=True, tag="hci_le_connection_complete"):
    """HCI_LE_Connection_Complete (Vol 4 Part E 7.7.65.1); supervision timeout in 10 ms."""

    status: Annotated[int, U8]
    handle: Annotated[int, U16]
    role: Annotated[int, U8]
    peer_address_type: Annotated[int, U8]
    peer_address: Annotated[bytes, Fixed(6)]
    interval: Annotated[int, U16]
    latency: Annotated[int, U16]
    supervision_timeout: Annotated[int, U16]
    central_clock_accuracy: Annotated[int, U8]

    def describe(self) -> str:
        peer = peer_text(self.peer_address, self.peer_address_type)
        return _connection(self.status, self.handle, self.role, peer, self.interval)


class AdvertisingReport(msgspec.Struct, frozen=True, gc=False):
    """One report of LE Advertising Report; rssi 127 means not available."""

    event_type: int
    address_type: int
    address: bytes
    data: bytes
    rssi: int


_ADV_HEAD = struct.Struct("<BB6sB")
ADV_REPORT_TYPES = {  # LE Advertising Report event types (7.7.65.2)
    0: "ADV_IND",
    1: "ADV_DIRECT_IND",
    2: "ADV_SCAN_IND",
    3: "ADV_NONCONN_IND",
    4: "SCAN_RSP",
}


def _reports(
    body: bytes, head: struct.Struct, data_at: int
) -> list[tuple[tuple[Any, ...], bytes, int]]:
    """(fixed fields, data, end) per report of an advertising report event: a count octet,
    then per report `head` (its last field the data length) and the data."""
    if not body:
        raise TruncatedPdu("advertising report: no count octet")
    out, pos = [], 1
    for i in range(body[0]):
        if len(body) < pos + head.size:
            raise TruncatedPdu(f"report {i} ends after {len(body) - pos} bytes")
        fields = head.unpack_from(body, pos)
        start = pos + head.size
        end = start + fields[-1] + data_at
        if len(body) < end:
            raise TruncatedPdu(f"report {i}: data length {fields[-1]} past the end")
        out.append((fields, body[start : start + fields[-1]], end))
        pos = end
    if pos != len(body):
        raise InvalidPdu(f"{len(body) - pos} bytes after {body[0]} reports")
    return out


@le_event(0x02)
class LeAdvertisingReport(LeMetaEvent, frozen=True, tag="hci_le_advertising_report"):
    """HCI_LE_Advertising_Report (Vol 4 Part E 7.7.65.2); AD data kept as bytes."""

    reports: tuple[AdvertisingReport, ...]

    @classmethod
    def decode_body(cls, body: bytes) -> Self:
        found = _reports(body, _ADV_HEAD, 1)
        return cls(
            tuple(
                AdvertisingReport(f[0], f[1], f[2], data, struct.unpack_from("b", body, end - 1)[0])
                for f, data, end in found
            )
        )

    def encode_body(self) -> bytes:
        parts = [bytes([len(self.reports)])]
        for r in self.reports:
            parts += [_ADV_HEAD.pack(r.event_type, r.address_type, r.address, len(r.data))]
            parts += [r.data, struct.pack("b", r.rssi)]
        return b"".join(parts)

    def describe(self) -> str:
        return "; ".join(
            f"{value_name(ADV_REPORT_TYPES, r.event_type)} {peer_text(r.address, r.address_type)} "
            f"rssi {r.rssi} dBm data {len(r.data)} bytes"
            for r in self.reports
        )


@le_event(0x03)
class LeConnectionUpdateComplete(LeMetaEvent, frozen=True, tag="hci_le_connection_update_complete"):
    """HCI_LE_Connection_Update_Complete (Vol 4 Part E 7.7.65.3)."""

    status: Annotated[int, U8]
    handle: Annotated[int, U16]
    interval: Annotated[int, U16]
    latency: Annotated[int, U16]
    supervision_timeout: Annotated[int, U16]

    def describe(self) -> str:
        params = (self.interval, self.interval, self.latency, self.supervision_timeout)
        return f"status {status_text(self.status)} {_h(self.handle)} {connection_text(*params)}"


@le_event(0x04)
class LeReadRemoteFeaturesComplete(
    LeMetaEvent, frozen=True, tag="hci_le_read_remote_features_complete"
):
    """HCI_LE_Read_Remote_Features_Complete (Vol 4 Part E 7.7.65.4)."""

    status: Annotated[int, U8]
    handle: Annotated[int, U16]
    le_features: Annotated[int, U64]


@le_event(0x05)
class LeLongTermKeyRequest(LeMetaEvent, frozen=True, tag="hci_le_long_term_key_request"):
    """HCI_LE_Long_Term_Key_Request (Vol 4 Part E 7.7.65.5)."""

    handle: Annotated[int, U16]
    random_number: Annotated[bytes, Fixed(8)]
    encrypted_diversifier: Annotated[int, U16]


@le_event(0x06)
class LeRemoteConnectionParameterRequest(
    LeMetaEvent, frozen=True, tag="hci_le_remote_conn_param_request"
):
    """HCI_LE_Remote_Connection_Parameter_Request (Vol 4 Part E 7.7.65.6)."""

    handle: Annotated[int, U16]
    interval_min: Annotated[int, U16]
    interval_max: Annotated[int, U16]
    max_latency: Annotated[int, U16]
    timeout: Annotated[int, U16]

    def describe(self) -> str:
        params = (self.interval_min, self.interval_max, self.max_latency, self.timeout)
        return f"{_h(self.handle)} {connection_text(*params)}"


@le_event(0x07)
class LeDataLengthChange(LeMetaEvent, frozen=True, tag="hci_le_data_length_change"):
    """HCI_LE_Data_Length_Change (Vol 4 Part E 7.7.65.7); times in microseconds."""

    handle: Annotated[int, U16]
    max_tx_octets: Annotated[int, U16]
    max_tx_time: Annotated[int, U16]
    max_rx_octets: Annotated[int, U16]
    max_rx_time: Annotated[int, U16]


@le_event(0x0A)
class LeEnhancedConnectionComplete(
    LeMetaEvent, frozen=True, tag="hci_le_enhanced_connection_complete"
):
    """HCI_LE_Enhanced_Connection_Complete [v1] (Vol 4 Part E 7.7.65.10)."""

    status: Annotated[int, U8]
    handle: Annotated[int, U16]
    role: Annotated[int, U8]
    peer_address_type: Annotated[int, U8]
    peer_address: Annotated[bytes, Fixed(6)]
    local_rpa: Annotated[bytes, Fixed(6)]
    peer_rpa: Annotated[bytes, Fixed(6)]
    interval: Annotated[int, U16]
    latency: Annotated[int, U16]
    supervision_timeout: Annotated[int, U16]
    central_clock_accuracy: Annotated[int, U8]

    def describe(self) -> str:
        peer = peer_text(self.peer_address, self.peer_address_type)
        return _connection(self.status, self.handle, self.role, peer, self.interval)


@le_event(0x29)
class LeEnhancedConnectionCompleteV2(
    LeEnhancedConnectionComplete, frozen=True, tag="hci_le_enhanced_connection_complete_v2"
):
    """HCI_LE_Enhanced_Connection_Complete [v2] (Vol 4 Part E 7.7.65.10): also the
    advertising set and periodic sync the connection came from (0xFF / 0xFFFF: none)."""

    advertising_handle: Annotated[int, U8]
    sync_handle: Annotated[int, U16]


@le_event(0x0C)
class LePhyUpdateComplete(LeMetaEvent, frozen=True, tag="hci_le_phy_update_complete"):
    """HCI_LE_PHY_Update_Complete (Vol 4 Part E 7.7.65.12)."""

    status: Annotated[int, U8]
    handle: Annotated[int, U16]
    tx_phy: Annotated[int, U8]
    rx_phy: Annotated[int, U8]


class ExtendedAdvertisingReport(msgspec.Struct, frozen=True, gc=False):
    """One report of LE Extended Advertising Report (Vol 4 Part E 7.7.65.13)."""

    event_type: int
    address_type: int
    address: bytes
    primary_phy: int
    secondary_phy: int
    sid: int
    tx_power: int
    rssi: int
    periodic_interval: int
    direct_address_type: int
    direct_address: bytes
    data: bytes


_EXT_HEAD = struct.Struct("<HB6sBBBbbHB6sB")


@le_event(0x0D)
class LeExtendedAdvertisingReport(
    LeMetaEvent, frozen=True, tag="hci_le_extended_advertising_report"
):
    """HCI_LE_Extended_Advertising_Report (Vol 4 Part E 7.7.65.13); AD data kept as bytes."""

    reports: tuple[ExtendedAdvertisingReport, ...]

    @classmethod
    def decode_body(cls, body: bytes) -> Self:
        found = _reports(body, _EXT_HEAD, 0)
        return cls(tuple(ExtendedAdvertisingReport(*(*f[:-1], data)) for f, data, _ in found))

    def encode_body(self) -> bytes:
        parts = [bytes([len(self.reports)])]
        for r in self.reports:
            fields = msgspec.structs.astuple(r)
            parts += [_EXT_HEAD.pack(*fields[:-1], len(r.data)), r.data]
        return b"".join(parts)

    def describe(self) -> str:
        return "; ".join(
            f"type 0x{r.event_type:04x} {peer_text(r.address, r.address_type)} "
            f"rssi {r.rssi} dBm data {len(r.data)} bytes"
            for r in self.reports
        )


@le_event(0x11)
class LeScanTimeout(LeMetaEvent, frozen=True, tag="hci_le_scan_timeout"):
    """HCI_LE_Scan_Timeout (Vol 4 Part E 7.7.65.17)."""


@le_event(0x12)
class LeAdvertisingSetTerminated(LeMetaEvent, frozen=True, tag="hci_le_advertising_set_terminated"):
    """HCI_LE_Advertising_Set_Terminated (Vol 4 Part E 7.7.65.18)."""

    status: Annotated[int, U8]
    advertising_handle: Annotated[int, U8]
    handle: Annotated[int, U16]
    num_completed_events: Annotated[int, U8]


@le_event(0x14)
class LeChannelSelectionAlgorithm(
    LeMetaEvent, frozen=True, tag="hci_le_channel_selection_algorithm"
):
    """HCI_LE_Channel_Selection_Algorithm (Vol 4 Part E 7.7.65.20): 0 #1, 1 #2."""

    handle: Annotated[int, U16]
    algorithm: Annotated[int, U8]


# -- the layer boundary -----------------------------------------------------------------


def decode_event_params(code: int, params: bytes) -> HciEvent:
    """The event record for `code` with these parameters; raises InvalidPdu."""
    if code == 0x3E:
        if not params:
            raise TruncatedPdu("LE Meta event without a subevent code")
        le_cls = LE_EVENT_TYPES.get(params[0])
        if le_cls is None:
            return LeMetaEventRaw(params[0], params[1:])
        return le_cls.decode_body(params[1:])
    if code == 0xFF:
        return _ti_att_event(params) or HciEventRaw(code, params)
    cls = EVENT_TYPES.get(code)
    return HciEventRaw(code, params) if cls is None else cls.decode_body(params)


def decode_hci_event(data: bytes) -> HciEvent | Malformed:
    """An HCI event packet (without its H4 indicator) as a record, or Malformed."""
    data = bytes(data)
    if len(data) < _HEADER.size:
        return Malformed("hci", f"event header needs 2 bytes, has {len(data)}", data)
    if len(data) == 7 and data[0] == 0x13 and data[1] == 5 and data[2] == 1:
        # Number Of Completed Packets for one handle: a third of an HCI log's frames
        handle, count = _COMPLETED.unpack_from(data, 3)
        return NumberOfCompletedPackets((CompletedPackets(handle, count),))
    code, length = _HEADER.unpack_from(data)
    params = data[_HEADER.size :]
    if len(params) != length:
        short = "truncated" if len(params) < length else "trailing bytes"
        why = f"{short}: length {length}, has {len(params)}"
        return Malformed("hci", f"{_event_title(code, params)}: {why}", data)
    try:
        return decode_event_params(code, params)
    except (InvalidPdu, struct.error, ValueError, IndexError) as exc:
        return Malformed("hci", f"{_event_title(code, params)}: {exc}", data)


def _event_title(code: int, params: bytes) -> str:
    """The event's name for an error message (only then: this runs per event otherwise)."""
    if code == 0x3E and params:
        return le_subevent_name(params[0])
    return event_name(code)
