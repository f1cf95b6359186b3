"""LE link layer: advertising physical channel PDUs (Core 5.4 Vol 6 Part B 2.3).

An advertising physical channel PDU is a 16-bit header (PDU Type, RFU, ChSel, TxAdd, RxAdd,
Length; 2.3) and a payload whose layout the PDU type gives. Each PDU is one
class registered by `adv_pdu(pdu_type)`; its payload fields are declared once with a codec
(an address sized by TxAdd or RxAdd, the rest of the bytes, or a nested record), so
`decode_adv_pdu` and `AdvPdu.to_bytes` are symmetric: `decode(b).to_bytes() == b`.

Several PDU types carry two names: on a secondary advertising channel (index 0-36) type
0b0011 is AUX_SCAN_REQ, 0b0101 AUX_CONNECT_REQ, and 0b0111, ADV_EXT_IND on a primary
channel, is one of AUX_ADV_IND, AUX_SCAN_RSP, AUX_SYNC_IND or AUX_CHAIN_IND, which only the
exchange around it tells apart (2.3.1.5-2.3.1.8, 2.3.2.3). The caller passes the channel and,
when it knows it, the AUX kind; otherwise `guess_aux_kind` names the PDU by the fields it
carries. Unknown PDU types decode to `AdvUnknown` with their payload kept.

Addresses are text, most significant octet first ("C0:FF:EE:12:34:56"), with the header's
random flag (`Address`). Advertising data stays bytes until asked (`ad_structures()`).
"""

from __future__ import annotations

import struct
import typing
from typing import Annotated, Any, ClassVar, Literal, Self

import msgspec

from attscope.dissector.decoding.ad_structures import AdStructure, parse_ad, summarize_ad
from attscope.dissector.decoding.pdu import REST, InvalidPdu, Malformed, Pdu, Registry, TruncatedPdu

PRIMARY_CHANNELS = (37, 38, 39)
SCA_PPM = ((251, 500), (151, 250), (101, 150), (76, 100), (51, 75), (31, 50), (21, 30), (0, 20))
"""Sleep clock accuracy code -> (min, max) ppm (2.3.3.1)."""
PHY_NAMES = {0: "LE 1M", 1: "LE 2M", 2: "LE Coded"}
"""AuxPtr AUX PHY codes (2.3.4.5)."""
CTE_TYPES = {0: "AoA", 1: "AoD 1 us", 2: "AoD 2 us"}


# -- shared pieces ----------------------------------------------------------------------


def address_text(raw: bytes) -> str:
    """Six octets as sent (least significant first) as 'AA:BB:CC:DD:EE:FF'."""
    return raw[::-1].hex(":").upper()


def address_bytes(text: str) -> bytes:
    raw = bytes.fromhex(text.replace(":", ""))[::-1]
    if len(raw) != 6:
        raise ValueError(f"not a device address: {text!r}")
    return raw


class Address(msgspec.Struct, frozen=True, gc=False):
    """A device address with the header's TxAdd/RxAdd bit: random (True) or public."""

    addr: str
    random: bool = False

    def __str__(self) -> str:
        return f"{self.addr} ({'random' if self.random else 'public'})"


def used_channels(chm: bytes) -> list[int]:
    """The data channel indices a 5-octet ChM marks used (2.3.3.1; 37 bits, LSB first)."""
    bits = int.from_bytes(chm, "little")
    return [i for i in range(37) if bits >> i & 1]


class CteInfo(msgspec.Struct, frozen=True, gc=False):
    """CTEInfo (2.3.4.3; the same octet in a data PDU header, 2.4): CTETime in 8 us units, RFU bit, CTEType."""

    cte_time: int
    rfu: int
    cte_type: int

    @classmethod
    def from_byte(cls, b: int) -> Self:
        return cls(b & 0x1F, b >> 5 & 1, b >> 6)

    def to_byte(self) -> int:
        return self.cte_time & 0x1F | (self.rfu & 1) << 5 | (self.cte_type & 3) << 6

    def __str__(self) -> str:
        return f"CTE {CTE_TYPES.get(self.cte_type, f'type {self.cte_type}')} {self.cte_time * 8} us"


