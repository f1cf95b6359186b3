"""The decode pipeline on built frames: channels opened by signalling (EATT over enhanced
and LE credit-based channels, ATT over BR/EDR), K-frame SDUs, air retransmissions and
CRC failures, and random input that must never raise."""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import Any

from frames import acl_frame, l2cap
from hypothesis import given, settings
from hypothesis import strategies as st

from attscope.capture import Direction, Encap, Frame, HciType, SnifferInfo
from attscope.capture import linktypes as lt
from attscope.dissector.decoding.att_pdus import AttPdu, ReadRequest, ReadResponse
from attscope.dissector.decoding.decoder import Decoder, L2capPending, Packet
from attscope.dissector.decoding.pdu import Malformed

H2C = Direction.HOST_TO_CONTROLLER
C2H = Direction.CONTROLLER_TO_HOST


def decode_all(frames: Iterable[Frame]) -> list[Packet]:
    decoder = Decoder()
    return [decoder.decode(f) for f in frames]


def att_of(packet: Packet) -> Any:
    return packet.pdu if isinstance(packet.pdu, AttPdu) else None


def test_eatt_over_enhanced_credit_based_channels() -> None:
    read_req = bytes.fromhex("0a0300")
    long_value = bytes(range(60))
    frames = [
        # the host asks for two EATT channels (PSM 0x0027), its CIDs 0x0040 and 0x0041
        acl_frame(
            1, H2C, l2cap(5, struct.pack("<BBHHHHHHH", 0x17, 1, 12, 0x27, 100, 50, 10, 0x40, 0x41))
        ),
        # the peer accepts with its CIDs 0x0050 and 0x0051
        acl_frame(
            2, C2H, l2cap(5, struct.pack("<BBHHHHHHH", 0x18, 1, 12, 200, 60, 10, 0, 0x50, 0x51))
        ),
        # a K-frame to the peer's CID: SDU length then the ATT request
        acl_frame(3, H2C, l2cap(0x50, struct.pack("<H", len(read_req)) + read_req)),
        # the answer to the host's CID 0x0040 in two K-frames
        acl_frame(
            4, C2H, l2cap(0x40, struct.pack("<H", 1 + len(long_value)) + b"\x0b" + long_value[:30])
        ),
        acl_frame(5, C2H, l2cap(0x40, long_value[30:])),
    ]
    packets = decode_all(frames)
    assert att_of(packets[2]) == ReadRequest(handle=3)
    assert isinstance(packets[3].pdu, L2capPending)
    assert att_of(packets[4]) == ReadResponse(value=long_value)
    assert packets[4].fragments == (4, 5)
    assert packets[4].cid == 0x40


def test_le_credit_based_channel_for_another_psm_stays_raw() -> None:
    frames = [
        acl_frame(
            1, H2C, l2cap(5, struct.pack("<BBHHHHHH", 0x14, 2, 10, 0x0080, 0x40, 100, 50, 5))
        ),
        acl_frame(2, C2H, l2cap(5, struct.pack("<BBHHHHHH", 0x15, 2, 10, 0x44, 100, 50, 5, 0))),
        acl_frame(3, H2C, l2cap(0x44, struct.pack("<H", 3) + b"abc")),
    ]
    packet = decode_all(frames)[2]
    assert type(packet.pdu).__name__ == "L2capPayload"
    assert packet.pdu.data == b"abc"


def test_att_over_bredr_basic_mode_channel() -> None:
    frames = [
        acl_frame(1, H2C, l2cap(1, struct.pack("<BBHHH", 0x02, 3, 4, 0x001F, 0x40))),
        acl_frame(2, C2H, l2cap(1, struct.pack("<BBHHHHH", 0x03, 3, 8, 0x60, 0x40, 0, 0))),
        acl_frame(3, H2C, l2cap(0x60, bytes.fromhex("0a0300"))),
        acl_frame(4, C2H, l2cap(0x40, bytes.fromhex("0b4142"))),
    ]
    packets = decode_all(frames)
    assert att_of(packets[2]) == ReadRequest(handle=3)
    assert att_of(packets[3]) == ReadResponse(value=b"AB")


def test_refused_channel_is_not_opened() -> None:
    frames = [
        acl_frame(
            1, H2C, l2cap(5, struct.pack("<BBHHHHHH", 0x14, 2, 10, 0x0027, 0x40, 100, 50, 5))
        ),
        acl_frame(2, C2H, l2cap(5, struct.pack("<BBHHHHHH", 0x15, 2, 10, 0, 0, 0, 0, 0x0004))),
        acl_frame(3, H2C, l2cap(0x40, struct.pack("<H", 3) + bytes.fromhex("0a0300"))),
    ]
    assert att_of(decode_all(frames)[2]) is None


