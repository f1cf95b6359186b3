"""Values of common standard characteristics and descriptors, decoded into typed records.

`decode_value(uuid, value)` picks the decoder by the attribute's type (a characteristic
UUID for a characteristic value, a descriptor or declaration UUID otherwise) and returns a
`GattValue` whose `text()` is a short display line, or None when nothing decodes the type
or the bytes do not fit it: it never raises. Layouts: Core 5.4 Vol 3 Part G 3.3 (declarations
and descriptors) and 7 (GATT service), Part C 12 (GAP characteristics), and the GATT
Specification Supplement (GSS) for the rest.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

import msgspec

from attscope.capture.printable import printable
from attscope.dissector.decoding.assigned_uuids import UNITS
from attscope.dissector.decoding.uuid_names import normalize_uuid, uuid_name

# Characteristic properties (Vol 3 Part G 3.3.1.1)
PROPERTY_NAMES = ("broadcast", "read", "write_without_response", "write", "notify",
                  "indicate", "authenticated_signed_writes", "extended_properties")  # fmt: skip
CCCD_BITS = ("notifications", "indications")  # Vol 3 Part G 3.3.3.3
CLIENT_FEATURE_BITS = ("robust_caching", "eatt", "multiple_handle_value_notifications")  # 7.2
SERVER_FEATURE_BITS = ("eatt",)  # Vol 3 Part G 7.4
EXTENDED_PROPERTY_BITS = ("reliable_write", "writable_auxiliaries")  # 3.3.3.1
SCCD_BITS = ("broadcasts",)  # 3.3.3.4
MAX_TEXT = 120  # characters of a string value shown


def bit_names(value: int, names: tuple[str, ...]) -> tuple[str, ...]:
    """The names of the bits set in `value`, with "bit N" for bits without one."""
    found = [names[i] if i < len(names) else f"bit {i}" for i in range(value.bit_length())
             if value >> i & 1]  # fmt: skip
    return tuple(found)


def property_names(properties: int) -> tuple[str, ...]:
    return bit_names(properties, PROPERTY_NAMES)


def _printable(text: str) -> str:
    """Untrusted text made safe to show: control characters escaped, length capped."""
    return printable(text[:MAX_TEXT]) + ("..." if len(text) > MAX_TEXT else "")


class GattValue(msgspec.Struct, frozen=True, gc=False, tag=True):
    """A decoded attribute value."""

    def text(self) -> str:
        raise NotImplementedError


class Utf8(GattValue, frozen=True, gc=False, tag="utf8"):
    """A UTF-8 string characteristic (Device Name, the Device Information strings,
    Characteristic User Description); trailing NULs dropped."""

    value: str

    def text(self) -> str:
        return f'"{_printable(self.value)}"'


class Number(GattValue, frozen=True, gc=False, tag="number"):
    """A single number with its unit (Battery Level, Tx Power Level, Temperature)."""

    value: float
    unit: str

    def text(self) -> str:
        shown = f"{self.value:g}" if isinstance(self.value, float) else str(self.value)
        return f"{shown} {self.unit}" if self.unit != "%" else f"{shown}%"


class Enumerated(GattValue, frozen=True, gc=False, tag="enumerated"):
    """A code with its meaning (Body Sensor Location, Heart Rate Control Point)."""

    value: int
    meaning: str | None

    def text(self) -> str:
        return f"{self.meaning or 'reserved'} ({self.value})"


class Flags(GattValue, frozen=True, gc=False, tag="flags"):
    """A bit field with named bits (CCCD, Supported Features, Extended Properties)."""

    value: int
    names: tuple[str, ...]

    def text(self) -> str:
        return f"0x{self.value:04x}: {', '.join(self.names) or 'none'}"


class Appearance(GattValue, frozen=True, gc=False, tag="appearance"):
    """Appearance (Vol 3 Part C 12.2): category bits 15-6, subcategory bits 5-0."""

    value: int
    name: str | None

    def text(self) -> str:
        return f"{self.name or 'reserved'} (0x{self.value:04x})"


class HeartRateMeasurement(GattValue, frozen=True, gc=False, tag="heart_rate_measurement"):
    """Heart Rate Measurement (GSS 3.113): flags, heart rate (UINT8 or UINT16), sensor
    contact, energy expended (kJ), RR-intervals (1/1024 s)."""

    bpm: int
    contact: bool | None  # None: the sensor does not support contact detection
    energy_kj: int | None
    rr_intervals: tuple[int, ...]  # 1/1024 s

    def text(self) -> str:
        parts = [f"{self.bpm} bpm"]
        if self.contact is not None:
            parts.append("contact" if self.contact else "no contact")
        if self.energy_kj is not None:
            parts.append(f"energy {self.energy_kj} kJ")
        if self.rr_intervals:
            parts.append("RR " + " ".join(f"{rr * 1000 / 1024:.0f}" for rr in self.rr_intervals)
                         + " ms")  # fmt: skip
        return ", ".join(parts)


class PnpId(GattValue, frozen=True, gc=False, tag="pnp_id"):
    """PnP ID (GSS 3.170): vendor ID source (1 SIG, 2 USB-IF), vendor, product, version."""

    vendor_id_source: int
    vendor_id: int
    product_id: int
    product_version: int

    def text(self) -> str:
        vendor = f"0x{self.vendor_id:04x}"
        if self.vendor_id_source == 1:
            from attscope.dissector.decoding.ad_structures import company_name

            name = company_name(self.vendor_id)
            vendor = f"{name} ({vendor})" if name else f"SIG {vendor}"
        elif self.vendor_id_source == 2:
            vendor = f"USB {vendor}"
        return (f"vendor {vendor}, product 0x{self.product_id:04x}, "
                f"version 0x{self.product_version:04x}")  # fmt: skip


class ConnectionParameters(GattValue, frozen=True, gc=False, tag="connection_parameters"):
    """Peripheral Preferred Connection Parameters (Vol 3 Part C 12.3): intervals in 1.25 ms,
    latency in events, supervision timeout in 10 ms; 0xFFFF means no preference."""

    min_interval: int
    max_interval: int
    latency: int
    timeout: int

    def text(self) -> str:
        def ms(v: int, unit: float) -> str:
            return "any" if v == 0xFFFF else f"{v * unit:g}"

        return (f"interval {ms(self.min_interval, 1.25)}-{ms(self.max_interval, 1.25)} ms, "
                f"latency {self.latency}, timeout {ms(self.timeout, 10)} ms")  # fmt: skip


class HandleRange(GattValue, frozen=True, gc=False, tag="handle_range"):
    """Service Changed (Vol 3 Part G 7.1): the affected attribute handles."""

    start: int
    end: int

    def text(self) -> str:
        return f"handles 0x{self.start:04x}-0x{self.end:04x}"


class PresentationFormat(GattValue, frozen=True, gc=False, tag="presentation_format"):
    """Characteristic Presentation Format (Vol 3 Part G 3.3.3.5)."""

    format: int
    exponent: int
    unit: int
    namespace: int
    description: int

    def text(self) -> str:
        fmt = FORMATS.get(self.format, f"format 0x{self.format:02x}")
        unit = UNITS.get(self.unit, f"unit 0x{self.unit:04x}")
        return (f"{fmt}, exponent {self.exponent}, {unit}, namespace {self.namespace}, "
                f"description 0x{self.description:04x}")  # fmt: skip


class Declaration(GattValue, frozen=True, gc=False, tag="declaration"):
    """A service, include or characteristic declaration's value (Vol 3 Part G 3.1-3.3)."""

    kind: str  # "service" | "include" | "characteristic"
    uuid: str | None
    properties: int = 0
    value_handle: int | None = None
    start: int | None = None  # include: the included service's range
    end: int | None = None

    def text(self) -> str:
        name = uuid_name(self.uuid) if self.uuid else None
        what = f"{self.uuid}{f' ({name})' if name else ''}" if self.uuid else "UUID not given"
        if self.kind == "characteristic":
            props = ", ".join(property_names(self.properties)) or "no properties"
            return f"{what}, value 0x{self.value_handle or 0:04x}, {props}"
        if self.kind == "include":
            return f"include 0x{self.start or 0:04x}-0x{self.end or 0:04x} {what}"
        return what


