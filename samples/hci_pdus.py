"""HCI packet builders for the sample scenarios: commands, events and ACL data packets.

Every function returns the HCI packet without its H4 indicator (the indicator travels as
`Frame.hci_type`). Byte layouts follow the Bluetooth Core Specification 5.4, Vol 4, Part E;
each builder names its section. Multi-octet fields are little-endian (Vol 4, Part E, 5.2).
"""

from __future__ import annotations

import struct

# Opcodes: OGF << 10 | OCF (Vol 4, Part E, 5.4.1)
RESET = 0x0C03  # 7.3.2
SET_EVENT_MASK = 0x0C01  # 7.3.1
WRITE_LE_HOST_SUPPORT = 0x0C6D  # 7.3.79
READ_LOCAL_VERSION = 0x1001  # 7.4.1
READ_BUFFER_SIZE = 0x1005  # 7.4.5
READ_BD_ADDR = 0x1009  # 7.4.6
DISCONNECT = 0x0406  # 7.1.6
READ_REMOTE_VERSION = 0x041D  # 7.1.23
LE_SET_EVENT_MASK = 0x2001  # 7.8.1
LE_READ_BUFFER_SIZE = 0x2002  # 7.8.2
LE_READ_LOCAL_FEATURES = 0x2003  # 7.8.3
LE_SET_RANDOM_ADDRESS = 0x2005  # 7.8.4
LE_SET_SCAN_PARAMETERS = 0x200B  # 7.8.10
LE_SET_SCAN_ENABLE = 0x200C  # 7.8.11
LE_CREATE_CONNECTION = 0x200D  # 7.8.12
LE_CONNECTION_UPDATE = 0x2013  # 7.8.18
LE_READ_REMOTE_FEATURES = 0x2016  # 7.8.21
LE_WRITE_SUGGESTED_DATA_LENGTH = 0x2024  # 7.8.35

# Event codes (Vol 4, Part E, 7.7)
EVT_DISCONNECTION_COMPLETE = 0x05  # 7.7.5
EVT_READ_REMOTE_VERSION_COMPLETE = 0x0C  # 7.7.12
EVT_COMMAND_COMPLETE = 0x0E  # 7.7.14
EVT_COMMAND_STATUS = 0x0F  # 7.7.15
EVT_NUMBER_OF_COMPLETED_PACKETS = 0x13  # 7.7.19
EVT_LE_META = 0x3E  # 7.7.65

# LE Meta subevent codes (Vol 4, Part E, 7.7.65.x)
LE_ADVERTISING_REPORT = 0x02  # 7.7.65.2
LE_CONNECTION_UPDATE_COMPLETE = 0x03  # 7.7.65.3
LE_READ_REMOTE_FEATURES_COMPLETE = 0x04  # 7.7.65.4
LE_DATA_LENGTH_CHANGE = 0x07  # 7.7.65.7
LE_ENHANCED_CONNECTION_COMPLETE = 0x0A  # 7.7.65.10

# Advertising report event types (7.7.65.2)
ADV_IND = 0x00
ADV_NONCONN_IND = 0x03
SCAN_RSP = 0x04

# Address types (7.8.12, 7.7.65.10)
PUBLIC = 0x00
RANDOM = 0x01

# Error codes (Vol 1, Part F, 1.3) used as disconnection reasons
REMOTE_USER_TERMINATED = 0x13
LOCAL_HOST_TERMINATED = 0x16

# ACL Packet_Boundary_Flag (Vol 4, Part E, 5.4.2)
PB_FIRST_NON_FLUSHABLE = 0b00  # host to controller, start of an L2CAP PDU
PB_CONTINUING = 0b01
PB_FIRST_FLUSHABLE = 0b10  # controller to host, start of an L2CAP PDU

_CMD_HDR = struct.Struct("<HB")
_EVT_HDR = struct.Struct("<BB")
_ACL_HDR = struct.Struct("<HH")


