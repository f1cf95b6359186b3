"""nRF Sniffer UART packets, sans-I/O: headers, ids, command and response payloads, and the
conversion between a packet event and an attscope `Frame`.

Layouts are those of the nRF Sniffer reference (shared docs): UART header versions 1-3
(section 3), packet ids (4), payloads (5), packet events (6), time (7). A packet event and a
LINKTYPE_NORDIC_BLE (272) record are the same bytes but for the board id in front and the
radio's padding byte (11.2), so a received event is turned into a 272 record and decoded by
`le_records.decode_nordic`, the very function the pcap reader uses, and the emulator builds
its events with `le_records.encode_nordic`: live frames and file frames cannot drift apart.

Messages are declared the way the house style asks (Bumble-like): one frozen class per
packet id, registered into `MESSAGES`, `from_payload` and `to_payload` symmetric. The host's
protocol object, `NrfHost`, lives in nrf_host.py.
"""

from __future__ import annotations

import struct
from enum import IntEnum
from typing import ClassVar, Self, TypeVar

import msgspec

from attscope.capture import linktypes as lt
from attscope.capture.frame import LE_ADVERTISING_AA, Frame, SnifferInfo
from attscope.capture.le_records import decode_nordic, encode_nordic

PROTOCOL_VERSIONS = (1, 2, 3)
HEADER_LEN = 6
EVENT_HEADER_LEN = 10
COUNTER_MOD = 1 << 16
TIME_MOD = 1 << 32

_V1_HEADER = struct.Struct("<BBBHB")  # HLEN, PLEN, version, counter, id
_V2_HEADER = struct.Struct("<HBHB")  # PLEN, version, counter, id (versions 2 and 3)
_EVENT = struct.Struct("<BBBBHI")  # HLEN, flags, channel, RSSI magnitude, event counter, time
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")

# event-header flag bits (section 6.2); bits 4-6 are the PHY
FLAG_CRC_OK = 0x01
FLAG_CENTRAL_TO_PERIPHERAL = 0x02
FLAG_ENCRYPTED = 0x04
FLAG_MIC_OK = 0x08
FLAG_PHY_SHIFT = 4
FLAG_PHY_MASK = 0x70
PHY_1M, PHY_2M, PHY_CODED = 0, 1, 2


class PacketId(IntEnum):
    """Every packet id of the reference (section 4). Aliases name the same byte where its
    meaning changed between protocol versions; ids not listed stay plain ints."""

    REQ_FOLLOW = 0x00
    EVENT_FOLLOW = 0x01  # RESP_FOLLOW in the 1.x code
    EVENT_PACKET_ADV_PDU = 0x02  # v3; in v1/v2 the unused EVENT_DEVICE
    EVENT_DEVICE = 0x02
    REQ_SINGLE_PACKET = 0x03
    RESP_SINGLE_PACKET = 0x04
    EVENT_CONNECT = 0x05
    EVENT_PACKET_DATA_PDU = 0x06  # v3: data channel only; v1/v2: every packet
    EVENT_PACKET = 0x06
    REQ_SCAN_CONT = 0x07
    RESP_SCAN_CONT = 0x08
    EVENT_DISCONNECT = 0x09
    EVENT_ERROR = 0x0A
    EVENT_EMPTY_DATA_PACKET = 0x0B
    SET_TEMPORARY_KEY = 0x0C
    PING_REQ = 0x0D
    PING_RESP = 0x0E
    TEST_COMMAND_ID = 0x0F
    TEST_RESULT_ID = 0x10
    UART_TEST_START = 0x11
    UART_DUMMY_PACKET = 0x12
    SWITCH_BAUD_RATE_REQ = 0x13
    SWITCH_BAUD_RATE_RESP = 0x14
    UART_OUT_START = 0x15
    UART_OUT_STOP = 0x16
    SET_ADV_CHANNEL_HOP_SEQ = 0x17
    SET_PRIVATE_KEY = 0x18
    SET_LEGACY_LONG_TERM_KEY = 0x19
    SET_SC_LONG_TERM_KEY = 0x1A
    REQ_VERSION = 0x1B
    RESP_VERSION = 0x1C
    REQ_TIMESTAMP = 0x1D
    RESP_TIMESTAMP = 0x1E
    SET_IDENTITY_RESOLVING_KEY = 0x1F
    GO_IDLE = 0xFE


