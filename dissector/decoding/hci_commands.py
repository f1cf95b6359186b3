"""HCI command packets and the return parameters of their Command Complete events.

A command packet (Core 5.4 Vol 4 Part E 5.4.1) is Opcode (u16), Parameter_Total_Length (u8)
and the parameters. Each decoded command is a record registered by opcode; every other
command stays an `HciCommandRaw` with its opcode, name and parameter bytes. Parameters that
are arrays follow Part E 5.2: the fields of element 0, then those of element 1, and so on.
`decode_hci_command` never raises: bad bytes become `Malformed(layer="hci")`.

Return parameters (the tail of HCI_Command_Complete, Part E 7.7.14) are records too,
registered by the opcode whose answer they are: `decode_return` is used by hci_events.
Every Core command's return parameters start with Status, so a standard command without its
own record keeps its status decoded and the rest as bytes (`ReturnStatusRest`).

TI vendor-specific ATT commands, from TI's "HCI Vendor Specific Guide" (BLE5-Stack, ATT
Vendor Specific API) and its stack's HCI extension sources (hci_ext.h, hci_ext_app.c):

* TI splits the vendor OCF (OGF 0x3F) into a 3-bit subgroup and a 7-bit command: 0 HCI
  extension (0xFC00-), 1 L2CAP (0xFC80-), 2 ATT (0xFD00-0xFD7F), 3 GATT (0xFD80-0xFDFF),
  4 GAP (0xFE00-), 5 UTIL (0xFE80-), 7 user profile. In the ATT subgroup the command number
  is the ATT opcode: 0xFD0A ATT_ReadReq sends ATT_READ_REQ (0x0A). GATT commands name the
  ATT opcode their procedure starts with (0xFD8A GATT_ReadCharValue) or a GATT-only number;
  they stay `HciCommandRaw`.
* An ATT command's parameters: Connection Handle (u16; 0xFFFE is TI's loopback), then the
  ATT PDU's parameters without its opcode, except that ATT_WriteReq (0xFD12) puts Signature
  (0 none, 1 valid, 2 invalid) and Command (1: send a Write Command) octets before handle and
  value, and ATT_HandleValueNoti/Ind (0xFD1B/0xFD1D) an Authenticated octet. TI documents
  0xFD01-0xFD13, 0xFD16-0xFD19, 0xFD1B, 0xFD1D, 0xFD1E; the whole range 0xFD01-0xFD1E is
  taken. TI answers with its vendor event GAP_HCI_ExtentionCommandStatus (0xFF, event
  opcode 0x067F: status, command opcode, data length, data), not Command Status, and the
  ATT traffic comes back as ATT events 0x0501-0x057F (hci_events.py).

A `TiAttCommand` keeps the connection handle, the ATT opcode and the remaining parameter
bytes (flags included); making ATT PDU records of them is the ATT layer's job. The layout
cannot be told from another vendor's, so a 0xFD01-0xFD1E command too short for a connection
handle stays an `HciCommandRaw`.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Self, TypeVar

import msgspec

from attscope.dissector.decoding.hci_names import (
    COMMANDS,
    command_name,
    connection_text,
    describe_fields,
    error_name,
    ms_text,
    peer_text,
    ti_att_name,
)
from attscope.dissector.decoding.pdu import (
    I8,
    REST,
    U8,
    U16,
    U24,
    U64,
    Fixed,
    InvalidPdu,
    Malformed,
    Pdu,
    Registry,
    TruncatedPdu,
)

_HEADER = struct.Struct("<HB")
TI_ATT_COMMANDS = range(0xFD01, 0xFD1F)


def _array(
    body: bytes, pos: int, count: int, layout: struct.Struct, what: str
) -> list[tuple[Any, ...]]:
    """`count` elements of `layout` from `pos` to the end of `body` (Part E 5.2)."""
    need = pos + count * layout.size
    if len(body) != need:
        kind = TruncatedPdu if len(body) < need else InvalidPdu
        raise kind(f"{what}: {count} entries need {need} bytes, has {len(body)}")
    return [layout.unpack_from(body, pos + i * layout.size) for i in range(count)]


class HciCommand(Pdu, frozen=True):
    """Base of the HCI command records; `opcode` is set by `hci_command` (Part E 5.4.1)."""

    opcode: ClassVar[int] = -1

    @property
    def name(self) -> str:
        return command_name(self.opcode)

    def describe(self) -> str:
        """The parameters as btmon-like text ('' when there are none)."""
        return describe_fields(self)

    def summary(self) -> str:
        text = self.describe()
        return f"{self.name} {text}" if text else self.name

    def to_bytes(self) -> bytes:
        body = self.encode_body()
        return _HEADER.pack(self.opcode, len(body)) + body


C = TypeVar("C", bound=type[HciCommand])
COMMAND_REGISTRY: Registry[HciCommand] = Registry("hci command", code_attr="opcode")
COMMAND_TYPES = COMMAND_REGISTRY.classes  # opcode -> class


def hci_command(opcode: int) -> Callable[[C], C]:
    """Register a command record under `opcode` (see `pdu.Registry`)."""
    return COMMAND_REGISTRY.register(opcode)


class HciCommandRaw(HciCommand, frozen=True, tag="hci_command_raw"):
    """A command kept as bytes: its opcode is known by name, or is vendor-specific."""

    opcode: int  # type: ignore[misc]  # an instance field here, a class constant elsewhere
    params: bytes
    vendor_name: str | None = None  # what the controller's maker calls it (hci_vendor.py)

    @property
    def name(self) -> str:
        if self.vendor_name is not None:
            return f"{self.vendor_name} (0x{self.opcode:04x})"
        return command_name(self.opcode)

    def encode_body(self) -> bytes:
        return self.params

    def describe(self) -> str:
        return f"params {self.params.hex()}" if self.params else ""


class TiAttCommand(HciCommand, frozen=True, tag="hci_ti_att_command"):
    """A TI vendor-specific ATT command 0xFD01-0xFD1E (TI HCI Vendor Specific Guide, ATT
    commands; see the module doc): `params` follow the connection handle."""

    att_opcode: int
    handle: int
    params: bytes

    @property
    def opcode(self) -> int:  # type: ignore[override]  # a property here, a class constant elsewhere
        return 0xFD00 | self.att_opcode

    @property
    def name(self) -> str:
        return f"{command_name(self.opcode)} TI {ti_att_name(self.att_opcode)}"

    def encode_body(self) -> bytes:
        return self.handle.to_bytes(2, "little") + self.params

    def describe(self) -> str:
        return f"handle 0x{self.handle:04x} params {self.params.hex() or '-'}"


# -- commands with decoded parameters (Vol 4 Part E 7) -------------------------------------


@hci_command(0x0406)
class Disconnect(HciCommand, frozen=True, tag="hci_disconnect"):
    """HCI_Disconnect (Vol 4 Part E 7.1.6)."""

    handle: Annotated[int, U16]
    reason: Annotated[int, U8]


@hci_command(0x0C01)
class SetEventMask(HciCommand, frozen=True, tag="hci_set_event_mask"):
    """HCI_Set_Event_Mask (Vol 4 Part E 7.3.1)."""

    event_mask: Annotated[int, U64]


@hci_command(0x0C03)
class Reset(HciCommand, frozen=True, tag="hci_reset"):
    """HCI_Reset (Vol 4 Part E 7.3.2)."""


@hci_command(0x1001)
class ReadLocalVersion(HciCommand, frozen=True, tag="hci_read_local_version"):
    """HCI_Read_Local_Version_Information (Vol 4 Part E 7.4.1)."""


@hci_command(0x1005)
class ReadBufferSize(HciCommand, frozen=True, tag="hci_read_buffer_size"):
    """HCI_Read_Buffer_Size (Vol 4 Part E 7.4.5)."""


@hci_command(0x1009)
class ReadBdAddr(HciCommand, frozen=True, tag="hci_read_bd_addr"):
    """HCI_Read_BD_ADDR (Vol 4 Part E 7.4.6)."""


@hci_command(0x2001)
class LeSetEventMask(HciCommand, frozen=True, tag="hci_le_set_event_mask"):
    """HCI_LE_Set_Event_Mask (Vol 4 Part E 7.8.1)."""

    le_event_mask: Annotated[int, U64]


@hci_command(0x2002)
class LeReadBufferSize(HciCommand, frozen=True, tag="hci_le_read_buffer_size"):
    """HCI_LE_Read_Buffer_Size [v1] (Vol 4 Part E 7.8.2)."""


@hci_command(0x2060)
class LeReadBufferSizeV2(HciCommand, frozen=True, tag="hci_le_read_buffer_size_v2"):
    """HCI_LE_Read_Buffer_Size [v2] (Vol 4 Part E 7.8.2)."""


@hci_command(0x2003)
class LeReadLocalFeatures(HciCommand, frozen=True, tag="hci_le_read_local_features"):
    """HCI_LE_Read_Local_Supported_Features (Vol 4 Part E 7.8.3)."""


@hci_command(0x2005)
class LeSetRandomAddress(HciCommand, frozen=True, tag="hci_le_set_random_address"):
    """HCI_LE_Set_Random_Address (Vol 4 Part E 7.8.4)."""

    address: Annotated[bytes, Fixed(6)]


@hci_command(0x2006)
class LeSetAdvertisingParameters(HciCommand, frozen=True, tag="hci_le_set_advertising_parameters"):
    """HCI_LE_Set_Advertising_Parameters (Vol 4 Part E 7.8.5); intervals in 0.625 ms."""

    interval_min: Annotated[int, U16]
    interval_max: Annotated[int, U16]
    advertising_type: Annotated[int, U8]
    own_address_type: Annotated[int, U8]
    peer_address_type: Annotated[int, U8]
    peer_address: Annotated[bytes, Fixed(6)]
    channel_map: Annotated[int, U8]
    filter_policy: Annotated[int, U8]

    def describe(self) -> str:
        interval = f"{ms_text(self.interval_min, 0.625)}-{ms_text(self.interval_max, 0.625)}"
        kind, channels = self.advertising_type, self.channel_map
        return f"interval {interval} type 0x{kind:02x} channels 0x{channels:02x}"


@hci_command(0x200A)
class LeSetAdvertisingEnable(HciCommand, frozen=True, tag="hci_le_set_advertising_enable"):
    """HCI_LE_Set_Advertising_Enable (Vol 4 Part E 7.8.9)."""

    enable: Annotated[int, U8]


@hci_command(0x200B)
class LeSetScanParameters(HciCommand, frozen=True, tag="hci_le_set_scan_parameters"):
    """HCI_LE_Set_Scan_Parameters (Vol 4 Part E 7.8.10); interval and window in 0.625 ms."""

    scan_type: Annotated[int, U8]
    interval: Annotated[int, U16]
    window: Annotated[int, U16]
    own_address_type: Annotated[int, U8]
    filter_policy: Annotated[int, U8]

    def describe(self) -> str:
        kind = {0: "passive", 1: "active"}.get(self.scan_type, f"type 0x{self.scan_type:02x}")
        return (
            f"{kind} interval {ms_text(self.interval, 0.625)} window {ms_text(self.window, 0.625)}"
        )


@hci_command(0x200C)
class LeSetScanEnable(HciCommand, frozen=True, tag="hci_le_set_scan_enable"):
    """HCI_LE_Set_Scan_Enable (Vol 4 Part E 7.8.11)."""

    enable: Annotated[int, U8]
    filter_duplicates: Annotated[int, U8]


@hci_command(0x200D)
class LeCreateConnection(HciCommand, frozen=True, tag="hci_le_create_connection"):
    """HCI_LE_Create_Connection (Vol 4 Part E 7.8.12); scan interval, window and CE lengths
    in 0.625 ms."""

    scan_interval: Annotated[int, U16]
    scan_window: Annotated[int, U16]
    filter_policy: Annotated[int, U8]
    peer_address_type: Annotated[int, U8]
    peer_address: Annotated[bytes, Fixed(6)]
    own_address_type: Annotated[int, U8]
    interval_min: Annotated[int, U16]
    interval_max: Annotated[int, U16]
    max_latency: Annotated[int, U16]
    supervision_timeout: Annotated[int, U16]
    min_ce_length: Annotated[int, U16]
    max_ce_length: Annotated[int, U16]

    def describe(self) -> str:
        peer = peer_text(self.peer_address, self.peer_address_type)
        params = (self.interval_min, self.interval_max, self.max_latency, self.supervision_timeout)
        return f"peer {peer} {connection_text(*params)}"


@hci_command(0x200E)
class LeCreateConnectionCancel(HciCommand, frozen=True, tag="hci_le_create_connection_cancel"):
    """HCI_LE_Create_Connection_Cancel (Vol 4 Part E 7.8.13)."""


@hci_command(0x2011)
class LeAddDeviceToFilterAcceptList(
    HciCommand, frozen=True, tag="hci_le_add_to_filter_accept_list"
):
    """HCI_LE_Add_Device_To_Filter_Accept_List (Vol 4 Part E 7.8.16)."""

    address_type: Annotated[int, U8]
    address: Annotated[bytes, Fixed(6)]


@hci_command(0x2012)
class LeRemoveDeviceFromFilterAcceptList(
    LeAddDeviceToFilterAcceptList, frozen=True, tag="hci_le_remove_from_filter_accept_list"
):
    """HCI_LE_Remove_Device_From_Filter_Accept_List (Vol 4 Part E 7.8.17)."""


@hci_command(0x2013)
class LeConnectionUpdate(HciCommand, frozen=True, tag="hci_le_connection_update"):
    """HCI_LE_Connection_Update (Vol 4 Part E 7.8.18); CE lengths in 0.625 ms."""

    handle: Annotated[int, U16]
    interval_min: Annotated[int, U16]
    interval_max: Annotated[int, U16]
    max_latency: Annotated[int, U16]
    supervision_timeout: Annotated[int, U16]
    min_ce_length: Annotated[int, U16]
    max_ce_length: Annotated[int, U16]

    def describe(self) -> str:
        params = (self.interval_min, self.interval_max, self.max_latency, self.supervision_timeout)
        return f"handle 0x{self.handle:04x} {connection_text(*params)}"


@hci_command(0x2016)
class LeReadRemoteFeatures(HciCommand, frozen=True, tag="hci_le_read_remote_features"):
    """HCI_LE_Read_Remote_Features (Vol 4 Part E 7.8.21)."""

    handle: Annotated[int, U16]


@hci_command(0x2019)
class LeEnableEncryption(HciCommand, frozen=True, tag="hci_le_enable_encryption"):
    """HCI_LE_Enable_Encryption, LE Start Encryption before Core 5.3 (Vol 4 Part E 7.8.24)."""

    handle: Annotated[int, U16]
    random_number: Annotated[bytes, Fixed(8)]
    encrypted_diversifier: Annotated[int, U16]
    long_term_key: Annotated[bytes, Fixed(16)]


@hci_command(0x201A)
class LeLongTermKeyRequestReply(HciCommand, frozen=True, tag="hci_le_ltk_request_reply"):
    """HCI_LE_Long_Term_Key_Request_Reply (Vol 4 Part E 7.8.25)."""

    handle: Annotated[int, U16]
    long_term_key: Annotated[bytes, Fixed(16)]


@hci_command(0x201B)
class LeLongTermKeyRequestNegativeReply(
    HciCommand, frozen=True, tag="hci_le_ltk_request_negative_reply"
):
    """HCI_LE_Long_Term_Key_Request_Negative_Reply (Vol 4 Part E 7.8.26)."""

    handle: Annotated[int, U16]


@hci_command(0x2022)
class LeSetDataLength(HciCommand, frozen=True, tag="hci_le_set_data_length"):
    """HCI_LE_Set_Data_Length (Vol 4 Part E 7.8.33); time in microseconds."""

    handle: Annotated[int, U16]
    tx_octets: Annotated[int, U16]
    tx_time: Annotated[int, U16]


@hci_command(0x2023)
class LeReadSuggestedDefaultDataLength(
    HciCommand, frozen=True, tag="hci_le_read_default_data_length"
):
    """HCI_LE_Read_Suggested_Default_Data_Length (Vol 4 Part E 7.8.34)."""


@hci_command(0x2024)
class LeWriteSuggestedDefaultDataLength(
    HciCommand, frozen=True, tag="hci_le_write_default_data_length"
):
    """HCI_LE_Write_Suggested_Default_Data_Length (Vol 4 Part E 7.8.35); time in us."""

    max_tx_octets: Annotated[int, U16]
    max_tx_time: Annotated[int, U16]


@hci_command(0x2027)
class LeAddDeviceToResolvingList(HciCommand, frozen=True, tag="hci_le_add_to_resolving_list"):
    """HCI_LE_Add_Device_To_Resolving_List (Vol 4 Part E 7.8.38)."""

    peer_identity_address_type: Annotated[int, U8]
    peer_identity_address: Annotated[bytes, Fixed(6)]
    peer_irk: Annotated[bytes, Fixed(16)]
    local_irk: Annotated[bytes, Fixed(16)]


@hci_command(0x202D)
class LeSetAddressResolutionEnable(
    HciCommand, frozen=True, tag="hci_le_set_address_resolution_enable"
):
    """HCI_LE_Set_Address_Resolution_Enable (Vol 4 Part E 7.8.44)."""

    enable: Annotated[int, U8]


@hci_command(0x2032)
class LeSetPhy(HciCommand, frozen=True, tag="hci_le_set_phy"):
    """HCI_LE_Set_PHY (Vol 4 Part E 7.8.49); PHYs as bit fields (1M, 2M, Coded)."""

    handle: Annotated[int, U16]
    all_phys: Annotated[int, U8]
    tx_phys: Annotated[int, U8]
    rx_phys: Annotated[int, U8]
    phy_options: Annotated[int, U16]


@hci_command(0x2036)
class LeSetExtendedAdvertisingParameters(
    HciCommand, frozen=True, tag="hci_le_set_ext_adv_parameters"
):
    """HCI_LE_Set_Extended_Advertising_Parameters [v1] (Vol 4 Part E 7.8.53); primary
    intervals in 0.625 ms."""

    advertising_handle: Annotated[int, U8]
    event_properties: Annotated[int, U16]
    primary_interval_min: Annotated[int, U24]
    primary_interval_max: Annotated[int, U24]
    primary_channel_map: Annotated[int, U8]
    own_address_type: Annotated[int, U8]
    peer_address_type: Annotated[int, U8]
    peer_address: Annotated[bytes, Fixed(6)]
    filter_policy: Annotated[int, U8]
    tx_power: Annotated[int, I8]
    primary_phy: Annotated[int, U8]
    secondary_max_skip: Annotated[int, U8]
    secondary_phy: Annotated[int, U8]
    sid: Annotated[int, U8]
    scan_request_notification: Annotated[int, U8]

    def describe(self) -> str:
        low, high = self.primary_interval_min, self.primary_interval_max
        return (
            f"set {self.advertising_handle} properties 0x{self.event_properties:04x} interval "
            f"{ms_text(low, 0.625)}-{ms_text(high, 0.625)} tx {self.tx_power} dBm"
        )


@hci_command(0x207F)
class LeSetExtendedAdvertisingParametersV2(
    LeSetExtendedAdvertisingParameters, frozen=True, tag="hci_le_set_ext_adv_parameters_v2"
):
    """HCI_LE_Set_Extended_Advertising_Parameters [v2] (Vol 4 Part E 7.8.53)."""

    primary_phy_options: Annotated[int, U8]
    secondary_phy_options: Annotated[int, U8]


class AdvertisingSet(msgspec.Struct, frozen=True, gc=False):
    """One set of LE Set Extended Advertising Enable; duration in 10 ms."""

    advertising_handle: int
    duration: int
    max_events: int


_ADV_SET = struct.Struct("<BHB")


@hci_command(0x2039)
class LeSetExtendedAdvertisingEnable(HciCommand, frozen=True, tag="hci_le_set_ext_adv_enable"):
    """HCI_LE_Set_Extended_Advertising_Enable (Vol 4 Part E 7.8.56)."""

    enable: int
    sets: tuple[AdvertisingSet, ...]

    @classmethod
    def decode_body(cls, body: bytes) -> Self:
        if len(body) < 2:
            raise TruncatedPdu(f"needs 2 bytes, has {len(body)}")
        sets = _array(body, 2, body[1], _ADV_SET, "advertising sets")
        return cls(body[0], tuple(AdvertisingSet(*s) for s in sets))

    def encode_body(self) -> bytes:
        sets = b"".join(_ADV_SET.pack(*msgspec.structs.astuple(s)) for s in self.sets)
        return bytes([self.enable, len(self.sets)]) + sets


class ScanPhy(msgspec.Struct, frozen=True, gc=False):
    """The scan parameters for one PHY of LE Set Extended Scan Parameters (0.625 ms)."""

    scan_type: int
    interval: int
    window: int


_SCAN_PHY = struct.Struct("<BHH")


@hci_command(0x2041)
class LeSetExtendedScanParameters(HciCommand, frozen=True, tag="hci_le_set_ext_scan_parameters"):
    """HCI_LE_Set_Extended_Scan_Parameters (Vol 4 Part E 7.8.64): one entry per bit set in
    `scanning_phys` (bit 0 LE 1M, bit 2 LE Coded)."""

    own_address_type: int
    filter_policy: int
    scanning_phys: int
    phys: tuple[ScanPhy, ...]

    @classmethod
    def decode_body(cls, body: bytes) -> Self:
        if len(body) < 3:
            raise TruncatedPdu(f"needs 3 bytes, has {len(body)}")
        entries = _array(body, 3, body[2].bit_count(), _SCAN_PHY, "scanning PHYs")
        return cls(body[0], body[1], body[2], tuple(ScanPhy(*e) for e in entries))

    def encode_body(self) -> bytes:
        head = bytes([self.own_address_type, self.filter_policy, self.scanning_phys])
        return head + b"".join(_SCAN_PHY.pack(*msgspec.structs.astuple(p)) for p in self.phys)

    def describe(self) -> str:
        return " ".join(
            f"{'active' if p.scan_type else 'passive'} interval {ms_text(p.interval, 0.625)} "
            f"window {ms_text(p.window, 0.625)}"
            for p in self.phys
        )


@hci_command(0x2042)
class LeSetExtendedScanEnable(HciCommand, frozen=True, tag="hci_le_set_ext_scan_enable"):
    """HCI_LE_Set_Extended_Scan_Enable (Vol 4 Part E 7.8.65); duration in 10 ms, period in
    1.28 s."""

    enable: Annotated[int, U8]
    filter_duplicates: Annotated[int, U8]
    duration: Annotated[int, U16]
    period: Annotated[int, U16]


class InitiatingPhy(msgspec.Struct, frozen=True, gc=False):
    """The parameters for one PHY of LE Extended Create Connection (units as in
    LE Create Connection)."""

    scan_interval: int
    scan_window: int
    interval_min: int
    interval_max: int
    max_latency: int
    supervision_timeout: int
    min_ce_length: int
    max_ce_length: int


_INIT_PHY = struct.Struct("<8H")
_EXT_CREATE = struct.Struct("<BBB6sB")


@hci_command(0x2043)
class LeExtendedCreateConnection(HciCommand, frozen=True, tag="hci_le_ext_create_connection"):
    """HCI_LE_Extended_Create_Connection [v1] (Vol 4 Part E 7.8.66): one entry per bit set
    in `initiating_phys` (bit 0 LE 1M, bit 1 LE 2M, bit 2 LE Coded)."""

    filter_policy: int
    own_address_type: int
    peer_address_type: int
    peer_address: bytes
    initiating_phys: int
    phys: tuple[InitiatingPhy, ...]
    _PREFIX: ClassVar[tuple[str, ...]] = ()  # fields before v1's parameters (v2 has two)

    @classmethod
    def decode_body(cls, body: bytes) -> Self:
        pos = len(cls._PREFIX)
        if len(body) < pos + _EXT_CREATE.size:
            raise TruncatedPdu(f"needs {pos + _EXT_CREATE.size} bytes, has {len(body)}")
        policy, own, peer_type, peer, phys = _EXT_CREATE.unpack_from(body, pos)
        entries = _array(body, pos + _EXT_CREATE.size, phys.bit_count(), _INIT_PHY, "PHYs")
        return cls(
            filter_policy=policy,
            own_address_type=own,
            peer_address_type=peer_type,
            peer_address=peer,
            initiating_phys=phys,
            phys=tuple(InitiatingPhy(*e) for e in entries),
            **dict(zip(cls._PREFIX, body[:pos], strict=True)),
        )

    def encode_body(self) -> bytes:
        prefix = bytes(getattr(self, name) for name in self._PREFIX)
        head = _EXT_CREATE.pack(*msgspec.structs.astuple(self)[:5])
        phys = b"".join(_INIT_PHY.pack(*msgspec.structs.astuple(p)) for p in self.phys)
        return prefix + head + phys

    def describe(self) -> str:
        peer = peer_text(self.peer_address, self.peer_address_type)
        return f"peer {peer} phys 0x{self.initiating_phys:02x}"


@hci_command(0x2085)
class LeExtendedCreateConnectionV2(
    LeExtendedCreateConnection, frozen=True, tag="hci_le_ext_create_connection_v2"
):
    """HCI_LE_Extended_Create_Connection [v2] (Vol 4 Part E 7.8.66): an advertising handle
    and a subevent (0xFF: not over periodic advertising) come before v1's parameters."""

    advertising_handle: int
    subevent: int
    _PREFIX: ClassVar[tuple[str, ...]] = ("advertising_handle", "subevent")


