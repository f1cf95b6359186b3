"""`attscope FILE` run from a script (output redirected, no terminal on stdin) wrote the
UI's escape codes into the pipe and hung. Without a terminal it now says in one line that
the UI needs one and what to run instead, exit 2; `--exit-after` still runs without one
(the benchmark's way), and on a terminal the UI still starts."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

import pytest
from corpus import SAMPLES

SAMPLE = str(SAMPLES / "heart_rate.btsnoop")
ATTSCOPE = [sys.executable, "-m", "attscope"]
PATIENCE = 120  # s: an upper bound for a loaded machine; each wait ends on its event


@pytest.mark.parametrize("stdin_is_a_terminal", [False, True])
def test_no_terminal_is_one_line_and_exit_2(stdin_is_a_terminal: bool) -> None:
    master, slave = pty.openpty()
    try:
        done = subprocess.run(
            [*ATTSCOPE, SAMPLE],
            stdin=slave if stdin_is_a_terminal else subprocess.DEVNULL,
            capture_output=True,
            timeout=PATIENCE,
            check=False,
        )
    finally:
        os.close(master)
        os.close(slave)
    assert done.returncode == 2
    assert done.stdout == b""
    err = done.stderr.decode()
    assert err.count("\n") == 1 and "\x1b" not in err
    assert err.startswith("attscope: the terminal UI needs a terminal")
    assert f"attscope dump {SAMPLE}" in err and "--exit-after" in err


@pytest.mark.parametrize("point", ["first-screen", "analysed"])
def test_exit_after_runs_without_a_terminal(point: str) -> None:
    done = subprocess.run(
        [*ATTSCOPE, "open", SAMPLE, "--exit-after", point],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=PATIENCE,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_on_a_terminal_the_ui_starts_and_q_quits() -> None:
    master, slave = pty.openpty()
    env = os.environ | {"TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
    child = subprocess.Popen(
        [*ATTSCOPE, SAMPLE], stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True
    )
    os.close(slave)
    seen = b""
    try:
        deadline = time.monotonic() + PATIENCE
        while b"heart_rate.btsnoop" not in seen:  # the title: the UI drew its screen
            assert time.monotonic() < deadline and child.poll() is None, seen[-500:]
            if select.select([master], [], [], 0.5)[0]:
                seen += os.read(master, 65536)
        os.write(master, b"q")
        while child.poll() is None:  # keep reading, so the UI is never blocked on output
            assert time.monotonic() < deadline
            if select.select([master], [], [], 0.5)[0]:
                try:
                    os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal on its way out
                    break
        assert child.wait(PATIENCE) == 0
    finally:
        child.kill()
        child.wait()
        os.close(master)
