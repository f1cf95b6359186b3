"""A file name is text from outside: escapes (ESC, BEL), bidirectional controls (U+202E)
and markup in it are printed escaped by info and in error lines, so they cannot drive the
terminal or reorder what is shown."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from corpus import SAMPLES

from attscope.capture.printable import printable

HOSTILE = "x\x1b[31mred\u202egpj[link=https:example]\x07"


def attscope(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "attscope", *args], capture_output=True,
                          text=True)  # fmt: skip


def test_info_prints_the_name_escaped(tmp_path: Path) -> None:
    path = tmp_path / f"{HOSTILE}.btsnoop"
    path.write_bytes((SAMPLES / "heart_rate.btsnoop").read_bytes())
    done = attscope("info", str(path))
    assert done.returncode == 0
    first = done.stdout.splitlines()[0]
    assert first.endswith("x\\x1b[31mred\\u202egpj[link=https:example]\\x07.btsnoop")
    assert "\x1b" not in done.stdout and "\u202e" not in done.stdout


def test_an_error_line_prints_the_name_escaped(tmp_path: Path) -> None:
    path = tmp_path / f"{HOSTILE}.bin"
    path.write_bytes(b"")
    done = attscope("info", str(path))
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1
    assert "\x1b" not in done.stderr and "\u202e" not in done.stderr and "\x07" not in done.stderr
    assert printable(str(path)) in done.stderr


def test_printable_escapes_what_could_drive_a_terminal() -> None:
    assert printable("plain name: ok") == "plain name: ok"
    assert printable("a\x1b[2Jb\x9bc\u2028d\u202ee\u200ff") == (
        "a\\x1b[2Jb\\x9bc\\u2028d\\u202ee\\u200ff"
    )