# -- return parameters of Command Complete (Vol 4 Part E 7.7.14) ---------------------------


class ReturnParams(Pdu, frozen=True):
    """Base of the Command Complete return parameter records."""

    def describe(self) -> str:
        return ""


R = TypeVar("R", bound=type[ReturnParams])
RETURNS: Registry[ReturnParams] = Registry("hci return parameters")
RETURN_TYPES = RETURNS.classes  # command opcode -> its return parameters


def returns(*opcodes: int) -> Callable[[R], R]:
    """Register a return parameter record for the commands `opcodes`."""

    return RETURNS.register(*opcodes)


@returns()
class ReturnRaw(ReturnParams, frozen=True, tag="hci_return_raw"):
    """Return parameters kept as bytes (vendor, unknown or No Operation opcodes)."""

    params: Annotated[bytes, REST]

    def describe(self) -> str:
        return self.params.hex()


class _Status(ReturnParams, frozen=True):
    """Return parameters opening with Status; `describe` shows the rest on success."""

    status: Annotated[int, U8]

    def describe(self) -> str:
        text = self.details() if self.status == 0 else ""
        return f"status {error_name(self.status)}" + (f": {text}" if text else "")

    def details(self) -> str:
        """What follows a successful Status: the other fields, unless a record says better."""
        return describe_fields(self).removeprefix("status 0x00").strip()


