"""LE link layer packets on the air: access address, header, PDU, CRC (Core 5.4 Vol 6
Part B 2.1, 2.3, 2.4).

`decode_ll_packet` takes what an air sniffer captured (access address, the Coding
Indicator on the Coded PHY, PDU header, payload, CRC; `Frame.payload` for
`Encap.LE_LL`), decides advertising versus data physical channel (the sniffer's word, or
the advertising access address 0x8E89BED6), and decodes the PDU: an advertising PDU
(`ll_adv`), or for a data PDU by its LLID a control PDU (`ll_control`) or an L2CAP
fragment kept as bytes (reassembly is the analyzer's). It never raises: a packet too short
for its parts, or whose Length disagrees with the bytes between header and CRC, gets a
`Malformed` in `problem` and whatever could still be decoded.

An encrypted payload the sniffer could not decrypt is ciphertext and its MIC (2.4,
Vol 6 Part E 1): the caller says so (`encrypted=True`) and it stays bytes (`LlEncrypted`).
"""

from __future__ import annotations

from typing import ClassVar, Self, cast

import msgspec

from attscope.capture.frame import LE_ADVERTISING_AA, Encap, Frame, SnifferInfo
from attscope.dissector.decoding import ll_adv as a
from attscope.dissector.decoding import ll_control as c
from attscope.dissector.decoding.ll_adv import (
    AdvHeader,
    AdvPdu,
    AuxKind,
    CteInfo,
    decode_adv_payload,
)
from attscope.dissector.decoding.ll_control import LlControlPdu, decode_ll_control
from attscope.dissector.decoding.pdu import InvalidPdu, Malformed

LLID_NAMES = {
    1: "continuation fragment of an L2CAP message, or an Empty PDU",
    2: "start of an L2CAP message, or a complete one",
    3: "LL control PDU",
}
"""LLID values (2.4); 0 is reserved."""


class DataHeader(msgspec.Struct, frozen=True, gc=False, tag="ll_data_header"):
    """The data physical channel PDU header (2.4): LLID, NESN, SN, MD, CP (CTEInfo
    present), RFU, Length, and the CTEInfo octet when CP is set (Length does not count
    it)."""

    llid: int
    nesn: int
    sn: int
    md: bool
    cp: bool
    rfu: int
    length: int
    cte_info: CteInfo | None = None

    @classmethod
    def from_bytes(cls, raw: bytes) -> Self:
        """From the 2 header octets, or 3 when CP is set; raises `InvalidPdu` if short."""
        if len(raw) < 2:
            raise InvalidPdu("a data PDU header is 2 bytes")
        b = raw[0]
        cp = bool(b & 0x20)
        if cp and len(raw) < 3:
            raise InvalidPdu("CP is set but the CTEInfo octet is missing")
        cte = CteInfo.from_byte(raw[2]) if cp else None
        return cls(b & 3, b >> 2 & 1, b >> 3 & 1, bool(b & 0x10), cp, b >> 6, raw[1], cte)

    @property
    def size(self) -> int:
        return 3 if self.cp else 2

    def to_bytes(self) -> bytes:
        b = self.llid & 3 | (self.nesn & 1) << 2 | (self.sn & 1) << 3 | self.md << 4
        b |= self.cp << 5 | (self.rfu & 3) << 6
        cte = bytes([self.cte_info.to_byte()]) if self.cp and self.cte_info else b""
        return bytes([b, self.length & 0xFF]) + cte


class L2capFragment(msgspec.Struct, frozen=True, gc=False, tag="ll_l2cap_fragment"):
    """The payload of an LLID 1 (continuation, or Empty PDU when empty) or LLID 2 (start
    or complete) data PDU: part of an L2CAP PDU, left for reassembly."""

    start: bool
    data: bytes

    def to_bytes(self) -> bytes:
        return self.data

    def summary(self) -> str:
        if not self.start and not self.data:
            return "Empty PDU"
        return f"L2CAP {'start' if self.start else 'continuation'} {len(self.data)} bytes"


class LlEncrypted(msgspec.Struct, frozen=True, gc=False, tag="ll_encrypted"):
    """An encrypted data PDU payload the sniffer did not decrypt: ciphertext and MIC."""

    name: ClassVar[str] = "Encrypted PDU"

    llid: int
    data: bytes
    mic_ok: bool | None = None  # the sniffer's MIC check: False failed, None not checked
    reason: str | None = None  # why attscope could not decrypt it either

    def to_bytes(self) -> bytes:
        return self.data

    def summary(self) -> str:
        kind = {3: "control PDU", 2: "L2CAP start", 1: "L2CAP continuation"}.get(self.llid)
        mic = "" if self.mic_ok is None else ", MIC ok" if self.mic_ok else ", MIC failed"
        why = f" ({self.reason})" if self.reason else ""
        return f"encrypted {kind or f'LLID {self.llid}'} {len(self.data)} bytes{mic}{why}"


