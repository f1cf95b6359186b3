"""Link type -> record decoder and encoder: the one table file readers and writers share."""

from __future__ import annotations

from collections.abc import Callable

from attscope.capture import hci_records, le_records
from attscope.capture import linktypes as lt
from attscope.capture.frame import Direction, Encap, Frame
from attscope.capture.hci_records import RecordDecoder

DECODERS: dict[int, RecordDecoder] = {**hci_records.DECODERS, **le_records.DECODERS}

# what writers can produce; reading covers more (see DECODERS)
ENCODERS: dict[int, Callable[[Frame], bytes]] = {
    lt.BLUETOOTH_HCI_H4: hci_records.h4_bytes,
    lt.BLUETOOTH_HCI_H4_WITH_PHDR: hci_records.encode_h4_phdr,
    lt.BLUETOOTH_LINUX_MONITOR: hci_records.encode_monitor,
    lt.NORDIC_BLE: le_records.encode_nordic,
    lt.USER10: le_records.encode_nordic,  # the legacy sniffer's nordic_ble records
    lt.BLUETOOTH_LE_LL_WITH_PHDR: le_records.encode_phdr,
    lt.BLUETOOTH_LE_LL: lambda frame: frame.payload,
    lt.USER0: lambda frame: frame.payload,  # raw LE link layer, as Ubertooth writes it
    lt.PPI: le_records.encode_ppi,  # only for frames read from PPI: the header is theirs
}


def decoder_for(linktype: int) -> RecordDecoder:
    """The decoder for a link type; records of a link type attscope does not know are kept
    as OTHER frames with their bytes untouched."""
    found = DECODERS.get(linktype)
    if found is not None:
        return found

    def keep(index: int, ts: int, data: bytes, off: int, iface: int, orig: int | None) -> Frame:
        return Frame(index, ts, linktype, Encap.OTHER, Direction.UNKNOWN, data, off, iface, orig)

    return keep


def encode(frame: Frame, linktype: int) -> bytes:
    """The record bytes of `frame` under `linktype`. Raises ValueError when the frame cannot
    be expressed there (an air packet as HCI, a monitor note as H4 ...)."""
    same = frame.linktype == linktype
    encoder = ENCODERS.get(linktype)
    if frame.problem is not None or encoder is None:
        if same:
            return frame.payload  # the record as read: nothing was taken off
        raise ValueError(f"attscope does not write link type {lt.name(linktype)}")
    carried = Encap.LE_LL if linktype == lt.PPI else lt.encap_of(linktype)
    # a Linux monitor record that is no HCI packet (a note, an index event) has an opcode
    # and so a 254 record, wherever it was read (btsnoop 2001 or pcap 254)
    monitor = linktype == lt.BLUETOOTH_LINUX_MONITOR and frame.monitor_opcode is not None
    if frame.encap != carried and not (same and frame.encap == Encap.OTHER) and not monitor:
        raise ValueError(
            f"frame {frame.index} ({frame.encap.name}) cannot be written as {lt.name(linktype)}"
        )
    return encoder(frame)


def carries(frame: Frame, linktype: int) -> bool:
    """False for a record with no packet in it (a monitor note, a sniffer control record)
    that `linktype` has no place for; such records are left out of a conversion."""
    if frame.encap != Encap.OTHER or frame.linktype == linktype:
        return True
    monitor = linktype in (lt.BLUETOOTH_LINUX_MONITOR, lt.BTSNOOP_MONITOR)
    return monitor and frame.monitor_opcode is not None
