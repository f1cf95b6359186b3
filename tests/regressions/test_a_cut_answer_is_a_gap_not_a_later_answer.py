"""A log whose writer cut packets short (a phone's btsnooz buffer, a snap length) lost a
server's answer to a request; the request stayed pending and took the next request's
answer as its own (frame 62 of the heart-rate session paired with frame 67, an error,
though its answer, frame 64, was a success). A packet the writer cut is now a gap in
the streams: the request ends without an answer, and every answer pairs with its own
request or with none. A request the writer cut is not seen; its answer then answers no
request seen, which ends what was pending instead of being reported as a mismatch.

Where the writer kept the answer's opcode, the answer is seen for what it is: its request
ends answered, its value unknown ("cut")."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from corpus import SAMPLES

from attscope.capture import Direction, Encap, HciType, open_capture, write_capture
from attscope.capture.btsnooz import btsnooz_section
from attscope.dissector.analysis.analyzer import Analyzer


def _pairs(path: Path) -> tuple[dict[int, int | None], list[str]]:
    analyzer = Analyzer()
    for frame in open_capture(path):
        analyzer.feed(frame)
    analyzer.finish()
    assert analyzer.violations == []
    txns = analyzer.transactions()
    return {t.request_frame: t.response_frame for t in txns}, [t.outcome for t in txns]


def _own(request: int, answer: int | None, truth: dict[int, int | None]) -> bool:
    """`answer` is none, or the request's own: the frame that completed it, or for an
    answer whose continuation fragments were cut, its first frame (between the two)."""
    true = truth[request]
    return answer is None or answer == true or (true is not None and request < answer < true)


def _cut_answers(tmp_path: Path, kept: int) -> Path:
    """The heart-rate session with the server's ACL packets cut to `kept` bytes, as a
    btsnoop log whose records keep their original length."""
    sample = SAMPLES / "heart_rate.btsnoop"
    frames = []
    for frame in open_capture(sample):
        if frame.encap != Encap.HCI:
            continue
        server = frame.hci_type == HciType.ACL and frame.direction == Direction.CONTROLLER_TO_HOST
        if server and len(frame.payload) > kept:
            frame = msgspec.structs.replace(
                frame, payload=frame.payload[:kept], orig_len=len(frame.payload) + 1
            )
        frames.append(frame)
    path = tmp_path / "cut.btsnoop"
    write_capture(path, frames, "btsnoop", 1002)
    return path


# 8 bytes: the ACL and L2CAP headers only, the answers lost; 12: their opcodes kept
@pytest.mark.parametrize("kept", [8, 12])
def test_a_cut_answer_is_a_gap_not_a_later_answer(tmp_path: Path, kept: int) -> None:
    (truth, _), (cut, outcomes) = (
        _pairs(SAMPLES / "heart_rate.btsnoop"),
        _pairs(_cut_answers(tmp_path, kept)),
    )
    assert cut.keys() == truth.keys()  # every request is whole
    unanswered = [request for request, answer in cut.items() if answer is None]
    if kept == 8:
        assert unanswered, "the cut log lost some answers"
        assert "cut" not in outcomes
    else:
        assert "cut" in outcomes
    assert all(_own(request, answer, truth) for request, answer in cut.items())


def test_a_btsnooz_log_cut_to_12_bytes_pairs_every_answer_it_kept(tmp_path: Path) -> None:
    frames = [f for f in open_capture(SAMPLES / "heart_rate.btsnoop") if f.encap == Encap.HCI]
    report = tmp_path / "bugreport.txt"
    report.write_bytes(btsnooz_section(frames, acl_bytes=12))
    (truth, _), (cut, outcomes) = _pairs(SAMPLES / "heart_rate.btsnoop"), _pairs(report)
    assert cut.keys() <= truth.keys()  # requests cut short are not seen as requests
    assert "cut" in outcomes
    assert all(_own(request, answer, truth) for request, answer in cut.items())
