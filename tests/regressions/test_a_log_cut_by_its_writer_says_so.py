"""Android's filtered snoop mode (and any writer with a snap length) keeps only the first
bytes of ACL packets, recording their original length: attscope read such a log without
a word, and the ATT values it lacked simply were not there. It now says how many
records were cut and from which frame, in `info` and wherever warnings are shown."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from corpus import SAMPLES

from attscope.capture import Encap, HciType, open_capture, write_capture
from attscope.cli.main import main

KEPT = 14  # ACL header, L2CAP header and the first ATT bytes


def test_a_log_cut_by_its_writer_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frames = list(open_capture(SAMPLES / "heart_rate.btsnoop"))
    cut = []
    for frame in frames:
        if frame.encap == Encap.HCI and frame.hci_type == HciType.ACL and len(frame.payload) > KEPT:
            # btsnoop's lengths count the H4 indicator too
            frame = msgspec.structs.replace(frame, payload=frame.payload[:KEPT],
                                            orig_len=len(frame.payload) + 1)  # fmt: skip
            cut.append(frame.index)
        frames[frame.index - 1] = frame
    path = tmp_path / "btsnoop_hci.log"
    write_capture(path, frames, "btsnoop", 1002)
    reader = open_capture(path)
    assert len(list(reader)) == len(frames)
    (warning,) = reader.warnings
    assert f"{len(cut)} record(s) cut short by the log's writer" in warning.message
    assert f"the first at frame {cut[0]}" in warning.message
    assert main(["info", str(path)]) == 0
    assert "ATT values and anything else past the cut are missing" in capsys.readouterr().out
