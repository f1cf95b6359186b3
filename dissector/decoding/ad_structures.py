"""Advertising and scan response data: AD structures (Core Specification Supplement
Part A; the format is Core 5.4 Vol 3 Part C 11).

Advertising data is a sequence of AD structures, each a Length octet, an AD type octet and
Length - 1 octets of data; a Length of 0 ends the significant part (the rest is padding).
Each AD type is one class registered by `ad_type(code)`; `parse_ad` never raises: a
structure that runs past the data or whose data does not fit its type becomes a
`Malformed` (its raw bytes start with the Length and AD type octets) and parsing goes on
where the Length says the next structure starts. Types without their own class stay raw
(`AdRaw`) with their type named. Text (names, URIs) is decoded as UTF-8 with replacement
characters and never interpreted; summaries quote it with `repr`.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from functools import cache
from typing import Annotated, ClassVar, Self

from attscope.dissector.decoding.pdu import (
    I8,
    REST,
    U8,
    U16,
    InvalidPdu,
    Malformed,
    Pdu,
    Registry,
    uuid_bytes,
    uuid_text,
)

AD_TYPE_NAMES = {
    0x01: "Flags",
    0x02: "Incomplete List of 16-bit Service UUIDs",
    0x03: "Complete List of 16-bit Service UUIDs",
    0x04: "Incomplete List of 32-bit Service UUIDs",
    0x05: "Complete List of 32-bit Service UUIDs",
    0x06: "Incomplete List of 128-bit Service UUIDs",
    0x07: "Complete List of 128-bit Service UUIDs",
    0x08: "Shortened Local Name",
    0x09: "Complete Local Name",
    0x0A: "Tx Power Level",
    0x0D: "Class of Device",
    0x0E: "Simple Pairing Hash C-192",
    0x0F: "Simple Pairing Randomizer R-192",
    0x10: "Device ID / Security Manager TK Value",
    0x11: "Security Manager Out of Band Flags",
    0x12: "Peripheral Connection Interval Range",
    0x14: "List of 16-bit Service Solicitation UUIDs",
    0x15: "List of 128-bit Service Solicitation UUIDs",
    0x16: "Service Data - 16-bit UUID",
    0x17: "Public Target Address",
    0x18: "Random Target Address",
    0x19: "Appearance",
    0x1A: "Advertising Interval",
    0x1B: "LE Bluetooth Device Address",
    0x1C: "LE Role",
    0x1D: "Simple Pairing Hash C-256",
    0x1E: "Simple Pairing Randomizer R-256",
    0x1F: "List of 32-bit Service Solicitation UUIDs",
    0x20: "Service Data - 32-bit UUID",
    0x21: "Service Data - 128-bit UUID",
    0x22: "LE Secure Connections Confirmation Value",
    0x23: "LE Secure Connections Random Value",
    0x24: "URI",
    0x25: "Indoor Positioning",
    0x26: "Transport Discovery Data",
    0x27: "LE Supported Features",
    0x28: "Channel Map Update Indication",
    0x29: "PB-ADV",
    0x2A: "Mesh Message",
    0x2B: "Mesh Beacon",
    0x2C: "BIGInfo",
    0x2D: "Broadcast_Code",
    0x2E: "Resolvable Set Identifier",
    0x2F: "Advertising Interval - long",
    0x30: "Broadcast_Name",
    0x31: "Encrypted Advertising Data",
    0x32: "Periodic Advertising Response Timing Information",
    0x34: "Electronic Shelf Label",
    0x3D: "3D Information Data",
    0xFF: "Manufacturer Specific Data",
}
"""Assigned Numbers 2.3 (Common Data Types)."""

FLAG_NAMES = (
    "LE Limited Discoverable Mode",
    "LE General Discoverable Mode",
    "BR/EDR Not Supported",
    "Simultaneous LE and BR/EDR (Controller)",
    "Simultaneous LE and BR/EDR (Host)",
)
"""Flags bits 0-4 (CSS Part A 1.3); higher bits are reserved."""

APPEARANCE_CATEGORIES = {
    0x000: "Unknown", 0x001: "Phone", 0x002: "Computer", 0x003: "Watch", 0x004: "Clock",
    0x005: "Display", 0x006: "Remote Control", 0x007: "Eye-glasses", 0x008: "Tag",
    0x009: "Keyring", 0x00A: "Media Player", 0x00B: "Barcode Scanner", 0x00C: "Thermometer",
    0x00D: "Heart Rate Sensor", 0x00E: "Blood Pressure", 0x00F: "Human Interface Device",
    0x010: "Glucose Meter", 0x011: "Running Walking Sensor", 0x012: "Cycling",
    0x013: "Control Device", 0x014: "Network Device", 0x015: "Sensor", 0x016: "Light Fixtures",
    0x017: "Fan", 0x018: "HVAC", 0x019: "Air Conditioning", 0x01A: "Humidifier",
    0x01B: "Heating", 0x01C: "Access Control", 0x01D: "Motorized Device", 0x01E: "Power Device",
    0x01F: "Light Source", 0x020: "Window Covering", 0x021: "Audio Sink", 0x022: "Audio Source",
    0x023: "Motorized Vehicle", 0x024: "Domestic Appliance", 0x025: "Wearable Audio Device",
    0x026: "Aircraft", 0x027: "AV Equipment", 0x028: "Display Equipment", 0x029: "Hearing aid",
    0x02A: "Gaming", 0x02B: "Signage", 0x031: "Pulse Oximeter", 0x032: "Weight Scale",
    0x033: "Personal Mobility Device", 0x034: "Continuous Glucose Monitor",
    0x035: "Insulin Pump", 0x036: "Medication Delivery", 0x037: "Spirometer",
    0x051: "Outdoor Sports Activity",
}  # fmt: skip
"""Appearance categories, bits 15-6 (Assigned Numbers 2.6.2)."""

APPEARANCE_SUBCATEGORIES = {
    0x002: ("Desktop Workstation", "Server-class Computer", "Laptop", "Handheld PC/PDA",
            "Palm-size PC/PDA", "Wearable computer", "Tablet", "Docking Station", "All in One",
            "Blade Server", "Convertible", "Detachable", "IoT Gateway", "Mini PC", "Stick PC"),
    0x003: ("Sports Watch", "Smartwatch"),
    0x00C: ("Ear Thermometer",),
    0x00D: ("Heart Rate Belt",),
    0x00E: ("Arm Blood Pressure", "Wrist Blood Pressure"),
    0x00F: ("Keyboard", "Mouse", "Joystick", "Gamepad", "Digitizer Tablet", "Card Reader",
            "Digital Pen", "Barcode Scanner", "Touchpad", "Presentation Remote"),
    0x011: ("In-Shoe Running Walking Sensor", "On-Shoe Running Walking Sensor",
            "On-Hip Running Walking Sensor"),
    0x012: ("Cycling Computer", "Speed Sensor", "Cadence Sensor", "Power Sensor",
            "Speed and Cadence Sensor"),
    0x025: ("Earbud", "Headset", "Headphones", "Neck Band"),
    0x029: ("In-ear hearing aid", "Behind-ear hearing aid", "Cochlear Implant"),
    0x031: ("Fingertip Pulse Oximeter", "Wrist Worn Pulse Oximeter"),
    0x051: ("Location Display", "Location and Navigation Display", "Location Pod",
            "Location and Navigation Pod"),
}  # fmt: skip
"""Subcategories 1, 2, ... of some categories (Assigned Numbers 2.6.3)."""

RAW_SIZES = {
    0x0D: 3, 0x0E: 16, 0x0F: 16, 0x11: 1, 0x1D: 16, 0x1E: 16, 0x22: 16, 0x23: 16, 0x2D: 16,
    0x2E: 6,
}  # fmt: skip
"""Sizes of the fixed-size AD types kept raw (CSS Part A): Class of Device and the Simple
Pairing hash and randomizer values (1.6), Security Manager OOB flags, the LE Secure
Connections confirmation and random values, Broadcast_Code, Resolvable Set Identifier."""

URI_SCHEMES = {0x01: "", 0x16: "http:", 0x17: "https:"}
"""URI scheme code points (Assigned Numbers 2.7); others are shown as their number."""

LE_ROLES = {
    0: "Only Peripheral Role supported",
    1: "Only Central Role supported",
    2: "Peripheral and Central Role supported, Peripheral preferred",
    3: "Peripheral and Central Role supported, Central preferred",
}


@cache
def company_name(company_id: int) -> str | None:
    """The name of a company identifier (Assigned Numbers 7.1), or None if unassigned."""
    from bluetooth_numbers import company  # 60 ms to import: only when a name is wanted

    return company.get(company_id)


def company_text(company_id: int) -> str:
    return company_name(company_id) or f"company 0x{company_id:04x}"


def appearance_name(value: int) -> str | None:
    category, sub = value >> 6, value & 0x3F
    name = APPEARANCE_CATEGORIES.get(category)
    if name is None:
        return None
    if sub == 0:
        return name if category else "Unknown"
    subs = APPEARANCE_SUBCATEGORIES.get(category, ())
    return subs[sub - 1] if sub <= len(subs) else f"{name} (subcategory {sub})"


def _address_text(raw: bytes) -> str:
    return raw[::-1].hex(":").upper()


# -- the base and its registry ---------------------------------------------------------


class AdStructure(Pdu, frozen=True, gc=False):
    """One AD structure; `to_bytes` adds the Length and AD type octets."""

    ad_type: ClassVar[int]

    @property
    def type_code(self) -> int:
        return self.ad_type

    @property
    def type_name(self) -> str:
        return AD_TYPE_NAMES.get(self.type_code, f"AD type 0x{self.type_code:02x}")

    def to_bytes(self) -> bytes:
        body = self.encode_body()
        return bytes([len(body) + 1, self.type_code]) + body

    def summary(self) -> str:
        return self.type_name


AD: Registry[AdStructure] = Registry("ad", code_attr="ad_type")
AD_CLASSES = AD.classes  # AD type -> class
S = typing.TypeVar("S", bound=type[AdStructure])


def ad_type(code: int) -> Callable[[S], S]:
    """Register a class for an AD type (see `pdu.Registry`)."""
    return AD.register(code)


@ad_type(0x01)
class Flags(AdStructure, frozen=True, gc=False, tag="ad_flags"):
    """Flags (CSS Part A 1.3): one bit each; the field may be zero or more octets."""

    bits: int
    octets: int = 1

    @classmethod
    def decode_body(cls, body: bytes) -> Self:
        return cls(int.from_bytes(body, "little"), len(body))

    def encode_body(self) -> bytes:
        return self.bits.to_bytes(self.octets, "little")

    @property
    def names(self) -> list[str]:
        return [
            FLAG_NAMES[i] if i < len(FLAG_NAMES) else f"bit {i}"
            for i in range(self.octets * 8)
            if self.bits >> i & 1
        ]

    def summary(self) -> str:
        return f"flags 0x{self.bits:02x}"


class _UuidList(AdStructure, frozen=True, gc=False):
    """A list of service UUIDs of one width (CSS Part A 1.1 and 1.10); UUIDs as text."""

    uuid_size: ClassVar[int]
    uuids: list[str]

    @classmethod
    def decode_body(cls, body: bytes) -> Self:
        n = cls.uuid_size
        if len(body) % n:
            raise InvalidPdu(f"{len(body)} bytes is not a list of {n}-byte UUIDs")
        return cls([uuid_text(body[i : i + n]) for i in range(0, len(body), n)])

    def encode_body(self) -> bytes:
        return b"".join(uuid_bytes(u) for u in self.uuids)

    def summary(self) -> str:
        return f"uuids {' '.join(self.uuids)}"


@ad_type(0x02)
class Uuid16Incomplete(_UuidList, frozen=True, gc=False, tag="ad_uuid16_incomplete"):
    uuid_size = 2


@ad_type(0x03)
class Uuid16Complete(_UuidList, frozen=True, gc=False, tag="ad_uuid16_complete"):
    uuid_size = 2


@ad_type(0x04)
class Uuid32Incomplete(_UuidList, frozen=True, gc=False, tag="ad_uuid32_incomplete"):
    uuid_size = 4


@ad_type(0x05)
class Uuid32Complete(_UuidList, frozen=True, gc=False, tag="ad_uuid32_complete"):
    uuid_size = 4


@ad_type(0x06)
class Uuid128Incomplete(_UuidList, frozen=True, gc=False, tag="ad_uuid128_incomplete"):
    uuid_size = 16


@ad_type(0x07)
class Uuid128Complete(_UuidList, frozen=True, gc=False, tag="ad_uuid128_complete"):
    uuid_size = 16


@ad_type(0x14)
class Solicitation16(_UuidList, frozen=True, gc=False, tag="ad_solicitation16"):
    uuid_size = 2


@ad_type(0x1F)
class Solicitation32(_UuidList, frozen=True, gc=False, tag="ad_solicitation32"):
    uuid_size = 4


@ad_type(0x15)
class Solicitation128(_UuidList, frozen=True, gc=False, tag="ad_solicitation128"):
    uuid_size = 16


class _Text(AdStructure, frozen=True, gc=False):
    """UTF-8 text; `raw` keeps the octets when they are not valid UTF-8."""

    text: str
    raw: bytes | None = None

    @classmethod
    def decode_body(cls, body: bytes) -> Self:
        try:
            return cls(body.decode())
        except UnicodeDecodeError:
            return cls(body.decode(errors="replace"), bytes(body))

    def encode_body(self) -> bytes:
        return self.raw if self.raw is not None else self.text.encode()

    def summary(self) -> str:
        return f"name {self.text!r}"


@ad_type(0x08)
class ShortenedLocalName(_Text, frozen=True, gc=False, tag="ad_shortened_name"):
    """Shortened Local Name (CSS Part A 1.2)."""


@ad_type(0x09)
class CompleteLocalName(_Text, frozen=True, gc=False, tag="ad_complete_name"):
    """Complete Local Name (CSS Part A 1.2)."""


@ad_type(0x30)
class BroadcastName(_Text, frozen=True, gc=False, tag="ad_broadcast_name"):
    """Broadcast_Name (CSS Part A; Assigned Numbers 2.3): a broadcast source's name."""

    def summary(self) -> str:
        return f"broadcast {self.text!r}"


