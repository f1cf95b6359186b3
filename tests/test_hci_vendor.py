"""Vendor-specific HCI commands and events named by the controller's maker, Google's Android
extensions named for any maker, and a controller's debug data on ACL handle 0x0EDC
(dissector/decoding/hci_vendor.py and the decoder that applies it)."""

from __future__ import annotations

import struct

import pytest
from corpus import need_corpus

from attscope.capture import Direction, Encap, Frame, HciType
from attscope.capture.linktypes import BTSNOOP_H4
from attscope.dissector.decoding.decoder import Decoder, Packet, VendorDebugData
from attscope.dissector.decoding.hci_commands import HciCommandRaw
from attscope.dissector.decoding.hci_events import CommandComplete, HciEventRaw
from attscope.dissector.decoding.hci_vendor import (
    BROADCOM,
    CYPRESS,
    INTEL,
    MEDIATEK,
    QUALCOMM,
    REALTEK,
    vendor_command_name,
    vendor_event_name,
)
from attscope.text.packet_text import line


@pytest.mark.parametrize(
    ("opcode", "params", "company", "name"),
    [
        (0xFC4C, b"\x00", BROADCOM, "Broadcom Write RAM"),
        (0xFC4E, b"", CYPRESS, "Cypress Launch RAM"),
        (0xFC05, b"", INTEL, "Intel Read Version"),
        (0xFC00, b"\x19", QUALCOMM, "Qualcomm EDL Patch: Patch Version Request"),
        (0xFC6D, b"", REALTEK, "Realtek Read ROM Version"),
        (0xFC6F, b"\x01\x01\x05\x00", MEDIATEK, "MediaTek WMT: Patch Download"),
        # Google's extensions are the same on every maker's controller ...
        (0xFD57, b"\x01", QUALCOMM, "Android LE APCF: Set Filtering Parameters"),
        (0xFD53, b"", None, "Android LE Get Vendor Capabilities"),
        (0xFD54, b"\x05\x01", 0x0075, "Android LE Multi Advertising: Enable"),
        # ... a sub-operation nobody defined leaves the command's own name
        (0xFD57, b"\xff", BROADCOM, "Android LE APCF"),
    ],
)
def test_a_vendor_command_is_named_by_its_makers_table(
    opcode: int, params: bytes, company: int | None, name: str
) -> None:
    assert vendor_command_name(opcode, params, company) == name


@pytest.mark.parametrize(
    ("opcode", "company"),
    [
        (0xFC4C, None),  # no Read Local Version Information reply seen yet
        (0xFC4C, INTEL),  # Broadcom's Write RAM means nothing on an Intel controller
        (0xFC4C, 0x0075),  # a maker without a table
        (0xFCF0, REALTEK),  # a maker's command its drivers do not use
    ],
)
def test_a_vendor_command_nobody_names_keeps_its_number(opcode: int, company: int | None) -> None:
    assert vendor_command_name(opcode, b"", company) is None


def test_vendor_events() -> None:
    assert vendor_event_name(0xFF, b"\x02\x00", INTEL) == "Intel Bootup"
    assert vendor_event_name(0xFF, b"\xb4\x00", BROADCOM) == "Broadcom LM Diag"
    bqr = b"\x58\x02\x52\x41\x00"
    assert (
        vendor_event_name(0xFF, bqr, QUALCOMM)
        == "Android Bluetooth Quality Report: Approaching LSTO"
    )
    assert vendor_event_name(0xE4, b"\x02\x01\x01\x00\x00", MEDIATEK) == (
        "MediaTek WMT Event: Patch Download"
    )
    assert vendor_event_name(0xE4, b"\x02\x01", INTEL) is None  # not Intel's
    assert vendor_event_name(0xFF, b"\x63\x00", 0x0075) is None
    assert vendor_event_name(0xFF, b"", BROADCOM) is None


# the HCI packets these tests send (Vol 4 Part E 5.4)
def _command(opcode: int, params: bytes = b"") -> bytes:
    return struct.pack("<HB", opcode, len(params)) + params


def _event(code: int, params: bytes) -> bytes:
    return bytes([code, len(params)]) + params


def _command_complete(opcode: int, ret: bytes) -> bytes:
    return _event(0x0E, struct.pack("<BH", 1, opcode) + ret)


def _le_meta(subevent: int, params: bytes) -> bytes:
    return _event(0x3E, bytes([subevent]) + params)


