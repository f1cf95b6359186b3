"""The keys a capture can be decrypted with: given by the user, or learnt from the capture
itself (a cracked pairing, a key distributed over SMP); and the pairing secrets that give
them (a legacy pairing's passkey or OOB key, an LE Secure Connections private key).

A key is kept as the user wrote it; sources disagree on byte order (the spec and most
tools write an LTK most significant octet first, HCI and some key stores carry it least
significant octet first), so `orders()` gives both, and the decryption reports the one
whose MIC verified.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from attscope.dissector.decoding.le_crypto import ah, public_x
from attscope.dissector.decoding.ll_adv import address_bytes, address_text

LTK_LENGTH = 16
MAX_RESOLVED = 65_536  # addresses whose resolution is remembered
MAX_LEARNT = 256  # keys learnt from one capture; past this a hostile one is not believed


class BadKey(ValueError):
    """A key the user wrote that cannot be a key; the message says why."""


class Ltk(msgspec.Struct, frozen=True, gc=False):
    """A long-term key (or a legacy pairing's STK, which the first encryption uses the
    same way). `value` as written; `address`: only for links with this device;
    `ediv`/`rand`: only for an LL_ENC_REQ that asks for them (legacy pairing keys).
    `source` says where it came from, for the report."""

    value: bytes
    source: str
    address: str | None = None
    ediv: int | None = None
    rand: bytes | None = None  # as on the air, 8 octets
    learnt: bool = False  # found in the capture: its byte order is the air's
    frame: int | None = None  # learnt: the frame that gave it

    def orders(self) -> list[tuple[bytes, str]]:
        """The key in air order (least significant octet first), for each reading of
        how it was written."""
        if self.learnt:
            return [(self.value, "as found")]
        return [(self.value[::-1], "as written"), (self.value, "byte-reversed")]

    def fits(self, ediv: int, rand: bytes, addresses: tuple[str | None, ...]) -> bool:
        """Whether this key may be the one an LL_ENC_REQ asks for on a link between
        these addresses."""
        if self.address is not None and self.address.upper() not in addresses:
            return False
        if self.ediv is not None and self.ediv != ediv:
            return False
        return self.rand is None or self.rand == rand


class Irk(msgspec.Struct, frozen=True, gc=False):
    """An identity resolving key (Vol 3 Part H 2.4.2.1): it resolves a device's
    resolvable private addresses to the device (`identity`, its identity address, when
    known). `value` as written, like an LTK's."""

    value: bytes
    source: str
    identity: str | None = None
    learnt: bool = False
    frame: int | None = None

    def orders(self) -> list[bytes]:
        """The key in air order, for each reading of how it was written."""
        return [self.value] if self.learnt else [self.value[::-1], self.value]


class PairingSecret(msgspec.Struct, frozen=True, gc=False):
    """What a pairing's key is derived from, given by the user: a legacy pairing's
    passkey (`kind` "passkey", the number) or OOB key ("oob", the 128-bit TK as written),
    or an LE Secure Connections private key ("private key", the P-256 scalar)."""

    kind: str
    value: int
    source: str
    address: str | None = None

    def fits(self, addresses: tuple[str | None, ...]) -> bool:
        return self.address is None or self.address.upper() in addresses


PASSKEY, OOB_KEY, PRIVATE_KEY = "passkey", "oob", "private key"