class Adi(msgspec.Struct, frozen=True, gc=False):
    """AdvDataInfo (2.3.4.4): Advertising Data ID (12 bits) and Advertising Set ID (4)."""

    did: int
    sid: int

    @classmethod
    def from_bytes(cls, raw: bytes) -> Self:
        v = int.from_bytes(raw, "little")
        return cls(v & 0xFFF, v >> 12)

    def to_bytes(self) -> bytes:
        return (self.did & 0xFFF | (self.sid & 0xF) << 12).to_bytes(2, "little")


class AuxPtr(msgspec.Struct, frozen=True, gc=False):
    """AuxPtr (2.3.4.5): where the auxiliary packet is sent: channel, clock accuracy,
    offset in 30 or 300 us units, PHY."""

    channel: int
    ca: int
    offset_units: int
    aux_offset: int
    aux_phy: int

    @classmethod
    def from_bytes(cls, raw: bytes) -> Self:
        v = int.from_bytes(raw, "little")
        return cls(v & 0x3F, v >> 6 & 1, v >> 7 & 1, v >> 8 & 0x1FFF, v >> 21)

    def to_bytes(self) -> bytes:
        v = self.channel & 0x3F | (self.ca & 1) << 6 | (self.offset_units & 1) << 7
        return (v | (self.aux_offset & 0x1FFF) << 8 | (self.aux_phy & 7) << 21).to_bytes(
            3, "little"
        )

    @property
    def offset_us(self) -> int:
        return self.aux_offset * (300 if self.offset_units else 30)

    def __str__(self) -> str:
        phy = PHY_NAMES.get(self.aux_phy, f"PHY {self.aux_phy}")
        return f"AuxPtr ch {self.channel} +{self.offset_us} us {phy}"


_SYNC = struct.Struct("<HH5sI3sH")


class SyncInfo(msgspec.Struct, frozen=True, gc=False):
    """SyncInfo (2.3.4.6), 18 octets: how to find the periodic advertising train."""

    sync_offset: int  # 13 bits, in offset_units
    offset_units: int  # 0: 30 us, 1: 300 us
    offset_adjust: int  # 1: add 2.4576 s
    rfu: int
    interval: int  # 1.25 ms units
    chm: bytes  # 37 bits of channel map and 3 bits of SCA, as sent
    aa: int
    crc_init: int
    event_counter: int

    SIZE: ClassVar[int] = 18

    @classmethod
    def from_bytes(cls, raw: bytes) -> Self:
        if len(raw) != 18:
            raise TruncatedPdu(f"SyncInfo is 18 bytes, not {len(raw)}")
        off, interval, chm, aa, crc, counter = _SYNC.unpack(raw)
        return cls(
            off & 0x1FFF, off >> 13 & 1, off >> 14 & 1, off >> 15, interval, chm, aa,
            int.from_bytes(crc, "little"), counter,
        )  # fmt: skip

    def to_bytes(self) -> bytes:
        off = self.sync_offset & 0x1FFF | self.offset_units << 13 | self.offset_adjust << 14
        off |= self.rfu << 15
        crc = self.crc_init.to_bytes(3, "little")
        return _SYNC.pack(off, self.interval, self.chm, self.aa, crc, self.event_counter)

    @property
    def offset_us(self) -> int:
        adjust = 2_457_600 if self.offset_adjust else 0
        return self.sync_offset * (300 if self.offset_units else 30) + adjust

    @property
    def interval_us(self) -> int:
        return self.interval * 1250

    @property
    def channels(self) -> list[int]:
        return used_channels(bytes([*self.chm[:4], self.chm[4] & 0x1F]))

    @property
    def sca(self) -> int:
        return self.chm[4] >> 5


class AdvHeader(msgspec.Struct, frozen=True, gc=False, tag="ll_adv_header"):
    """The advertising physical channel PDU header (2.3)."""

    pdu_type: int
    rfu: int
    ch_sel: bool
    tx_add: bool
    rx_add: bool
    length: int

    @classmethod
    def from_bytes(cls, raw: bytes) -> Self:
        b = raw[0]
        return cls(b & 0x0F, b >> 4 & 1, bool(b & 0x20), bool(b & 0x40), bool(b & 0x80), raw[1])

    def to_bytes(self) -> bytes:
        b = self.pdu_type & 0x0F | (self.rfu & 1) << 4 | self.ch_sel << 5
        return bytes([b | self.tx_add << 6 | self.rx_add << 7, self.length & 0xFF])