class Raw(GattValue, frozen=True, gc=False, tag="raw"):
    """Bytes shown as hex with a label (Database Hash, System ID)."""

    label: str
    value: bytes

    def text(self) -> str:
        return f"{self.label} {self.value.hex()}"


# Characteristic Presentation Format formats (Assigned Numbers 2.4.1); units are UNITS
FORMATS = dict(enumerate(
    ("rfu", "boolean", "2bit", "nibble", "uint8", "uint12", "uint16", "uint24", "uint32",
     "uint48", "uint64", "uint128", "sint8", "sint12", "sint16", "sint24", "sint32", "sint48",
     "sint64", "sint128", "float32", "float64", "SFLOAT", "FLOAT", "duint16", "utf8s",
     "utf16s", "struct", "medfloat32")))  # fmt: skip
BODY_SENSOR_LOCATIONS = ("Other", "Chest", "Wrist", "Finger", "Hand", "Ear Lobe", "Foot")
HR_CONTROL_POINT = {0x01: "Reset Energy Expended"}


# -- decoders -------------------------------------------------------------------------------

Decoder = Callable[[bytes], GattValue | None]
_U16 = struct.Struct("<H")


def _utf8(value: bytes) -> GattValue:
    return Utf8(value.rstrip(b"\x00").decode("utf-8"))