@ad_type(0x0A)
class TxPowerLevel(AdStructure, frozen=True, gc=False, tag="ad_tx_power"):
    """Tx Power Level (CSS Part A 1.5), dBm."""

    dbm: Annotated[int, I8]

    def summary(self) -> str:
        return f"tx power {self.dbm} dBm"


@ad_type(0x12)
class PeripheralConnIntervalRange(AdStructure, frozen=True, gc=False, tag="ad_conn_interval"):
    """Peripheral Connection Interval Range (CSS Part A 1.9), 1.25 ms units; 0xFFFF: none."""

    interval_min: Annotated[int, U16]
    interval_max: Annotated[int, U16]

    def summary(self) -> str:
        def ms(v: int) -> str:
            return "-" if v == 0xFFFF else f"{v * 1.25:g}"

        return f"conn interval {ms(self.interval_min)}..{ms(self.interval_max)} ms"


class _ServiceData(AdStructure, frozen=True, gc=False):
    """Service Data (CSS Part A 1.11): a service UUID and its data."""

    uuid_size: ClassVar[int]
    uuid: str
    data: bytes

    @classmethod
    def decode_body(cls, body: bytes) -> Self:
        n = cls.uuid_size
        if len(body) < n:
            raise InvalidPdu(f"service data needs a {n}-byte UUID, has {len(body)} bytes")
        return cls(uuid_text(body[:n]), bytes(body[n:]))

    def encode_body(self) -> bytes:
        return uuid_bytes(self.uuid) + self.data

    def summary(self) -> str:
        return f"service data {self.uuid} ({len(self.data)} bytes)"