# -- CONNECT_IND LLData -------------------------------------------------------------------

_LLDATA = struct.Struct("<I3sBHHHH5sB")


class LlData(msgspec.Struct, frozen=True, gc=False):
    """CONNECT_IND / AUX_CONNECT_REQ LLData (2.3.3.1), 22 octets. Times on the
    wire are in 1.25 ms (window, interval) and 10 ms (timeout) units; properties give
    microseconds and milliseconds."""

    aa: int
    crc_init: int
    win_size: int
    win_offset: int
    interval: int
    latency: int
    timeout: int
    chm: bytes
    hop: int
    sca: int

    SIZE: ClassVar[int] = 22

    @classmethod
    def from_bytes(cls, raw: bytes) -> Self:
        if len(raw) != 22:
            raise InvalidPdu(f"LLData is 22 bytes, not {len(raw)}")
        aa, crc, ws, wo, iv, lat, to, chm, hs = _LLDATA.unpack(raw)
        return cls(aa, int.from_bytes(crc, "little"), ws, wo, iv, lat, to, chm, hs & 0x1F, hs >> 5)

    def to_bytes(self) -> bytes:
        crc = self.crc_init.to_bytes(3, "little")
        hs = self.hop & 0x1F | (self.sca & 7) << 5
        return _LLDATA.pack(
            self.aa, crc, self.win_size, self.win_offset, self.interval, self.latency,
            self.timeout, self.chm, hs,
        )  # fmt: skip

    @property
    def win_size_us(self) -> int:
        return self.win_size * 1250

    @property
    def win_offset_us(self) -> int:
        return self.win_offset * 1250

    @property
    def interval_us(self) -> int:
        return self.interval * 1250

    @property
    def timeout_ms(self) -> int:
        return self.timeout * 10

    @property
    def channels(self) -> list[int]:
        return used_channels(self.chm)

    @property
    def sca_ppm(self) -> tuple[int, int]:
        return SCA_PPM[self.sca]

    def __str__(self) -> str:
        return (
            f"AA 0x{self.aa:08x} interval {self.interval_us / 1000:g} ms latency {self.latency}"
            f" timeout {self.timeout_ms} ms hop {self.hop} channels {len(self.channels)}"
        )


# -- the PDU base and its field codecs -------------------------------------------------


class _Addr:
    """An address field whose random flag is the header's TxAdd (`tx`) or RxAdd bit."""

    __slots__ = ("bit",)

    def __init__(self, bit: Literal["tx", "rx"]) -> None:
        self.bit = bit


class _Nested:
    """A fixed-size record with `from_bytes`/`to_bytes` (LLData)."""

    __slots__ = ("cls",)

    def __init__(self, cls: Any) -> None:
        self.cls = cls


TX_ADDR = _Addr("tx")
RX_ADDR = _Addr("rx")
LLDATA = _Nested(LlData)
_Plan = list[tuple[str, Any]]