def _acl(handle: int, pb: int, data: bytes) -> bytes:
    return struct.pack("<HH", handle | pb << 12, len(data)) + data


def _frames(packets: list[tuple[HciType, Direction, bytes]]) -> list[Packet]:
    decoder = Decoder()
    out = []
    for index, (kind, direction, data) in enumerate(packets, 1):
        frame = Frame(index, index * 1000, BTSNOOP_H4, Encap.HCI, direction, data, hci_type=kind)
        out.append(decoder.decode(frame))
    return out


CMD, EVT, ACL = HciType.COMMAND, HciType.EVENT, HciType.ACL
TO, FROM = Direction.HOST_TO_CONTROLLER, Direction.CONTROLLER_TO_HOST


def _version(company: int) -> bytes:
    """Read Local Version Information Complete: Core 5.3, the given company."""
    ret = bytes([0, 0x0C]) + (0x1234).to_bytes(2, "little") + bytes([0x0C])
    ret += company.to_bytes(2, "little") + (0x5678).to_bytes(2, "little")
    return _command_complete(0x1001, ret)


def test_the_decoder_names_vendor_commands_once_it_knows_the_controllers_maker() -> None:
    packets = _frames(
        [
            (CMD, TO, _command(0xFC4C, b"\x00\x00\x21\x00")),  # before the maker is known
            (EVT, FROM, _version(BROADCOM)),
            (CMD, TO, _command(0xFC4C, b"\x00\x00\x21\x00")),
            (EVT, FROM, _command_complete(0xFC4C, b"\x00")),
            (EVT, FROM, _event(0xFF, b"\xb4\x01\x02")),
        ]
    )
    first, _, named, complete, event = (p.pdu for p in packets)
    assert isinstance(first, HciCommandRaw) and first.name == "Vendor 0xfc4c"
    assert isinstance(named, HciCommandRaw) and named.name == "Broadcom Write RAM (0xfc4c)"
    assert isinstance(complete, CommandComplete)
    assert complete.describe().startswith("Broadcom Write RAM (0xfc4c)")
    assert isinstance(event, HciEventRaw) and event.name == "Broadcom LM Diag"
    assert "Broadcom Write RAM (0xfc4c) params 00002100" in line(packets[2], 0)


def test_a_command_complete_names_the_sub_operation_its_command_had() -> None:
    packets = _frames(
        [
            (CMD, TO, _command(0xFD57, b"\x00\x01")),  # APCF Enable
            (EVT, FROM, _command_complete(0xFD57, b"\x00\x00\x01")),
        ]
    )
    complete = packets[1].pdu
    assert isinstance(complete, CommandComplete)
    assert complete.vendor_name == "Android LE APCF: Enable"


def test_debug_data_on_handle_0x0edc_is_shown_as_such_unless_a_connection_has_it() -> None:
    debug = _acl(0x0EDC, 0b10, b"\x01\x02\x03\x04\x05\x06")
    packets = _frames(
        [
            (ACL, FROM, debug),
            (EVT, FROM, _le_meta(0x01, bytes([0]) + (0x0EDC).to_bytes(2, "little") + bytes(15))),
            (ACL, FROM, debug),
        ]
    )
    first, _, later = packets
    assert isinstance(first.pdu, VendorDebugData) and first.connection is None
    assert first.pdu.data == b"\x01\x02\x03\x04\x05\x06"
    assert "controller debug data on ACL handle 0x0edc" in line(first, 0)
    # once the controller gave a connection this handle, its packets are that link's
    assert not isinstance(later.pdu, VendorDebugData) and later.connection is not None


def test_android_vendor_commands_are_named_in_a_real_phone_log() -> None:
    from attscope.capture import open_capture

    path = need_corpus("android_fossibot_broadcom.btsnoop")
    decoder = Decoder()
    names: dict[str, int] = {}
    for frame in open_capture(path):
        record = decoder.decode(frame).pdu
        if isinstance(record, HciCommandRaw):
            names[record.name] = names.get(record.name, 0) + 1
    # the counts tshark's Broadcom decoder gives (bthci_cmd.opcode == 0xfd57, subcode 0)
    assert names["Android LE APCF: Enable (0xfd57)"] == 20
    assert names["Android LE Get Vendor Capabilities (0xfd53)"] == 1
    assert not [name for name in names if name.startswith("Vendor 0xfd5")]
