"""Issue 19, item 5: a session started with `--follow` and no TK left the dongle with
the TK an earlier session gave it (a scan sends the all-zero TK, a follow does not), so it
would decrypt with a stale key. The handshake now clears it whatever the options; a TK
given to this session is still the one the dongle ends up with."""

from __future__ import annotations

from attscope.capture.nrf_host import NrfHost
from attscope.capture.nrf_slip import SlipDecoder
from attscope.capture.nrf_uart import PacketId, parse_packet

MOUSE = "E2:E0:6B:31:00:54"


def sent(data: bytes) -> list[tuple[int, bytes]]:
    """The (packet id, payload) of each command the host wrote."""
    return [(p.packet_id, p.payload) for p in map(parse_packet, SlipDecoder().feed(data))]


def keys(data: bytes) -> list[bytes]:
    return [payload for pid, payload in sent(data) if pid == PacketId.SET_TEMPORARY_KEY]


def test_a_follow_at_start_clears_the_tk() -> None:
    host = NrfHost()
    host.follow(MOUSE, False)
    commands = sent(host.handshake())
    assert [pid for pid, _ in commands].count(PacketId.REQ_FOLLOW) == 1
    assert [p for pid, p in commands if pid == PacketId.SET_TEMPORARY_KEY] == [bytes(16)]


def test_a_tk_given_is_the_last_one_sent() -> None:
    host = NrfHost()
    host.follow(MOUSE, False)
    host.set_temporary_key(b"\x01\xe2\x40")  # passkey 123456
    assert keys(host.handshake()) == [bytes(13) + b"\x01\xe2\x40"]


def test_a_scan_sends_the_zero_tk_once() -> None:
    assert keys(NrfHost().handshake()) == [bytes(16)]
