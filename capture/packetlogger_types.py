"""Apple PacketLogger's record types (capture.packetlogger reads and writes the files),
apart from the reader so that the decoder can name notes without reaching file I/O."""

from __future__ import annotations

from attscope.capture import linktypes as lt
from attscope.capture.frame import Direction, HciType
from attscope.capture.hci_records import C2H, H2C

LINKTYPE = lt.WTAP_ENCAP_BASE + 118  # Wireshark's encapsulation for these records
HCI_TYPES: dict[int, tuple[int, Direction]] = {
    0x00: (HciType.COMMAND, H2C),
    0x01: (HciType.EVENT, C2H),
    0x02: (HciType.ACL, H2C),
    0x03: (HciType.ACL, C2H),
    0x08: (HciType.SCO, H2C),
    0x09: (HciType.SCO, C2H),
}
NOTE_TYPES = {
    0x0A: "LMP sent",
    0x0B: "LMP received",
    0xF7: "syslog",
    0xF8: "kernel",
    0xF9: "kernel debug",
    0xFA: "error",
    0xFB: "power",
    0xFC: "note",
    0xFD: "config",
    0xFE: "new controller",
}
LMP_TYPES = frozenset({0x0A, 0x0B})  # binary: shown in hex
RECORD_TYPES = frozenset(HCI_TYPES) | frozenset(NOTE_TYPES)