class InvalidPacket(ValueError):
    """A UART packet that breaks a rule of the reference; the message says which."""


def is_packet_event(protover: int, packet_id: int) -> bool:
    """Whether this id carries a radio packet in this protocol version (sections 4, 6.4)."""
    return packet_id == PacketId.EVENT_PACKET or (
        protover == 3 and packet_id == PacketId.EVENT_PACKET_ADV_PDU
    )


# -- UART header -----------------------------------------------------------------------


class UartPacket(msgspec.Struct, frozen=True):
    """One packet as it travels inside a SLIP frame (section 3)."""

    protover: int
    counter: int
    packet_id: int
    payload: bytes = b""


def parse_packet(data: bytes) -> UartPacket:
    """The packet in a decoded SLIP frame, by the validity rules of sections 3 and 15."""
    if len(data) < HEADER_LEN:
        raise InvalidPacket(f"{len(data)}-byte packet, shorter than the 6-byte header")
    protover = data[2]
    if protover == 1:
        hlen, plen, _, counter, pid = _V1_HEADER.unpack_from(data)
        if hlen != HEADER_LEN:
            raise InvalidPacket(f"version-1 header length {hlen}, not 6")
    elif protover in (2, 3):
        plen, _, counter, pid = _V2_HEADER.unpack_from(data)
    else:
        raise InvalidPacket(f"protocol version {protover} is unknown")
    if plen + HEADER_LEN != len(data):
        raise InvalidPacket(f"payload length {plen} does not match the {len(data)}-byte packet")
    return UartPacket(protover, counter, pid, bytes(data[HEADER_LEN:]))


def encode_packet(packet: UartPacket) -> bytes:
    """The header of `packet.protover` and the payload; `parse_packet` reads it back."""
    plen = len(packet.payload)
    counter = packet.counter % COUNTER_MOD
    if packet.protover == 1:
        if plen > 255:
            raise ValueError(f"{plen} payload bytes do not fit a version-1 packet")
        head = _V1_HEADER.pack(HEADER_LEN, plen, 1, counter, packet.packet_id)
    elif packet.protover in (2, 3):
        if plen > 0xFFFF:
            raise ValueError(f"{plen} payload bytes do not fit a packet")
        head = _V2_HEADER.pack(plen, packet.protover, counter, packet.packet_id)
    else:
        raise ValueError(f"protocol version {packet.protover} is unknown")
    return head + packet.payload


# -- messages: everything but packet events ----------------------------------------------


class Message(msgspec.Struct, frozen=True, tag=True):
    """A command or response payload. Subclasses declare their id and, when they have a
    payload, override `to_payload` and `from_payload`."""

    ID: ClassVar[PacketId]
    V3_ONLY: ClassVar[bool] = False  # section 4: ids 0x18-0x1F exist from protocol 3 on

    def to_payload(self, protover: int) -> bytes:
        return b""

    @classmethod
    def from_payload(cls, payload: bytes, protover: int) -> Self:
        # a payload where none is defined is tolerated: hosts ignore it (e.g. v3 PING_RESP)
        return cls()


MESSAGES: dict[int, type[Message]] = {}


_M = TypeVar("_M", bound=type[Message])


def _message(cls: _M) -> _M:
    MESSAGES[cls.ID] = cls
    return cls


def _need(payload: bytes, size: int, what: str) -> None:
    if len(payload) != size:
        raise InvalidPacket(f"{what} payload must be {size} bytes, not {len(payload)}")


# follow flags (section 5.1; bit 0 only before version 3)
FOLLOW_ADV_ONLY = 0x01
FOLLOW_LEGACY_ONLY = 0x02
FOLLOW_CODED = 0x04
# scan flags (section 5.2, version 3); the Wireshark plugin's defaults give 0x03
SCAN_RESPONSES = 0x01
SCAN_AUX = 0x02
SCAN_CODED = 0x04
DEFAULT_SCAN_FLAGS = SCAN_RESPONSES | SCAN_AUX
ADV_CHANNELS = (37, 38, 39)