@returns()
class ReturnStatus(_Status, frozen=True, tag="hci_return_status"):
    """Return parameters that are Status alone."""


@returns()
class ReturnStatusRest(_Status, frozen=True, tag="hci_return_status_rest"):
    """A Core command's return parameters: Status decoded, the rest kept as bytes."""

    rest: Annotated[bytes, REST]


@returns(
    0x080D, 0x0811, 0x0C08, 0x0C28, 0x0C37, 0x0C7C, 0x1402, 0x201A, 0x201B, 0x2020, 0x2021,
    0x2022, 0x2054, 0x2055, 0x2056, 0x2057, 0x205A, 0x205B, 0x205C, 0x2067, 0x206E, 0x206F,
    0x2070, 0x2071, 0x2078, 0x2079, 0x207A,
)  # fmt: skip
class ReturnStatusHandle(_Status, frozen=True, tag="hci_return_status_handle"):
    """Status and the Connection_Handle the command was about."""

    handle: Annotated[int, U16]


@returns(
    0x0809, 0x080C, 0x0C27, 0x0C2D, 0x0C36, 0x0C7B, 0x1401, 0x1403, 0x1406, 0x1407, 0x1408,
    0x1405, 0x2015, 0x2030, 0x2072, 0x2075, 0x2076,
)  # fmt: skip
class ReturnStatusHandleRest(_Status, frozen=True, tag="hci_return_status_handle_rest"):
    """Status, the Connection_Handle, and the rest kept as bytes."""

    handle: Annotated[int, U16]
    rest: Annotated[bytes, REST]


