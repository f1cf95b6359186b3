"""The nRF Sniffer packet layer and the host protocol object, without any I/O.

The worked examples of the reference (section 12) are byte-exact vectors; every command the
host builds is read back by the device model; a received packet event becomes exactly the
Frame the pcap reader makes of the same packet written as a 272 record (checked on every
packet of the real 272 captures); and hypothesis feeds the host any bytes in any chunking.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Sequence
from functools import cache
from typing import Any

import msgspec
import pytest
from corpus import need_corpus
from hypothesis import given, settings
from hypothesis import strategies as st

from attscope.capture import Frame, open_capture
from attscope.capture.frame import Direction, Encap
from attscope.capture.le_records import decode_nordic
from attscope.capture.nrf_device import DeviceConfig, NrfDevice, State
from attscope.capture.nrf_host import (
    FrameDropped,
    Garbage,
    Lost,
    NrfHost,
    ProtocolVersion,
    Skipped,
    Unhandled,
    UnsupportedCommand,
    parse_address,
)
from attscope.capture.nrf_slip import SlipDecoder, slip_encode
from attscope.capture.nrf_uart import (
    MESSAGES,
    AdvHopSequence,
    BaudRateRequest,
    BaudRateResponse,
    FollowRequest,
    InvalidPacket,
    KeyMessage,
    Message,
    PacketId,
    PingResponse,
    ScanRequest,
    TimestampResponse,
    UartPacket,
    VersionResponse,
    air_time_us,
    build_message,
    encode_packet,
    frame_from_packet,
    key_bytes,
    packet_from_frame,
    packet_to_record,
    parse_message,
    parse_packet,
    passkey_tk,
    record_to_packet,
)
from attscope.capture.pcap import PcapWriter


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace("00*16", "00" * 16))


def frames_of(events: Sequence[object]) -> list[Frame]:
    return [e for e in events if isinstance(e, Frame)]


# -- section 12, byte for byte ---------------------------------------------------------

EXAMPLE_A_WIRE = h(
    "AB 06 35 01 EF CD CE 06 0A 01 26 5C 00 00 CD BD 01 00 00 D6 BE 89 8E 40 21 00 FD 03 27 D3"
    " DA D8 02 01 06 11 06 BA 56 89 A6 FA BF A2 BD 01 46 7D 6E 00 FB CD AC AD 05 16 0A 18 05 06"
    " 1E 77 F2 BC"
)


def test_example_a_v1_event_packet() -> None:
    host = NrfHost(clock=lambda: 12.5)
    events = host.receive_data(EXAMPLE_A_WIRE)
    assert events[0] == ProtocolVersion(1)
    (frame,) = frames_of(events)
    s = frame.sniffer
    assert s is not None
    assert (s.protover, s.packet_counter, s.packet_id) == (1, 0xCDEF, 6)
    assert (s.flags, s.channel, s.rssi, s.event_counter, s.fw_time) == (1, 38, -92, 0, 444)
    assert s.crc_ok and s.advertising and frame.ts_us == 12_500_000
    # AA, header 0x40, length 33, no padding, AdvA D8:DA:D3:27:03:FD ... CRC
    assert frame.payload[:6] == h("D6 BE 89 8E 40 21")
    assert frame.payload[6:12] == h("FD 03 27 D3 DA D8")
    assert frame.payload[-3:] == h("1E 77 F2") and len(frame.payload) == 4 + 2 + 33 + 3


def test_example_b_commands_of_nordics_411_host() -> None:
    """The same calls in the same order give the very bytes Nordic's host sent."""
    host = NrfHost()
    sent = [
        host.set_adv_hop_sequence((37, 38, 39)),
        host.request_version(),
        host.ping(),
        host.request_timestamp(),
        host.scan(),  # REQ_SCAN_CONT 03, then the all-zero TK
        host.follow("B3:00:00:00:84:9C", random=False),
    ]
    assert sent == [
        h("AB 06 04 01 00 00 17 03 25 26 27 BC"),
        h("AB 06 00 01 01 00 1B BC"),
        h("AB 06 00 01 02 00 0D BC"),
        h("AB 06 00 01 03 00 1D BC"),
        h("AB 06 01 01 04 00 07 03 BC") + h("AB 06 10 01 05 00 0C 00*16 BC"),
        h("AB 06 08 01 06 00 00 B3 00 00 00 84 9C 00 00 BC"),
    ]


