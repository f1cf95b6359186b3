"""A device name holding `[link=...]` crashed the TUI through a notification (Textual parses
notifications as markup), and bidirectional controls (U+202E) from a capture reached the
TUI unescaped although the command line and the export escape them."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from frames import Script
from tui_helpers import run_async, settle

from attscope.capture import write_capture
from attscope.dissector.decoding.att_pdus import (
    HandleValue,
    ReadByTypeRequest,
    ReadByTypeResponse,
    ReadRequest,
    ReadResponse,
)
from attscope.tui.app import make_app

NAME = "[link=https://example.invalid]press[/link] A\u202eB"


def named_capture(path: Path) -> Path:
    s = Script()
    s.local(ReadByTypeRequest(0x0001, 0xFFFF, "2803"))
    declaration = bytes([0x02]) + struct.pack("<H", 3) + struct.pack("<H", 0x2A00)
    s.remote(ReadByTypeResponse(7, (HandleValue(2, declaration),)))
    s.local(ReadRequest(3))
    s.remote(ReadResponse(NAME.encode()))
    write_capture(path, s.frames, "btsnoop", 1002)
    return path


@run_async
async def test_a_name_with_markup_in_a_notification_is_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the export lands in the working folder
    path = tmp_path / "[link=example]x [b.btsnoop"
    app = make_app(str(named_capture(path)))
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("e")  # export the panel: the prompt offers a name from the file's
        await pilot.press("enter")
        await settle(pilot, app)
        await pilot.pause()
        assert app.is_running and app.crash is None
        shown = [(n.message, n.markup) for n in app._notifications]
        assert any("[link=example]x [b" in m for m, _ in shown), shown
        assert not any(markup for _, markup in shown)  # shown as text, never parsed


@run_async
async def test_bidirectional_controls_are_escaped_in_the_tui(tmp_path: Path) -> None:
    app = make_app(str(named_capture(tmp_path / "named.btsnoop")))
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot, app)
        row = app.list_of("connections").source.rows(1, 2, 160)[0].plain
        assert "A\\u202eB" in row and "\u202e" not in row
