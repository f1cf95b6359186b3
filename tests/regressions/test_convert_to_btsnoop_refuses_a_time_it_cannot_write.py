"""`convert --format btsnoop` of a frame whose time is past what a btsnoop record holds (a
signed 64-bit count of microseconds since year 0) ended in a struct.error traceback; it is
one line and exit 2, as for pcap, and no output is left."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import msgspec
from corpus import SAMPLES

from attscope.capture import open_capture, write_capture


def test_a_time_btsnoop_cannot_hold_is_one_line(tmp_path: Path) -> None:
    frames = list(open_capture(SAMPLES / "heart_rate.btsnoop"))[:5]
    far = [*frames[:4], msgspec.structs.replace(frames[4], ts_us=(1 << 64) - 1)]
    source = tmp_path / "far.pcapng"
    write_capture(source, far, "pcapng", 201)
    out = tmp_path / "out" / "far.btsnoop"
    out.parent.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "attscope", "convert", str(source), str(out)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "frame 5" in done.stderr and "does not fit a btsnoop record" in done.stderr
    assert list(out.parent.iterdir()) == []