def test_example_b_the_1x_hosts_start() -> None:
    host = NrfHost()
    host.receive_data(h("AB 06 02 01 07 00 0E 57 04 BC"))  # a v1 device: empty scan payload
    assert host.ping() + host.scan() == h(
        "AB 06 00 01 00 00 0D BC AB 06 00 01 01 00 07 BC AB 06 10 01 02 00 0C 00*16 BC"
    )


def _device(**config: Any) -> NrfDevice:
    ll = h("D6 BE 89 8E 42 06 01 02 03 04 05 06 00 00 00")
    frame = Frame(1, 0, 272, Encap.LE_LL, Direction.UNKNOWN, ll)
    return NrfDevice([frame], DeviceConfig(**config))


def test_example_c_v3_device_replies() -> None:
    device = _device(start_counter=0x1000, build=1116, version_text="4.1.1")
    host = NrfHost()
    assert device.receive_data(host.ping()) == h("AB 02 00 03 00 10 0E 5C 04 BC")
    assert device.receive_data(host.request_version()) == h(
        "AB 05 00 03 01 10 1C 34 2E 31 2E 31 BC"
    )
    assert device.receive_data(host.request_timestamp(), now_us=12345678) == h(
        "AB 04 00 03 02 10 1E 4E 61 CD BD 00 BC"
    )
    assert device.receive_data(host.follow("C0:FF:EE:12:34:56", True)) == h(
        "AB 00 00 03 03 10 01 BC"
    )
    assert device.receive_data(host.switch_baud_rate(1_000_000)) == h(
        "AB 04 00 03 04 10 14 40 42 0F 00 BC"
    )


def test_example_c_v1_ping_response() -> None:
    device = _device(protover=1, start_counter=7, build=1111)
    assert device.receive_data(NrfHost().ping()) == h("AB 06 02 01 07 00 0E 57 04 BC")


EXAMPLE_D_RECORD = h(
    "05 1F 00 03 52 59 02 0A 01 27 35 00 00 42 FC 3C C1 D6 BE 89 8E 43 0C 70 CD C2 4B BF 75"
    " 9C 84 00 00 00 B3 83 B7 30"
)
EXAMPLE_D_WIRE = h(
    "AB 20 00 03 52 59 02 0A 01 27 35 00 00 42 FC 3C C1 D6 BE 89 8E 43 0C 00 70 CD CE C2"
    " 4B BF 75 9C 84 00 00 00 B3 83 B7 30 BC"
)


def test_example_d_record_to_uart_frame_and_back() -> None:
    packet = record_to_packet(EXAMPLE_D_RECORD)
    assert slip_encode(encode_packet(packet)) == EXAMPLE_D_WIRE
    assert packet_to_record(packet, board_id=5) == EXAMPLE_D_RECORD
    (frame,) = frames_of(NrfHost(board_id=5).receive_data(EXAMPLE_D_WIRE))
    assert frame.sniffer is not None
    assert (frame.sniffer.channel, frame.sniffer.rssi, frame.sniffer.fw_time) == (
        39,
        -53,
        3_241_999_426,
    )