class AdvPdu(Pdu, frozen=True, gc=False, kw_only=True, omit_defaults=True):
    """An advertising physical channel PDU: header bits and the payload fields a subclass
    declares. `to_bytes` gives header and payload (the Length byte is the payload's size);
    an address field's random flag sets its TxAdd/RxAdd bit, other bits come from here."""

    pdu_type: ClassVar[int]
    name: ClassVar[str]
    _plan: ClassVar[_Plan]
    ch_sel: bool = False
    tx_add: bool = False
    rx_add: bool = False
    rfu: int = 0

    @classmethod
    def decode_payload(cls, header: AdvHeader, payload: bytes) -> Self:
        """The PDU from its header and payload (the header's Length is not checked)."""
        bits = {"tx": header.tx_add, "rx": header.rx_add}
        values: dict[str, Any] = {}
        pos = 0
        for name, codec in cls._plan:
            if isinstance(codec, _Addr):
                if pos + 6 > len(payload):
                    raise TruncatedPdu(f"{cls.name} ends inside its {name}")
                values[name] = Address(address_text(payload[pos : pos + 6]), bits[codec.bit])
                pos += 6
            elif isinstance(codec, _Nested):
                size = codec.cls.SIZE
                if pos + size > len(payload):
                    raise TruncatedPdu(f"{cls.name} ends inside its {name}")
                values[name] = codec.cls.from_bytes(payload[pos : pos + size])
                pos += size
            else:
                values[name] = payload[pos:]
                pos = len(payload)
        if pos != len(payload):
            raise InvalidPdu(f"{cls.name} has {len(payload) - pos} bytes more than its fields")
        return cls(
            **values, ch_sel=header.ch_sel, tx_add=header.tx_add, rx_add=header.rx_add,
            rfu=header.rfu,
        )  # fmt: skip

    def encode_payload(self) -> bytes:
        parts: list[bytes] = []
        for name, codec in self._plan:
            value = getattr(self, name)
            if isinstance(codec, _Addr):
                parts.append(address_bytes(value.addr))
            elif isinstance(codec, _Nested):
                parts.append(value.to_bytes())
            else:
                parts.append(value)
        return b"".join(parts)

    def header_bits(self) -> tuple[bool, bool]:
        """TxAdd and RxAdd as sent: an address field's flag, else the stored bit."""
        tx, rx = self.tx_add, self.rx_add
        for name, codec in self._plan:
            value = getattr(self, name)
            if isinstance(codec, _Addr) and value is not None:
                if codec.bit == "tx":
                    tx = value.random
                else:
                    rx = value.random
        return tx, rx

    def header(self, length: int | None = None) -> AdvHeader:
        tx, rx = self.header_bits()
        payload_len = len(self.encode_payload()) if length is None else length
        return AdvHeader(self.pdu_type, self.rfu, self.ch_sel, tx, rx, payload_len)

    def to_bytes(self) -> bytes:
        payload = self.encode_payload()
        return self.header(len(payload)).to_bytes() + payload

    @classmethod
    def prepare(cls) -> None:
        """Read the payload fields' codecs once (at registration)."""
        hints = typing.get_type_hints(cls, include_extras=True)
        plan: _Plan = []
        for name in cls.__struct_fields__:
            if name in ("ch_sel", "tx_add", "rx_add", "rfu"):
                continue
            meta = getattr(hints[name], "__metadata__", ())
            codec = next((m for m in meta if isinstance(m, _Addr | _Nested) or m is REST), None)
            if codec is None:
                raise TypeError(f"{cls.__name__}.{name} has no wire codec")
            plan.append((name, codec))
        cls._plan = plan

    def summary_head(self) -> str:
        return self.name

    def summary(self) -> str:
        return self.name


def _prepare(cls: type[AdvPdu]) -> None:
    cls.prepare()


PRIMARY: Registry[AdvPdu] = Registry("ll_adv", code_attr="pdu_type", prepare=_prepare)
SECONDARY: Registry[AdvPdu] = Registry("ll_adv secondary", code_attr="pdu_type", prepare=_prepare)
PRIMARY_PDUS = PRIMARY.classes  # PDU type on the primary advertising channels -> class
SECONDARY_PDUS = SECONDARY.classes  # on the secondary channels
A = typing.TypeVar("A", bound=type[AdvPdu])


def adv_pdu(pdu_type: int, name: str, *, secondary: bool = False) -> typing.Callable[[A], A]:
    """Register a PDU class for a PDU type on primary (default) or secondary channels."""

    def named(cls: A) -> None:
        cls.name = name

    return (SECONDARY if secondary else PRIMARY).register(pdu_type, setup=named)


def _with_ad(pdu: AdvPdu, data: bytes) -> str:
    text = summarize_ad(parse_ad(data))
    return f"{pdu.summary_head()} {text}".rstrip() if text else pdu.summary_head()


# -- legacy advertising PDUs (2.3.1, 2.3.2) ---------------------------------------------