@_message
class FollowRequest(Message, frozen=True):
    """REQ_FOLLOW (5.1). `address` in display order (most significant byte first), the
    reverse of the AdvA bytes on air; `random` is the address type."""

    ID = PacketId.REQ_FOLLOW
    address: bytes
    random: bool
    flags: int = 0

    def to_payload(self, protover: int) -> bytes:
        return self.address + bytes((int(self.random), self.flags))

    @classmethod
    def from_payload(cls, payload: bytes, protover: int) -> Self:
        if len(payload) not in (7, 8):  # old hosts may leave the flags byte out
            raise InvalidPacket(f"REQ_FOLLOW payload must be 7 or 8 bytes, not {len(payload)}")
        return cls(payload[:6], bool(payload[6] & 1), payload[7] if len(payload) == 8 else 0)


@_message
class ScanRequest(Message, frozen=True):
    """REQ_SCAN_CONT (5.2): back to scanning. One flag byte in version 3 (`flags`), none
    before (`flags` None). The device does not answer."""

    ID = PacketId.REQ_SCAN_CONT
    flags: int | None = None

    def to_payload(self, protover: int) -> bytes:
        return b"" if self.flags is None else bytes((self.flags,))

    @classmethod
    def from_payload(cls, payload: bytes, protover: int) -> Self:
        if len(payload) > 1:
            raise InvalidPacket(f"REQ_SCAN_CONT payload must be 0 or 1 byte, not {len(payload)}")
        return cls(payload[0] if payload else None)


class KeyMessage(Message, frozen=True):
    """Key material, big-endian, fixed size (5.3). No response."""

    SIZE: ClassVar[int] = 16
    key: bytes

    def to_payload(self, protover: int) -> bytes:
        return self.key

    @classmethod
    def from_payload(cls, payload: bytes, protover: int) -> Self:
        _need(payload, cls.SIZE, cls.ID.name)
        return cls(payload)


@_message
class TemporaryKey(KeyMessage, frozen=True):
    """SET_TEMPORARY_KEY: legacy pairing TK (zeros for Just Works; a passkey; OOB data)."""

    ID = PacketId.SET_TEMPORARY_KEY


@_message
class PrivateKey(KeyMessage, frozen=True):
    """SET_PRIVATE_KEY: an LE Secure Connections debug/DH private key."""

    ID = PacketId.SET_PRIVATE_KEY
    V3_ONLY = True
    SIZE = 32


@_message
class LegacyLongTermKey(KeyMessage, frozen=True):
    ID = PacketId.SET_LEGACY_LONG_TERM_KEY
    V3_ONLY = True


@_message
class ScLongTermKey(KeyMessage, frozen=True):
    ID = PacketId.SET_SC_LONG_TERM_KEY
    V3_ONLY = True


@_message
class IdentityResolvingKey(KeyMessage, frozen=True):
    ID = PacketId.SET_IDENTITY_RESOLVING_KEY
    V3_ONLY = True


@_message
class AdvHopSequence(Message, frozen=True):
    """SET_ADV_CHANNEL_HOP_SEQ (5.4): 1-3 distinct advertising channels; unused slots 37."""

    ID = PacketId.SET_ADV_CHANNEL_HOP_SEQ
    channels: tuple[int, ...] = ADV_CHANNELS

    def to_payload(self, protover: int) -> bytes:
        fill = (37,) * (3 - len(self.channels))
        return bytes((len(self.channels), *self.channels, *fill))

    @classmethod
    def from_payload(cls, payload: bytes, protover: int) -> Self:
        _need(payload, 4, "SET_ADV_CHANNEL_HOP_SEQ")
        n = payload[0]
        channels = tuple(payload[1 : 1 + n])
        if not 1 <= n <= 3 or len(set(channels)) != n or not set(channels) <= {37, 38, 39}:
            raise InvalidPacket(f"hop sequence {payload.hex(' ')} is not 1-3 distinct 37/38/39")
        return cls(channels)


