"""A log whose writer cut packets short (a phone's btsnooz buffer, a snap length) lost a
server's answer to a request; the request stayed pending and took the next request's
answer as its own (frame 62 of the heart-rate session paired with frame 67, an error,
though its answer, frame 64, was a success). A packet the writer cut is now a gap in
the streams: the request ends without an answer, and every answer pairs with its own
request or with none. A request the writer cut is not seen; its answer then answers no
request seen, which ends what was pending instead of being reported as a mismatch."""

from __future__ import annotations

from pathlib import Path

from corpus import SAMPLES

from attscope.capture import Encap, open_capture
from attscope.capture.btsnooz import btsnooz_section
from attscope.dissector.analysis.analyzer import Analyzer


def _pairs(path: Path) -> dict[int, int | None]:
    analyzer = Analyzer()
    for frame in open_capture(path):
        analyzer.feed(frame)
    analyzer.finish()
    assert analyzer.violations == []
    return {t.request_frame: t.response_frame for t in analyzer.transactions()}


def test_a_cut_answer_is_a_gap_not_a_later_answer(tmp_path: Path) -> None:
    sample = SAMPLES / "heart_rate.btsnoop"
    frames = [f for f in open_capture(sample) if f.encap == Encap.HCI]
    report = tmp_path / "bugreport.txt"
    report.write_bytes(btsnooz_section(frames, acl_bytes=12))
    truth, cut = _pairs(sample), _pairs(report)
    assert cut.keys() <= truth.keys()  # requests cut short are not seen as requests
    unanswered = [request for request, answer in cut.items() if answer is None]
    assert unanswered, "the cut log lost some answers"
    assert all(answer in (None, truth[request]) for request, answer in cut.items())