class LlDataReserved(msgspec.Struct, frozen=True, gc=False, tag="ll_data_reserved"):
    """A data PDU with the reserved LLID 0; its payload is kept."""

    data: bytes

    def to_bytes(self) -> bytes:
        return self.data

    def summary(self) -> str:
        return f"reserved LLID 0, {len(self.data)} bytes"


# Every concrete PDU record, so that msgspec can decode an exported packet and give its
# JSON Schema (a union of tagged Structs; the bases above would lose the subclasses).
AnyAdvPdu = (
    a.AdvInd | a.AdvDirectInd | a.AdvNonconnInd | a.AdvScanInd | a.ScanReq | a.AuxScanReq
    | a.ScanRsp | a.ConnectInd | a.AuxConnectReq | a.AdvExtInd | a.AuxAdvInd | a.AuxScanRsp
    | a.AuxSyncInd | a.AuxChainInd | a.AuxConnectRsp | a.AdvUnknown
)  # fmt: skip
AnyControlPdu = (
    c.ConnectionUpdateInd | c.ChannelMapInd | c.TerminateInd | c.EncReq | c.EncRsp
    | c.StartEncReq | c.StartEncRsp | c.UnknownRsp | c.FeatureReq | c.FeatureRsp
    | c.PauseEncReq | c.PauseEncRsp | c.VersionInd | c.RejectInd | c.PeripheralFeatureReq
    | c.ConnectionParamReq | c.ConnectionParamRsp | c.RejectExtInd | c.PingReq | c.PingRsp
    | c.LengthReq | c.LengthRsp | c.PhyReq | c.PhyRsp | c.PhyUpdateInd | c.MinUsedChannelsInd
    | c.CteReq | c.CteRsp | c.PeriodicSyncInd | c.ClockAccuracyReq | c.ClockAccuracyRsp
    | c.CisReq | c.CisRsp | c.CisInd | c.CisTerminateInd | c.PowerControlReq
    | c.PowerControlRsp | c.PowerChangeInd | c.SubrateReq | c.SubrateInd
    | c.ChannelReportingInd | c.ChannelStatusInd | c.PeriodicSyncWrInd | c.LlControlUnknown
)  # fmt: skip
DataPdu = AnyControlPdu | L2capFragment | LlEncrypted | LlDataReserved
AnyPdu = AnyAdvPdu | DataPdu | Malformed


class LlPacket(msgspec.Struct, frozen=True, gc=False, omit_defaults=True, tag="ll_packet"):
    """One packet on an LE physical channel, split into its parts. `header` is the
    PDU's header (also inside an advertising PDU record, for its addresses' flags);
    `pdu` is None only when the packet is too short to have a header."""

    advertising: bool
    access_address: int
    header: AdvHeader | DataHeader | None
    pdu: AnyPdu | None
    crc: bytes
    ci: int | None = None  # Coding Indicator, LE Coded PHY only (2.2.3: 0 S=8, 1 S=2)
    problem: Malformed | None = None
    decrypted: bool = False  # attscope decrypted it: `pdu` is the plaintext, MIC removed

    @property
    def crc_value(self) -> int:
        """The CRC as a 24-bit number: sent most significant bit first (3.1.1)."""
        return int("".join(f"{b:08b}"[::-1] for b in self.crc) or "0", 2)

    def summary(self) -> str:
        if self.pdu is None:
            text = "LL packet"
        elif isinstance(self.pdu, Malformed):
            text = f"malformed {self.pdu.layer}: {self.pdu.reason}"
        else:
            text = self.pdu.summary()
        if self.decrypted:
            text += " [decrypted]"
        return f"{text} [{self.problem.reason}]" if self.problem else text

    def to_bytes(self) -> bytes:
        """The packet's bytes again; only for a packet without a `problem`."""
        if self.problem or self.header is None or self.pdu is None:
            raise ValueError("a malformed packet has no canonical bytes")
        parts = [self.access_address.to_bytes(4, "little")]
        parts += [bytes([self.ci])] if self.ci is not None else []
        if isinstance(self.pdu, Malformed):
            raw = self.pdu.raw
            parts.append(
                raw if isinstance(self.header, AdvHeader) else self.header.to_bytes() + raw
            )
        elif isinstance(self.pdu, AdvPdu):
            parts.append(self.pdu.to_bytes())
        else:
            parts.append(self.header.to_bytes() + self.pdu.to_bytes())
        return b"".join([*parts, self.crc])