@_message
class PingRequest(Message, frozen=True):
    ID = PacketId.PING_REQ


@_message
class PingResponse(Message, frozen=True):
    """PING_RESP (5.5): the firmware build number in v1/v2 (1116 = 3.1.0); the v3 host
    ignores the payload, so `build` may be None."""

    ID = PacketId.PING_RESP
    build: int | None = None

    def to_payload(self, protover: int) -> bytes:
        return b"" if self.build is None else _U16.pack(self.build)

    @classmethod
    def from_payload(cls, payload: bytes, protover: int) -> Self:
        return cls(_U16.unpack_from(payload)[0] if len(payload) >= 2 else None)


@_message
class VersionRequest(Message, frozen=True):
    ID = PacketId.REQ_VERSION
    V3_ONLY = True


@_message
class VersionResponse(Message, frozen=True):
    """RESP_VERSION (5.6): the firmware version as ASCII; trailing NULs dropped. Device text
    stays text: undecodable bytes become U+FFFD, nothing is interpreted."""

    ID = PacketId.RESP_VERSION
    V3_ONLY = True
    text: str

    def to_payload(self, protover: int) -> bytes:
        return self.text.encode("ascii", "replace")

    @classmethod
    def from_payload(cls, payload: bytes, protover: int) -> Self:
        return cls(payload.rstrip(b"\0").decode("ascii", "replace"))


@_message
class TimestampRequest(Message, frozen=True):
    ID = PacketId.REQ_TIMESTAMP
    V3_ONLY = True


@_message
class TimestampResponse(Message, frozen=True):
    """RESP_TIMESTAMP (5.7): the firmware's microsecond timer, the clock of v3 packet times."""

    ID = PacketId.RESP_TIMESTAMP
    V3_ONLY = True
    fw_time: int

    def to_payload(self, protover: int) -> bytes:
        return _U32.pack(self.fw_time % TIME_MOD)

    @classmethod
    def from_payload(cls, payload: bytes, protover: int) -> Self:
        _need(payload, 4, "RESP_TIMESTAMP")
        return cls(_U32.unpack(payload)[0])


@_message
class BaudRateRequest(Message, frozen=True):
    """SWITCH_BAUD_RATE_REQ (5.8); optional in every firmware."""

    ID = PacketId.SWITCH_BAUD_RATE_REQ
    rate: int

    def to_payload(self, protover: int) -> bytes:
        return _U32.pack(self.rate)

    @classmethod
    def from_payload(cls, payload: bytes, protover: int) -> Self:
        _need(payload, 4, "SWITCH_BAUD_RATE")
        return cls(_U32.unpack(payload)[0])


@_message
class BaudRateResponse(BaudRateRequest, frozen=True):
    ID = PacketId.SWITCH_BAUD_RATE_RESP


@_message
class GoIdle(Message, frozen=True):
    ID = PacketId.GO_IDLE


@_message
class FollowEvent(Message, frozen=True):
    """EVENT_FOLLOW (5.9): the device is following the requested advertiser."""

    ID = PacketId.EVENT_FOLLOW


@_message
class ConnectEvent(Message, frozen=True):
    """EVENT_CONNECT (5.9): the followed device got connected (not sent by every firmware)."""

    ID = PacketId.EVENT_CONNECT


@_message
class DisconnectEvent(Message, frozen=True):
    ID = PacketId.EVENT_DISCONNECT


def parse_message(packet: UartPacket) -> Message | None:
    """The message a packet carries; None for packet events and for ids with no defined
    payload (test ids, unused ones, unknown ones): those are skipped, never fatal."""
    if is_packet_event(packet.protover, packet.packet_id):
        return None
    cls = MESSAGES.get(packet.packet_id)
    return None if cls is None else cls.from_payload(packet.payload, packet.protover)


def build_message(message: Message, counter: int, protover: int = 1) -> bytes:
    """The UART packet for `message`. Hosts send every command in the version-1 layout,
    whatever the firmware speaks (3.3); a device uses its own version."""
    return encode_packet(UartPacket(protover, counter, message.ID, message.to_payload(protover)))


