"""`attscope FILE` on a file that is no capture opened an empty UI when the file's first
bytes passed for a capture's (a cut header, a header and then nothing readable). The
command reads up to the first frame before starting the UI: one line, exit 2, no UI."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from attscope.cli.main import main
from attscope.tui import app as tui_app

PCAP_HEADER = b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00" + bytes(8) + b"\xff\xff\x00\x00\xc9\x00\x00\x00"
NOT_CAPTURES = {
    "empty.pcap": b"",
    "notes.txt": b"these are my notes, not a capture\n" * 20,
    "noise.bin": bytes((i * 7919 + 13) % 251 for i in range(4096)),
    "cut.btsnoop": b"btsnoop\x00\x00",  # the magic, then the header cut short
    "cut.pcapng": b"\x0a\x0d\x0d\x0a\x1c\x00",
    "absurd.pcap": PCAP_HEADER + bytes(8) + b"\xff\xff\xff\x7f" * 2 + b"garbage",
}


class Terminal(io.StringIO):
    """A standard stream that says it is a terminal, as an interactive shell's is."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("name", list(NOT_CAPTURES))
@pytest.mark.parametrize("command", [[], ["open"]])
def test_no_ui_for_a_file_that_is_no_capture(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, command: list[str]
) -> None:
    path = tmp_path / name
    path.write_bytes(NOT_CAPTURES[name])
    started: list[str] = []

    def make_app(source: object, names: object = None) -> object:
        started.append(str(source))
        raise AssertionError("the UI must not start on a file that is no capture")

    monkeypatch.setattr(tui_app, "make_app", make_app)
    err = io.StringIO()
    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr(sys, "stdout", Terminal())
    monkeypatch.setattr(sys, "stderr", err)
    assert main([*command, str(path)]) == 2
    assert started == []
    message = err.getvalue()
    assert message.count("\n") == 1 and message.startswith(f"attscope: {path}: "), message
