"""`attscope emulate` died on SIGTERM leaving its `--link` symlink behind, and never
stopped on SIGINT when it inherited SIGINT ignored (a background job of a script, `trap ''
INT`): it installs its own handlers now, and removes the link however it is stopped."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sniffer_helpers import ignore_sigint, write_sample

PATIENCE = 120  # s: an upper bound for a loaded machine; each wait ends on its event


@pytest.mark.parametrize(
    ("signum", "sigint_ignored"),
    [(signal.SIGTERM, False), (signal.SIGINT, True), (signal.SIGINT, False)],
    ids=["sigterm", "sigint-inherited-ignored", "sigint"],
)
def test_a_signal_stops_the_emulator_and_removes_its_link(
    tmp_path: Path, signum: signal.Signals, sigint_ignored: bool
) -> None:
    sample = write_sample(tmp_path / "adverts.pcap", 50)
    link = tmp_path / "sniffer"
    command = [sys.executable, "-m", "attscope", "emulate", "--replay", str(sample)]
    command += ["--link", str(link)]
    child = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ignore_sigint if sigint_ignored else None,
    )
    try:
        assert child.stdout is not None
        while "Ctrl-C to stop" not in (line := child.stdout.readline()):  # it is serving
            assert line, child.communicate(timeout=PATIENCE)
        assert link.is_symlink()
        child.send_signal(signum)
        out, err = child.communicate(timeout=PATIENCE)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == 0, err
    assert out.startswith("sent 0 packets") and err == ""
    assert not link.exists() and not link.is_symlink()
