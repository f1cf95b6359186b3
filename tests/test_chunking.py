"""Same result whatever the chunking: L2CAP PDUs cut into HCI ACL fragments or LE data
PDUs at random points come out of `Decoder` as the same records as the whole PDUs did.

An L2CAP PDU goes over HCI as a start packet (packet boundary 0b00 or 0b10) and then
continuations (0b01) (Core 5.4 Vol 4 Part E 5.4.2). Over the air it goes as an LLID 0b10
data PDU and then LLID 0b01 ones, and a PDU the peer did not acknowledge is sent again
with the same SN (Vol 6 Part B 2.4, 4.5.9). Reassembly is per link and direction, so
fragments of different links and directions may interleave. Here the records, the frames
each PDU was joined from (`Packet.fragments`) and the absence of any `Malformed` are
checked against the same PDUs sent whole, for made-up ATT PDUs and for every L2CAP PDU
of a real btsnoop capture.
"""

from __future__ import annotations

import itertools
import struct
from collections import defaultdict
from functools import cache
from typing import Any

import pytest
from corpus import need_corpus
from frames import acl_frame, l2cap
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attscope.capture import Direction, Encap, Frame, HciType, SnifferInfo, open_capture
from attscope.capture import linktypes as lt
from attscope.dissector.decoding import att_pdus as att
from attscope.dissector.decoding.decoder import Decoder, L2capPending, Packet
from attscope.dissector.decoding.l2cap import L2capHeader
from attscope.dissector.decoding.pdu import Malformed

H2C, C2H = Direction.HOST_TO_CONTROLLER, Direction.CONTROLLER_TO_HOST
C2P, P2C = Direction.CENTRAL_TO_PERIPHERAL, Direction.PERIPHERAL_TO_CENTRAL
PB_START, PB_CONTINUATION, PB_START_FLUSHABLE = 0b00, 0b01, 0b10
ACCESS_ADDRESS = 0x50654CA7
LL_MAX_PAYLOAD = 251
HYPOTHESIS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Stream = tuple[int, Direction]  # (connection handle or 0 for air, direction)
Sent = tuple[Stream, bytes]  # one L2CAP PDU, header included


def ll_frame(index: int, direction: Direction, llid: int, sn: int, nesn: int, data: bytes) -> Frame:
    header = bytes([llid | nesn << 2 | sn << 3, len(data)])
    payload = struct.pack("<I", ACCESS_ADDRESS) + header + data + b"\x00\x00\x00"
    sniffer = SnifferInfo(crc_checked=True, crc_ok=True, advertising=False)
    return Frame(
        index,
        index * 1000,
        lt.BLUETOOTH_LE_LL_WITH_PHDR,
        Encap.LE_LL,
        direction,
        payload,
        sniffer=sniffer,
    )


def records(packet: Packet) -> list[Any]:
    """What a packet carries above L2CAP (ATT, SMP, signalling commands ...)."""
    layers = packet.layers
    at = next((i for i, layer in enumerate(layers) if isinstance(layer, L2capHeader)), None)
    return [] if at is None else layers[at:]


def malformed(packets: list[Packet]) -> list[Any]:
    return [layer for p in packets for layer in p.layers if isinstance(layer, Malformed)]


def whole(pdus: list[Sent]) -> dict[Stream, list[list[Any]]]:
    """The records each stream gives when every PDU is one ACL packet."""
    decoder, out = Decoder(), defaultdict(list)
    for i, ((handle, direction), pdu) in enumerate(pdus, start=1):
        packet = decoder.decode(acl_frame(i, direction, pdu, PB_START_FLUSHABLE, handle))
        out[(handle, direction)].append(records(packet))
    return out


def cut(data: st.DataObject, pdu: bytes, largest: int) -> list[bytes]:
    """`pdu` in pieces of 1 to `largest` bytes, at points hypothesis picks."""
    points = data.draw(st.sets(st.integers(1, max(1, len(pdu) - 1)), max_size=6))
    edges = [0, *sorted(p for p in points if p < len(pdu)), len(pdu)]
    pieces = [pdu[a:b] for a, b in itertools.pairwise(edges)]
    return [p[i : i + largest] for p in pieces for i in range(0, len(p), largest)]


