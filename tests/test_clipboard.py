"""`c` in the TUI: where the environment shows the clipboard escape cannot work, it says so
instead of "copied" (tui/clipboard.py)."""

from __future__ import annotations

import pytest

from attscope.tui.clipboard import clipboard_refusal


@pytest.mark.parametrize(
    ("environ", "refused"),
    [
        ({"TERM": "xterm-256color"}, False),
        ({"TERM": "linux"}, True),  # the Linux console
        ({"TERM": "dumb"}, True),
        ({"TERM": "screen", "STY": "1234.pts-0.host"}, True),  # inside GNU screen
    ],
)
def test_the_clipboard_escape_is_refused_where_the_terminal_cannot_take_it(
    environ: dict[str, str], refused: bool
) -> None:
    assert (clipboard_refusal(environ) is not None) == refused
