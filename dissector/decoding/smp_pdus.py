"""SMP PDUs: every command of Core 5.4 Vol 3 Part H 3.5 (pairing) and 3.6 (key
distribution), one class each.

`decode_smp(data)` looks the code byte up in `SMP_PDUS`; it never raises: bytes that do not
form the command become a `Malformed` record (layer "smp") and an unregistered code an
`SmpUnknown` record. `to_bytes()` gives the bytes back exactly. Keys, random numbers and
addresses are kept in wire order (little-endian), as btmon and Wireshark show them.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from enum import IntEnum
from typing import Annotated, ClassVar, Self, TypeVar

import msgspec

from attscope.dissector.decoding.pdu import (
    U8,
    U16,
    Fixed,
    InvalidPdu,
    Pdu,
    Registry,
    TruncatedPdu,
)


class SmpCode(IntEnum):
    """SMP command codes (3.3, Table 3.3)."""

    PAIRING_REQUEST = 0x01
    PAIRING_RESPONSE = 0x02
    PAIRING_CONFIRM = 0x03
    PAIRING_RANDOM = 0x04
    PAIRING_FAILED = 0x05
    ENCRYPTION_INFORMATION = 0x06
    CENTRAL_IDENTIFICATION = 0x07
    IDENTITY_INFORMATION = 0x08
    IDENTITY_ADDRESS_INFORMATION = 0x09
    SIGNING_INFORMATION = 0x0A
    SECURITY_REQUEST = 0x0B
    PAIRING_PUBLIC_KEY = 0x0C
    PAIRING_DHKEY_CHECK = 0x0D
    PAIRING_KEYPRESS_NOTIFICATION = 0x0E


TITLES: dict[int, str] = {
    0x01: "Pairing Request",
    0x02: "Pairing Response",
    0x03: "Pairing Confirm",
    0x04: "Pairing Random",
    0x05: "Pairing Failed",
    0x06: "Encryption Information",
    0x07: "Central Identification",
    0x08: "Identity Information",
    0x09: "Identity Address Information",
    0x0A: "Signing Information",
    0x0B: "Security Request",
    0x0C: "Pairing Public Key",
    0x0D: "Pairing DHKey Check",
    0x0E: "Pairing Keypress Notification",
}

IO_CAPABILITIES = {  # 3.5.1, Table 3.4
    0x00: "DisplayOnly",
    0x01: "DisplayYesNo",
    0x02: "KeyboardOnly",
    0x03: "NoInputNoOutput",
    0x04: "KeyboardDisplay",
}
OOB_DATA_FLAGS = {  # 3.5.1, Table 3.5
    0x00: "OOB data not present",
    0x01: "OOB data from remote device present",
}
PAIRING_FAILED_REASONS = {  # 3.5.5, Table 3.7
    0x01: "Passkey Entry Failed",
    0x02: "OOB Not Available",
    0x03: "Authentication Requirements",
    0x04: "Confirm Value Failed",
    0x05: "Pairing Not Supported",
    0x06: "Encryption Key Size",
    0x07: "Command Not Supported",
    0x08: "Unspecified Reason",
    0x09: "Repeated Attempts",
    0x0A: "Invalid Parameters",
    0x0B: "DHKey Check Failed",
    0x0C: "Numeric Comparison Failed",
    0x0D: "BR/EDR Pairing In Progress",
    0x0E: "Cross-transport Key Derivation/Generation Not Allowed",
    0x0F: "Key Rejected",
    0x10: "Busy",
}
KEYPRESS_NOTIFICATION_TYPES = {  # 3.5.8, Table 3.8
    0x00: "Passkey Entry Started",
    0x01: "Passkey Digit Entered",
    0x02: "Passkey Digit Erased",
    0x03: "Passkey Cleared",
    0x04: "Passkey Entry Completed",
}
IDENTITY_ADDRESS_TYPES = {0x00: "public", 0x01: "static random"}  # 3.6.5


def _named(table: dict[int, str], value: int) -> str:
    return f"{table.get(value, 'Reserved')} (0x{value:02x})"


def code_name(code: int) -> str:
    """ "SMP_PAIRING_REQUEST"; "SMP_0x1F" for an unknown code."""
    try:
        return "SMP_" + SmpCode(code).name
    except ValueError:
        return f"SMP_0x{code:02X}"


def code_title(code: int) -> str:
    return TITLES.get(code) or f"Unknown (0x{code:02x})"


# -- flag fields -------------------------------------------------------------------------


class AuthReq(msgspec.Struct, frozen=True, gc=False):
    """The AuthReq octet (3.5.1, Figure 3.3), every bit accounted for so it round-trips:
    bonding flags (bits 0-1: 0b00 no bonding, 0b01 bonding), MITM, SC, Keypress, CT2 and
    the two reserved bits 6-7 (`rfu`)."""

    bonding_flags: int
    mitm: bool
    sc: bool
    keypress: bool
    ct2: bool
    rfu: int = 0

    @classmethod
    def from_byte(cls, value: int) -> AuthReq:
        return _AUTH_REQ[value]

    @property
    def value(self) -> int:
        """The octet on the wire."""
        return (
            self.bonding_flags
            | self.mitm << 2
            | self.sc << 3
            | self.keypress << 4
            | self.ct2 << 5
            | self.rfu << 6
        )

    @property
    def bonding(self) -> bool:
        return self.bonding_flags == 0b01

    def describe(self) -> str:
        bits = (
            ("MITM", self.mitm),
            ("SC", self.sc),
            ("Keypress", self.keypress),
            ("CT2", self.ct2),
        )
        flags = [{0: "No Bonding", 1: "Bonding"}.get(self.bonding_flags, "Reserved Bonding")]
        flags += [name for name, on in bits if on]
        if self.rfu:
            flags.append(f"RFU {self.rfu:#x}")
        return f"0x{self.value:02x} ({', '.join(flags)})"


class KeyDistribution(msgspec.Struct, frozen=True, gc=False):
    """An Initiator or Responder Key Distribution octet (3.6.1, Figure 3.11): EncKey, IdKey,
    SignKey, LinkKey, and the reserved bits 4-7 (`rfu`)."""

    enc_key: bool
    id_key: bool
    sign_key: bool
    link_key: bool
    rfu: int = 0

    @classmethod
    def from_byte(cls, value: int) -> KeyDistribution:
        return _KEY_DIST[value]

    @property
    def value(self) -> int:
        return (
            self.enc_key
            | self.id_key << 1
            | self.sign_key << 2
            | self.link_key << 3
            | self.rfu << 4
        )

    def describe(self) -> str:
        keys = [
            n
            for n, on in (
                ("EncKey", self.enc_key),
                ("IdKey", self.id_key),
                ("SignKey", self.sign_key),
                ("LinkKey", self.link_key),
            )
            if on
        ]
        if self.rfu:
            keys.append(f"RFU {self.rfu:#x}")
        return f"0x{self.value:02x} ({', '.join(keys) or 'none'})"


_AUTH_REQ = tuple(
    AuthReq(b & 3, bool(b & 4), bool(b & 8), bool(b & 16), bool(b & 32), b >> 6) for b in range(256)
)
_KEY_DIST = tuple(
    KeyDistribution(bool(b & 1), bool(b & 2), bool(b & 4), bool(b & 8), b >> 4) for b in range(256)
)


# -- records -----------------------------------------------------------------------------


class SmpPdu(Pdu, frozen=True):
    """Base of every SMP command record (3.3). The class knows its code."""

    code: ClassVar[int]
    name: ClassVar[str]  # "SMP_PAIRING_REQUEST"
    title: ClassVar[str]  # "Pairing Request"

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        """The command from its bytes, code first; raises InvalidPdu (see `decode_smp`)."""
        if not data or data[0] != cls.code:
            raise InvalidPdu(f"{cls.name} starts with code 0x{cls.code:02x}")
        return cls.decode_body(data[1:])

    def to_bytes(self) -> bytes:
        return bytes((self.code,)) + self.encode_body()

    def summary(self) -> str:
        return self.title


SMP: Registry[SmpPdu] = Registry(
    "smp",
    code_attr="code",
    unknown=lambda code, params: SmpUnknown(code, params),
    empty="empty SMP command",
)
SMP_PDUS = SMP.classes  # code -> class
SmpPduT = TypeVar("SmpPduT", bound=SmpPdu)


def _titled(cls: type[SmpPdu]) -> None:
    cls.name = code_name(cls.CODE)
    cls.title = code_title(cls.CODE)


def smp_pdu(code: int) -> Callable[[type[SmpPduT]], type[SmpPduT]]:
    """Register a command class for `code` (see `pdu.Registry`)."""
    return SMP.register(code, setup=_titled)


class SmpUnknown(SmpPdu, frozen=True, tag="smp_unknown"):
    """A command with a code no class is registered for (a device answers it with Pairing
    Failed, Command Not Supported: 3.3)."""

    code: int  # type: ignore[misc]  # an instance field here, a class constant elsewhere
    params: bytes

    @property
    def name(self) -> str:  # type: ignore[override]  # a property here, a class constant elsewhere
        return code_name(self.code)

    @property
    def title(self) -> str:  # type: ignore[override]  # a property here, a class constant elsewhere
        return code_title(self.code)

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        if not data:
            raise TruncatedPdu("an SMP command has at least a code")
        return cls(data[0], data[1:])

    def encode_body(self) -> bytes:
        return self.params

    def summary(self) -> str:
        text = f"Unknown SMP command 0x{self.code:02x}"
        return f"{text} params {self.params.hex(' ')}" if self.params else text


# -- 3.5 pairing methods -----------------------------------------------------------------

_FEATURES = struct.Struct("<6B")


class _PairingFeatures(SmpPdu, frozen=True):
    """The six octets of Pairing Request and Pairing Response (3.5.1, 3.5.2)."""

    io_capability: int
    oob_data_flag: int
    auth_req: AuthReq
    max_encryption_key_size: int
    initiator_key_distribution: KeyDistribution
    responder_key_distribution: KeyDistribution

    @classmethod
    def decode_body(cls, body: bytes) -> Self:
        if len(body) != 6:
            raise (TruncatedPdu if len(body) < 6 else InvalidPdu)(
                f"{cls.title} has 6 parameter bytes, not {len(body)}"
            )
        io, oob, auth, size, init, resp = _FEATURES.unpack(body)
        return cls(io, oob, _AUTH_REQ[auth], size, _KEY_DIST[init], _KEY_DIST[resp])

    def encode_body(self) -> bytes:
        return _FEATURES.pack(
            self.io_capability,
            self.oob_data_flag,
            self.auth_req.value,
            self.max_encryption_key_size,
            self.initiator_key_distribution.value,
            self.responder_key_distribution.value,
        )

    @property
    def io_capability_name(self) -> str:
        return IO_CAPABILITIES.get(self.io_capability, "Reserved")

    def summary(self) -> str:
        oob = {0: "absent", 1: "present"}.get(self.oob_data_flag)
        return (
            f"{self.title} IO {_named(IO_CAPABILITIES, self.io_capability)},"
            f" OOB {oob or f'reserved (0x{self.oob_data_flag:02x})'},"
            f" AuthReq {self.auth_req.describe()}, max key size {self.max_encryption_key_size},"
            f" initiator keys {self.initiator_key_distribution.describe()},"
            f" responder keys {self.responder_key_distribution.describe()}"
        )


@smp_pdu(0x01)
class PairingRequest(_PairingFeatures, frozen=True, tag="smp_pairing_request"):
    """Pairing Request (3.5.1): the initiator's IO capability, OOB flag, authentication
    requirements, maximum key size and the keys each side is asked to distribute."""


@smp_pdu(0x02)
class PairingResponse(_PairingFeatures, frozen=True, tag="smp_pairing_response"):
    """Pairing Response (3.5.2): the responder's features, same layout as the request."""