@returns(
    0x0408, 0x040B, 0x040C, 0x040D, 0x040E, 0x041A, 0x042B, 0x042C, 0x042D, 0x042E, 0x042F,
    0x0430, 0x0433, 0x0434, 0x0445, 0x0C60,
)  # fmt: skip
class ReturnStatusAddress(_Status, frozen=True, tag="hci_return_status_address"):
    """Status and the BD_ADDR the command was about."""

    address: Annotated[bytes, Fixed(6)]


@returns(0x1001)
class ReadLocalVersionReturn(_Status, frozen=True, tag="hci_return_read_local_version"):
    """HCI_Read_Local_Version_Information return (Vol 4 Part E 7.4.1)."""

    hci_version: Annotated[int, U8]
    hci_subversion: Annotated[int, U16]
    lmp_version: Annotated[int, U8]
    company_id: Annotated[int, U16]
    lmp_subversion: Annotated[int, U16]


@returns(0x1005)
class ReadBufferSizeReturn(_Status, frozen=True, tag="hci_return_read_buffer_size"):
    """HCI_Read_Buffer_Size return (Vol 4 Part E 7.4.5)."""

    acl_data_packet_length: Annotated[int, U16]
    sync_data_packet_length: Annotated[int, U8]
    total_num_acl_data_packets: Annotated[int, U16]
    total_num_sync_data_packets: Annotated[int, U16]

    def details(self) -> str:
        return (
            f"ACL {self.acl_data_packet_length} bytes x {self.total_num_acl_data_packets}, "
            f"SCO {self.sync_data_packet_length} bytes x {self.total_num_sync_data_packets}"
        )


