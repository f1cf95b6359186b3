"""`attscope live --duration 0` (or a negative or NaN duration) started a session that
ended at once; it is bad usage: one line, exit 2, no port opened and nothing recorded."""

from __future__ import annotations

from pathlib import Path

import pytest
from sniffer_helpers import write_sample

from attscope.cli.main import main


@pytest.mark.parametrize("duration", ["0", "-1", "-0.5", "nan"])
def test_a_duration_that_is_not_positive_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], duration: str
) -> None:
    air = str(write_sample(tmp_path / "adverts.pcap", 20))
    record = tmp_path / "rec.pcap"
    args = ["live", "--emulate", air, "--no-tui", "--save", str(record)]
    assert main([*args, f"--duration={duration}"]) == 2
    captured = capsys.readouterr()
    assert captured.err == "attscope live: --duration must be a positive number of seconds\n"
    assert captured.out == "" and not record.exists()