@pytest.mark.parametrize(
    "record",
    [
        # example E: CONNECT_IND, and two empty PDUs of one connection event
        "05 35 00 03 78 5F 02 0A 01 25 2C 00 00 0E 19 16 C4 D6 BE 89 8E 45 22 70 CD C2 4B BF 75"
        " 9C 84 00 00 00 B3 26 EA 47 A1 9D 18 3A 02 14 00 18 00 00 00 F4 01 83 FF FF FF 1F AE 59"
        " 11 A8",
        "03 13 00 03 EB 0B 06 0A 0B 17 34 83 57 A2 A0 CD B0 AF 58 C3 43 0D 00 91 08 5F",
        "03 13 00 03 EC 0B 06 0A 09 17 44 83 57 88 A1 CD B0 AF 58 C3 43 09 00 42 0E 5F",
    ],
)
def test_example_e_records_survive_the_uart(record: str) -> None:
    rec = h(record)
    wire = slip_encode(encode_packet(record_to_packet(rec)))
    (frame,) = frames_of(NrfHost(board_id=rec[0]).receive_data(wire))
    assert frame == decode_nordic(272, 1, frame.ts_us, rec, 0, 0, None)


EXAMPLE_F_WIRE = h(
    "AB 23 00 03 02 01 02 0A 01 25 3C 00 00 40 42 0F 00 D6 BE 89 8E 42 0F 00 56 34 12 EE FF C0"
    " 02 01 06 05 09 45 4D 55 31 3A 92 ED BC"
)
EXAMPLE_F_272 = h(
    "D4 C3 B2 A1 02 00 04 00 00 00 00 00 00 00 00 00 FF FF 00 00 10 01 00 00"
    " 00 F1 53 65 90 D0 03 00 29 00 00 00 29 00 00 00"
    " 07 22 00 03 02 01 02 0A 01 25 3C 00 00 40 42 0F 00 D6 BE 89 8E 42 0F 56 34 12 EE FF C0"
    " 02 01 06 05 09 45 4D 55 31 3A 92 ED"
)
EXAMPLE_F_256 = (
    EXAMPLE_F_272[:20]
    + h("00 01 00 00 00 F1 53 65 90 D0 03 00 22 00 00 00 22 00 00 00")
    + h(
        "00 C4 80 00 00 00 00 00 03 0C D6 BE 89 8E 42 0F 56 34 12 EE FF C0 02 01 06 05 09 45"
        " 4D 55 31 3A 92 ED"
    )
)


@pytest.mark.parametrize(("linktype", "expected"), [(272, EXAMPLE_F_272), (256, EXAMPLE_F_256)])
def test_example_f_a_live_packet_written_as_pcap(linktype: int, expected: bytes) -> None:
    """UART frame -> host Frame -> the project's pcap writer: the reference's files."""
    host = NrfHost(board_id=7, clock=lambda: 1_700_000_000.25)
    (frame,) = frames_of(host.receive_data(EXAMPLE_F_WIRE))
    out = io.BytesIO()
    PcapWriter(out, linktype, snaplen=0xFFFF).write(frame)
    assert out.getvalue() == expected


# -- messages ----------------------------------------------------------------------------

key16 = st.binary(min_size=16, max_size=16)
ALL_MESSAGES = st.one_of(
    st.builds(FollowRequest, st.binary(min_size=6, max_size=6), st.booleans(), st.integers(0, 7)),
    st.builds(ScanRequest, st.none() | st.integers(0, 7)),
    *(
        st.builds(cls, st.binary(min_size=cls.SIZE, max_size=cls.SIZE))
        for cls in MESSAGES.values()
        if issubclass(cls, KeyMessage)
    ),
    st.builds(
        AdvHopSequence,
        st.permutations([37, 38, 39]).flatmap(
            lambda p: st.integers(1, 3).map(lambda n: tuple(p[:n]))
        ),
    ),
    st.builds(PingResponse, st.none() | st.integers(0, 0xFFFF)),
    st.builds(VersionResponse, st.text(st.characters(min_codepoint=32, max_codepoint=126))),
    st.builds(TimestampResponse, st.integers(0, 0xFFFFFFFF)),
    st.builds(BaudRateRequest, st.integers(0, 0xFFFFFFFF)),
    st.builds(BaudRateResponse, st.integers(0, 0xFFFFFFFF)),
    *(st.just(cls()) for cls in MESSAGES.values() if not msgspec.structs.fields(cls)),
)