@returns(0x1009)
class ReadBdAddrReturn(_Status, frozen=True, tag="hci_return_read_bd_addr"):
    """HCI_Read_BD_ADDR return (Vol 4 Part E 7.4.6)."""

    address: Annotated[bytes, Fixed(6)]


@returns(0x2002)
class LeReadBufferSizeReturn(_Status, frozen=True, tag="hci_return_le_read_buffer_size"):
    """HCI_LE_Read_Buffer_Size [v1] return (Vol 4 Part E 7.8.2)."""

    acl_data_packet_length: Annotated[int, U16]
    total_num_acl_data_packets: Annotated[int, U8]

    def details(self) -> str:
        return f"{self.acl_data_packet_length} bytes x {self.total_num_acl_data_packets}"


@returns(0x2060)
class LeReadBufferSizeV2Return(_Status, frozen=True, tag="hci_return_le_read_buffer_size_v2"):
    """HCI_LE_Read_Buffer_Size [v2] return (Vol 4 Part E 7.8.2)."""

    acl_data_packet_length: Annotated[int, U16]
    total_num_acl_data_packets: Annotated[int, U8]
    iso_data_packet_length: Annotated[int, U16]
    total_num_iso_data_packets: Annotated[int, U8]

    def details(self) -> str:
        return (
            f"{self.acl_data_packet_length} bytes x {self.total_num_acl_data_packets}, "
            f"ISO {self.iso_data_packet_length} bytes x {self.total_num_iso_data_packets}"
        )