class Keys:
    """Every key known so far, in the order they became known."""

    def __init__(
        self,
        ltks: list[Ltk] | None = None,
        irks: list[Irk] | None = None,
        secrets: list[PairingSecret] | None = None,
    ) -> None:
        self.ltks: list[Ltk] = list(ltks or [])
        self.irks: list[Irk] = list(irks or [])
        self.secrets: list[PairingSecret] = list(secrets or [])
        self._resolved: dict[str, str | None] = {}  # address -> identity, as found

    def secrets_for(self, kind: str, addresses: tuple[str | None, ...]) -> list[PairingSecret]:
        """The pairing secrets of one kind that may be a link's."""
        return [s for s in self.secrets if s.kind == kind and s.fits(addresses)]

    def add_irk(self, irk: Irk) -> None:
        """An IRK learnt from the capture (bounded like the LTKs)."""
        if irk in self.irks or sum(k.learnt for k in self.irks) >= MAX_LEARNT:
            return
        self.irks.append(irk)
        self._resolved.clear()  # addresses not resolved before may be now

    def resolve(self, address: str) -> str | None:
        """What a resolvable private address resolves to with a known IRK: the identity
        address, or "IRK <hex>" when the key's device has not said its identity; None
        for any other address (2.2.2: the two most significant bits are 01)."""
        if not self.irks:
            return None
        found = self._resolved.get(address, "")
        if found != "":
            return found
        found = None
        try:
            raw = address_bytes(address)  # as on the air
        except ValueError:  # no device address: nothing to resolve
            raw = b""
        if raw and raw[5] >> 6 == 0b01:
            for irk in self.irks:
                if any(ah(value, raw[3:]) == raw[:3] for value in irk.orders()):
                    found = irk.identity or f"IRK {irk.value.hex()}"
                    break
        if len(self._resolved) < MAX_RESOLVED:
            self._resolved[address] = found
        return found

    def add(self, key: Ltk) -> None:
        """A key learnt from the capture (bounded: each encryption start tries them all)."""
        if key in self.ltks or sum(k.learnt for k in self.ltks) >= MAX_LEARNT:
            return
        self.ltks.append(key)

    def for_link(self, ediv: int, rand: bytes, addresses: tuple[str | None, ...]) -> list[Ltk]:
        """The keys an LL_ENC_REQ with this EDIV and Rand may use, most likely first: those
        tied to the link's addresses or to this EDIV/Rand before the rest."""
        fitting = [k for k in self.ltks if k.fits(ediv, rand, addresses)]
        return sorted(fitting, key=lambda k: (k.address is None, k.ediv is None))


def parse_hex_key(text: str, length: int = LTK_LENGTH) -> bytes:
    """A key written in hex (spaces, colons and a 0x prefix allowed)."""
    cleaned = text.strip().lower().removeprefix("0x").replace(":", "").replace(" ", "")
    try:
        value = bytes.fromhex(cleaned)
    except ValueError:
        raise BadKey(f"{text!r} is not hex") from None
    if len(value) != length:
        raise BadKey(f"{text!r} is {len(value)} bytes, a key is {length}")
    return value


def parse_ltk(text: str, source: str = "--ltk") -> Ltk:
    """`HEX[@ADDR]`, or `HEX,EDIV,RAND[@ADDR]` for a legacy pairing's key (EDIV a number,
    RAND 16 hex digits most significant first, as tools print them)."""
    spec, _, address = text.partition("@")
    parts = spec.split(",")
    value = parse_hex_key(parts[0])
    ediv = rand = None
    if len(parts) == 3:
        try:
            ediv = int(parts[1], 0)
        except ValueError:
            raise BadKey(f"EDIV {parts[1]!r} is not a number") from None
        rand = parse_hex_key(parts[2], 8)[::-1]
    elif len(parts) != 1:
        raise BadKey(f"{text!r}: write HEX, or HEX,EDIV,RAND for a legacy key")
    return Ltk(value, source, address.upper() or None, ediv, rand)


def parse_irk(text: str, source: str = "--irk") -> Irk:
    """`HEX[@IDENTITY]`: an IRK, and the identity address of the device it belongs to."""
    spec, _, identity = text.partition("@")
    return Irk(parse_hex_key(spec), source, identity.upper() or None)


def parse_passkey(text: str, source: str = "--passkey") -> PairingSecret:
    """`N[@ADDR]`: a legacy Passkey Entry pairing's six-digit passkey."""
    spec, _, address = text.partition("@")
    if not spec.strip().isdigit() or int(spec) > 999_999:
        raise BadKey(f"{spec!r} is not a passkey (0 to 999999)")
    return PairingSecret(PASSKEY, int(spec), source, address.upper() or None)


def parse_oob(text: str, source: str = "--oob") -> PairingSecret:
    """`HEX[@ADDR]`: a legacy OOB pairing's 128-bit key, as written (both byte orders
    are tried)."""
    spec, _, address = text.partition("@")
    value = int.from_bytes(parse_hex_key(spec), "big")
    return PairingSecret(OOB_KEY, value, source, address.upper() or None)


def parse_private_key(text: str, source: str = "--sc-private-key") -> PairingSecret:
    """`HEX[@ADDR]`: one side's LE Secure Connections P-256 private key, 64 hex digits
    most significant first (as key tools print a scalar)."""
    spec, _, address = text.partition("@")
    value = int.from_bytes(parse_hex_key(spec, 32), "big")
    try:
        public_x(value)
    except ValueError:
        raise BadKey(f"{spec!r} is not a P-256 private key (0 < key < the curve order)") from None
    return PairingSecret(PRIVATE_KEY, value, source, address.upper() or None)


