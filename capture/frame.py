"""The one record the capture layer produces: a `Frame`.

A frame is what a capture file (or a live sniffer) says about one packet: when, on which
link type and interface, in which direction, the packet bytes with any pseudo-header taken
off, and what the sniffer measured. Nothing here decodes a protocol above the link's own
pseudo-header; that is the dissector's job.
"""

from __future__ import annotations

from enum import IntEnum

import msgspec


class Direction(IntEnum):
    """Which way a packet went, as far as the capture can tell."""

    UNKNOWN = 0
    HOST_TO_CONTROLLER = 1  # HCI: "sent" in btsnoop, TX in btmon
    CONTROLLER_TO_HOST = 2  # HCI: "received", RX
    CENTRAL_TO_PERIPHERAL = 3  # air capture, data channel
    PERIPHERAL_TO_CENTRAL = 4


class Encap(IntEnum):
    """What `Frame.payload` holds, whatever the file's link type was."""

    OTHER = 0  # not a Bluetooth packet (a monitor note, a sniffer control record ...)
    HCI = 1  # an HCI packet without its H4 indicator; the indicator is `Frame.hci_type`
    LE_LL = 2  # an LE link-layer packet: access address, [CI,] header, payload, CRC


class HciType(IntEnum):
    """The H4 packet indicator (Core Vol 4, Part A, 2)."""

    COMMAND = 0x01
    ACL = 0x02
    SCO = 0x03
    EVENT = 0x04
    ISO = 0x05


class SnifferInfo(msgspec.Struct, frozen=True, gc=False, omit_defaults=True):
    """What an air sniffer reported with a packet.

    The decoded fields are link-type neutral; `flags` and the fields after it keep the
    record's own values so that a writer can reproduce the record exactly.
    """

    channel: int | None = None  # BLE channel index 0-39 (37-39 primary advertising)
    rssi: int | None = None  # dBm
    noise: int | None = None  # dBm
    crc_checked: bool = False
    crc_ok: bool | None = None  # None: the sniffer did not check
    encrypted: bool = False
    mic_checked: bool = False
    mic_ok: bool | None = None
    decrypted: bool = False
    phy: int = 0  # 0 LE 1M, 1 LE 2M, 2 LE Coded
    event_counter: int | None = None
    advertising: bool | None = None  # advertising-channel PDU, when the sniffer says so
    flags: int = 0  # the record's raw flag field (nordic_ble or the LE pseudo-header)
    board_id: int | None = None  # nordic_ble
    protover: int | None = None  # nordic_ble protocol version; 0 for the legacy BE EF layout
    packet_counter: int | None = None  # nordic_ble UART packet counter
    packet_id: int | None = None  # nordic_ble UART packet id
    fw_time: int | None = None  # nordic_ble TIME field: delta (v1/v2) or absolute (v3), us
    aa_offenses: int | None = None  # LE pseudo-header
    ref_aa: int | None = None  # LE pseudo-header
    raw_signal: int | None = None  # LE pseudo-header signal byte when not flagged valid
    raw_noise: int | None = None  # LE pseudo-header noise byte when not flagged valid
    inner_linktype: int | None = None  # PPI: the link type inside the PPI header
    raw_header: bytes | None = None  # header bytes the fields above do not capture
    # (PPI header and field list; legacy nordic_ble header), kept so writers can copy them


class Frame(msgspec.Struct, frozen=True, gc=False, omit_defaults=True):
    """One captured packet. `index` is 1-based and equals Wireshark's frame.number."""

    index: int
    ts_us: int  # microseconds since the Unix epoch
    linktype: int  # pcap LINKTYPE_*, or btsnoop datalink (1001, 1002, 2001)
    encap: Encap
    direction: Direction
    payload: bytes
    offset: int = 0  # byte offset of the record in its file
    interface: int = 0  # pcapng interface id
    orig_len: int | None = None  # set when the capture cut the record (snaplen)
    hci_type: int | None = None  # H4 indicator, for Encap.HCI
    adapter: int | None = None  # controller index (Linux monitor)
    monitor_opcode: int | None = None  # Linux monitor opcode, for every monitor record
    sniffer: SnifferInfo | None = None
    problem: str | None = None  # the pseudo-header could not be read; payload is the record
    bad_time: bool = False  # the record's time field is out of range: `ts_us` is a guess


LE_ADVERTISING_AA = 0x8E89BED6