def _u16(value: bytes) -> int:
    if len(value) != 2:
        raise ValueError("not two octets")
    return int(_U16.unpack(value)[0])


def _flags(names: tuple[str, ...], width: int = 1) -> Decoder:
    def decode(value: bytes) -> GattValue | None:
        if not value or (width == 2 and len(value) != 2):
            return None
        bits = int.from_bytes(value, "little")
        return Flags(bits, bit_names(bits, names))

    return decode


def _battery_level(value: bytes) -> GattValue | None:
    return Number(value[0], "%") if len(value) == 1 and value[0] <= 100 else None


def _appearance(value: bytes) -> GattValue:
    from attscope.dissector.decoding.ad_structures import appearance_name

    code = _u16(value)
    return Appearance(code, appearance_name(code))


def _heart_rate_measurement(value: bytes) -> GattValue | None:
    flags, pos = value[0], 1
    if flags & 0x01:
        bpm, pos = _U16.unpack_from(value, pos)[0], pos + 2
    else:
        bpm, pos = value[pos], pos + 1
    contact = bool(flags & 0x02) if flags & 0x04 else None
    energy = None
    if flags & 0x08:
        energy, pos = _U16.unpack_from(value, pos)[0], pos + 2
    rrs: tuple[int, ...] = ()
    if flags & 0x10:
        rest = value[pos:]
        if len(rest) % 2:
            return None
        rrs = struct.unpack(f"<{len(rest) // 2}H", rest)
    elif pos != len(value):
        return None
    return HeartRateMeasurement(bpm, contact, energy, rrs)


def _pnp_id(value: bytes) -> GattValue | None:
    if len(value) != 7:
        return None
    return PnpId(*struct.unpack("<BHHH", value))


def _ppcp(value: bytes) -> GattValue | None:
    return ConnectionParameters(*struct.unpack("<HHHH", value)) if len(value) == 8 else None


def _service_changed(value: bytes) -> GattValue | None:
    return HandleRange(*struct.unpack("<HH", value)) if len(value) == 4 else None


def _presentation_format(value: bytes) -> GattValue | None:
    if len(value) != 7:
        return None
    return PresentationFormat(*struct.unpack("<BbHBH", value))


def _temperature(value: bytes) -> GattValue:  # GSS 3.218: sint16, 0.01 degree Celsius
    (raw,) = struct.unpack("<h", value)
    return Number(round(raw * 0.01, 2), "°C")