def test_every_packet_id_of_the_reference_is_declared() -> None:
    assert {int(p) for p in PacketId} == {*range(0x20), 0xFE}
    assert PacketId.EVENT_DEVICE is PacketId.EVENT_PACKET_ADV_PDU  # one byte, two meanings


@settings(max_examples=300, deadline=None)
@given(ALL_MESSAGES, st.integers(0, 0xFFFF), st.sampled_from([1, 2, 3]))
def test_messages_round_trip(message: Message, counter: int, protover: int) -> None:
    data = build_message(message, counter, protover)
    packet = parse_packet(data)
    assert (packet.protover, packet.counter, packet.packet_id) == (protover, counter, message.ID)
    assert parse_message(packet) == message
    assert encode_packet(packet) == data


def test_commands_built_by_the_host_are_what_the_device_reads() -> None:
    device = _device()
    host = NrfHost()
    device.receive_data(host.set_adv_hop_sequence((39, 37)))
    assert device.hop == (39, 37)
    device.receive_data(host.follow("C0:FF:EE:12:34:56", True, adv_only=True, coded=True))
    assert device.state == State.FOLLOWING
    assert device.target == (h("C0 FF EE 12 34 56"), True) and device.follow_flags == 0x05
    device.receive_data(
        host.set_passkey(123456)
        + host.set_private_key(b"\x01" * 32)
        + host.set_legacy_ltk(b"\x02")
        + host.set_sc_ltk(b"\x03" * 16)
        + host.set_irk(b"\x04" * 16)
    )
    assert device.keys == {
        PacketId.SET_TEMPORARY_KEY: bytes(13) + (123456).to_bytes(3, "big"),
        PacketId.SET_PRIVATE_KEY: b"\x01" * 32,
        PacketId.SET_LEGACY_LONG_TERM_KEY: bytes(15) + b"\x02",
        PacketId.SET_SC_LONG_TERM_KEY: b"\x03" * 16,
        PacketId.SET_IDENTITY_RESOLVING_KEY: b"\x04" * 16,
    }
    device.receive_data(host.scan(scan_responses=False, aux=True))
    assert device.state == State.SCANNING and device.scan_flags == 0x02
    assert device.keys[PacketId.SET_TEMPORARY_KEY] == bytes(16)  # zero TK after a scan
    device.receive_data(host.go_idle())
    assert not device.streaming
    assert device.stats.bad_commands == 0


def test_key_material_helpers() -> None:
    assert passkey_tk(999999) == bytes(13) + h("0F 42 3F")
    assert key_bytes(b"\x12\x34") == bytes(14) + b"\x12\x34"
    with pytest.raises(ValueError):
        passkey_tk(1_000_000)
    with pytest.raises(ValueError):
        key_bytes(bytes(17))
    with pytest.raises(ValueError):
        parse_address("C0:FF:EE")
    with pytest.raises(InvalidPacket):
        AdvHopSequence.from_payload(h("02 25 25 25"), 3)


def test_version_3_commands_are_refused_for_an_older_device() -> None:
    host = NrfHost()
    host.receive_data(h("AB 06 02 01 07 00 0E 57 04 BC"))  # v1 PING_RESP, build 1111
    assert host.protover == 1 and host.firmware == "build 1111"
    with pytest.raises(UnsupportedCommand):
        host.set_irk(bytes(16))
    with pytest.raises(UnsupportedCommand):
        host.request_version()
    assert host.handshake().count(b"\xab") == 4  # ping, hop sequence, scan, zero TK


def test_unknown_and_unused_ids_are_skipped_not_fatal() -> None:
    host = NrfHost()
    odd = UartPacket(3, 5, 0x42, b"\x01\x02")
    events = host.receive_data(slip_encode(encode_packet(odd)))
    assert events == [ProtocolVersion(3), Unhandled(odd)]


# -- packet validation (section 15) ------------------------------------------------------