@ad_type(0x16)
class ServiceData16(_ServiceData, frozen=True, gc=False, tag="ad_service_data16"):
    uuid_size = 2


@ad_type(0x20)
class ServiceData32(_ServiceData, frozen=True, gc=False, tag="ad_service_data32"):
    uuid_size = 4


@ad_type(0x21)
class ServiceData128(_ServiceData, frozen=True, gc=False, tag="ad_service_data128"):
    uuid_size = 16


class _TargetAddresses(AdStructure, frozen=True, gc=False):
    """Public/Random Target Address (CSS Part A 1.13, 1.14): one or more addresses."""

    addresses: list[str]

    @classmethod
    def decode_body(cls, body: bytes) -> Self:
        if not body or len(body) % 6:
            raise InvalidPdu(f"{len(body)} bytes is not a list of 6-byte addresses")
        return cls([_address_text(body[i : i + 6]) for i in range(0, len(body), 6)])

    def encode_body(self) -> bytes:
        return b"".join(bytes.fromhex(a.replace(":", ""))[::-1] for a in self.addresses)

    def summary(self) -> str:
        return f"target {' '.join(self.addresses)}"


@ad_type(0x17)
class PublicTargetAddress(_TargetAddresses, frozen=True, gc=False, tag="ad_public_target"):
    pass


