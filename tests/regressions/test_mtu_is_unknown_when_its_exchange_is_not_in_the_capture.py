"""A log that begins on an open link (Android and PacketLogger logs often do) does not show
the MTU exchange: ATT_MTU is unknown, not 23, and PDUs longer than 23 bytes are no
violation. What the capture proves (the longest PDU) is shown instead."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from frames import Script

from attscope.capture import write_capture
from attscope.dissector.decoding import att_pdus as att

HANDLE = 0x0012


def _notifications(s: Script) -> list[int]:
    return [s.remote(att.HandleValueNotification(HANDLE, bytes(182))) for _ in range(3)]


def test_pdus_over_23_bytes_on_a_link_begun_before_the_capture_are_no_error(
    tmp_path: Path,
) -> None:
    s = Script()  # no LE Connection Complete: the link was open when the log began
    _notifications(s)
    s.local(att.WriteRequest(HANDLE + 1, bytes(100)))
    s.remote(att.WriteResponse())
    analyzer = s.analyse(tmp_path)

    assert analyzer.violations == []
    (conn,) = analyzer.connections
    (bearer,) = conn.bearers
    assert (bearer.cid, bearer.mtu, bearer.mtu_source) == (0x0004, None, "not in capture")
    assert bearer.largest_pdu == 185


def test_the_same_pdus_on_a_link_seen_from_its_start_are_errors(tmp_path: Path) -> None:
    s = Script()
    s.connect()  # the whole link is in the capture: no exchange means ATT_MTU 23
    sent = _notifications(s)
    analyzer = s.analyse(tmp_path)

    assert [(v.kind, v.severity, v.frames) for v in analyzer.violations] == [
        ("pdu_over_mtu", "error", (frame,)) for frame in sent
    ]
    (bearer,) = analyzer.connections[0].bearers
    assert (bearer.mtu, bearer.mtu_source, bearer.largest_pdu) == (23, "default", 185)


def test_an_exchange_seen_later_makes_the_mtu_known(tmp_path: Path) -> None:
    s = Script()
    s.local(att.ExchangeMtuRequest(100))
    response = s.remote(att.ExchangeMtuResponse(247))
    s.remote(att.HandleValueNotification(HANDLE, bytes(97)))  # 100 bytes: fits
    over = s.remote(att.HandleValueNotification(HANDLE, bytes(98)))
    analyzer = s.analyse(tmp_path)

    assert [(v.kind, v.frames) for v in analyzer.violations] == [("pdu_over_mtu", (over,))]
    (bearer,) = analyzer.connections[0].bearers
    assert (bearer.mtu, bearer.mtu_source, bearer.mtu_frame) == (100, "exchange", response)


def test_fail_on_violation_passes_and_the_text_says_what_is_known(tmp_path: Path) -> None:
    s = Script()
    _notifications(s)
    path = tmp_path / "begun.btsnoop"
    write_capture(path, s.frames, "btsnoop", 1002)
    export = subprocess.run(
        [sys.executable, "-m", "attscope", "export", str(path), "--fail-on-violation",
         "-o", str(tmp_path / "out.jsonl")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert export.returncode == 0, export.stderr
    assert '"mtu_source":"not in capture"' in (tmp_path / "out.jsonl").read_text()
    dump = subprocess.run(
        [sys.executable, "-m", "attscope", "dump", str(path), "--connections"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "ATT_MTU unknown (exchange not in capture), largest PDU 185 bytes" in dump.stdout
