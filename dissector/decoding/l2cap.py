"""L2CAP data packets: the basic header, the first K-frame's SDU length, channel and PSM
names (Core 5.4 Vol 3 Part A 2.1, 3.1, 3.4; PSMs from Assigned Numbers 5.4).

`decode_l2cap` takes one complete L2CAP PDU (reassembly from HCI ACL or LL fragments is
the analyzer's business) and returns its header and information payload, or a `Malformed`
record when the length field and the bytes disagree. What the payload means depends on the
channel: signalling (CID 0x0001, 0x0005) is in `l2cap_signalling`, ATT and SMP elsewhere.
"""

from __future__ import annotations

import struct
from typing import Annotated, Self

from attscope.dissector.decoding.pdu import (
    REST,
    U16,
    InvalidPdu,
    Malformed,
    Pdu,
    compile_pdu,
)

LAYER = "l2cap"

# Fixed channel identifiers (Vol 3 Part A 2.1, Tables 2.1 and 2.2)
CID_NULL = 0x0000
CID_BREDR_SIGNALLING = 0x0001  # ACL-U
CID_CONNECTIONLESS = 0x0002  # ACL-U, G-frames
CID_ATT = 0x0004  # LE-U
CID_LE_SIGNALLING = 0x0005  # LE-U
CID_SMP = 0x0006  # LE-U
CID_BREDR_SMP = 0x0007  # ACL-U
CID_DYNAMIC = 0x0040  # ACL-U: 0x0040-0xFFFF; LE-U: 0x0040-0x007F
CID_LE_DYNAMIC_LAST = 0x007F

FIXED_CIDS: dict[int, str] = {
    CID_NULL: "null",
    CID_BREDR_SIGNALLING: "BR/EDR signalling",
    CID_CONNECTIONLESS: "connectionless",
    0x0003: "AMP manager (no longer used)",
    CID_ATT: "ATT",
    CID_LE_SIGNALLING: "LE signalling",
    CID_SMP: "SMP",
    CID_BREDR_SMP: "BR/EDR SMP",
    0x003F: "AMP test manager (no longer used)",
}

# Protocol/Service Multiplexers (Assigned Numbers 5.4; Vol 3 Part A 4.2 and the SPSM of the
# LE credit based connection request). LE SPSMs 0x0001-0x007F are SIG-assigned, 0x0080-0x00FF
# dynamic; BR/EDR PSMs from 0x1001 are dynamic.
PSM_SDP = 0x0001
PSM_RFCOMM = 0x0003
PSM_ATT = 0x001F
PSM_IPSP = 0x0023
PSM_OTS = 0x0025
PSM_EATT = 0x0027
PSM_BREDR_DYNAMIC_FIRST = 0x1001
PSM_LE_DYNAMIC_FIRST = 0x0080
PSM_LE_DYNAMIC_LAST = 0x00FF

PSM_NAMES: dict[int, str] = {
    PSM_SDP: "SDP",
    PSM_RFCOMM: "RFCOMM",
    0x0005: "TCS-BIN",
    0x0007: "TCS-BIN-CORDLESS",
    0x000F: "BNEP",
    0x0011: "HID Control",
    0x0013: "HID Interrupt",
    0x0015: "UPnP",
    0x0017: "AVCTP",
    0x0019: "AVDTP",
    0x001B: "AVCTP Browsing",
    0x001D: "UDI C-Plane",
    PSM_ATT: "ATT",
    0x0021: "3DSP",
    PSM_IPSP: "IPSP",
    PSM_OTS: "OTS",
    PSM_EATT: "EATT",
}


def cid_name(cid: int, le: bool | None = None) -> str:
    """A channel's name: the fixed channel's, else "dynamic" or "reserved" (Tables 2.1, 2.2);
    `le` selects the LE-U name space, whose dynamic range ends at 0x007F."""
    if cid in FIXED_CIDS:
        return FIXED_CIDS[cid]
    if cid >= CID_DYNAMIC and (not le or cid <= CID_LE_DYNAMIC_LAST):
        return "dynamic"
    return "reserved"


def psm_name(psm: int, le: bool | None = None) -> str:
    """A PSM's assigned name, else "dynamic" when it lies in the dynamic range of its
    transport (`le` True: SPSM, False: BR/EDR PSM), else "unknown"."""
    if psm in PSM_NAMES:
        return PSM_NAMES[psm]
    if le is True and PSM_LE_DYNAMIC_FIRST <= psm <= PSM_LE_DYNAMIC_LAST:
        return "dynamic"
    if le is False and psm >= PSM_BREDR_DYNAMIC_FIRST:
        return "dynamic"
    return "unknown"


class L2capHeader(Pdu, frozen=True, tag="l2cap_header"):
    """The basic L2CAP header of B-, C-, G- and K-frames: information payload length and
    destination channel (Vol 3 Part A 3.1)."""

    length: Annotated[int, U16]
    cid: Annotated[int, U16]

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        return cls.decode_body(data)

    def to_bytes(self) -> bytes:
        return self.encode_body()


compile_pdu(L2capHeader)
_HEADER = struct.Struct("<HH")


def decode_l2cap(pdu: bytes) -> tuple[L2capHeader, bytes] | Malformed:
    """One complete L2CAP PDU -> (header, information payload). The length field must count
    exactly the bytes after the header; any other count is a `Malformed` record, since a
    complete PDU (after reassembly) is what this takes (Vol 3 Part A 3.1)."""
    if len(pdu) < _HEADER.size:
        return Malformed(LAYER, f"L2CAP header needs 4 bytes, has {len(pdu)}", pdu)
    length, cid = _HEADER.unpack_from(pdu)
    have = len(pdu) - _HEADER.size
    if length != have:
        what = "ends" if length > have else "has"
        extra = f"{length - have} bytes short" if length > have else f"{have - length} bytes more"
        return Malformed(
            LAYER, f"L2CAP length {length} but the PDU {what} {extra} (CID 0x{cid:04x})", pdu
        )
    return L2capHeader(length, cid), pdu[_HEADER.size :]


def encode_l2cap(cid: int, payload: bytes) -> bytes:
    """A basic L2CAP PDU: header with the payload's length, then the payload (3.1)."""
    return _HEADER.pack(len(payload), cid) + payload


class LeSduStart(Pdu, frozen=True, tag="l2cap_sdu_start"):
    """The first K-frame of an SDU on an LE or enhanced credit based channel: the SDU length
    field, then the start of the SDU (Vol 3 Part A 3.4.3, 3.4.4). Later K-frames of the same
    SDU carry no length field; telling them apart takes channel state (the analyzer's)."""

    sdu_length: Annotated[int, U16]
    information: Annotated[bytes, REST]

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        return cls.decode_body(data)

    def to_bytes(self) -> bytes:
        return self.encode_body()


compile_pdu(LeSduStart)


def decode_sdu_start(payload: bytes) -> LeSduStart | Malformed:
    """The information payload of a first K-frame -> its SDU length and data (3.4.3).
    A first fragment longer than the SDU it starts is malformed."""
    try:
        start = LeSduStart.from_bytes(payload)
    except InvalidPdu:  # the only way this layout fails: fewer than 2 bytes
        return Malformed(LAYER, "K-frame needs a 2-byte SDU length", payload)
    if len(start.information) > start.sdu_length:
        return Malformed(
            LAYER,
            f"first K-frame carries {len(start.information)} bytes of a "
            f"{start.sdu_length}-byte SDU",
            payload,
        )
    return start
