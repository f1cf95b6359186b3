"""`attscope report`: one HTML file that needs no network, with each connection's charts.
Headless Chromium opens it and must draw every chart with no script error; a page with a
script error is caught by the same check."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from corpus import SAMPLES, need_chromium
from link_script import LinkScript, control

from attscope.cli.main import main
from attscope.dissector.decoding import ll_control as llc

CHARTS = re.compile(r'<div id="chart-[^"]+" class="chart">')


def rendered(page: Path) -> dict[str, str]:
    """The attributes headless Chromium leaves on <body> once the page's scripts ran, and
    the text of its script-error box."""
    chromium = need_chromium()
    done = subprocess.run(
        [chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
         "--virtual-time-budget=20000", "--dump-dom", page.resolve().as_uri()],
        capture_output=True, text=True, timeout=180, check=True,
    )  # fmt: skip
    body = re.search(r"<body([^>]*)>", done.stdout)
    assert body is not None, done.stderr[-2000:]
    found = dict(re.findall(r'data-([a-z]+)="([^"]*)"', body.group(1)))
    box = re.search(r'<pre id="script-errors"[^>]*>(.*?)</pre>', done.stdout, re.S)
    found["script-errors"] = box.group(1) if box else "(box missing)"
    return found


def report(capture: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    out = tmp_path / "report.html"
    assert main(["report", str(capture), "-o", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().err
    return out


def air_capture(tmp_path: Path) -> Path:
    link = LinkScript()
    link.connect()
    link.events(40)
    link.rssi = -80
    link.crc_ok = False
    link.event()
    link.crc_ok = True
    link.event(c2p=control(llc.TerminateInd(0x13)))
    return link.write(tmp_path, "air.pcap")


def test_the_report_needs_no_network(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = report(SAMPLES / "heart_rate.btsnoop", tmp_path, capsys).read_text()
    assert not re.search(r"<(script|img|iframe)[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=", page)
    assert "Plotly" in page  # the charting library is inside the file


def test_the_hci_sample_report_renders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = report(SAMPLES / "heart_rate.btsnoop", tmp_path, capsys)
    charts = len(CHARTS.findall(page.read_text()))
    assert charts == 2  # throughput and latency: an HCI log has no RSSI or channels
    state = rendered(page)
    assert state.get("rendered") == str(charts)
    assert "errors" not in state and state["script-errors"] == ""


def test_an_air_capture_report_renders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = report(air_capture(tmp_path), tmp_path, capsys)
    text = page.read_text()
    assert len(CHARTS.findall(text)) == 3  # throughput, RSSI, channels (no ATT: no latency)
    assert "ended by LL_TERMINATE_IND from the central" in text
    state = rendered(page)
    assert state.get("rendered") == "3"
    assert "errors" not in state and state["script-errors"] == ""


def test_a_script_error_is_caught(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = report(SAMPLES / "heart_rate.btsnoop", tmp_path, capsys)
    broken = page.read_text().replace("var FIGURES = [", "var FIGURES = [undefined.x, ", 1)
    page.write_text(broken)
    state = rendered(page)
    assert state.get("errors") == "1"
    assert "rendered" not in state
    assert "undefined" in state["script-errors"]
