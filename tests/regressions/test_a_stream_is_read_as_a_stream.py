"""Standard input (`-`, /dev/stdin), a pipe or a FIFO is read once, front to back: btsnoop
and pcap gave a traceback (they seek), pcapng silently gave 0 frames (it read the file
twice), and a FIFO blocked the tshark probe for 120 s."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from corpus import SAMPLES, need_tshark

from attscope.capture import CaptureError, open_capture, write_capture

SAMPLE = SAMPLES / "heart_rate.btsnoop"


@pytest.fixture(scope="module")
def captures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("streams")
    frames = list(open_capture(SAMPLE))
    found = {"btsnoop": SAMPLE}
    for fmt in ("pcap", "pcapng"):
        found[fmt] = out / f"hr.{fmt}"
        write_capture(found[fmt], frames, fmt, 201)
    return found


def attscope(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "attscope", *args], input=stdin, capture_output=True, timeout=120
    )


@pytest.mark.parametrize("fmt", ["btsnoop", "pcap", "pcapng"])
@pytest.mark.parametrize("name", ["-", "/dev/stdin"])
def test_standard_input_is_read(captures: dict[str, Path], fmt: str, name: str) -> None:
    done = attscope("info", name, stdin=captures[fmt].read_bytes())
    assert done.returncode == 0, done.stderr
    assert b"Frames:      197" in done.stdout and done.stderr == b""
    dumped = attscope("dump", name, "--transactions", stdin=captures[fmt].read_bytes())
    assert dumped.stdout == attscope("dump", str(captures[fmt]), "--transactions").stdout


def test_a_fifo_is_read_as_it_is_written(captures: dict[str, Path], tmp_path: Path) -> None:
    fifo = tmp_path / "capture.fifo"
    os.mkfifo(fifo)
    data = captures["pcapng"].read_bytes()

    def write() -> None:
        with open(fifo, "wb") as f:
            for i in range(0, len(data), 1000):
                f.write(data[i : i + 1000])

    writer = threading.Thread(target=write)
    writer.start()
    reader = open_capture(fifo)
    frames = list(reader)
    writer.join()
    assert len(frames) == 197 and reader.warnings == [] and reader.linktypes == [201]


def test_a_stream_read_twice_is_an_error_not_zero_frames(captures: dict[str, Path]) -> None:
    with open(captures["pcapng"], "rb") as f:
        read, write = os.pipe()
        os.write(write, f.read())
        os.close(write)
    path = f"/dev/fd/{read}"
    try:
        reader = open_capture(path)
        assert len(list(reader)) == 197
        with pytest.raises(CaptureError, match="read only once"):
            list(reader)
    finally:
        os.close(read)


def test_other_formats_from_standard_input_go_through_tshark() -> None:
    need_tshark()
    record = bytes([0x00]) + bytes.fromhex("030c00")  # an HCI_Reset, as PacketLogger logs it
    pklg = (9 + 3).to_bytes(4, "big") + (1_700_000_000).to_bytes(4, "big") + bytes(4) + record
    done = attscope("info", "-", stdin=pklg)
    assert done.returncode == 0, done.stderr
    assert b"File:        -" in done.stdout and b"PacketLogger" in done.stdout
