"""Issue 12, item 10: the Flow said `(32 bytes)` of a 501-byte write (its preview was
built from the 32 bytes kept per PDU) and showed a Battery Level read as `57`, where the
GATT panel says `87%`."""

from __future__ import annotations

from pathlib import Path

from corpus import SAMPLES
from frames import Script

from attscope.capture import open_capture, write_capture
from attscope.dissector.decoding.att_pdus import (
    ExchangeMtuRequest,
    ExchangeMtuResponse,
    WriteRequest,
    WriteResponse,
)
from attscope.dissector.decoding.gatt_values import decoded_text
from attscope.tui.model import CaptureModel
from attscope.tui.rows import flow_row

SAMPLE = str(SAMPLES / "heart_rate.btsnoop")


def _rows(path: str) -> list[str]:
    model = CaptureModel(path)
    model.ingest(open_capture(path))
    return [flow_row(model, model.flows[i], 120).plain for i in range(len(model.flows))]


def test_flow_shows_a_long_values_real_length(tmp_path: Path) -> None:
    script = Script()
    script.local(ExchangeMtuRequest(517))
    script.remote(ExchangeMtuResponse(517))
    script.local(WriteRequest(0x0030, bytes(range(256)) + bytes(245)))
    script.remote(WriteResponse())
    path = tmp_path / "long_write.btsnoop"
    write_capture(path, script.frames, "btsnoop", 1002)
    write = next(row for row in _rows(str(path)) if "Write Request" in row)
    assert "(501 bytes)" in write and "(32 bytes)" not in write
    assert "00 01 02 03" in write


def test_flow_shows_values_decoded_as_the_gatt_panel_does() -> None:
    rows = _rows(SAMPLE)
    assert decoded_text("2a19", b"\x57") == "87%"  # what the GATT panel shows
    battery = [row for row in rows if "Read Response" in row and "Battery Level" in row]
    assert battery and "Battery Level 87%" in battery[0]
    # a value the GATT panel decodes is shown decoded, not in hex
    heart = [row for row in rows if "Heart Rate Measurement" in row and "Notification" in row]
    assert heart and all("bpm" in row for row in heart), heart[:2]
