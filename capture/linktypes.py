"""Link types attscope reads, with the names tcpdump's registry and btsnoop give them."""

from __future__ import annotations

from attscope.capture.frame import Encap

# pcap / pcapng LINKTYPE_* values
PPI = 192
BLUETOOTH_HCI_H4 = 187
BLUETOOTH_HCI_H4_WITH_PHDR = 201
BLUETOOTH_LE_LL = 251
BLUETOOTH_LINUX_MONITOR = 254
BLUETOOTH_LE_LL_WITH_PHDR = 256
NORDIC_BLE = 272
USER0 = 147  # Ubertooth's PPI files carry BLE LL here (Wireshark's user_dlts table)
USER10 = 157  # the legacy Adafruit nRF Sniffer writes nordic_ble records here

# btsnoop datalink values, kept as link types of their own (they do not collide)
BTSNOOP_H1 = 1001
BTSNOOP_H4 = 1002
BTSNOOP_MONITOR = 2001

# Formats read through tshark that have no pcap link type: Wireshark's WTAP_ENCAP value
# plus this offset, so they never collide with a real LINKTYPE_*.
WTAP_ENCAP_BASE = 100_000

NAMES: dict[int, str] = {
    PPI: "PPI",
    BLUETOOTH_HCI_H4: "BLUETOOTH_HCI_H4",
    BLUETOOTH_HCI_H4_WITH_PHDR: "BLUETOOTH_HCI_H4_WITH_PHDR",
    BLUETOOTH_LE_LL: "BLUETOOTH_LE_LL",
    BLUETOOTH_LINUX_MONITOR: "BLUETOOTH_LINUX_MONITOR",
    BLUETOOTH_LE_LL_WITH_PHDR: "BLUETOOTH_LE_LL_WITH_PHDR",
    NORDIC_BLE: "NORDIC_BLE",
    USER0: "USER0 (BLE LL)",
    USER10: "USER10 (legacy nRF Sniffer)",
    BTSNOOP_H1: "btsnoop HCI H1",
    BTSNOOP_H4: "btsnoop HCI UART (H4)",
    BTSNOOP_MONITOR: "btsnoop Linux monitor",
    WTAP_ENCAP_BASE + 118: "Apple PacketLogger",
    WTAP_ENCAP_BASE + 102: "HCI H1 (packet type in the file's record header)",
}

HCI_LINKTYPES = frozenset(
    {
        BLUETOOTH_HCI_H4,
        BLUETOOTH_HCI_H4_WITH_PHDR,
        BLUETOOTH_LINUX_MONITOR,
        BTSNOOP_H1,
        BTSNOOP_H4,
        BTSNOOP_MONITOR,
        WTAP_ENCAP_BASE + 118,
        WTAP_ENCAP_BASE + 102,
    }
)
LE_LL_LINKTYPES = frozenset({BLUETOOTH_LE_LL, BLUETOOTH_LE_LL_WITH_PHDR, NORDIC_BLE, USER0, USER10})


def name(linktype: int) -> str:
    """A readable name for a link type, e.g. `NORDIC_BLE` or `LINKTYPE 105`."""
    if linktype in NAMES:
        return NAMES[linktype]
    if linktype >= WTAP_ENCAP_BASE:
        return f"Wireshark encapsulation {linktype - WTAP_ENCAP_BASE}"
    return f"LINKTYPE {linktype}"


def encap_of(linktype: int) -> Encap:
    """What a frame's payload holds for records of this link type."""
    if linktype in HCI_LINKTYPES:
        return Encap.HCI
    if linktype in LE_LL_LINKTYPES:
        return Encap.LE_LL
    return Encap.OTHER