class _AdvWithData(AdvPdu, frozen=True, gc=False):
    adv_a: Annotated[Address, TX_ADDR]
    adv_data: Annotated[bytes, REST]

    def ad_structures(self) -> list[AdStructure | Malformed]:
        return parse_ad(self.adv_data)

    def summary_head(self) -> str:
        return f"{self.name} AdvA {self.adv_a}"

    def summary(self) -> str:
        return _with_ad(self, self.adv_data)


@adv_pdu(0b0000, "ADV_IND")
class AdvInd(_AdvWithData, frozen=True, gc=False, tag="ll_adv_ind"):
    """ADV_IND (2.3.1.1): connectable scannable undirected advertising."""


@adv_pdu(0b0001, "ADV_DIRECT_IND")
class AdvDirectInd(AdvPdu, frozen=True, gc=False, tag="ll_adv_direct_ind"):
    """ADV_DIRECT_IND (2.3.1.2): connectable directed advertising to TargetA."""

    adv_a: Annotated[Address, TX_ADDR]
    target_a: Annotated[Address, RX_ADDR]

    def summary(self) -> str:
        return f"{self.name} AdvA {self.adv_a} TargetA {self.target_a}"


@adv_pdu(0b0010, "ADV_NONCONN_IND")
class AdvNonconnInd(_AdvWithData, frozen=True, gc=False, tag="ll_adv_nonconn_ind"):
    """ADV_NONCONN_IND (2.3.1.3): non-connectable non-scannable undirected advertising."""


@adv_pdu(0b0110, "ADV_SCAN_IND")
class AdvScanInd(_AdvWithData, frozen=True, gc=False, tag="ll_adv_scan_ind"):
    """ADV_SCAN_IND (2.3.1.4): scannable undirected advertising."""


@adv_pdu(0b0011, "SCAN_REQ")
class ScanReq(AdvPdu, frozen=True, gc=False, tag="ll_scan_req"):
    """SCAN_REQ (2.3.2.1): ScanA asks AdvA for its scan response."""

    scan_a: Annotated[Address, TX_ADDR]
    adv_a: Annotated[Address, RX_ADDR]

    def summary(self) -> str:
        return f"{self.name} ScanA {self.scan_a} AdvA {self.adv_a}"


@adv_pdu(0b0011, "AUX_SCAN_REQ", secondary=True)
class AuxScanReq(ScanReq, frozen=True, gc=False, tag="ll_aux_scan_req"):
    """AUX_SCAN_REQ (2.3.2.1): a SCAN_REQ on the secondary advertising channel."""


@adv_pdu(0b0100, "SCAN_RSP")
class ScanRsp(AdvPdu, frozen=True, gc=False, tag="ll_scan_rsp"):
    """SCAN_RSP (2.3.2.2): AdvA's scan response data."""

    adv_a: Annotated[Address, TX_ADDR]
    scan_rsp_data: Annotated[bytes, REST]

    def ad_structures(self) -> list[AdStructure | Malformed]:
        return parse_ad(self.scan_rsp_data)

    def summary_head(self) -> str:
        return f"{self.name} AdvA {self.adv_a}"

    def summary(self) -> str:
        return _with_ad(self, self.scan_rsp_data)


@adv_pdu(0b0101, "CONNECT_IND")
class ConnectInd(AdvPdu, frozen=True, gc=False, tag="ll_connect_ind"):
    """CONNECT_IND (2.3.3.1): InitA connects to AdvA with the connection's parameters.
    ChSel set: the initiator supports Channel Selection Algorithm #2."""

    init_a: Annotated[Address, TX_ADDR]
    adv_a: Annotated[Address, RX_ADDR]
    ll_data: Annotated[LlData, LLDATA]

    def summary(self) -> str:
        return f"{self.name} InitA {self.init_a} AdvA {self.adv_a} {self.ll_data}"


@adv_pdu(0b0101, "AUX_CONNECT_REQ", secondary=True)
class AuxConnectReq(ConnectInd, frozen=True, gc=False, tag="ll_aux_connect_req"):
    """AUX_CONNECT_REQ (2.3.3.1): a CONNECT_IND on the secondary advertising channel."""


