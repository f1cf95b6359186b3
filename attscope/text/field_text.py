"""Fields of decoded records as a person reads them, for the packet detail: readable
labels instead of code names (`pb_flag` is "packet boundary flag", `AclHeader` is "ACL
header"), enumerations by name with their number (`IO capability: KeyboardDisplay (4)`),
and no field that holds nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from attscope.dissector.decoding import att_errors, att_pdus, hci_names, smp_pdus
from attscope.dissector.decoding.hci_acl import AclHeader

_ACRONYMS = {
    "acl", "att", "smp", "ll", "hci", "cid", "mtu", "sdu", "pdu", "mic", "crc", "rssi",
    "phy", "ltk", "irk", "csrk", "ediv", "uuid", "tk", "stk", "oob", "io", "aa", "ctr",
    "iv", "skd", "sc", "mitm", "ct2", "rfu", "lmp", "sn", "nesn", "md", "cte", "l2cap",
    "bd", "rx", "tx", "id", "le", "ok", "mps", "psm", "spsm",
}  # fmt: skip
_LABELS = {
    "pb_flag": "packet boundary flag",
    "bc_flag": "broadcast flag",
    "cid": "channel (CID)",
    "max_encryption_key_size": "maximum key size",
    "auth_req": "authentication requirements",
}
# ACL packet boundary flag (Vol 4 Part E 5.4.2)
PB_FLAGS = {
    0b00: "first non-flushable",
    0b01: "continuing fragment",
    0b10: "first flushable",
    0b11: "complete (automatically flushable)",
}


def field_label(name: str) -> str:
    """'pb_flag' -> 'packet boundary flag', 'io_capability' -> 'IO capability'."""
    known = _LABELS.get(name)
    if known is not None:
        return known
    words = name.split("_")
    return " ".join(w.upper() if w in _ACRONYMS else w for w in words)


def type_label(name: str) -> str:
    """A record's class name in words: 'AclHeader' -> 'ACL header'."""
    words = re.findall(r"L2cap|[A-Z][a-z0-9]*|[a-z0-9]+", name)
    out = []
    for i, word in enumerate(words):
        low = word.lower()
        if low in _ACRONYMS:
            out.append(low.upper())
        else:
            out.append(word if i == 0 else low)
    return " ".join(out) or name


def _named(table: dict[int, str], value: int) -> str:
    name = table.get(value)
    return f"{name} ({value})" if name is not None else f"{value} (0x{value:02x}, no name)"


def _smp_reason(record: Any, value: int) -> str:
    return _named(smp_pdus.PAIRING_FAILED_REASONS, value)


# field name -> how to name its value, per the kind of record it is in
_SMP: dict[str, Callable[[Any, int], str]] = {
    "io_capability": lambda r, v: _named(smp_pdus.IO_CAPABILITIES, v),
    "oob_data_flag": lambda r, v: _named(smp_pdus.OOB_DATA_FLAGS, v),
    "reason": _smp_reason,
    "notification_type": lambda r, v: _named(smp_pdus.KEYPRESS_NOTIFICATION_TYPES, v),
    "address_type": lambda r, v: _named(smp_pdus.IDENTITY_ADDRESS_TYPES, v),
}
_ATT: dict[str, Callable[[Any, int], str]] = {
    "request_opcode": lambda r, v: f"{att_pdus.opcode_title(v)} (0x{v:02x})",
    "error_code": lambda r, v: f"{att_errors.error_name(v)} (0x{v:02x})",
    "opcode": lambda r, v: f"{att_pdus.opcode_title(v)} (0x{v:02x})",
}
_HCI: dict[str, Callable[[Any, int], str]] = {
    "status": lambda r, v: f"{hci_names.error_name(v)} (0x{v:02x})",
    "reason": lambda r, v: f"{hci_names.error_name(v)} (0x{v:02x})",
    "pb_flag": lambda r, v: _named(PB_FLAGS, v),
    "opcode": lambda r, v: f"{hci_names.command_name(v)} (0x{v:04x})",
}
# connection timing in its units (Vol 4 Part E 7.7.65.1, Vol 6 Part B 2.3.3.1): the
# interval in 1.25 ms, the supervision timeout in 10 ms
_UNITS = {
    "interval": 1.25, "interval_min": 1.25, "interval_max": 1.25, "conn_interval": 1.25,
    "connection_interval": 1.25, "supervision_timeout": 10.0, "timeout": 10.0,
}  # fmt: skip


def _table_for(record: Any) -> dict[str, Callable[[Any, int], str]]:
    if isinstance(record, smp_pdus.SmpPdu):
        return _SMP
    if isinstance(record, att_pdus.AttPdu):
        return _ATT
    module = type(record).__module__
    if isinstance(record, AclHeader) or module.endswith(("hci_commands", "hci_events")):
        return _HCI
    return {}


def field_value(record: Any, name: str, value: Any) -> str | None:
    """The value of field `name` of `record` by name, when it is an enumeration this
    knows; None otherwise (the caller shows it plainly)."""
    if isinstance(value, bytes) and len(value) == 6 and ("address" in name or "rpa" in name):
        return hci_names.address_text(value)  # most significant octet first, as printed
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    unit = _UNITS.get(name)
    table = _table_for(record)
    if unit is not None and (table is _HCI or type(record).__module__.endswith("ll_control")):
        return f"{value} ({value * unit:g} ms)"
    namer = table.get(name)
    if namer is not None:
        return namer(record, value)
    if name.endswith("handle"):
        return f"0x{value:04x}"
    if name.endswith("address_type") and not isinstance(record, smp_pdus.SmpPdu):
        return _named(hci_names.ADDRESS_TYPES_EXT, value)
    if name.endswith("_phy"):
        return _named(hci_names.PHYS, value)
    if name == "role":
        return _named(hci_names.ROLES, value)
    return None
