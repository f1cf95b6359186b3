"""Run one command as a child process and measure its wall time and peak RSS.

The measuring is done by spawnwait.py, a minimal launcher that posix_spawns the command and
reaps it with `os.wait4`: peak RSS is that child's own ru_maxrss (KiB on Linux), so nothing
samples the child while it runs and nothing else's memory is counted. spawnwait.py says why
the launcher must be a separate, small process.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

LAUNCHER = Path(__file__).resolve().with_name("spawnwait.py")


class ChildFailed(Exception):
    """The measured command exited with an error; a benchmark of a failing run means nothing."""


@dataclass(frozen=True)
class Run:
    wall_s: float
    cpu_s: float  # user + system
    max_rss_kib: int
    floor_kib: int  # the launcher's peak RSS: max_rss_kib cannot read below it
    err: str = ""  # the end of the command's stderr (what it said about itself)


def run_measured(argv: Sequence[str]) -> Run:
    """Run argv (argv[0] an absolute path) with stdin and stdout on /dev/null; the end of
    its stderr is kept, to explain a failure or for the command's own figures."""
    # -S -I: no site packages, no environment, no user paths: the launcher stays as small as
    # an interpreter can be, and so does the floor under every measurement.
    launcher = [sys.executable, "-S", "-I", str(LAUNCHER), *argv]
    done = subprocess.run(launcher, capture_output=True, check=False)
    err = done.stderr[-2000:].decode("utf-8", "replace").strip()
    if done.returncode != 0:
        raise ChildFailed(f"launcher for {argv[0]} exited with {done.returncode}:\n{err}")
    wall, cpu, rss, code, floor = done.stdout.split()
    if int(code) != 0:
        raise ChildFailed(f"{' '.join(argv)} exited with {int(code)}:\n{err}")
    return Run(float(wall), float(cpu), int(rss), int(floor), err)