@smp_pdu(0x03)
class PairingConfirm(SmpPdu, frozen=True, tag="smp_pairing_confirm"):
    """Pairing Confirm (3.5.3): Mconfirm or Sconfirm."""

    confirm_value: Annotated[bytes, Fixed(16)]

    def summary(self) -> str:
        return f"Pairing Confirm {self.confirm_value.hex()}"


@smp_pdu(0x04)
class PairingRandom(SmpPdu, frozen=True, tag="smp_pairing_random"):
    """Pairing Random (3.5.4): Mrand or Srand (LE legacy), Na or Nb (Secure Connections)."""

    random_value: Annotated[bytes, Fixed(16)]

    def summary(self) -> str:
        return f"Pairing Random {self.random_value.hex()}"


@smp_pdu(0x05)
class PairingFailed(SmpPdu, frozen=True, tag="smp_pairing_failed"):
    """Pairing Failed (3.5.5): the reason, an open value."""

    reason: Annotated[int, U8]

    @property
    def reason_name(self) -> str:
        return PAIRING_FAILED_REASONS.get(self.reason, "Reserved")

    def summary(self) -> str:
        return f"Pairing Failed: {_named(PAIRING_FAILED_REASONS, self.reason)}"


@smp_pdu(0x0C)
class PairingPublicKey(SmpPdu, frozen=True, tag="smp_pairing_public_key"):
    """Pairing Public Key (3.5.6): the P-256 public key, X and Y 32 octets each."""

    x: Annotated[bytes, Fixed(32)]
    y: Annotated[bytes, Fixed(32)]

    def summary(self) -> str:
        return f"Pairing Public Key X {self.x.hex()[:16]}... Y {self.y.hex()[:16]}..."


