"""Issue 19, item 1: every gap in the sniffer's packet counter was reported as lost
packets, and a broken frame was counted twice (broken, and lost for its missing counter
value). Real firmware leaves gaps for packets it does not forward, so replaying real
sessions reported hundreds of packets lost while every one was recorded. Now a gap in a
whole stream is a skip; a loss needs the byte stream to have broken, and the broken frames
themselves are never counted as lost as well."""

from __future__ import annotations

from attscope.capture.nrf_host import FrameDropped, Lost, NrfHost, Skipped
from attscope.capture.nrf_slip import slip_encode
from attscope.capture.nrf_uart import UartPacket, encode_packet

EVENT = bytes.fromhex("0A01253C00004042 0F00D6BE898E4203000102 03AABBCC".replace(" ", ""))


def advert(counter: int) -> bytes:
    return slip_encode(encode_packet(UartPacket(3, counter, 2, EVENT)))


def counting_host() -> NrfHost:
    host = NrfHost()
    host.handshake()  # from now on gaps count
    return host


def test_a_gap_in_a_whole_stream_is_skipped_not_lost() -> None:
    host = counting_host()
    events = host.receive_data(advert(10) + advert(12) + advert(13) + advert(20))
    assert [e for e in events if isinstance(e, Skipped)] == [Skipped(1, 11, 12), Skipped(6, 14, 20)]
    assert (host.lost, host.skipped) == (0, 7)


def test_a_broken_frame_is_broken_and_not_also_lost() -> None:
    host = counting_host()
    broken = advert(11).replace(b"\x42\x0f", b"\xcd\x00", 1)  # a bad escape inside it
    events = host.receive_data(advert(10) + broken + advert(12))
    assert sum(isinstance(e, FrameDropped) for e in events) == 1
    assert not [e for e in events if isinstance(e, Lost | Skipped)]
    assert (host.dropped, host.lost, host.skipped) == (1, 0, 0)


def test_bytes_lost_across_frames_are_one_broken_and_the_rest_lost() -> None:
    host = counting_host()
    cut = advert(11)[:12]  # its end, and frames 12 and 13 whole, never arrived
    events = host.receive_data(advert(10) + cut + advert(14))
    assert [e for e in events if isinstance(e, Lost)] == [Lost(2, 11, 14)]
    assert (host.dropped, host.lost, host.skipped) == (1, 2, 0)


def test_a_frame_whole_but_invalid_is_no_sign_of_lost_bytes() -> None:
    host = counting_host()
    invalid = slip_encode(encode_packet(UartPacket(3, 11, 2, b"\x0b" + EVENT[1:])))
    events = host.receive_data(advert(10) + invalid + advert(13))
    assert [e for e in events if isinstance(e, Skipped)] == [Skipped(1, 11, 13)]
    assert (host.dropped, host.lost, host.skipped) == (1, 0, 1)