Key = Ltk | Irk | PairingSecret


# -- key stores ------------------------------------------------------------------------
# Pure parsers of what a key file holds; reading the file is the caller's.


_KEY_FILE_WORDS: dict[str, Callable[[str, str], Key]] = {
    "ltk": parse_ltk,
    "irk": parse_irk,
    "passkey": parse_passkey,
    "oob": parse_oob,
    "sc-private-key": parse_private_key,
}


def parse_key_file(text: str, source: str) -> list[Key]:
    """attscope's key file: one key per line, a word then the option's syntax:
    `ltk HEX[,EDIV,RAND][@ADDR]`, `irk HEX[@IDENTITY]`, `passkey N[@ADDR]`,
    `oob HEX[@ADDR]` or `sc-private-key HEX[@ADDR]`; blank lines and `#` comments are
    skipped."""
    keys: list[Key] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        kind, _, value = line.partition(" ")
        parse = _KEY_FILE_WORDS.get(kind.lower())
        if parse is None or not value.strip():
            words = ", ".join(_KEY_FILE_WORDS)
            raise BadKey(f"line {number}: expected one of {words} then a key, not {raw!r}")
        try:
            keys.append(parse(value.strip(), f"{source} line {number}"))
        except BadKey as exc:
            raise BadKey(f"line {number}: {exc}") from None
    return keys


def parse_bt_config(text: str, source: str) -> list[Key]:
    """Android's bt_config.conf: a `[AA:BB:CC:DD:EE:FF]` section per bonded device whose
    LE_KEY_PENC (the peer's key) and LE_KEY_LENC (the local one) hold the LTK, Rand and
    EDIV as stored in memory (LTK and Rand least significant octet first, EDIV little
    endian), then the security level and key size; LE_KEY_PID holds the peer's IRK, its
    identity address type and address (least significant octet first)."""
    keys: list[Key] = []
    address = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            address = line[1:-1].upper()
            continue
        name, _, value = line.partition("=")
        if name.strip() not in ("LE_KEY_PENC", "LE_KEY_LENC", "LE_KEY_PID") or address is None:
            continue
        try:
            data = bytes.fromhex(value.strip())
        except ValueError:
            raise BadKey(f"{address} {name.strip()}: not hex") from None
        if name.strip() == "LE_KEY_PID":
            if len(data) < 23:
                raise BadKey(f"{address} LE_KEY_PID: {len(data)} bytes, an identity is 23")
            identity = address_text(data[17:23])
            where = f"{source} LE_KEY_PID of {address}"
            keys.append(Irk(data[:16], where, identity, learnt=True))
            continue
        if len(data) < 26:
            raise BadKey(f"{address} {name.strip()}: {len(data)} bytes, an LE key is 28")
        ediv = int.from_bytes(data[24:26], "little")
        where = f"{source} {name.strip()} of {address}"
        keys.append(Ltk(data[:16], where, address, ediv, data[16:24], learnt=True))
    return keys


def parse_bluez_info(text: str, source: str, address: str | None) -> list[Key]:
    """A BlueZ `/var/lib/bluetooth/ADAPTER/DEVICE/info`: its [LongTermKey] and
    [PeripheralLongTermKey] (formerly [SlaveLongTermKey]) sections hold Key (hex), EDiv
    and Rand (decimal), its [IdentityResolvingKey] the device's IRK. `address` is the
    device's (its identity address), from the file's folder name."""
    keys: list[Key] = []
    section = ""
    fields: dict[str, dict[str, str]] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        name, sep, value = line.partition("=")
        if sep:
            fields.setdefault(section, {})[name.strip()] = value.strip()
    for section in ("LongTermKey", "PeripheralLongTermKey", "SlaveLongTermKey"):
        entry = fields.get(section)
        if not entry or "Key" not in entry:
            continue
        try:
            key = parse_hex_key(entry["Key"])
            ediv = int(entry.get("EDiv", "0"))
            rand = int(entry.get("Rand", "0")).to_bytes(8, "little")
        except (ValueError, OverflowError) as exc:
            raise BadKey(f"[{section}]: {exc}") from None
        keys.append(Ltk(key, f"{source} [{section}]", address, ediv, rand))
    entry = fields.get("IdentityResolvingKey")
    if entry and "Key" in entry:
        keys.append(Irk(parse_hex_key(entry["Key"]), f"{source} [IdentityResolvingKey]", address))
    return keys