@smp_pdu(0x0D)
class PairingDhkeyCheck(SmpPdu, frozen=True, tag="smp_pairing_dhkey_check"):
    """Pairing DHKey Check (3.5.7): Ea or Eb."""

    dhkey_check: Annotated[bytes, Fixed(16)]

    def summary(self) -> str:
        return f"Pairing DHKey Check {self.dhkey_check.hex()}"


@smp_pdu(0x0E)
class PairingKeypressNotification(SmpPdu, frozen=True, tag="smp_pairing_keypress_notification"):
    """Pairing Keypress Notification (3.5.8)."""

    notification_type: Annotated[int, U8]

    @property
    def notification_type_name(self) -> str:
        return KEYPRESS_NOTIFICATION_TYPES.get(self.notification_type, "Reserved")

    def summary(self) -> str:
        kind = _named(KEYPRESS_NOTIFICATION_TYPES, self.notification_type)
        return f"Pairing Keypress Notification: {kind}"


# -- 3.6 key distribution ------------------------------------------------------------------


@smp_pdu(0x06)
class EncryptionInformation(SmpPdu, frozen=True, tag="smp_encryption_information"):
    """Encryption Information (3.6.2): the LTK."""

    ltk: Annotated[bytes, Fixed(16)]

    def summary(self) -> str:
        return f"Encryption Information LTK {self.ltk.hex()}"


