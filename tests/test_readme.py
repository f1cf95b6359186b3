"""The README's Quick start stays true: two commands, the sample exists, CI runs the second."""

from __future__ import annotations

import re

from corpus import REPO


def _quick_start_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(?:sh|bash|console)?\n(.*?)```", section, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_quick_start_has_exactly_two_commands() -> None:
    assert len(_quick_start_commands()) == 2


def test_main_job_opens_a_bundled_sample() -> None:
    main_job = _quick_start_commands()[0]
    samples = re.findall(r"samples/\S+", main_job)
    assert samples, main_job
    for sample in samples:
        assert (REPO / sample).is_file(), sample
    # the main job is the TUI: `attscope FILE` (or `attscope open FILE`), no other command
    assert re.search(r"attscope (open )?samples/", main_job), main_job


def test_ci_runs_the_readme_test_command() -> None:
    test_command = _quick_start_commands()[1]
    assert "pytest" in test_command
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert test_command in [line.strip() for line in ci]


def test_python_api_example_prints_what_the_readme_shows() -> None:
    import subprocess
    import sys

    section = (REPO / "README.md").read_text().split("### Python API", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, flags=re.S)
    shown = re.search(r"```console\n(.*?)```", section, flags=re.S)
    assert code and shown
    out = subprocess.run(
        [sys.executable, "-c", code.group(1)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out == shown.group(1)
