"""Issue 19: `live --count N` kept N packets but still counted what the same read brought
after the last of them: the summary of `--count 5` said "11 counter value(s) the sniffer
left unused" for five adverts that skipped one. What comes after the last wanted packet is
now neither kept nor counted."""

from __future__ import annotations

from collections.abc import Callable

from sniffer_helpers import adv_frame

from attscope.capture.live import LiveCapture
from attscope.capture.nrf_host import FrameDropped, Lost, Skipped
from attscope.capture.nrf_serial import NrfSerial, SerialEvent

ADDRESS = bytes.fromhex("C0FFEE123456")


class OneRead(NrfSerial):
    """A port that delivers these events in one read, then nothing."""

    def __init__(self, events: list[SerialEvent]) -> None:
        super().__init__("none")
        self._events = events

    def read_events(self, timeout: float = 0.0) -> list[SerialEvent]:
        out, self._events = self._events, []
        return out

    def command(self, build: Callable[..., bytes]) -> None:
        build(self.host)


def test_what_came_after_the_last_wanted_packet_is_not_counted() -> None:
    events: list[SerialEvent] = [
        adv_frame(1, ADDRESS, 1_000),
        Skipped(1, 2, 3),
        adv_frame(2, ADDRESS, 2_000),  # the last wanted one
        Skipped(7, 4, 11),
        Lost(2, 12, 14),
        FrameDropped("SLIP bad escape", 9),
        adv_frame(3, ADDRESS, 3_000),
    ]
    session = LiveCapture(OneRead(events), max_frames=2)
    frames = session.poll()
    assert [f.index for f in frames] == [1, 2] and session.closed
    s = session.stats
    assert (s.frames, s.skipped, s.lost, s.dropped) == (2, 1, 0, 0)
