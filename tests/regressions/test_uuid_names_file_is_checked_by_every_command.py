"""`--uuid-names` with a missing file was silently ignored by `dump` without analysis
options and by `live --no-tui`: it is now one line and exit 2 on every command that takes
it, before anything else happens. Lines that are no UUID are reported with their number."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus import SAMPLES
from sniffer_helpers import write_sample

from attscope.cli.main import main

SAMPLE = str(SAMPLES / "heart_rate.btsnoop")


def _commands(tmp_path: Path) -> list[list[str]]:
    air = str(write_sample(tmp_path / "adverts.pcap", 20))
    live = ["live", "--emulate", air, "--rate", "max", "--no-tui"]
    return [
        ["dump", SAMPLE],
        ["dump", "--gatt", SAMPLE],
        ["open", SAMPLE],
        [SAMPLE],
        ["export", SAMPLE],
        [*live, "--save", str(tmp_path / "rec.pcap")],
        [*live, "--transactions"],
    ]


@pytest.mark.parametrize("which", range(7))
def test_a_missing_names_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], which: int
) -> None:
    missing = tmp_path / "no-such-names.txt"
    args = [*_commands(tmp_path)[which], "--uuid-names", str(missing)]
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.err == f"attscope: {missing}: No such file or directory\n"
    assert captured.out == ""
    assert not (tmp_path / "rec.pcap").exists()  # nothing started, nothing recorded


def test_lines_that_are_no_uuid_are_reported_by_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = tmp_path / "names.txt"
    names.write_text(
        "# my names\n"
        "2a37 My Heart Rate\n"
        "heart rate monitor\n"
        "0x2A38 My Body Sensor Location\n"
        "f000aa00-0451-4000-b000-000000000000 My Service\n"
        "2a3g Typo\n"
    )
    assert main(["dump", "--gatt", "--uuid-names", str(names), SAMPLE]) == 0
    captured = capsys.readouterr()
    assert "characteristic My Heart Rate (2a37) [notify]" in captured.out
    assert "My Body Sensor Location (2a38)" in captured.out
    assert captured.err.splitlines() == [
        f"attscope: warning: {names}:3: 'heart' is no UUID; line left out",
        f"attscope: warning: {names}:6: '2a3g' is no UUID; line left out",
    ]


def test_json_keys_that_are_no_uuid_are_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = tmp_path / "names.json"
    names.write_text('{"2A37": "My Heart Rate", "heart rate": "nope"}')
    assert main(["dump", "--gatt", "--uuid-names", str(names), SAMPLE]) == 0
    captured = capsys.readouterr()
    assert "characteristic My Heart Rate (2a37) [notify]" in captured.out
    assert captured.err == f"attscope: warning: {names}: key 'heart rate' is no UUID; left out\n"
