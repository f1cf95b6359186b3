"""-o writes a regular file only where a regular file is: a symlink's target is written and
the link kept, a FIFO or /dev/stdout is written directly, an existing file keeps its
permissions; export and convert ended by SIGTERM or SIGHUP leave no temporary file (23-37
MB hidden files were left), and one left by SIGKILL goes at the next run into the folder."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from corpus import SAMPLES

from attscope.atomic import TEMP_MARK
from attscope.capture import open_capture, write_capture

SAMPLE = SAMPLES / "heart_rate.btsnoop"


def attscope(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "attscope", *args], capture_output=True,
                          text=True, timeout=300)  # fmt: skip


def test_a_symlinks_target_is_written_and_the_link_kept(tmp_path: Path) -> None:
    real = tmp_path / "real.jsonl"
    real.write_text("old")
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    assert attscope("export", str(SAMPLE), "-o", str(link)).returncode == 0
    assert link.is_symlink() and real.read_text().startswith('{"type":"header"')


def test_an_existing_file_keeps_its_permissions(tmp_path: Path) -> None:
    out = tmp_path / "out.pcap"
    out.write_text("old")
    out.chmod(0o640)
    assert attscope("convert", str(SAMPLE), str(out)).returncode == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o640 and out.read_bytes()[:4] != b"old"


def test_a_fifo_is_written_directly(tmp_path: Path) -> None:
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    assert attscope("export", str(SAMPLE), "-o", str(fifo)).returncode == 0
    reader.join()
    assert got[0].startswith(b'{"type":"header"') and stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.fifo"]


def test_dev_stdout_is_standard_output(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "attscope", "convert", str(SAMPLE), "/dev/stdout", "--format",
         "pcap"], capture_output=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = tmp_path / "from_stdout.pcap"
    out.write_bytes(done.stdout.split(b"197 frames written")[0])  # the summary line follows
    assert len(list(open_capture(out))) == 197


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_leaves_no_temporary_file(tmp_path: Path, signum: int) -> None:
    """The capture comes on standard input and is never finished, so the export is still
    running when the signal comes however busy the machine is (a file it could read to
    its end before the signal arrived made this test fail under load)."""
    whole = tmp_path / "whole.btsnoop"  # more than the reader asks for at once (1 MiB)
    write_capture(whole, list(open_capture(SAMPLE)) * 300, "btsnoop", 1002)
    outdir = tmp_path / "out"
    outdir.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "attscope", "export", "-", "-o",
                             str(outdir / "out.jsonl")], stdin=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip
    assert proc.stdin is not None
    proc.stdin.write(whole.read_bytes()[:-20])  # the last record never comes
    proc.stdin.flush()
    deadline = time.monotonic() + 120
    while not any(TEMP_MARK in p.name for p in outdir.iterdir()):  # wait until it writes
        assert proc.poll() is None, "export ended before it could be stopped"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signum)
    assert proc.wait(timeout=120) == 128 + signum
    proc.stdin.close()
    assert list(outdir.iterdir()) == []


def test_a_leftover_of_a_killed_run_goes_at_the_next_run(tmp_path: Path) -> None:
    leftover = tmp_path / f".out.jsonl.{TEMP_MARK}4194304-abcd"  # above pid_max: no process
    leftover.write_text("half")
    mine = tmp_path / ".out.jsonl.something-else"
    mine.write_text("not ours")
    assert attscope("export", str(SAMPLE), "-o", str(tmp_path / "out.jsonl")).returncode == 0
    assert not leftover.exists() and mine.exists()