def key_bytes(key: bytes, size: int = 16) -> bytes:
    """Key material as the device wants it (5.3): big-endian, left-padded with zeros. A key
    longer than the slot is refused rather than silently truncated."""
    if len(key) > size:
        raise ValueError(f"a {len(key)}-byte key does not fit the {size}-byte slot")
    return bytes(size - len(key)) + key


def passkey_tk(passkey: int) -> bytes:
    """The TK for a 6-digit passkey: 13 zero bytes, then the passkey as 24-bit big-endian."""
    if not 0 <= passkey <= 999_999:
        raise ValueError(f"passkey {passkey} is not 0-999999")
    return bytes(13) + passkey.to_bytes(3, "big")


# -- packet events <-> 272 records and Frames -------------------------------------------


class EventHeader(msgspec.Struct, frozen=True):
    """The 10-byte header of a packet event (6.1). `rssi` is the magnitude (dBm = -rssi);
    `time` is a delta (v1/v2) or the absolute firmware timer (v3), in microseconds."""

    flags: int
    channel: int
    rssi: int
    event_counter: int
    time: int

    def pack(self) -> bytes:
        return _EVENT.pack(
            EVENT_HEADER_LEN,
            self.flags,
            self.channel,
            self.rssi,
            self.event_counter,
            self.time % TIME_MOD,
        )

    @classmethod
    def unpack(cls, payload: bytes) -> EventHeader:
        if len(payload) < EVENT_HEADER_LEN:
            raise InvalidPacket(f"event header cut short ({len(payload)} of 10 bytes)")
        hlen, flags, channel, rssi, counter, time = _EVENT.unpack_from(payload)
        if hlen != EVENT_HEADER_LEN:
            raise InvalidPacket(f"event header length {hlen}, not 10")
        return cls(flags, channel, rssi, counter, time)


def _padding_offset(flags: int) -> int:
    """Where the radio's filler byte sits in the radio packet: after AA, [CI,] header and
    length (6.3); the coding indicator exists only on LE Coded."""
    return 7 if (flags & FLAG_PHY_MASK) >> FLAG_PHY_SHIFT == PHY_CODED else 6


def _uart_header(protover: int, plen: int, counter: int, packet_id: int) -> bytes:
    if protover == 1:
        return _V1_HEADER.pack(HEADER_LEN, plen, 1, counter, packet_id)
    return _V2_HEADER.pack(plen, protover, counter, packet_id)


def packet_to_record(packet: UartPacket, board_id: int = 0) -> bytes:
    """The LINKTYPE_NORDIC_BLE record of a packet event (11.2): board id, header with PLEN
    one less, event header, radio packet without its padding byte. Checks the event rules of
    section 15 first, since SLIP has no checksum and these lengths are all there is."""
    header = EventHeader.unpack(packet.payload)
    radio = packet.payload[EVENT_HEADER_LEN:]
    pad = _padding_offset(header.flags)
    if len(radio) < pad + 4:  # padding byte plus the CRC at least
        raise InvalidPacket(f"radio packet of {len(radio)} bytes is too short")
    # a packet that failed its CRC may carry any length byte (the radio read it wrong) and
    # comes as the firmware cut it: it is kept, for the dissector to call malformed. With a
    # good CRC the lengths must agree, or the frame was garbled on the UART.
    if header.flags & FLAG_CRC_OK and len(radio) != pad + 1 + radio[pad - 1] + 3:
        raise InvalidPacket(
            f"LL length {radio[pad - 1]} does not match the {len(radio)}-byte radio packet"
        )
    plen = len(packet.payload) - 1
    return (
        bytes((board_id,))
        + _uart_header(packet.protover, plen, packet.counter, packet.packet_id)
        + packet.payload[:EVENT_HEADER_LEN]
        + radio[:pad]
        + radio[pad + 1 :]
    )