@ad_type(0x18)
class RandomTargetAddress(_TargetAddresses, frozen=True, gc=False, tag="ad_random_target"):
    pass


@ad_type(0x19)
class Appearance(AdStructure, frozen=True, gc=False, tag="ad_appearance"):
    """Appearance (CSS Part A 1.12): category (bits 15-6) and subcategory (5-0)."""

    value: Annotated[int, U16]

    @property
    def name(self) -> str | None:
        return appearance_name(self.value)

    def summary(self) -> str:
        return f"appearance {self.name or 'reserved'} (0x{self.value:04x})"


@ad_type(0x1A)
class AdvertisingInterval(AdStructure, frozen=True, gc=False, tag="ad_adv_interval"):
    """Advertising Interval (CSS Part A 1.15), 0.625 ms units."""

    interval: Annotated[int, U16]

    @property
    def interval_us(self) -> int:
        return self.interval * 625

    def summary(self) -> str:
        return f"adv interval {self.interval_us / 1000:g} ms"


@ad_type(0x2F)
class AdvertisingIntervalLong(AdStructure, frozen=True, gc=False, tag="ad_adv_interval_long"):
    """Advertising Interval - long (CSS Part A 1.15): 3 or 4 octets, 0.625 ms units."""

    interval: int
    octets: int = 3

    @classmethod
    def decode_body(cls, body: bytes) -> Self:
        if len(body) not in (3, 4):
            raise InvalidPdu(f"a long advertising interval is 3 or 4 bytes, not {len(body)}")
        return cls(int.from_bytes(body, "little"), len(body))

    def encode_body(self) -> bytes:
        return self.interval.to_bytes(self.octets, "little")

    def summary(self) -> str:
        return f"adv interval {self.interval * 0.625:g} ms"