def _event(payload_hex: str, protover: int = 3, counter: int = 1, pid: int = 2) -> bytes:
    return slip_encode(encode_packet(UartPacket(protover, counter, pid, h(payload_hex))))


GOOD_EVENT = "0A 01 25 3C 00 00 40 42 0F 00 D6 BE 89 8E 42 03 00 01 02 03 AA BB CC"


@pytest.mark.parametrize(
    ("wire", "reason"),
    [
        (h("AB 01 02 03 BC"), "shorter than the 6-byte header"),
        (h("AB 00 00 04 00 00 01 BC"), "protocol version 4"),
        (h("AB 07 00 01 00 00 01 BC"), "version-1 header length 7"),
        (h("AB 05 00 03 00 00 01 BC"), "payload length 5"),
        (_event(GOOD_EVENT.replace("0A 01", "0B 01", 1)), "event header length 11"),
        (_event("0A 01 25 3C 00 00 40 42"), "event header cut short"),
        (_event(GOOD_EVENT[:-3]), "LL length 3"),
        (_event("0A 01 25 3C 00 00 40 42 0F 00 D6 BE 89 8E 42"), "too short"),
        (
            slip_encode(encode_packet(UartPacket(3, 1, 0x1E, h("05 00 00")))),
            "RESP_TIMESTAMP payload must be 4 bytes, not 3",
        ),
    ],
)
def test_invalid_packets_are_dropped_with_a_reason(wire: bytes, reason: str) -> None:
    host = NrfHost()
    events = host.receive_data(wire + _event(GOOD_EVENT, counter=9))
    assert isinstance(events[0], FrameDropped) and reason in events[0].reason, events
    assert len(frames_of(events)) == 1 and host.dropped == 1


def test_coded_phy_padding_sits_after_the_coding_indicator() -> None:
    # flags 0x21: CRC OK, PHY 2 (Coded); CI 00 precedes header and length, then the filler
    wire = _event("0A 21 25 3C 00 00 40 42 0F 00 D6 BE 89 8E 00 42 01 00 07 AA BB CC")
    (frame,) = frames_of(NrfHost().receive_data(wire))
    assert frame.payload == h("D6 BE 89 8E 00 42 01 07 AA BB CC")
    assert frame.sniffer is not None and frame.sniffer.phy == 2


# -- counters and time -------------------------------------------------------------------


def test_counter_gaps_are_counted_once_the_handshake_is_sent() -> None:
    host = NrfHost()
    before = host.receive_data(_event(GOOD_EVENT, counter=10) + _event(GOOD_EVENT, counter=20))
    assert not [e for e in before if isinstance(e, Skipped)]  # not counted before the handshake
    host.handshake()
    events = host.receive_data(
        _event(GOOD_EVENT, counter=21)
        + _event(GOOD_EVENT, counter=25)  # 22, 23, 24 skipped
        + _event(GOOD_EVENT, counter=25)  # a repeat is a new baseline, not 65535 lost
        + _event(GOOD_EVENT, counter=0xFFFE)  # so is a jump of more than half the range
        + _event(GOOD_EVENT, counter=0xFFFF)
        + _event(GOOD_EVENT, counter=1)  # 0 skipped across the wrap
    )
    # the stream stayed whole: the device did not send those values, nothing was lost
    assert [e for e in events if isinstance(e, Skipped)] == [Skipped(3, 22, 25), Skipped(1, 0, 1)]
    assert (host.skipped, host.lost) == (4, 0)
    host.reset()  # reopened: the next counter is a baseline whatever it is
    assert not [
        e for e in host.receive_data(_event(GOOD_EVENT, counter=500)) if isinstance(e, Skipped)
    ]