def bd_addr(text: str) -> bytes:
    """A BD_ADDR written most significant octet first ("F3:7A:...") in HCI order (LSO first)."""
    octets = bytes.fromhex(text.replace(":", ""))
    if len(octets) != 6:
        raise ValueError(f"not a BD_ADDR: {text}")
    return octets[::-1]


def command(opcode: int, params: bytes = b"") -> bytes:
    """HCI Command packet (Vol 4, Part E, 5.4.1): opcode, parameter length, parameters."""
    return _CMD_HDR.pack(opcode, len(params)) + params


def event(code: int, params: bytes) -> bytes:
    """HCI Event packet (Vol 4, Part E, 5.4.4): event code, parameter length, parameters."""
    return _EVT_HDR.pack(code, len(params)) + params


def acl(handle: int, pb: int, data: bytes) -> bytes:
    """HCI ACL Data packet (Vol 4, Part E, 5.4.2): handle (12 bits), PB flag (2), BC flag (2,
    always 0b00 on LE), data total length, data."""
    return _ACL_HDR.pack(handle & 0x0FFF | pb << 12, len(data)) + data


def le_meta(subevent: int, params: bytes) -> bytes:
    """HCI LE Meta event (Vol 4, Part E, 7.7.65): subevent code, then its parameters."""
    return event(EVT_LE_META, bytes((subevent,)) + params)


def command_complete(opcode: int, return_params: bytes, num_packets: int = 1) -> bytes:
    """HCI Command Complete event (Vol 4, Part E, 7.7.14)."""
    return event(EVT_COMMAND_COMPLETE, struct.pack("<BH", num_packets, opcode) + return_params)


def command_status(opcode: int, status: int = 0, num_packets: int = 1) -> bytes:
    """HCI Command Status event (Vol 4, Part E, 7.7.15)."""
    return event(EVT_COMMAND_STATUS, struct.pack("<BBH", status, num_packets, opcode))


def number_of_completed_packets(handle: int, count: int) -> bytes:
    """HCI Number Of Completed Packets event (Vol 4, Part E, 7.7.19), one handle."""
    return event(EVT_NUMBER_OF_COMPLETED_PACKETS, struct.pack("<BHH", 1, handle, count))


def disconnection_complete(handle: int, reason: int, status: int = 0) -> bytes:
    """HCI Disconnection Complete event (Vol 4, Part E, 7.7.5)."""
    return event(EVT_DISCONNECTION_COMPLETE, struct.pack("<BHB", status, handle, reason))


def read_remote_version_complete(
    handle: int, version: int, company: int, subversion: int, status: int = 0
) -> bytes:
    """HCI Read Remote Version Information Complete event (Vol 4, Part E, 7.7.12)."""
    return event(
        EVT_READ_REMOTE_VERSION_COMPLETE,
        struct.pack("<BHBHH", status, handle, version, company, subversion),
    )


# -- command parameters -----------------------------------------------------------------------


def le_set_scan_parameters(
    active: bool, interval: int, window: int, own_addr_type: int, filter_policy: int = 0
) -> bytes:
    """HCI_LE_Set_Scan_Parameters (Vol 4, Part E, 7.8.10); interval and window in 0.625 ms."""
    params = struct.pack("<BHHBB", int(active), interval, window, own_addr_type, filter_policy)
    return command(LE_SET_SCAN_PARAMETERS, params)


def le_set_scan_enable(enable: bool, filter_duplicates: bool) -> bytes:
    """HCI_LE_Set_Scan_Enable (Vol 4, Part E, 7.8.11)."""
    return command(LE_SET_SCAN_ENABLE, bytes((int(enable), int(filter_duplicates))))


