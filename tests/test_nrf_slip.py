"""The nRF Sniffer SLIP codec: Nordic's own example byte for byte, every way a frame can
be broken, and hypothesis for "same frames whatever the chunking" and "any bytes in, only
frames and problems out"."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attscope.capture.nrf_slip import (
    SlipDecoder,
    SlipFault,
    SlipProblem,
    slip_encode,
    slip_unescape,
)

# nRF Sniffer reference, example A: Nordic's v1 EVENT_PACKET and its three escapes
EXAMPLE_A = bytes.fromhex(
    "06 35 01 EF CD 06 0A 01 26 5C 00 00 BC 01 00 00 D6 BE 89 8E 40 21 00 FD 03 27 D3 DA D8"
    " 02 01 06 11 06 BA 56 89 A6 FA BF A2 BD 01 46 7D 6E 00 FB AB AD 05 16 0A 18 05 06 1E 77 F2"
)
EXAMPLE_A_WIRE = bytes.fromhex(
    "AB 06 35 01 EF CD CE 06 0A 01 26 5C 00 00 CD BD 01 00 00 D6 BE 89 8E 40 21 00 FD 03 27 D3"
    " DA D8 02 01 06 11 06 BA 56 89 A6 FA BF A2 BD 01 46 7D 6E 00 FB CD AC AD 05 16 0A 18 05 06"
    " 1E 77 F2 BC"
)


def test_example_a_encodes_and_decodes_byte_exact() -> None:
    assert slip_encode(EXAMPLE_A) == EXAMPLE_A_WIRE
    assert SlipDecoder().feed(EXAMPLE_A_WIRE) == [EXAMPLE_A]


def test_only_the_three_special_bytes_are_escaped() -> None:
    # 0xC0 and 0xDB are RFC 1055's specials, ordinary bytes here
    assert slip_encode(b"\xc0\xdb\xab\xbc\xcd") == b"\xab\xc0\xdb\xcd\xac\xcd\xbd\xcd\xce\xbc"


def test_garbage_before_a_frame_is_skipped_and_counted() -> None:
    dec = SlipDecoder()
    events = dec.feed_events(b"\x00\x11\x22" + slip_encode(b"abc"))
    assert events == [SlipProblem(SlipFault.GARBAGE, 3), b"abc"]
    assert dec.garbage_bytes == 3 and dec.frames == 1


def test_garbage_is_reported_once_per_run_whatever_the_chunks() -> None:
    dec = SlipDecoder()
    assert dec.feed_events(b"\x01\x02") == []  # the run is not over yet
    assert dec.garbage_bytes == 2  # but the counter is current
    assert dec.feed_events(b"\x03" + slip_encode(b"x")) == [SlipProblem(SlipFault.GARBAGE, 3), b"x"]


@pytest.mark.parametrize(
    ("wire", "fault", "discarded"),
    [
        (b"\xab12\xcd\x00\xbc", SlipFault.BAD_ESCAPE, 6),  # CD then an unknown byte
        (b"\xab12\xcd\xbc", SlipFault.BAD_ESCAPE, 5),  # CD then the frame's end
        (b"\xab\xcd\xcd\xce\xbc", SlipFault.BAD_ESCAPE, 5),  # CD CD
        (b"\xab\xbc", SlipFault.EMPTY, 2),
    ],
)
def test_a_broken_frame_is_dropped_and_the_next_one_kept(
    wire: bytes, fault: SlipFault, discarded: int
) -> None:
    dec = SlipDecoder()
    assert dec.feed_events(wire + slip_encode(b"ok")) == [SlipProblem(fault, discarded), b"ok"]
    assert dec.dropped_frames == 1 and dec.faults[fault] == 1


def test_a_frame_start_inside_a_frame_restarts() -> None:
    # unlike Nordic's hosts, which would keep the AB as data and lose both frames
    dec = SlipDecoder()
    events = dec.feed_events(b"\xab\x01\x02" + slip_encode(b"new"))
    assert events == [SlipProblem(SlipFault.RESTART, 3), b"new"]


def test_an_escape_cut_by_a_frame_start_restarts() -> None:
    assert SlipDecoder().feed_events(b"\xab\x01\xcd" + slip_encode(b"n")) == [
        SlipProblem(SlipFault.RESTART, 3),
        b"n",
    ]


def test_oversize_frames_are_dropped_without_holding_them() -> None:
    dec = SlipDecoder(max_frame=16)
    wire = b"\xab" + b"\x01" * 1000 + b"\xbc"
    events = []
    for i in range(0, len(wire), 7):
        events += dec.feed_events(wire[i : i + 7])
        assert len(dec._wire) <= 32  # bounded, whatever arrives
    assert events == [SlipProblem(SlipFault.OVERSIZE, 1002)]
    assert dec.feed(slip_encode(b"fits")) == [b"fits"]


def test_decoded_length_is_bounded_too() -> None:
    dec = SlipDecoder(max_frame=4)
    assert dec.feed_events(slip_encode(b"12345") + slip_encode(b"1234")) == [
        SlipProblem(SlipFault.OVERSIZE, 7),
        b"1234",
    ]


def test_close_reports_a_cut_frame_and_pending_garbage() -> None:
    dec = SlipDecoder()
    assert dec.feed_events(b"\xab\x01\x02") == []
    assert dec.close() == [SlipProblem(SlipFault.TRUNCATED, 3)]
    assert dec.feed_events(b"zz") == []
    assert dec.close() == [SlipProblem(SlipFault.GARBAGE, 2)]
    assert dec.feed(slip_encode(b"after")) == [b"after"]


def test_unescape_refuses_a_dangling_escape() -> None:
    assert slip_unescape(b"a\xcd") is None
    assert slip_unescape(b"a\xcd\xac\xcd\xbd\xcd\xce") == b"a\xab\xbc\xcd"


# -- properties ------------------------------------------------------------------------

payloads = st.lists(st.binary(min_size=1, max_size=60), max_size=12)
noise = st.binary(max_size=300)


def _chunks(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


@settings(max_examples=300, deadline=None)
@given(payloads, st.lists(st.integers(min_value=0), max_size=20))
def test_round_trip_whatever_the_chunking(frames: list[bytes], cuts: list[int]) -> None:
    wire = b"".join(slip_encode(f) for f in frames)
    dec = SlipDecoder()
    got = [f for chunk in _chunks(wire, cuts) for f in dec.feed(chunk)]
    assert got == frames
    assert dec.dropped_frames == 0 and dec.garbage_bytes == 0


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(noise, payloads.map(lambda fs: b"".join(map(slip_encode, fs))))),
    st.lists(st.integers(min_value=0), max_size=30),
)
def test_same_events_whatever_the_chunking(parts: list[bytes], cuts: list[int]) -> None:
    """Frames and problems alike: every decision is taken at a frame boundary."""
    stream = b"".join(parts)
    whole = SlipDecoder(max_frame=64)
    expected = whole.feed_events(stream) + whole.close()
    chunked = SlipDecoder(max_frame=64)
    got: list[bytes | SlipProblem] = []
    for chunk in _chunks(stream, cuts):
        got += chunked.feed_events(chunk)
    got += chunked.close()
    assert got == expected


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=2000), st.lists(st.integers(min_value=0), max_size=10))
def test_any_bytes_in_only_frames_and_problems_out(data: bytes, cuts: list[int]) -> None:
    dec = SlipDecoder(max_frame=64)
    events: list[bytes | SlipProblem] = []
    for chunk in _chunks(data, cuts):
        events += dec.feed_events(chunk)
        assert len(dec._wire) <= 128
    events += dec.close()
    wire_accounted = sum(e.discarded for e in events if isinstance(e, SlipProblem))
    assert all(isinstance(e, bytes | SlipProblem) for e in events)
    assert all(0 < len(e) <= 64 for e in events if isinstance(e, bytes))
    # every byte is either in a delivered frame or counted as discarded
    delivered = sum(len(slip_encode(e)) for e in events if isinstance(e, bytes))
    assert delivered + wire_accounted == len(data)


@settings(max_examples=200, deadline=None)
@given(noise.filter(lambda b: 0xAB not in b), payloads)
def test_garbage_without_a_frame_start_never_costs_a_frame(
    junk: bytes, frames: list[bytes]
) -> None:
    wire = b"".join(junk + slip_encode(f) for f in frames)
    assert SlipDecoder().feed(wire) == frames