def test_v3_times_are_the_firmware_clock_from_the_first_packet_across_the_wrap() -> None:
    clock = iter([100.0, 200.0, 300.0, 400.0])
    host = NrfHost(clock=lambda: next(clock))
    wrapping = GOOD_EVENT.replace("40 42 0F 00", "00 FF FF FF")  # TIME 0xFFFFFF00
    first = frames_of(host.receive_data(_event(wrapping)))[0]
    assert first.ts_us == 100_000_000  # the first packet places the firmware clock
    # a timestamp answer after it moves nothing: the packets already chain the clock
    host.receive_data(slip_encode(build_message(TimestampResponse(0x10), 2, 3)))
    later = GOOD_EVENT.replace("40 42 0F 00", "00 01 00 00")  # TIME 0x100: wrapped
    earlier = GOOD_EVENT.replace("40 42 0F 00", "00 FE FF FF")  # before the first
    got = frames_of(host.receive_data(_event(later, counter=3) + _event(earlier, counter=4)))
    assert [f.ts_us for f in got] == [100_000_000 + 0x200, 100_000_000 - 0x100]


def test_a_timestamp_answer_before_any_packet_is_the_reference() -> None:
    clock = iter([200.0, 300.0])
    host = NrfHost(clock=lambda: next(clock))
    host.receive_data(slip_encode(build_message(TimestampResponse(0xFFFF_FF00), 2, 3)))
    later = GOOD_EVENT.replace("40 42 0F 00", "00 01 00 00")
    (frame,) = frames_of(host.receive_data(_event(later)))
    assert frame.ts_us == 200_000_000 + 0x200


def test_v1_v2_times_chain_the_firmwares_deltas() -> None:
    """TIME is the delta from the previous packet's end (7.1): packets read in one go are
    as far apart as on air, not all at the host's one reading time."""
    host = NrfHost(clock=lambda: 5.0)
    delta_150 = GOOD_EVENT.replace("40 42 0F 00", "96 00 00 00")
    wire = b"".join(_event(delta_150, protover=2, pid=6, counter=n) for n in (1, 2, 3))
    got = frames_of(host.receive_data(wire))
    assert got[0].ts_us == 5_000_000  # the host clock anchors the first
    air = air_time_us(got[0].payload, 0)  # 13 bytes on LE 1M: 112 us
    assert [b.ts_us - a.ts_us for a, b in itertools.pairwise(got)] == [air + 150] * 2
    assert got[0].sniffer is not None and got[0].sniffer.fw_time == 150


def test_v1_v2_times_are_anchored_again_after_a_packet_went_missing() -> None:
    clock = iter([5.0, 9.0])
    host = NrfHost(clock=lambda: next(clock))
    event = GOOD_EVENT.replace("40 42 0F 00", "96 00 00 00")
    first = frames_of(host.receive_data(_event(event, protover=2, pid=6, counter=1)))
    broken = _event(event, protover=2, pid=6, counter=2)[:-4]  # cut: its delta is unknown
    after = frames_of(host.receive_data(broken + _event(event, protover=2, pid=6, counter=3)))
    assert [first[0].ts_us, after[0].ts_us] == [5_000_000, 9_000_000]


def test_air_time_of_each_phy() -> None:
    ll = bytes(4 + 2 + 10 + 3)
    assert air_time_us(ll, 0) == 8 * (1 + 19)
    assert air_time_us(ll, 1) == 4 * (2 + 19)
    coded = bytes(4) + b"\x00" + bytes(2 + 10 + 3)  # CI 0: S8
    assert air_time_us(coded, 2) == 376 + 64 * (20 - 5) + 24
    assert air_time_us(bytes(4) + b"\x01" + bytes(15), 2) == 376 + 16 * 15 + 6


# -- live frames are file frames ---------------------------------------------------------


@cache
def corpus_frames(name: str) -> list[Frame]:
    return list(open_capture(need_corpus(name)))


def _same_but_counter_and_time(a: Frame, b: Frame) -> bool:
    assert a.sniffer is not None and b.sniffer is not None
    keep = {"packet_counter": 0, "fw_time": 0}
    a2 = msgspec.structs.replace(
        a, ts_us=0, offset=0, sniffer=msgspec.structs.replace(a.sniffer, **keep)
    )
    b2 = msgspec.structs.replace(
        b, ts_us=0, offset=0, sniffer=msgspec.structs.replace(b.sniffer, **keep)
    )
    return a2 == b2


