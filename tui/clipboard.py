"""What `c` can promise: the TUI copies with the terminal's clipboard escape (OSC 52),
which no terminal answers, so whether it worked cannot be seen. Where the environment
says it will not work (a console, tmux with its clipboard off, GNU screen), the user is
told so instead of "copied"."""

from __future__ import annotations

import os
import shutil
import subprocess


def clipboard_refusal(environ: dict[str, str] | None = None) -> str | None:
    """Why the clipboard escape will not reach a clipboard here, or None when it may."""
    env = os.environ if environ is None else environ
    term = env.get("TERM", "")
    if term in ("linux", "dumb", "vt100", "vt220"):
        return f"the terminal (TERM={term}) has no clipboard"
    if env.get("STY"):
        return "GNU screen does not pass the clipboard escape on"
    if env.get("TMUX") and _tmux_clipboard_off():
        return "tmux has set-clipboard off (set -g set-clipboard on)"
    return None


def _tmux_clipboard_off() -> bool:
    tmux = shutil.which("tmux")
    if tmux is None:
        return False
    try:
        done = subprocess.run(
            [tmux, "show-options", "-gv", "set-clipboard"],
            capture_output=True, text=True, timeout=2, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and done.stdout.strip() == "off"