# -- Common Extended Advertising Payload Format (2.3.4) -------------------------------

# extended header flag bit -> (field, size), in the order the fields follow the flags
_EXT_FIELDS = (
    ("adv_a", 6), ("target_a", 6), ("cte_info", 1), ("adi", 2), ("aux_ptr", 3),
    ("sync_info", 18), ("tx_power", 1),
)  # fmt: skip
AuxKind = Literal["AUX_ADV_IND", "AUX_SCAN_RSP", "AUX_SYNC_IND", "AUX_CHAIN_IND"]


class ExtendedAdvPdu(AdvPdu, frozen=True, gc=False, kw_only=True):
    """A PDU in the Common Extended Advertising Payload Format (2.3.4):
    Extended Header Length (6 bits) and AdvMode (2), then, if the length is not 0, the
    Extended Header Flags and the fields they announce, ACAD, and AdvData after it.
    `ext_flags` is the flags octet as sent (None when the extended header is empty); the
    flag of each field follows its presence, the RFU bit 7 is kept from `ext_flags`."""

    adv_mode: int = 0  # 0 non-connectable non-scannable, 1 connectable, 2 scannable
    ext_flags: int | None = None
    adv_a: Address | None = None
    target_a: Address | None = None
    cte_info: CteInfo | None = None
    adi: Adi | None = None
    aux_ptr: AuxPtr | None = None
    sync_info: SyncInfo | None = None
    tx_power: int | None = None  # dBm
    acad: bytes = b""
    adv_data: bytes = b""

    @classmethod
    def prepare(cls) -> None:
        """The layout is the format's own (below), not a field list."""

    @classmethod
    def decode_payload(cls, header: AdvHeader, payload: bytes) -> Self:
        if not payload:
            raise TruncatedPdu(f"{cls.name} has no extended header length")
        ext_len, mode = payload[0] & 0x3F, payload[0] >> 6
        if 1 + ext_len > len(payload):
            raise TruncatedPdu(f"extended header of {ext_len} bytes in a {len(payload)}-byte PDU")
        ext = payload[1 : 1 + ext_len]
        raw: dict[str, bytes] = {}
        flags: int | None = None
        pos = 1
        if ext_len:
            flags = ext[0]
            for bit, (name, size) in enumerate(_EXT_FIELDS):
                if flags >> bit & 1:
                    if pos + size > ext_len:
                        raise InvalidPdu(
                            f"extended header flags announce more than {ext_len} bytes"
                        )
                    raw[name] = ext[pos : pos + size]
                    pos += size

        def addr(name: str, random: bool) -> Address | None:
            return Address(address_text(raw[name]), random) if name in raw else None

        cte, adi, aux, sync, power = (
            raw.get(k) for k in ("cte_info", "adi", "aux_ptr", "sync_info", "tx_power")
        )
        return cls(
            adv_mode=mode,
            ext_flags=flags,
            adv_a=addr("adv_a", header.tx_add),
            target_a=addr("target_a", header.rx_add),
            cte_info=CteInfo.from_byte(cte[0]) if cte else None,
            adi=Adi.from_bytes(adi) if adi else None,
            aux_ptr=AuxPtr.from_bytes(aux) if aux else None,
            sync_info=SyncInfo.from_bytes(sync) if sync else None,
            tx_power=int.from_bytes(power, signed=True) if power else None,
            acad=bytes(ext[pos:]),
            adv_data=bytes(payload[1 + ext_len :]),
            ch_sel=header.ch_sel,
            tx_add=header.tx_add,
            rx_add=header.rx_add,
            rfu=header.rfu,
        )

    def encode_payload(self) -> bytes:
        fields = {
            "adv_a": None if self.adv_a is None else address_bytes(self.adv_a.addr),
            "target_a": None if self.target_a is None else address_bytes(self.target_a.addr),
            "cte_info": None if self.cte_info is None else bytes([self.cte_info.to_byte()]),
            "adi": None if self.adi is None else self.adi.to_bytes(),
            "aux_ptr": None if self.aux_ptr is None else self.aux_ptr.to_bytes(),
            "sync_info": None if self.sync_info is None else self.sync_info.to_bytes(),
            "tx_power": None if self.tx_power is None else self.tx_power.to_bytes(1, signed=True),
        }
        flags = (self.ext_flags or 0) & 0x80
        body = b""
        for bit, (name, _) in enumerate(_EXT_FIELDS):
            value = fields[name]
            if value is not None:
                flags |= 1 << bit
                body += value
        has_header = self.ext_flags is not None or flags or self.acad
        ext = bytes([flags]) + body + self.acad if has_header else b""
        return bytes([len(ext) & 0x3F | (self.adv_mode & 3) << 6]) + ext + self.adv_data

    def header_bits(self) -> tuple[bool, bool]:
        tx = self.adv_a.random if self.adv_a else self.tx_add
        return tx, self.target_a.random if self.target_a else self.rx_add

    def ad_structures(self) -> list[AdStructure | Malformed]:
        return parse_ad(self.adv_data)

    def acad_structures(self) -> list[AdStructure | Malformed]:
        """ACAD holds AD structures too (2.3.4.8)."""
        return parse_ad(self.acad)

    def summary_head(self) -> str:
        parts = [self.name]
        mode = {1: "connectable", 2: "scannable"}.get(self.adv_mode)
        parts += [mode] if mode else ([f"AdvMode {self.adv_mode}"] if self.adv_mode else [])
        if self.adv_a:
            parts.append(f"AdvA {self.adv_a}")
        if self.target_a:
            parts.append(f"TargetA {self.target_a}")
        if self.adi:
            parts.append(f"SID {self.adi.sid} DID 0x{self.adi.did:03x}")
        if self.aux_ptr:
            parts.append(str(self.aux_ptr))
        if self.sync_info:
            parts.append(f"SyncInfo interval {self.sync_info.interval_us / 1000:g} ms")
        if self.cte_info:
            parts.append(str(self.cte_info))
        if self.tx_power is not None:
            parts.append(f"TxPower {self.tx_power} dBm")
        return " ".join(parts)

    def summary(self) -> str:
        return _with_ad(self, self.adv_data)