@pytest.mark.corpus
@pytest.mark.parametrize(
    "name",
    ["nrf3_hid_mouse.pcapng", "nrf3_pairing_session.pcap", "bsniffhub_nrf2_encrypted_missing.pcap"],
)
def test_every_272_packet_comes_back_as_the_reader_made_it(name: str) -> None:
    for frame in corpus_frames(name):
        s = frame.sniffer
        assert s is not None and s.protover is not None and s.fw_time is not None
        packet = packet_from_frame(frame, protover=s.protover, counter=7, time=s.fw_time)
        back = frame_from_packet(
            packet, index=frame.index, ts_us=frame.ts_us, board_id=s.board_id or 0
        )
        assert msgspec.structs.replace(back, offset=frame.offset) == msgspec.structs.replace(
            frame, sniffer=msgspec.structs.replace(s, packet_counter=7)
        )


@pytest.mark.corpus
def test_256_packets_keep_what_the_pseudo_header_said() -> None:
    for frame in corpus_frames("bsniffhub_conn_update.pcap"):
        s = frame.sniffer
        assert s is not None
        packet = packet_from_frame(frame, protover=3, counter=1, time=frame.ts_us)
        back = frame_from_packet(packet, index=frame.index, ts_us=frame.ts_us)
        b = back.sniffer
        assert b is not None and back.payload == frame.payload
        assert (b.channel, b.rssi, b.crc_ok, b.advertising, b.phy) == (
            s.channel,
            s.rssi,
            s.crc_ok,
            s.advertising,
            s.phy,
        )
        assert back.direction == frame.direction or frame.direction == 0


# -- hostile input -----------------------------------------------------------------------

valid_stream = st.lists(
    st.one_of(
        st.builds(lambda c: _event(GOOD_EVENT, counter=c), st.integers(0, 0xFFFF)),
        st.just(EXAMPLE_A_WIRE),
        st.just(EXAMPLE_F_WIRE),
        st.binary(max_size=40),
        ALL_MESSAGES.map(lambda m: slip_encode(build_message(m, 3, 3))),
    ),
    max_size=20,
).map(b"".join)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.binary(max_size=3000), valid_stream))
def test_any_bytes_in_only_events_out(data: bytes) -> None:
    host = NrfHost(clock=lambda: 1.0)
    host.handshake()
    events = host.receive_data(data) + host.reset()
    allowed = (Frame, Message, ProtocolVersion, Lost, Skipped, Garbage, FrameDropped, Unhandled)
    assert all(isinstance(e, allowed) for e in events)


@settings(max_examples=300, deadline=None)
@given(valid_stream, st.lists(st.integers(min_value=0), max_size=20))
def test_same_events_whatever_the_chunking(data: bytes, cuts: list[int]) -> None:
    whole = NrfHost(clock=lambda: 1.0)
    whole.handshake()
    expected = whole.receive_data(data) + whole.reset()
    chunked = NrfHost(clock=lambda: 1.0)
    chunked.handshake()
    points = sorted({c % (len(data) + 1) for c in cuts})
    got = []
    for a, b in itertools.pairwise([0, *points, len(data)]):
        got += chunked.receive_data(data[a:b])
    got += chunked.reset()
    assert got == expected


def test_slip_layer_counts_reach_the_host() -> None:
    host = NrfHost()
    events = host.receive_data(b"\x00\x01" + h("AB 01 CD 00 BC") + _event(GOOD_EVENT))
    assert events[:2] == [Garbage(2), FrameDropped("SLIP bad escape", 5)]
    assert host.garbage == 2 and host.dropped == 1 and host.frames == 1
    assert SlipDecoder().feed(_event(GOOD_EVENT)) == [
        encode_packet(UartPacket(3, 1, 2, h(GOOD_EVENT)))
    ]
