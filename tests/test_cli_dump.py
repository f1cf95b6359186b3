"""`attscope dump` and `attscope stats` on the sample and a real capture."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from corpus import SAMPLES, manifest, need_corpus
from sample_facts import facts

from attscope.cli.main import main

SAMPLE = str(SAMPLES / "heart_rate.btsnoop")


def test_dump_one_line_per_frame(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dump", SAMPLE]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == facts(SAMPLE).frames
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


def test_dump_transactions_streams_the_analysis(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dump", "--transactions", SAMPLE]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == facts(SAMPLE).transactions
    assert "exchange_mtu ok" in lines[0] and lines[0].split()[0] == "49->51"
    read = next(line for line in lines if "(Device Name)" in line)
    assert '= "Northwind HR2 5DC8"' in read and "local->remote read handle 0x0003" in read


def test_dump_connections_and_gatt(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dump", "--connections", "--gatt", SAMPLE]) == 0
    out = capsys.readouterr().out
    assert "Connection 0x0040 (le): peer F3:7A:2C:91:5D:C8 (random), local central" in out
    assert "mtu_exchange: ATT_MTU 247 (client 517, server 247, bearer 0x0004)" in out
    assert "disconnect: Connection Terminated By Local Host" in out
    assert "GATT database of F3:7A:2C:91:5D:C8" in out
    assert "0x000c-0x0013 primary service Heart Rate (180d)" in out
    assert "CCCD 0x000f of client 3C:28:6D:A1:47:0E: off (frame 192)" in out


def test_dump_violations_on_a_clean_capture_prints_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["dump", "--violations", SAMPLE]) == 0
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    "content", ['{"2A37": "My Heart Rate"}', "# custom names\n2a37 My Heart Rate\n"]
)
def test_uuid_names_file(tmp_path: Path, content: str, capsys: pytest.CaptureFixture[str]) -> None:
    names = tmp_path / "names.txt"
    names.write_text(content)
    assert main(["dump", "--gatt", "--uuid-names", str(names), SAMPLE]) == 0
    assert "characteristic My Heart Rate (2a37) [notify]" in capsys.readouterr().out


def test_uuid_names_file_unreadable_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dump", "--gatt", "--uuid-names", "/nonexistent/names.json", SAMPLE]) == 2
    assert capsys.readouterr().err.count("\n") == 1
