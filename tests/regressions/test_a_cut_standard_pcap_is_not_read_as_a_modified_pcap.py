"""A standard pcap cut short can end exactly where one of the modified-pcap record layouts
(20, 24 or 28-byte record headers) would end: the reader took it for that variant and
read its first frame with a wrong payload and sniffer header (found on a real nRF
capture cut 121 bytes in). Every cut of a standard pcap must give its complete frames,
as they are in the whole file."""

from __future__ import annotations

from pathlib import Path

from attscope.capture import open_capture, write_capture
from attscope.capture.errors import CaptureError

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "heart_rate.btsnoop"


def test_every_cut_gives_the_complete_frames_unchanged(tmp_path: Path) -> None:
    source = list(open_capture(SAMPLE))[:12]
    whole = tmp_path / "whole.pcap"
    write_capture(whole, source, "pcap", 201)
    data = whole.read_bytes()
    frames = list(open_capture(whole))
    ends = [f.offset for f in frames[1:]] + [len(data)]  # where each record ends
    cut_path = tmp_path / "cut.pcap"
    wrong = []
    for cut in range(24, len(data)):
        cut_path.write_bytes(data[:cut])
        try:
            got = list(open_capture(cut_path))
        except CaptureError:
            wrong.append((cut, "refused"))
            continue
        expected = [f for f, end in zip(frames, ends, strict=True) if end <= cut]
        if got != expected:
            wrong.append((cut, f"{len(got)} frames, {len(expected)} expected"))
    assert wrong == []