@adv_pdu(0b0111, "ADV_EXT_IND")
class AdvExtInd(ExtendedAdvPdu, frozen=True, gc=False, tag="ll_adv_ext_ind"):
    """ADV_EXT_IND (2.3.1.5): extended advertising on a primary channel, pointing at the
    AUX_ADV_IND with AuxPtr."""


@adv_pdu(0b0111, "AUX_ADV_IND", secondary=True)
class AuxAdvInd(ExtendedAdvPdu, frozen=True, gc=False, tag="ll_aux_adv_ind"):
    """AUX_ADV_IND (2.3.1.6): the auxiliary packet an ADV_EXT_IND's AuxPtr points to."""


class AuxScanRsp(ExtendedAdvPdu, frozen=True, gc=False, tag="ll_aux_scan_rsp"):
    """AUX_SCAN_RSP (2.3.2.3): the answer to an AUX_SCAN_REQ."""

    pdu_type = 0b0111
    name = "AUX_SCAN_RSP"


class AuxSyncInd(ExtendedAdvPdu, frozen=True, gc=False, tag="ll_aux_sync_ind"):
    """AUX_SYNC_IND (2.3.1.7): a periodic advertising packet."""

    pdu_type = 0b0111
    name = "AUX_SYNC_IND"


class AuxChainInd(ExtendedAdvPdu, frozen=True, gc=False, tag="ll_aux_chain_ind"):
    """AUX_CHAIN_IND (2.3.1.8): more data for a PDU whose AuxPtr points here."""

    pdu_type = 0b0111
    name = "AUX_CHAIN_IND"


@adv_pdu(0b1000, "AUX_CONNECT_RSP", secondary=True)
class AuxConnectRsp(ExtendedAdvPdu, frozen=True, gc=False, tag="ll_aux_connect_rsp"):
    """AUX_CONNECT_RSP (2.3.3.2): the advertiser accepts an AUX_CONNECT_REQ (AdvA, TargetA)."""


_AUX: dict[str, type[ExtendedAdvPdu]] = {
    c.name: c for c in (AuxAdvInd, AuxScanRsp, AuxSyncInd, AuxChainInd)
}