def record_to_packet(record: bytes) -> UartPacket:
    """The packet event the firmware sent for a 272 record: board id dropped, padding byte
    (00) put back, PLEN one more (section 14, item 9; example D)."""
    packet = _record_packet(record)
    header = EventHeader.unpack(packet.payload)
    pad = EVENT_HEADER_LEN + _padding_offset(header.flags)
    body = packet.payload
    if len(body) < pad:
        raise InvalidPacket(f"radio packet of {len(body) - EVENT_HEADER_LEN} bytes is too short")
    return UartPacket(
        packet.protover, packet.counter, packet.packet_id, body[:pad] + b"\0" + body[pad:]
    )


def _record_packet(record: bytes) -> UartPacket:
    """The header fields and payload of a 272 record (board id first). Its PLEN is not
    checked: the record's own length is what the packet is rebuilt from."""
    if len(record) < 1 + HEADER_LEN or record[3] not in PROTOCOL_VERSIONS:
        raise InvalidPacket("not a nordic_ble record of protocol version 1, 2 or 3")
    counter = _U16.unpack_from(record, 4)[0]
    return UartPacket(record[3], counter, record[6], bytes(record[1 + HEADER_LEN :]))


def frame_from_packet(packet: UartPacket, *, index: int, ts_us: int, board_id: int = 0) -> Frame:
    """The `Frame` a pcap reader would make of this packet event written as a 272 record."""
    record = packet_to_record(packet, board_id)
    return decode_nordic(lt.NORDIC_BLE, index, ts_us, record, 0, 0, None)


def _flags_for(flags: int, protover: int, source_protover: int | None, advertising: bool) -> int:
    """The event flags in the target version: no PHY bits in v1, and the advertising-only
    meanings of bits 1-3 (v3) do not carry across the v2/v3 boundary."""
    if advertising and (protover == 3) != (source_protover == 3):
        flags &= FLAG_CRC_OK | FLAG_PHY_MASK
    if protover == 1:
        flags &= ~FLAG_PHY_MASK & 0xFF
    return flags


def packet_from_frame(frame: Frame, *, protover: int, counter: int, time: int) -> UartPacket:
    """The packet event a firmware of `protover` would send for an air-capture frame, with
    this packet counter and TIME field (delta or absolute, as the caller computed it).

    The record is built by `encode_nordic` (the 272 writer), then turned back into what the
    radio delivered: the round trip `frame_from_packet(packet_from_frame(f))` gives `f` back
    for a frame read from 272, but for its counter and time."""
    s = frame.sniffer or SnifferInfo()
    if protover == 1 and s.phy == PHY_CODED:
        # version 1 knows no PHY: the coding indicator would be read as the PDU header
        raise ValueError(f"frame {frame.index} is on LE Coded, which version 1 cannot carry")
    ll = frame.payload
    advertising = (
        s.advertising
        if s.advertising is not None
        else len(ll) >= 4 and _U32.unpack_from(ll)[0] == LE_ADVERTISING_AA
    )
    packet_id = PacketId.EVENT_PACKET_ADV_PDU if advertising and protover == 3 else 0x06
    info = msgspec.structs.replace(
        s,
        protover=protover,
        packet_counter=counter % COUNTER_MOD,
        packet_id=packet_id,
        fw_time=time % TIME_MOD,
        board_id=0,
        raw_header=None,  # a legacy or PPI header has no place in a UART packet
        inner_linktype=None,
    )
    record = bytearray(encode_nordic(msgspec.structs.replace(frame, sniffer=info)))
    start = 1 + HEADER_LEN
    record[start + 1] = _flags_for(record[start + 1], protover, s.protover, advertising)
    packet = record_to_packet(bytes(record))
    if protover == 1 and len(packet.payload) > 255:
        raise ValueError(f"frame {frame.index} does not fit a version-1 packet")
    return packet


def air_time_us(ll: bytes, phy: int) -> int:
    """On-air duration of an LE packet (7.1), `ll` from the access address to the CRC; used
    to turn v3 start times into v1/v2 end-to-start deltas and back."""
    n = len(ll)
    if phy == PHY_2M:
        return 4 * (2 + n)
    if phy == PHY_CODED:
        s2 = n > 4 and ll[4] & 0x03 == 1
        return 376 + (16 * (n - 5) + 6 if s2 else 64 * (n - 5) + 24)
    return 8 * (1 + n)