@ad_type(0x1B)
class LeDeviceAddress(AdStructure, frozen=True, gc=False, tag="ad_le_address"):
    """LE Bluetooth Device Address (CSS Part A 1.16): address and a type octet whose
    bit 0 says random; the other bits are reserved and kept in `rfu`."""

    addr: str
    random: bool
    rfu: int = 0

    @classmethod
    def decode_body(cls, body: bytes) -> Self:
        if len(body) != 7:
            raise InvalidPdu(f"an LE device address is 7 bytes, not {len(body)}")
        return cls(_address_text(body[:6]), bool(body[6] & 1), body[6] >> 1)

    def encode_body(self) -> bytes:
        return bytes.fromhex(self.addr.replace(":", ""))[::-1] + bytes(
            [self.random | self.rfu << 1 & 0xFF]
        )

    def summary(self) -> str:
        return f"address {self.addr} ({'random' if self.random else 'public'})"


@ad_type(0x1C)
class LeRole(AdStructure, frozen=True, gc=False, tag="ad_le_role"):
    """LE Role (CSS Part A 1.17)."""

    role: Annotated[int, U8]

    def summary(self) -> str:
        return f"role {LE_ROLES.get(self.role, f'reserved 0x{self.role:02x}')}"


@ad_type(0x24)
class Uri(_Text, frozen=True, gc=False, tag="ad_uri"):
    """URI (CSS Part A 1.18): a scheme code point (UTF-8) then the rest of the URI."""

    @property
    def uri(self) -> str:
        if not self.text:
            return ""
        scheme = URI_SCHEMES.get(ord(self.text[0]))
        rest = self.text[1:]
        return scheme + rest if scheme is not None else f"[scheme {ord(self.text[0])}]{rest}"

    def summary(self) -> str:
        return f"uri {self.uri!r}"