def le_create_connection(
    peer_type: int,
    peer: str,
    own_type: int,
    interval_min: int,
    interval_max: int,
    latency: int,
    timeout: int,
    scan_interval: int = 0x0060,
    scan_window: int = 0x0030,
) -> bytes:
    """HCI_LE_Create_Connection (Vol 4, Part E, 7.8.12): scan interval/window (0.625 ms),
    initiator filter policy, peer address type and address, own address type, connection
    interval min/max (1.25 ms), max latency, supervision timeout (10 ms), CE length min/max."""
    params = struct.pack("<HHBB", scan_interval, scan_window, 0, peer_type) + bd_addr(peer)
    params += struct.pack("<BHHHHHH", own_type, interval_min, interval_max, latency, timeout, 0, 0)
    return command(LE_CREATE_CONNECTION, params)


def le_connection_update(
    handle: int, interval_min: int, interval_max: int, latency: int, timeout: int
) -> bytes:
    """HCI_LE_Connection_Update (Vol 4, Part E, 7.8.18); CE lengths left 0."""
    params = struct.pack("<HHHHHHH", handle, interval_min, interval_max, latency, timeout, 0, 0)
    return command(LE_CONNECTION_UPDATE, params)


def disconnect(handle: int, reason: int) -> bytes:
    """HCI_Disconnect (Vol 4, Part E, 7.1.6)."""
    return command(DISCONNECT, struct.pack("<HB", handle, reason))


# -- LE meta events ---------------------------------------------------------------------------


def le_advertising_report(
    event_type: int, addr_type: int, addr: str, data: bytes, rssi: int
) -> bytes:
    """HCI_LE_Advertising_Report with one report (Vol 4, Part E, 7.7.65.2): number of
    reports, event type, address type, address, data length, data, RSSI (signed dBm)."""
    report = bytes((1, event_type, addr_type)) + bd_addr(addr)
    report += bytes((len(data),)) + data + struct.pack("<b", rssi)
    return le_meta(LE_ADVERTISING_REPORT, report)


def le_enhanced_connection_complete(
    handle: int,
    role: int,
    peer_type: int,
    peer: str,
    interval: int,
    latency: int,
    timeout: int,
    status: int = 0,
) -> bytes:
    """HCI_LE_Enhanced_Connection_Complete [v1] (Vol 4, Part E, 7.7.65.10): status, handle,
    role (0 central), peer address type and address, local and peer resolvable private
    addresses (zero: not resolved through the resolving list), interval, latency, supervision
    timeout, central clock accuracy (0x00 on a central)."""
    params = struct.pack("<BHBB", status, handle, role, peer_type) + bd_addr(peer)
    params += bytes(12) + struct.pack("<HHHB", interval, latency, timeout, 0)
    return le_meta(LE_ENHANCED_CONNECTION_COMPLETE, params)


def le_connection_update_complete(
    handle: int, interval: int, latency: int, timeout: int, status: int = 0
) -> bytes:
    """HCI_LE_Connection_Update_Complete (Vol 4, Part E, 7.7.65.3)."""
    params = struct.pack("<BHHHH", status, handle, interval, latency, timeout)
    return le_meta(LE_CONNECTION_UPDATE_COMPLETE, params)


def le_read_remote_features_complete(handle: int, features: int, status: int = 0) -> bytes:
    """HCI_LE_Read_Remote_Features_Complete (Vol 4, Part E, 7.7.65.4): 8-octet LE feature
    mask (Vol 6, Part B, 4.6)."""
    params = struct.pack("<BHQ", status, handle, features)
    return le_meta(LE_READ_REMOTE_FEATURES_COMPLETE, params)


def le_data_length_change(
    handle: int, max_tx_octets: int, max_tx_time: int, max_rx_octets: int, max_rx_time: int
) -> bytes:
    """HCI_LE_Data_Length_Change (Vol 4, Part E, 7.7.65.7): octets and microseconds per
    LL data PDU, each way."""
    params = struct.pack("<HHHHH", handle, max_tx_octets, max_tx_time, max_rx_octets, max_rx_time)
    return le_meta(LE_DATA_LENGTH_CHANGE, params)


def ad_structure(ad_type: int, data: bytes) -> bytes:
    """One advertising data structure: length, AD type, data (Vol 3, Part C, 11)."""
    return bytes((len(data) + 1, ad_type)) + data
