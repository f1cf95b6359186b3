"""`attscope live --no-tui` started from a script (SIGINT inherited ignored) could not be
stopped with Ctrl-C's signal, and SIGTERM killed it without its summary. Both now end the
session as Ctrl-C does: the summary printed, exit 0."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sniffer_helpers import PATIENCE, ignore_sigint, write_sample


@pytest.mark.parametrize(
    ("signum", "sigint_ignored"),
    [(signal.SIGTERM, False), (signal.SIGINT, True)],
    ids=["sigterm", "sigint-inherited-ignored"],
)
def test_a_signal_ends_the_session_with_its_summary(
    tmp_path: Path, signum: signal.Signals, sigint_ignored: bool
) -> None:
    source = write_sample(tmp_path / "adverts.pcap", 2000, spacing_us=20_000)  # 40 s
    command = [sys.executable, "-m", "attscope", "live", "--emulate", str(source), "--no-tui"]
    child = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=ignore_sigint if sigint_ignored else None,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline()  # a packet printed: the session is under way
        child.send_signal(signum)
        err = child.communicate(timeout=PATIENCE)[1]
    finally:
        child.kill()
        child.wait()
    assert child.returncode == 0, err
    assert " packets in " in err.splitlines()[-1] and "0 lost" in err.splitlines()[-1]
