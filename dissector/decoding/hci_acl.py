"""HCI data packet headers: ACL, synchronous (SCO/eSCO) and ISO (Core 5.4 Vol 4 Part E 5.4).

Only the headers: putting ACL fragments back together into L2CAP PDUs is the analyzer's
job. Each `decode_*` takes the packet without its H4 indicator and returns the header record
and the payload, or `Malformed(layer="hci")` when the bytes do not hold what the header
says; none of them raises. Bits the specification reserves are not kept, so a packet
round-trips byte for byte when they are zero, as a well-formed packet's are.
"""

from __future__ import annotations

import struct
from typing import ClassVar, Self

from attscope.dissector.decoding.pdu import InvalidPdu, Malformed, Pdu, TruncatedPdu

_WORDS = struct.Struct("<HH")

ACL_PB_FLAGS = {
    0b00: "first non-flushable",
    0b01: "continuing",
    0b10: "first flushable",
    0b11: "complete flushable",
}
ACL_BC_FLAGS = {0b00: "point-to-point", 0b01: "BR/EDR broadcast"}
SCO_PACKET_STATUS = {
    0b00: "correctly received",
    0b01: "possibly invalid",
    0b10: "no data received",
    0b11: "partially lost",
}
ISO_PB_FLAGS = {0b00: "first fragment", 0b01: "continuation", 0b10: "complete SDU", 0b11: "last"}
ISO_PACKET_STATUS = {0b00: "valid", 0b01: "possibly invalid", 0b10: "partially lost"}


class AclHeader(Pdu, frozen=True, tag="hci_acl_header"):
    """HCI ACL Data packet header (Vol 4 Part E 5.4.2): Handle (12 bits), Packet_Boundary
    and Broadcast flags (2 bits each), Data_Total_Length (u16)."""

    handle: int
    pb_flag: int
    bc_flag: int
    length: int
    SIZE: ClassVar[int] = 4

    @classmethod
    def decode_body(cls, body: bytes) -> Self:
        if len(body) < cls.SIZE:
            raise TruncatedPdu(f"ACL header needs 4 bytes, has {len(body)}")
        word, length = _WORDS.unpack_from(body)
        return cls(word & 0x0FFF, (word >> 12) & 0b11, word >> 14, length)

    def encode_body(self) -> bytes:
        return _WORDS.pack(self.handle | self.pb_flag << 12 | self.bc_flag << 14, self.length)

    def to_bytes(self) -> bytes:
        return self.encode_body()

    @property
    def starts_pdu(self) -> bool:
        """The fragment begins an L2CAP PDU (every flag but 'continuing')."""
        return self.pb_flag != 0b01

    def summary(self) -> str:
        broadcast = f" {ACL_BC_FLAGS.get(self.bc_flag, 'reserved broadcast')}" * bool(self.bc_flag)
        return (
            f"ACL handle 0x{self.handle:04x} {ACL_PB_FLAGS[self.pb_flag]}{broadcast} "
            f"{self.length} bytes"
        )


class ScoHeader(Pdu, frozen=True, tag="hci_sco_header"):
    """HCI Synchronous Data packet header (Vol 4 Part E 5.4.3): Handle (12 bits),
    Packet_Status_Flag (2 bits), Data_Total_Length (u8)."""

    handle: int
    packet_status: int
    length: int
    SIZE: ClassVar[int] = 3

    @classmethod
    def decode_body(cls, body: bytes) -> Self:
        if len(body) < cls.SIZE:
            raise TruncatedPdu(f"SCO header needs 3 bytes, has {len(body)}")
        word = int.from_bytes(body[:2], "little")
        return cls(word & 0x0FFF, (word >> 12) & 0b11, body[2])

    def encode_body(self) -> bytes:
        word = self.handle | self.packet_status << 12
        return word.to_bytes(2, "little") + bytes([self.length])

    def to_bytes(self) -> bytes:
        return self.encode_body()

    def summary(self) -> str:
        status = SCO_PACKET_STATUS[self.packet_status]
        return f"SCO handle 0x{self.handle:04x} {status} {self.length} bytes"


_ISO_TS = struct.Struct("<I")