@smp_pdu(0x07)
class CentralIdentification(SmpPdu, frozen=True, tag="smp_central_identification"):
    """Central Identification (3.6.3; "Master Identification" before Core 5.3): EDIV and
    Rand, which identify the LTK distributed with it."""

    ediv: Annotated[int, U16]
    rand: Annotated[bytes, Fixed(8)]

    def summary(self) -> str:
        return f"Central Identification EDIV 0x{self.ediv:04x} Rand {self.rand.hex()}"


@smp_pdu(0x08)
class IdentityInformation(SmpPdu, frozen=True, tag="smp_identity_information"):
    """Identity Information (3.6.4): the IRK."""

    irk: Annotated[bytes, Fixed(16)]

    def summary(self) -> str:
        return f"Identity Information IRK {self.irk.hex()}"


@smp_pdu(0x09)
class IdentityAddressInformation(SmpPdu, frozen=True, tag="smp_identity_address_information"):
    """Identity Address Information (3.6.5): public (0x00) or static random (0x01)
    identity address, BD_ADDR little-endian as on the wire."""

    addr_type: Annotated[int, U8]
    bd_addr: Annotated[bytes, Fixed(6)]

    @property
    def address(self) -> str:
        """The address as usually written, "AA:BB:CC:DD:EE:FF"."""
        return ":".join(f"{b:02X}" for b in reversed(self.bd_addr))

    def summary(self) -> str:
        kind = IDENTITY_ADDRESS_TYPES.get(self.addr_type, f"reserved type 0x{self.addr_type:02x}")
        return f"Identity Address Information {kind} {self.address}"


@smp_pdu(0x0A)
class SigningInformation(SmpPdu, frozen=True, tag="smp_signing_information"):
    """Signing Information (3.6.6): the CSRK."""

    csrk: Annotated[bytes, Fixed(16)]

    def summary(self) -> str:
        return f"Signing Information CSRK {self.csrk.hex()}"


@smp_pdu(0x0B)
class SecurityRequest(SmpPdu, frozen=True, tag="smp_security_request"):
    """Security Request (3.6.7): the peripheral asks the central to pair or encrypt."""

    auth_req: AuthReq

    @classmethod
    def decode_body(cls, body: bytes) -> Self:
        if len(body) != 1:
            raise (TruncatedPdu if not body else InvalidPdu)(
                f"Security Request has 1 parameter byte, not {len(body)}"
            )
        return cls(_AUTH_REQ[body[0]])

    def encode_body(self) -> bytes:
        return bytes((self.auth_req.value,))

    def summary(self) -> str:
        return f"Security Request AuthReq {self.auth_req.describe()}"


# -- decoding ------------------------------------------------------------------------------


decode_smp = SMP.decode  # the layer boundary: the SMP command in an L2CAP PDU; never raises
