"""Issue 12, item 8: a crash of the terminal UI exited with status 0 (Textual printed the
traceback, the command line returned 0). Now it exits 70 and names the file that holds the
traceback, whether the exception came from a handler or from a worker thread."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from corpus import SAMPLES

from attscope.cli.main import main
from attscope.tui.app import AttscopeApp
from attscope.tui.model import CaptureModel

SAMPLE = str(SAMPLES / "heart_rate.btsnoop")


def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError("boom: a bug in the TUI")


@pytest.mark.parametrize(
    ("where", "name"),
    [(AttscopeApp, "_show_title"), (CaptureModel, "ingest")],  # a handler, a worker
    ids=["handler", "worker"],
)
def test_tui_crash_exits_nonzero_with_its_traceback(
    where: type, name: str, tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setattr(where, name, _boom)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    status = main(["open", SAMPLE, "--exit-after", "analysed"])
    err = capsys.readouterr().err
    assert status == 70
    found = re.search(r"the traceback is in (\S+)", err)
    assert found, err
    report = Path(found.group(1)).read_text()
    assert report.startswith("Traceback") and "in _boom" in report
    assert report.rstrip().endswith("RuntimeError: boom: a bug in the TUI")


def test_a_clean_run_exits_0(capsys) -> None:
    assert main(["open", SAMPLE, "--exit-after", "analysed"]) == 0
    assert "traceback" not in capsys.readouterr().err