def _tx_power(value: bytes) -> GattValue | None:  # GSS 3.258: sint8 dBm
    return Number(struct.unpack("<b", value)[0], "dBm") if len(value) == 1 else None


def _enum(table: tuple[str, ...] | dict[int, str]) -> Decoder:
    def decode(value: bytes) -> GattValue | None:
        if len(value) != 1:
            return None
        code = value[0]
        meaning = table.get(code) if isinstance(table, dict) else (
            table[code] if code < len(table) else None)  # fmt: skip
        return Enumerated(code, meaning)

    return decode


def _service_declaration(value: bytes) -> GattValue | None:
    return Declaration("service", _uuid(value)) if len(value) in (2, 16) else None


def _include(value: bytes) -> GattValue | None:
    if len(value) not in (4, 6):
        return None
    start, end = struct.unpack_from("<HH", value)
    uuid = _uuid(value[4:]) if len(value) == 6 else None
    return Declaration("include", uuid, start=start, end=end)


def _characteristic_declaration(value: bytes) -> GattValue | None:
    if len(value) not in (5, 19):
        return None
    properties, value_handle = struct.unpack_from("<BH", value)
    return Declaration("characteristic", _uuid(value[3:]), properties, value_handle)


def _uuid(raw: bytes) -> str:
    from attscope.dissector.decoding.pdu import uuid_text

    return normalize_uuid(uuid_text(raw))


def _system_id(value: bytes) -> GattValue | None:  # GSS 3.215: 40-bit id, 24-bit OUI
    return Raw("manufacturer id/OUI", value) if len(value) == 8 else None


def _database_hash(value: bytes) -> GattValue | None:  # Vol 3 Part G 7.3
    return Raw("hash", value) if len(value) == 16 else None


DECODERS: dict[str, Decoder] = {
    "2800": _service_declaration,
    "2801": _service_declaration,
    "2802": _include,
    "2803": _characteristic_declaration,
    "2900": _flags(EXTENDED_PROPERTY_BITS, 2),
    "2901": _utf8,
    "2902": _flags(CCCD_BITS, 2),
    "2903": _flags(SCCD_BITS, 2),
    "2904": _presentation_format,
    "2a00": _utf8,  # Device Name
    "2a01": _appearance,
    "2a04": _ppcp,
    "2a05": _service_changed,
    "2a07": _tx_power,
    "2a19": _battery_level,
    "2a23": _system_id,
    "2a24": _utf8,  # Model Number String
    "2a25": _utf8,  # Serial Number String
    "2a26": _utf8,  # Firmware Revision String
    "2a27": _utf8,  # Hardware Revision String
    "2a28": _utf8,  # Software Revision String
    "2a29": _utf8,  # Manufacturer Name String
    "2a37": _heart_rate_measurement,
    "2a38": _enum(BODY_SENSOR_LOCATIONS),
    "2a39": _enum(HR_CONTROL_POINT),
    "2a50": _pnp_id,
    "2a6e": _temperature,
    "2b29": _flags(CLIENT_FEATURE_BITS),
    "2b2a": _database_hash,
    "2b3a": _flags(SERVER_FEATURE_BITS),
}


def decode_value(uuid: str | None, value: bytes | None) -> GattValue | None:
    """The decoded value of an attribute of type `uuid`, or None (unknown type, or bytes
    that do not fit the type's layout). Never raises."""
    if uuid is None or value is None:
        return None
    decoder = DECODERS.get(uuid) or DECODERS.get(normalize_uuid(uuid))
    if decoder is None:
        return None
    try:
        return decoder(value)
    except _BAD_VALUE:
        return None


def decoded_text(uuid: str | None, value: bytes | None) -> str | None:
    """`decode_value(...).text()`, or None. Never raises."""
    found = decode_value(uuid, value)
    try:
        return None if found is None else found.text()
    except _BAD_VALUE:
        return None


_BAD_VALUE = (struct.error, ValueError, IndexError, OverflowError)  # UnicodeError is a ValueError