def interleave(
    data: st.DataObject, pdus: list[Sent], largest: int
) -> list[tuple[Stream, int, bytes]]:
    """Every PDU cut into pieces, as (stream, piece number, piece), the streams mixed in an
    order hypothesis picks while each stream keeps its own order."""
    queues: dict[Stream, list[tuple[Stream, int, bytes]]] = defaultdict(list)
    for stream, pdu in pdus:
        queues[stream] += [(stream, n, piece) for n, piece in enumerate(cut(data, pdu, largest))]
    out = []
    while queues:
        stream = data.draw(st.sampled_from(sorted(queues)))
        out.append(queues[stream].pop(0))
        if not queues[stream]:
            del queues[stream]
    return out


def check_acl_chunking(data: st.DataObject, pdus: list[Sent]) -> None:
    expected = whole(pdus)
    assert not any(isinstance(r, Malformed) for rs in expected.values() for x in rs for r in x)
    decoder = Decoder()
    got: dict[Stream, list[list[Any]]] = defaultdict(list)
    joined: dict[Stream, list[int]] = defaultdict(list)
    packets = []
    for index, (stream, n, piece) in enumerate(interleave(data, pdus, 1 << 16), start=1):
        handle, direction = stream
        pb = data.draw(st.sampled_from([PB_START, PB_START_FLUSHABLE])) if n == 0 else 1
        packet = decoder.decode(acl_frame(index, direction, piece, pb, handle))
        packets.append(packet)
        joined[stream] = [index] if n == 0 else [*joined[stream], index]
        if isinstance(packet.pdu, L2capPending):
            continue
        got[stream].append(records(packet))
        frames = tuple(joined[stream])
        assert packet.fragments == (frames if len(frames) > 1 else ())
    assert not malformed(packets)
    assert got == expected


# -- made-up ATT PDUs over HCI ---------------------------------------------------------------

handles = st.integers(1, 0xFFFF)
values = st.binary(max_size=600)
ATT_PDUS = st.one_of(
    st.builds(att.HandleValueNotification, handle=handles, value=values),
    st.builds(att.HandleValueIndication, handle=handles, value=values),
    st.builds(att.WriteRequest, handle=handles, value=values),
    st.builds(att.WriteCommand, handle=handles, value=values),
    st.builds(att.ReadResponse, value=values),
    st.builds(att.ReadBlobResponse, value=values),
    st.builds(att.PrepareWriteRequest, handle=handles, offset=handles, value=values),
    st.builds(att.ReadRequest, handle=handles),
    st.builds(att.ReadBlobRequest, handle=handles, offset=handles),
    st.builds(att.ExchangeMtuRequest, client_rx_mtu=st.integers(23, 0xFFFF)),
    st.builds(
        att.ErrorResponse,
        request_opcode=st.sampled_from(sorted(att.REQUESTS)),
        handle=handles,
        error_code=st.integers(1, 0xFF),
    ),
    st.builds(att.HandleValueConfirmation),
    st.builds(att.WriteResponse),
)
STREAMS = st.sampled_from([(0x0040, H2C), (0x0040, C2H), (0x0041, H2C), (0x0041, C2H)])


@HYPOTHESIS
@given(pdus=st.lists(st.tuples(STREAMS, ATT_PDUS), min_size=1, max_size=12), data=st.data())
def test_att_pdus_survive_any_acl_chunking(
    pdus: list[tuple[Stream, att.AttPdu]], data: st.DataObject
) -> None:
    sent = [(stream, l2cap(4, pdu.to_bytes())) for stream, pdu in pdus]
    check_acl_chunking(data, sent)
    # and the records are the PDUs that were sent
    out = whole(sent)
    for stream in out:
        assert [r[-1] for r in out[stream]] == [p for s, p in pdus if s == stream]


# -- the L2CAP PDUs of a real capture over HCI ----------------------------------------------

CAPTURE = "android_novax_aclfrag_mtu.btsnoop"  # LE ATT with a raised MTU: some PDUs fragmented


