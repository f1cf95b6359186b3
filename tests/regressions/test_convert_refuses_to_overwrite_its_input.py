"""`attscope convert IN IN` rewrote the input in place as pcapng. An output that is the
input (the same path, a symlink to it, a hard link) is refused: one line, exit 2, the
input untouched. `export -o` keeps the same rule."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from corpus import SAMPLES

from attscope.cli.main import main

SAMPLE = SAMPLES / "heart_rate.btsnoop"


def _same_path(capture: Path) -> Path:
    return capture


def _spelt_otherwise(capture: Path) -> Path:
    return capture.parent / "." / capture.name


def _symlink(capture: Path) -> Path:
    link = capture.with_name("link.pcapng")
    link.symlink_to(capture)
    return link


def _hard_link(capture: Path) -> Path:
    other = capture.with_name("other.pcap")
    os.link(capture, other)
    return other


@pytest.mark.parametrize("output", [_same_path, _spelt_otherwise, _symlink, _hard_link])
@pytest.mark.parametrize("command", ["convert", "export"])
def test_an_output_that_is_the_input_is_refused(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    output: Callable[[Path], Path],
    command: str,
) -> None:
    capture = tmp_path / "mine.btsnoop"
    shutil.copyfile(SAMPLE, capture)
    before = capture.read_bytes()
    target = output(capture)
    args = [command, str(capture), str(target)]
    if command == "export":
        args = [command, str(capture), "-o", str(target)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert (
        err == f"attscope: {target}: is the same file as the input {capture}; not overwriting it\n"
    )
    assert capture.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
