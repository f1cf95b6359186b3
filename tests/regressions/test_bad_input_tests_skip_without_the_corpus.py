"""On a fresh clone without ../shared the suite must pass with skips that say how to get
the captures: tests/test_bad_input.py once read the corpus directly and failed with
FileNotFoundError. Under ATTSCOPE_REQUIRE_CORPUS=1 the same absence must fail them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _pytest_without_corpus(tmp_path: Path, *, required: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ATTSCOPE_", "PYTEST_"))}
    env["ATTSCOPE_SHARED"] = str(tmp_path / "no-shared-here")  # the corpus made invisible
    if required:
        env["ATTSCOPE_REQUIRE_CORPUS"] = "1"
    command = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider"]
    # its own basetemp: a nested session must not prune the numbered temporary folders
    # of sessions running beside it (pytest keeps only the newest three)
    command += ["--basetemp", str(tmp_path / "basetemp"), "tests/test_bad_input.py"]
    return subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def test_bad_input_tests_skip_with_how_to_get_the_captures(tmp_path: Path) -> None:
    done = _pytest_without_corpus(tmp_path, required=False)
    summary = done.stdout.strip().splitlines()[-1]
    assert done.returncode == 0, done.stdout[-3000:]
    assert "failed" not in summary and "error" not in summary and "skipped" in summary
    skips = [line for line in done.stdout.splitlines() if line.startswith("SKIPPED")]
    assert skips and all("ATTSCOPE_SHARED" in line and "../shared" in line for line in skips)


def test_bad_input_tests_fail_without_the_corpus_when_it_is_required(tmp_path: Path) -> None:
    done = _pytest_without_corpus(tmp_path, required=True)
    assert done.returncode == 1, done.stdout[-3000:]
    assert "FileNotFoundError" not in done.stdout
    assert "ATTSCOPE_REQUIRE_CORPUS=1 makes this a failure" in done.stdout