@cache
def capture_pdus(name: str) -> list[Sent]:
    """Every whole L2CAP PDU of a capture, by link and direction, in order. Joined here
    by the simplest rule (start, continuations, done at the L2CAP length), not by the
    code under test."""
    partial: dict[Stream, bytes] = {}
    pdus: list[Sent] = []
    for frame in open_capture(need_corpus(name)):
        if frame.encap != Encap.HCI or frame.hci_type != HciType.ACL or len(frame.payload) < 4:
            continue
        word = struct.unpack_from("<H", frame.payload)[0]
        stream = (word & 0x0FFF, frame.direction)
        body = frame.payload[4:]
        if word >> 12 & 3 != PB_CONTINUATION:
            partial[stream] = body
        elif stream in partial:
            partial[stream] += body
        else:
            continue
        buf = partial[stream]
        if len(buf) >= 4 and len(buf) >= 4 + int.from_bytes(buf[:2], "little"):
            del partial[stream]
            if len(buf) == 4 + int.from_bytes(buf[:2], "little"):
                pdus.append((stream, buf))
    return pdus


@pytest.mark.corpus
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_capture_l2cap_pdus_survive_any_acl_chunking(data: st.DataObject) -> None:
    pdus = capture_pdus(CAPTURE)
    assert len(pdus) > 50 and any(len(pdu) > 27 for _, pdu in pdus)
    check_acl_chunking(data, pdus)


# -- made-up ATT PDUs over the air -----------------------------------------------------------


@HYPOTHESIS
@given(
    pdus=st.lists(st.tuples(st.sampled_from([C2P, P2C]), ATT_PDUS), min_size=1, max_size=10),
    data=st.data(),
)
def test_att_pdus_survive_any_ll_fragmentation_and_retransmission(
    pdus: list[tuple[Direction, att.AttPdu]], data: st.DataObject
) -> None:
    """Each side's SN moves on with every new data PDU; some are sent again, unchanged,
    as if the peer had not acknowledged them: those copies must not count."""
    sent = [((0, direction), l2cap(4, pdu.to_bytes())) for direction, pdu in pdus]
    sn = {C2P: 0, P2C: 0}
    decoder = Decoder()
    got: dict[Direction, list[Any]] = defaultdict(list)
    joined: dict[Direction, list[int]] = defaultdict(list)
    packets: list[Packet] = []
    index = 0
    for (_, direction), n, piece in interleave(data, sent, LL_MAX_PAYLOAD):
        copies = data.draw(st.integers(1, 3))
        for copy in range(copies):
            index += 1
            frame = ll_frame(index, direction, 2 if n == 0 else 1, sn[direction], 0, piece)
            packet = decoder.decode(frame)
            packets.append(packet)
            if copy == 0:
                joined[direction] = [index] if n == 0 else [*joined[direction], index]
            else:  # a repeat: nothing above the link layer
                assert len(packet.layers) == 1
            if records(packet):
                got[direction].append(packet.pdu)
                frames = tuple(joined[direction])
                assert packet.fragments == (frames if len(frames) > 1 else ())
        sn[direction] ^= 1
    assert not malformed(packets)
    for direction in (C2P, P2C):
        assert got[direction] == [p for d, p in pdus if d == direction]


# -- attscope bugs the corpus does not show ------------------------------------------------


def test_same_notification_after_an_empty_pdu_is_new_data() -> None:
    """A sensor notifies the same value twice. Between the two, the peripheral sent an
    Empty PDU with SN 1, which the central acknowledged (NESN 0), so the second
    notification goes with SN 0 again. It is new data (Core 5.4 Vol 6 Part B 4.5.9): its SN
    is the NESN the central last sent."""
    ntf = l2cap(4, att.HandleValueNotification(handle=0x10, value=b"\x00\x00").to_bytes())
    frames = [
        ll_frame(1, C2P, 1, 0, 0, b""),  # event 1: the central's Empty PDU
        ll_frame(2, P2C, 2, 0, 1, ntf),  # the notification, SN 0
        ll_frame(3, C2P, 1, 1, 1, b""),  # event 2: NESN 1 acknowledges it
        ll_frame(4, P2C, 1, 1, 0, b""),  # an Empty PDU, SN 1
        ll_frame(5, C2P, 1, 0, 0, b""),  # event 3: NESN 0 acknowledges the Empty PDU
        ll_frame(6, P2C, 2, 0, 1, ntf),  # the same notification again, SN 0: new data
    ]
    decoder = Decoder()
    packets = [decoder.decode(frame) for frame in frames]
    notifications = [p.frame for p in packets if isinstance(p.pdu, att.HandleValueNotification)]
    assert notifications == [2, 6]