def guess_aux_kind(pdu: ExtendedAdvPdu) -> AuxKind:
    """Name a secondary-channel type 0b0111 PDU without the exchange around it (2.3.1.6-2.3.1.8
    and 2.3.2.3 say which fields each may carry): SyncInfo, AdvMode or AdvA only occur in
    AUX_ADV_IND (an AUX_SCAN_RSP, which also has AdvA, needs the AUX_SCAN_REQ before it);
    without them, ADI marks a chain and its absence a periodic packet. A guess: pass the
    kind to `decode_adv_pdu` when the analysis knows it."""
    if pdu.sync_info or pdu.adv_mode or pdu.adv_a:
        return "AUX_ADV_IND"
    return "AUX_CHAIN_IND" if pdu.adi else "AUX_SYNC_IND"


class AdvUnknown(AdvPdu, frozen=True, gc=False, tag="ll_adv_unknown"):
    """A PDU type the specification reserves (2.3); the payload is kept."""

    type_code: int = 0
    payload: bytes = b""

    name = "ADV_UNKNOWN"

    def encode_payload(self) -> bytes:
        return self.payload

    def header_bits(self) -> tuple[bool, bool]:
        return self.tx_add, self.rx_add

    def header(self, length: int | None = None) -> AdvHeader:
        size = len(self.payload) if length is None else length
        return AdvHeader(self.type_code, self.rfu, self.ch_sel, self.tx_add, self.rx_add, size)

    def summary(self) -> str:
        return f"ADV PDU type 0x{self.type_code:x} ({len(self.payload)} bytes)"


def decode_adv_payload(
    header: AdvHeader,
    payload: bytes,
    *,
    channel: int | None = None,
    aux_kind: AuxKind | None = None,
) -> AdvPdu:
    """The PDU a header and payload make, whatever the header's Length says. Raises
    `InvalidPdu` when the payload does not fit the PDU type."""
    secondary = channel is not None and channel not in PRIMARY_CHANNELS
    cls = (SECONDARY_PDUS if secondary else PRIMARY_PDUS).get(header.pdu_type)
    cls = cls or SECONDARY_PDUS.get(header.pdu_type) or PRIMARY_PDUS.get(header.pdu_type)
    if cls is None:
        return AdvUnknown(
            type_code=header.pdu_type, payload=payload, ch_sel=header.ch_sel,
            tx_add=header.tx_add, rx_add=header.rx_add, rfu=header.rfu,
        )  # fmt: skip
    pdu = cls.decode_payload(header, payload)
    if isinstance(pdu, ExtendedAdvPdu) and header.pdu_type == 0b0111:
        kind = aux_kind if aux_kind in _AUX else None
        if kind is None and (secondary or (channel is None and not _fits_adv_ext_ind(pdu))):
            kind = guess_aux_kind(pdu)
        if kind is not None and type(pdu) is not _AUX[kind]:
            pdu = _AUX[kind].decode_payload(header, payload)
    return pdu


def _fits_adv_ext_ind(pdu: ExtendedAdvPdu) -> bool:
    """ADV_EXT_IND carries no AdvData, ACAD, SyncInfo or CTEInfo (2.3.1.5)."""
    return not (pdu.adv_data or pdu.acad or pdu.sync_info or pdu.cte_info)


def decode_adv_pdu(
    data: bytes,
    *,
    channel: int | None = None,
    aux_kind: AuxKind | None = None,
) -> AdvPdu | Malformed:
    """An advertising physical channel PDU (header and payload) as a record; never raises.
    `channel` (0-39) tells primary from secondary channel names; see the module doc."""
    if len(data) < 2:
        return Malformed("ll_adv", f"a PDU header is 2 bytes, {len(data)} present", data)
    header = AdvHeader.from_bytes(data)
    if header.length != len(data) - 2:
        reason = f"Length says {header.length} bytes, {len(data) - 2} present"
        return Malformed("ll_adv", reason, data)
    try:
        return decode_adv_payload(header, data[2:], channel=channel, aux_kind=aux_kind)
    except InvalidPdu as e:
        return Malformed("ll_adv", str(e), data)
