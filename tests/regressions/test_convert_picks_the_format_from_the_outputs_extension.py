"""`attscope convert` always wrote pcapng, whatever the output was called. Without
`--format` the output's extension chooses, as `live --save` does (one table for both):
.pcap pcap, .pcapng/.ntar pcapng, .btsnoop/.log/.cfa btsnoop, pcapng for any other."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus import SAMPLES

from attscope.capture import CaptureError, open_capture
from attscope.capture.recorder import Recorder
from attscope.cli.main import main

SAMPLE = SAMPLES / "heart_rate.btsnoop"
MAGIC = {
    "pcap": b"\xd4\xc3\xb2\xa1",
    "pcapng": b"\x0a\x0d\x0d\x0a",
    "btsnoop": b"btsnoop\x00",
}


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("out.pcap", "pcap"),
        ("OUT.PCAP", "pcap"),
        ("out.pcapng", "pcapng"),
        ("out.ntar", "pcapng"),
        ("out.btsnoop", "btsnoop"),
        ("btsnoop_hci.log", "btsnoop"),
        ("out.cfa", "btsnoop"),
        ("out.bin", "pcapng"),
        ("out", "pcapng"),
    ],
)
def test_the_extension_chooses_the_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, fmt: str
) -> None:
    out = tmp_path / name
    assert main(["convert", str(SAMPLE), str(out)]) == 0
    assert out.read_bytes().startswith(MAGIC[fmt])
    assert f"197 frames written to {out} ({fmt}, " in capsys.readouterr().out
    assert len(list(open_capture(out))) == 197


def test_format_wins_over_the_extension(tmp_path: Path) -> None:
    out = tmp_path / "out.pcapng"
    assert main(["convert", str(SAMPLE), str(out), "--format", "pcap"]) == 0
    assert out.read_bytes().startswith(MAGIC["pcap"])


def test_a_live_recording_follows_the_same_table(tmp_path: Path) -> None:
    for name, fmt in [("live.ntar", "pcapng"), ("live.pcapng", "pcapng"), ("live.cap", "pcap")]:
        recorder = Recorder(tmp_path / name)
        recorder.close()
        assert (tmp_path / name).read_bytes().startswith(MAGIC[fmt]), name
    with pytest.raises(CaptureError, match=r"record to a \.pcap or \.pcapng"):
        Recorder(tmp_path / "live.btsnoop")
    assert not (tmp_path / "live.btsnoop").exists()
