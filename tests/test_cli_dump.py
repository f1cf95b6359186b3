"""`attscope dump` and `attscope stats` on the sample and a real capture."""

from __future__ import annotations

import json

import pytest
from corpus import SAMPLES, manifest, need_corpus

from attscope.main import main

SAMPLE = str(SAMPLES / "heart_rate.btsnoop")


def test_dump_one_line_per_frame(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dump", SAMPLE]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 197
    assert lines[0].split()[:2] == ["1", "0.000000"]
    mtu = next(line for line in lines if "Exchange MTU Request" in line)
    assert "0x0040" in mtu and "ACL / L2CAP / ATT" in mtu and " < " in mtu


def test_dump_marks_reassembled_pdus(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dump", SAMPLE]) == 0
    out = capsys.readouterr().out
    assert "[reassembled from frames" in out
    assert "L2CAP fragment" in out


def test_dump_verbose_has_fields_and_hex(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dump", "--verbose", SAMPLE]) == 0
    out = capsys.readouterr().out
    assert "    ATT_EXCHANGE_MTU_REQ\n" in out
    assert "client_rx_mtu: 517 (0x205)" in out
    assert "\n      0000  " in out  # hex dump rows


def test_stats_counts_every_att_frame_of_the_hci_captures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    need_corpus()
    for row in manifest():
        if not row["file"].endswith(".btsnoop"):
            continue
        assert main(["stats", "--json", str(need_corpus(row["file"]))]) == 0
        doc = json.loads(capsys.readouterr().out)
        att = sum(p["count"] for p in doc["pdus"] if p["layer"] == "ATT")
        assert att == int(row["att_frames"]), row["file"]
        assert not [p for p in doc["pdus"] if p["layer"].startswith("malformed")], row["file"]