class IsoHeader(Pdu, frozen=True, tag="hci_iso_header"):
    """HCI ISO Data packet header (Vol 4 Part E 5.4.5): Handle (12 bits), PB_Flag (2 bits),
    TS_Flag, ISO_Data_Load_Length (14 bits); then the ISO_Data_Load's own header, present in
    a first fragment or complete SDU only: Time_Stamp (u32, when TS_Flag is set),
    Packet_Sequence_Number (u16), ISO_SDU_Length (12 bits) and Packet_Status_Flag (2 bits).
    `length` counts all of the data load, its header included."""

    handle: int
    pb_flag: int
    ts_flag: int
    length: int
    time_stamp: int | None = None
    sequence_number: int | None = None
    sdu_length: int | None = None
    packet_status: int | None = None

    @property
    def starts_sdu(self) -> bool:
        return self.pb_flag in (0b00, 0b10)

    @classmethod
    def decode_body(cls, body: bytes) -> Self:
        if len(body) < _WORDS.size:
            raise TruncatedPdu(f"ISO header needs 4 bytes, has {len(body)}")
        word, load = _WORDS.unpack_from(body)
        handle, pb_flag, ts_flag, length = (
            word & 0x0FFF,
            (word >> 12) & 0b11,
            word >> 14 & 1,
            load & 0x3FFF,
        )
        if pb_flag not in (0b00, 0b10):
            if ts_flag:
                raise InvalidPdu("ISO TS_Flag set on a continuation or last fragment")
            return cls(handle, pb_flag, ts_flag, length)
        pos = _WORDS.size
        time_stamp = None
        if ts_flag:
            if len(body) < pos + 4:
                raise TruncatedPdu("ISO header ends before its time stamp")
            time_stamp = _ISO_TS.unpack_from(body, pos)[0]
            pos += 4
        if len(body) < pos + 4:
            raise TruncatedPdu("ISO header ends before its sequence number and SDU length")
        sequence, sdu = _WORDS.unpack_from(body, pos)
        return cls(handle, pb_flag, ts_flag, length, time_stamp, sequence, sdu & 0x0FFF, sdu >> 14)

    def header_size(self) -> int:
        """Octets of header before the SDU fragment (4 to 12)."""
        return 4 + (4 if self.time_stamp is not None else 0) + (4 if self.starts_sdu else 0)

    def encode_body(self) -> bytes:
        word = self.handle | self.pb_flag << 12 | self.ts_flag << 14
        out = _WORDS.pack(word, self.length)
        if self.time_stamp is not None:
            out += _ISO_TS.pack(self.time_stamp)
        if self.sequence_number is not None:
            sdu = (self.sdu_length or 0) | (self.packet_status or 0) << 14
            out += _WORDS.pack(self.sequence_number, sdu)
        return out

    def to_bytes(self) -> bytes:
        return self.encode_body()

    def summary(self) -> str:
        text = f"ISO handle 0x{self.handle:04x} {ISO_PB_FLAGS[self.pb_flag]}"
        if self.sequence_number is not None:
            text += f" seq {self.sequence_number} SDU {self.sdu_length} bytes"
            text += f" {ISO_PACKET_STATUS.get(self.packet_status or 0, 'reserved status')}"
        if self.time_stamp is not None:
            text += f" ts {self.time_stamp} us"
        return f"{text} load {self.length} bytes"


def _split(kind: str, data: bytes, size: int, length: int) -> Malformed | None:
    if len(data) - size != length:
        short = "truncated" if len(data) - size < length else "trailing bytes"
        return Malformed("hci", f"{kind}: {short}: length {length}, has {len(data) - size}", data)
    return None


def decode_acl(data: bytes) -> tuple[AclHeader, bytes] | Malformed:
    """An HCI ACL Data packet's header and payload (an L2CAP fragment), or Malformed."""
    data = bytes(data)
    try:
        header = AclHeader.decode_body(data)
    except InvalidPdu as exc:
        return Malformed("hci", str(exc), data)
    bad = _split("ACL", data, AclHeader.SIZE, header.length)
    return bad or (header, data[AclHeader.SIZE :])


def decode_sco(data: bytes) -> tuple[ScoHeader, bytes] | Malformed:
    """An HCI Synchronous Data packet's header and payload, or Malformed."""
    data = bytes(data)
    try:
        header = ScoHeader.decode_body(data)
    except InvalidPdu as exc:
        return Malformed("hci", str(exc), data)
    bad = _split("SCO", data, ScoHeader.SIZE, header.length)
    return bad or (header, data[ScoHeader.SIZE :])


def decode_iso(data: bytes) -> tuple[IsoHeader, bytes] | Malformed:
    """An HCI ISO Data packet's header and its SDU fragment, or Malformed."""
    data = bytes(data)
    try:
        header = IsoHeader.decode_body(data)
    except InvalidPdu as exc:
        return Malformed("hci", str(exc), data)
    bad = _split("ISO", data, _WORDS.size, header.length)
    if bad is None and header.sdu_length is not None and header.pb_flag == 0b10:
        fragment = len(data) - header.header_size()
        if fragment != header.sdu_length:
            bad = Malformed(
                "hci", f"ISO complete SDU of {fragment} bytes says {header.sdu_length}", data
            )
    return bad or (header, data[header.header_size() :])
