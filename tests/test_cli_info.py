"""`attscope info`: text and JSON, warnings, exit statuses, and the console script itself."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from corpus import manifest, need_corpus

from attscope.cli.main import main


def _packets(name: str) -> int:
    """The packet count the manifest gives (tshark's count when the corpus was made)."""
    return int(next(row["packets"] for row in manifest() if row["file"] == name))


def test_info_text(capsys: pytest.CaptureFixture[str]) -> None:
    name = "android_yeelock_indications.btsnoop"
    path = need_corpus(name)
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    count = _packets(name)
    assert "Format:      btsnoop (version 1, datalink 1002 H4)" in out
    assert f"Frames:      {count}" in out
    assert f"1002 btsnoop HCI UART (H4): {count} frames" in out
    assert "Duration:" in out and "Warnings:    none" in out


def test_info_json_matches_manifest(capsys: pytest.CaptureFixture[str]) -> None:
    need_corpus()
    for row in manifest():
        assert main(["info", "--json", str(need_corpus(row["file"]))]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert doc["frames"] == int(row["packets"]), row["file"]
        assert sum(t["frames"] for t in doc["link_types"]) == doc["frames"]
        assert sum(doc["directions"].values()) == doc["frames"]
        assert doc["duration_us"] == doc["last_us"] - doc["first_us"]
        assert doc["first"].endswith("Z") and doc["warnings"] == []


def test_info_reports_truncation_with_offset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "bsniffhub_conn_update.pcap"
    data = need_corpus(name).read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[: len(data) - 5])
    assert main(["info", "--json", str(cut)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["frames"] == _packets(name) - 1  # every record but the one cut short
    (warning,) = doc["warnings"]
    assert warning["offset"] > 0 and "cut short" in warning["message"]
    assert main(["info", str(cut)]) == 0
    assert f"Warnings:    at byte {warning['offset']}: record cut short" in capsys.readouterr().out


def test_missing_file_exit_2_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", "/nonexistent/capture.pcap"]) == 2
    err = capsys.readouterr().err
    assert err == "attscope: /nonexistent/capture.pcap: No such file or directory\n"


def test_console_script_help_lists_subcommands() -> None:
    script = Path(sys.executable).with_name("attscope")
    out = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=True).stdout
    assert "info" in out and "convert" in out


def test_python_dash_m_runs(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "attscope", "info", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
