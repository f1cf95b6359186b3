"""Names of service, characteristic, descriptor and declaration UUIDs.

The Bluetooth SIG's assigned numbers come from `bluetooth_numbers`, then from
`assigned_uuids` (the SIG's own lists: newer assignments, and the 16-bit UUIDs it assigned
to member companies and standards bodies); a user's own names (a dict of UUID text to name,
which the CLI reads from a file) win over them. UUIDs are written
as `att_pdus` writes them: 16-bit ones as four hex digits ("2a37"), 128-bit ones in the
canonical 8-4-4-4-12 form. A 128-bit (or 32-bit) UUID on the Bluetooth Base UUID is the
16-bit UUID it stands for (Core 5.4 Vol 3 Part B 2.5.1), so it gets the same name.
"""

from __future__ import annotations

import uuid as uuidlib
from functools import lru_cache

from attscope.dissector.decoding.assigned_uuids import GATT_UUIDS, MEMBER_UUIDS

BASE_SUFFIX = "-0000-1000-8000-00805f9b34fb"  # Bluetooth Base UUID, after the first 32 bits

# GATT attribute types (Vol 3 Part G 3.1-3.3); bluetooth_numbers leaves them out
DECLARATIONS = {
    "2800": "Primary Service",
    "2801": "Secondary Service",
    "2802": "Include",
    "2803": "Characteristic",
}


@lru_cache(maxsize=4096)
def normalize_uuid(text: str) -> str:
    """A UUID as `att_pdus` writes it: "2a37" for anything on the Base UUID (also
    "0x2A37", "00002a37", the full 128-bit form), else the canonical 128-bit form.
    Text that is no UUID comes back lower-cased and stripped."""
    clean = text.strip().lower()
    clean = clean.removeprefix("0x").strip("{}")
    if len(clean) in (4, 8) and _is_hex(clean):
        value = int(clean, 16)
        return f"{value:04x}" if value <= 0xFFFF else clean
    try:
        full = str(uuidlib.UUID(clean))
    except ValueError:
        return clean
    if full.endswith(BASE_SUFFIX) and full.startswith("0000"):
        return full[4:8]
    return full


def _is_hex(text: str) -> bool:
    try:
        int(text, 16)
    except ValueError:
        return False
    return True


def normalize_names(custom: dict[str, str] | None) -> dict[str, str]:
    """A user's names keyed the way `uuid_name` looks them up."""
    return {normalize_uuid(k): v for k, v in (custom or {}).items()}


def uuid_name(uuid_text: str, custom: dict[str, str] | None = None) -> str | None:
    """The name of a UUID: the user's (`custom`), else the SIG's, else None."""
    if custom:
        found = custom.get(uuid_text) or custom.get(normalize_uuid(uuid_text))
        if found:
            return found
    return sig_name(uuid_text)


@lru_cache(maxsize=8192)
def sig_name(uuid_text: str) -> str | None:
    """The assigned-numbers name of a UUID (declarations, descriptors, characteristics,
    services, in that order), or None."""
    key = normalize_uuid(uuid_text)
    if key in DECLARATIONS:
        return DECLARATIONS[key]
    # bluetooth_numbers takes some 40 ms to import: only once a name is wanted
    from bluetooth_numbers import characteristic, descriptor, service

    lookup: int | uuidlib.UUID
    if len(key) == 4:
        lookup = int(key, 16)
    else:
        try:
            lookup = uuidlib.UUID(key)
        except ValueError:
            return None
    for table in (descriptor, characteristic, service):
        name = table.get(lookup)
        if name:
            return str(name)
    if isinstance(lookup, int):  # assigned after bluetooth-numbers' release, or to members
        return GATT_UUIDS.get(lookup) or MEMBER_UUIDS.get(lookup)
    return None