def decode_ll_packet(
    payload: bytes,
    advertising: bool | None,
    phy: int,
    *,
    channel: int | None = None,
    encrypted: bool = False,
    mic_ok: bool | None = None,
    aux_kind: AuxKind | None = None,
) -> LlPacket:
    """An air-captured LE packet as an `LlPacket`; never raises. `advertising` None: by
    access address. `phy` 2 (LE Coded): a CI octet follows the access address. `channel`
    (0-39) names secondary advertising PDUs; `encrypted`: a data payload is ciphertext."""
    n = len(payload)
    aa = int.from_bytes(payload[:4], "little")
    adv = advertising if advertising is not None else aa == LE_ADVERTISING_AA
    hpos = 5 if phy == 2 else 4
    ci = payload[4] if phy == 2 and n > 4 else None
    if n < hpos + 2 + 3:
        reason = f"{n} bytes: too short for access address, header and CRC"
        return LlPacket(adv, aa, None, None, b"", ci, Malformed("ll", reason, payload))
    header: AdvHeader | DataHeader
    try:
        header = (
            AdvHeader.from_bytes(payload[hpos:])
            if adv
            else DataHeader.from_bytes(payload[hpos : n - 3])
        )
    except InvalidPdu as e:  # CP set and no room for the CTEInfo octet
        return LlPacket(adv, aa, None, None, payload[-3:], ci, Malformed("ll", str(e), payload))
    start = hpos + (header.size if isinstance(header, DataHeader) else 2)
    crc = payload[-3:]
    body = payload[start:-3]
    problem = None
    if len(body) != header.length:
        reason = f"Length says {header.length} bytes, {len(body)} between header and CRC"
        problem = Malformed("ll", reason, payload)
        body = body[: header.length]
    pdu: AdvPdu | LlControlPdu | L2capFragment | LlEncrypted | LlDataReserved | Malformed
    if isinstance(header, AdvHeader):
        try:
            pdu = decode_adv_payload(header, body, channel=channel, aux_kind=aux_kind)
        except InvalidPdu as e:
            pdu = Malformed("ll_adv", str(e), payload[hpos : hpos + 2] + body)
    elif encrypted and body:
        pdu = LlEncrypted(header.llid, body, mic_ok)
    else:
        pdu = data_payload(header.llid, body)
    # the decoders return their base classes; every class they register is in the union
    # the record declares (tests/test_ll.py checks), so the record can be decoded back
    return LlPacket(adv, aa, header, cast("AnyPdu", pdu), crc, ci, problem)


def data_payload(
    llid: int, body: bytes
) -> LlControlPdu | L2capFragment | LlDataReserved | Malformed:
    """A plaintext data PDU payload's record, by its LLID (2.4)."""
    if llid == 3:
        return decode_ll_control(body)
    if llid:
        return L2capFragment(llid == 2, body)
    return LlDataReserved(body)


CRC_POLY_MASK = 0x5A6000  # x^24 + x^10 + x^9 + x^6 + x^4 + x^3 + x + 1, bit-reversed
ADV_CRC_INIT = 0x555555  # the advertising physical channel's CRCInit (3.1.1)


def _crc_table() -> tuple[int, ...]:
    """The LFSR's effect of each byte value fed to it from zero, eight bits at once."""
    table = []
    for value in range(256):
        state = value
        for _ in range(8):  # a 1 shifted out feeds back the taps and sets bit 23
            state = (state >> 1) ^ (CRC_POLY_MASK | 1 << 23 if state & 1 else 0)
        table.append(state)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc24(crc_init: int, pdu: bytes) -> bytes:
    """The CRC of a PDU (header and payload) as it follows the PDU on the air (3.1.1):
    a 24-bit LFSR preset with CRCInit (the CONNECT_IND's, as decoded, or ADV_CRC_INIT),
    fed least significant bit first, a byte at a time through _CRC_TABLE."""
    state = int(f"{crc_init & 0xFFFFFF:024b}"[::-1], 2)
    table = _CRC_TABLE
    for byte in pdu:
        state = (state >> 8) ^ table[(state ^ byte) & 0xFF]
    return state.to_bytes(3, "little")


def is_ciphertext(sniffer: SnifferInfo | None) -> bool:
    """The sniffer saw an encrypted data PDU and did not decrypt it (no valid MIC)."""
    return bool(sniffer and sniffer.encrypted and not (sniffer.decrypted or sniffer.mic_ok))


def decode_ll_frame(frame: Frame) -> LlPacket | None:
    """`decode_ll_packet` with what the frame's sniffer knew; None unless `Encap.LE_LL`."""
    if frame.encap != Encap.LE_LL:
        return None
    s = frame.sniffer
    if s is None:
        return decode_ll_packet(frame.payload, None, 0)
    return decode_ll_packet(
        frame.payload,
        s.advertising,
        s.phy,
        channel=s.channel,
        encrypted=is_ciphertext(s),
        mic_ok=s.mic_ok if s.mic_checked else None,
    )