@returns(0x2036, 0x207F)
class LeSetExtendedAdvertisingParametersReturn(
    _Status, frozen=True, tag="hci_return_le_ext_adv_parameters"
):
    """HCI_LE_Set_Extended_Advertising_Parameters return (Vol 4 Part E 7.8.53); dBm."""

    selected_tx_power: Annotated[int, I8]


def is_standard(opcode: int) -> bool:
    """A command the Core specification defines (so its return parameters open with Status)."""
    return opcode != 0 and opcode in COMMANDS


def decode_return(opcode: int, params: bytes) -> ReturnParams:
    """The return parameters of the command `opcode`; raises InvalidPdu if they do not fit.

    A command that failed may answer with its Status alone: that is a `ReturnStatus`."""
    if not params or not is_standard(opcode):
        return ReturnRaw(params)
    cls = RETURN_TYPES.get(opcode)
    if len(params) == 1 and (cls is None or params[0] != 0):
        return ReturnStatus(params[0])
    if cls is None:
        return ReturnStatusRest(params[0], params[1:])
    return cls.decode_body(params)


def status_of(params: ReturnParams) -> int | None:
    """The Status of return parameters, None when they are kept raw."""
    return getattr(params, "status", None)


# -- the layer boundary -----------------------------------------------------------------


def decode_command_params(opcode: int, params: bytes) -> HciCommand:
    """The command record for `opcode` with these parameters; raises InvalidPdu."""
    cls = COMMAND_TYPES.get(opcode)
    if cls is not None:
        return cls.decode_body(params)
    if opcode in TI_ATT_COMMANDS and len(params) >= 2:
        return TiAttCommand(opcode & 0xFF, int.from_bytes(params[:2], "little"), params[2:])
    return HciCommandRaw(opcode, params)


def decode_hci_command(data: bytes) -> HciCommand | Malformed:
    """An HCI command packet (without its H4 indicator) as a record, or Malformed."""
    data = bytes(data)
    if len(data) < _HEADER.size:
        return Malformed("hci", f"command header needs 3 bytes, has {len(data)}", data)
    opcode, length = _HEADER.unpack_from(data)
    params = data[_HEADER.size :]
    name = command_name(opcode)
    if len(params) != length:
        short = "truncated" if len(params) < length else "trailing bytes"
        return Malformed("hci", f"{name}: {short}: length {length}, has {len(params)}", data)
    try:
        return decode_command_params(opcode, params)
    except (InvalidPdu, struct.error, ValueError, IndexError) as exc:
        return Malformed("hci", f"{name}: {exc}", data)
