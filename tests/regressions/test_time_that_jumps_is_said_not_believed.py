"""Some sniffers write pcap records whose microsecond field is 1,000,000 or more, and some
logs go back in time. Such times are reported (frames named, in info, dump and the
export's end record) and nothing is timed across them: no timeout, no latency, no
violation that follows from one (a real Ubertooth capture gave 3 false timeouts)."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

from frames import Script, run

from attscope.capture import open_capture
from attscope.capture.linktypes import BLUETOOTH_HCI_H4_WITH_PHDR
from attscope.capture.records import encode
from attscope.dissector.decoding import att_pdus as att

HANDLE = 0x0012


def write_pcap(path: Path, s: Script, fields: dict[int, tuple[int, int]]) -> None:
    """The script's frames as a pcap of link type 201; `fields` gives some frames (by
    number) their own (seconds, microseconds) as written in the record header."""
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 201))
    for frame in s.frames:
        data = encode(frame, BLUETOOTH_HCI_H4_WITH_PHDR)
        sec, usec = fields.get(frame.index, divmod(frame.ts_us, 1_000_000))
        out += struct.pack("<IIII", sec, usec, len(data), len(data)) + data
    path.write_bytes(bytes(out))


def attscope(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "attscope", *args], capture_output=True, text=True, check=False
    )


def test_microseconds_out_of_range_time_nothing(tmp_path: Path) -> None:
    s = Script()
    s.connect()
    read = s.local(att.ReadRequest(HANDLE))
    answer = s.remote(att.ReadResponse(b"\x01"))
    s.remote(att.HandleValueNotification(HANDLE, b"\x02"))
    s.local(att.ReadRequest(HANDLE))  # no earlier request timed out: no violation
    s.remote(att.ReadResponse(b"\x03"))
    sec = s.ts(answer) // 1_000_000
    path = tmp_path / "usec.pcap"
    # the answer's microseconds say 45 s: believed, the read would have timed out
    write_pcap(path, s, {answer: (sec, 45_000_000)})

    reader = open_capture(path)
    frames = list(reader)
    assert [f.index for f in frames if f.bad_time] == [answer]
    (warning,) = reader.warnings
    assert f"microsecond field of 1,000,000 or more: frames {answer};" in warning.message

    analyzer = run(frames)
    assert analyzer.violations == []
    first = analyzer.transactions()[0]
    assert (first.request_frame, first.outcome, first.latency_us) == (read, "ok", None)
    assert first.clock_jump
    assert analyzer.transactions()[1].latency_us == 7_500  # after it, time is believed

    info = attscope("info", str(path))
    assert f"frames {answer}; their times are not believed" in info.stdout
    dump = attscope("dump", str(path), "--transactions", "--violations")
    assert "time jumped: not timed" in dump.stdout and "ERROR" not in dump.stdout
    assert f"frames {answer};" in dump.stderr
    export = attscope("export", str(path), "--fail-on-violation")
    assert export.returncode == 0, export.stderr
    end = json.loads(export.stdout.splitlines()[-1])
    assert end["type"] == "end" and f"frames {answer};" in end["warnings"][0]


def test_time_going_backwards_gives_no_latency_or_timeout(tmp_path: Path) -> None:
    s = Script()
    s.connect()
    read = s.local(att.ReadRequest(HANDLE))
    answer = s.remote(att.ReadResponse(b"\x01"))
    later = s.remote(att.HandleValueNotification(HANDLE, b"\x02"), after_us=40_000_000)
    start = s.ts(read) // 1_000_000
    path = tmp_path / "back.pcap"
    # the answer is stamped 100 s before its request; the capture goes on 40 s later
    write_pcap(path, s, {answer: (start - 100, 0)})

    reader = open_capture(path)
    frames = list(reader)
    (warning,) = reader.warnings
    assert warning.message.startswith(f"time goes backwards at 1 record(s): frames {answer} (")
    analyzer = run(frames)
    (txn,) = analyzer.transactions()
    assert (txn.outcome, txn.latency_us, txn.clock_jump) == ("ok", None, True)
    assert analyzer.violations == []
    assert later == len(frames)


def test_a_reordering_of_microseconds_is_no_jump(tmp_path: Path) -> None:
    """Host logs stamp packets on several threads: a few microseconds back is ordering
    (a real Android log has 37 us), and says nothing about the clock."""
    s = Script()
    s.connect()
    read = s.local(att.ReadRequest(HANDLE))
    answer = s.remote(att.ReadResponse(b"\x01"), after_us=0)
    path = tmp_path / "reorder.pcap"
    sec, usec = divmod(s.ts(read) - 37, 1_000_000)
    write_pcap(path, s, {answer: (sec, usec)})
    reader = open_capture(path)
    analyzer = run(reader)
    assert reader.warnings == []
    assert analyzer.transactions()[0].latency_us == -37
