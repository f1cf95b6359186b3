"""`attscope emulate --link /missing/folder/sniffer` said `/dev/pts/N: No such file or
directory`, naming the pty (the symlink's target) instead of the path that is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from sniffer_helpers import write_sample

from attscope.cli.main import main


def test_a_link_in_a_missing_folder_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = write_sample(tmp_path / "adverts.pcap", 3)
    link = tmp_path / "missing" / "sniffer"
    assert main(["emulate", "--replay", str(sample), "--link", str(link)]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"attscope emulate: {link}: No such file or directory\n"
    assert "/dev/pts" not in captured.err + captured.out