def ll_frame(
    index: int, direction: Direction, llid: int, sn: int, data: bytes, crc_ok: bool = True
) -> Frame:
    header = bytes([llid | sn << 3, len(data)])
    payload = struct.pack("<I", 0x50654CA7) + header + data + b"\x00\x00\x00"
    sniffer = SnifferInfo(crc_checked=True, crc_ok=crc_ok, advertising=False)
    return Frame(
        index,
        index * 1000,
        lt.BLUETOOTH_LE_LL_WITH_PHDR,
        Encap.LE_LL,
        direction,
        payload,
        sniffer=sniffer,
    )


def test_air_retransmission_and_bad_crc_are_not_joined() -> None:
    pdu = l2cap(4, b"\x0b" + bytes(range(40)))  # a Read Response in two LL fragments
    c2p = Direction.PERIPHERAL_TO_CENTRAL
    frames = [
        ll_frame(1, c2p, 2, 0, pdu[:27]),
        ll_frame(2, c2p, 2, 0, pdu[:27]),  # not acknowledged: sent again, same SN
        ll_frame(3, c2p, 1, 1, b"\xff" * (len(pdu) - 27), crc_ok=False),  # damaged on air
        ll_frame(4, c2p, 1, 1, pdu[27:]),
    ]
    packets = decode_all(frames)
    assert [att_of(p) for p in packets[:3]] == [None, None, None]
    assert att_of(packets[3]) == ReadResponse(value=bytes(range(40)))
    assert packets[3].fragments == (1, 4)
    assert not any(isinstance(layer, Malformed) for p in packets for layer in p.layers)


@settings(max_examples=300, deadline=None)
@given(
    frames=st.lists(
        st.tuples(
            st.sampled_from([(Encap.HCI, t) for t in (1, 2, 3, 4, 5, 9)] + [(Encap.LE_LL, None)]),
            st.sampled_from(list(Direction)),
            st.binary(max_size=80),
        ),
        max_size=30,
    )
)
def test_any_frames_decode_without_raising(frames: list[tuple[Any, Direction, bytes]]) -> None:
    decoder = Decoder()
    for i, ((encap, hci_type), direction, payload) in enumerate(frames, start=1):
        linktype = lt.BTSNOOP_H4 if encap == Encap.HCI else lt.BLUETOOTH_LE_LL
        frame = Frame(i, i, linktype, encap, direction, payload, hci_type=hci_type)
        packet = decoder.decode(frame)
        assert packet.frame == i


def test_ti_vendor_att_command_and_event_give_att_records() -> None:
    command = struct.pack("<HBH", 0xFD0A, 4, 0x0001) + struct.pack("<H", 0x0003)
    # event 0xFF: event opcode 0x050B (ATT_ReadRsp), status, handle, PDU length, value
    event_params = struct.pack("<HBHB", 0x050B, 0, 0x0001, 2) + b"AB"
    event = bytes([0xFF, len(event_params)]) + event_params
    frames = [
        Frame(1, 1, lt.BTSNOOP_H4, Encap.HCI, H2C, command, hci_type=HciType.COMMAND),
        Frame(2, 2, lt.BTSNOOP_H4, Encap.HCI, C2H, event, hci_type=HciType.EVENT),
    ]
    request, response = decode_all(frames)
    assert request.pdu == ReadRequest(handle=3)
    assert response.pdu == ReadResponse(value=b"AB")
    assert request.connection == response.connection == "0x0001"


def test_enhanced_channels_open_when_some_are_refused_and_after_pending() -> None:
    read_req = bytes.fromhex("0a0300")
    request = struct.pack("<BBHHHHHHH", 0x17, 1, 12, 0x27, 100, 50, 10, 0x40, 0x41)
    frames = [
        acl_frame(1, H2C, l2cap(5, request)),
        # pending (0x000D, authentication pending): a final answer follows
        acl_frame(2, C2H, l2cap(5, struct.pack("<BBHHHHHHH", 0x18, 1, 12, 0, 0, 0, 0x000D, 0, 0))),
        # some refused (0x0004): the first channel opens, the second (DCID 0) does not
        acl_frame(
            3, C2H, l2cap(5, struct.pack("<BBHHHHHHH", 0x18, 1, 12, 200, 60, 10, 4, 0x50, 0))
        ),
        acl_frame(4, H2C, l2cap(0x50, struct.pack("<H", len(read_req)) + read_req)),
    ]
    assert att_of(decode_all(frames)[3]) == ReadRequest(handle=3)
