"""Write frames as pcap, pcapng, btsnoop or PacketLogger, converting the link type where
that is possible."""

from __future__ import annotations

import os
from collections.abc import Iterable

from attscope.capture import linktypes as lt
from attscope.capture.btsnoop import write_btsnoop
from attscope.capture.frame import Frame
from attscope.capture.packetlogger import write_packetlogger
from attscope.capture.pcap import write_pcap
from attscope.capture.pcapng import write_pcapng

FORMATS = ("pcap", "pcapng", "btsnoop", "pklg")
# the format a file name asks for, by its extension (btsnoop_hci.log, Frontline's .cfa)
EXTENSIONS = {
    ".pcap": "pcap",
    ".pcapng": "pcapng",
    ".ntar": "pcapng",
    ".btsnoop": "btsnoop",
    ".log": "btsnoop",
    ".cfa": "btsnoop",
    ".pklg": "pklg",
}
# btsnoop datalinks have pcap link types carrying the same information
PCAP_EQUIVALENT = {
    lt.WTAP_ENCAP_BASE + 118: lt.BLUETOOTH_HCI_H4_WITH_PHDR,  # PacketLogger's HCI records
    lt.BTSNOOP_H1: lt.BLUETOOTH_HCI_H4_WITH_PHDR,
    lt.BTSNOOP_H4: lt.BLUETOOTH_HCI_H4_WITH_PHDR,
    lt.BTSNOOP_MONITOR: lt.BLUETOOTH_LINUX_MONITOR,
}
BTSNOOP_EQUIVALENT = {
    lt.WTAP_ENCAP_BASE + 118: lt.BTSNOOP_H4,
    lt.BLUETOOTH_HCI_H4: lt.BTSNOOP_H4,
    lt.BLUETOOTH_HCI_H4_WITH_PHDR: lt.BTSNOOP_H4,
    lt.BLUETOOTH_LINUX_MONITOR: lt.BTSNOOP_MONITOR,
}


def format_for_name(path: str | os.PathLike[str], default: str) -> str:
    """The format an output's extension names (EXTENSIONS), `default` for any other name."""
    return EXTENSIONS.get(os.path.splitext(path)[1].lower(), default)


def write_capture(
    path: str | os.PathLike[str], frames: Iterable[Frame], fmt: str, linktype: int
) -> int:
    """Write `frames` to `path` as `fmt` with `linktype`; returns the number written.

    btsnoop takes 1002 or 2001 (or the pcap HCI link types, mapped to them); pcap and pcapng
    take any link type attscope writes (1002/2001 are mapped to 201/254). Raises ValueError
    for a frame the link type cannot carry.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    with open(path, "wb") as f:
        if fmt == "btsnoop":
            return write_btsnoop(f, frames, BTSNOOP_EQUIVALENT.get(linktype, linktype))
        if fmt == "pklg":  # HCI records only, whatever the link type said
            return write_packetlogger(f, frames)
        linktype = PCAP_EQUIVALENT.get(linktype, linktype)
        if fmt == "pcap":
            return write_pcap(f, frames, linktype)
        return write_pcapng(f, frames, linktype)
