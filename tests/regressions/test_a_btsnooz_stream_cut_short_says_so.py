"""A btsnooz log whose zlib stream ends early (a section copied out short, a damaged
report) gave its records but no warning: the warning said while inflating was wiped when
the records were counted for their times. It is now kept."""

from __future__ import annotations

import base64
import zlib

from corpus import SAMPLES

from attscope.capture import Encap, open_capture
from attscope.capture.btsnooz import Btsnooz, btsnooz_section, find_btsnooz


def test_a_btsnooz_stream_cut_short_says_so() -> None:
    frames = [f for f in open_capture(SAMPLES / "heart_rate.btsnoop") if f.encap == Encap.HCI]
    blob = find_btsnooz(btsnooz_section(frames))
    assert blob is not None
    raw = base64.b64decode(blob)
    whole = len(zlib.decompress(raw[9:]))
    snooz = Btsnooz(raw[: len(raw) * 2 // 3], "cut")
    assert len(snooz.data) < whole
    got = list(snooz.read())
    assert 0 < len(got) < len(frames)
    assert any("cut short" in w.message and "lost" in w.message for w in snooz.warnings)