@ad_type(0xFF)
class ManufacturerData(AdStructure, frozen=True, gc=False, tag="ad_manufacturer"):
    """Manufacturer Specific Data (CSS Part A 1.4): a company identifier, then its data."""

    company_id: Annotated[int, U16]
    data: Annotated[bytes, REST]

    @property
    def company(self) -> str | None:
        return company_name(self.company_id)

    def summary(self) -> str:
        return f"{company_text(self.company_id)} ({len(self.data)} bytes)"


class AdRaw(AdStructure, frozen=True, gc=False, tag="ad_raw"):
    """An AD type without its own class here; the data is kept, the type named."""

    code: int
    data: bytes

    @property
    def type_code(self) -> int:
        return self.code

    def encode_body(self) -> bytes:
        return self.data


def parse_ad(data: bytes) -> list[AdStructure | Malformed]:
    """The AD structures in advertising, scan response or ACAD data; never raises."""
    out: list[AdStructure | Malformed] = []
    pos, end = 0, len(data)
    while pos < end:
        length = data[pos]
        if length == 0:  # the rest is padding
            break
        stop = pos + 1 + length
        raw = data[pos:stop]
        if stop > end:
            out.append(Malformed("ad", f"AD structure of {length} bytes runs past the data", raw))
            break
        code, body = data[pos + 1], data[pos + 2 : stop]
        cls = AD_CLASSES.get(code)
        try:
            if cls is not None:
                out.append(cls.decode_body(body))
            elif len(body) != RAW_SIZES.get(code, len(body)):
                raise InvalidPdu(f"is {RAW_SIZES[code]} bytes, not {len(body)}")
            else:
                out.append(AdRaw(code, bytes(body)))
        except InvalidPdu as e:
            out.append(Malformed("ad", f"{AD_TYPE_NAMES.get(code, hex(code))}: {e}", raw))
        pos = stop
    return out


def ad_type_of(item: AdStructure | Malformed) -> int | None:
    """The AD type octet of a structure, also of a malformed one when it has one."""
    if isinstance(item, AdStructure):
        return item.type_code
    return item.raw[1] if len(item.raw) >= 2 else None


def summarize_ad(items: list[AdStructure | Malformed]) -> str:
    """A short text for a summary line: the name, then the manufacturers, then any
    malformed structure. Empty when there is nothing worth a mention."""
    names: list[_Text] = [i for i in items if isinstance(i, CompleteLocalName)]
    names = names or [i for i in items if isinstance(i, ShortenedLocalName)]
    parts = [names[0].summary()] if names else []
    parts += [company_text(i.company_id) for i in items if isinstance(i, ManufacturerData)]
    if any(isinstance(i, Malformed) for i in items):
        parts.append("malformed AD")
    return " ".join(parts)
