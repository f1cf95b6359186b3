"""The generated samples: reproducible from samples/make_samples.py, and sound to Wireshark.

The samples are committed so a fresh checkout has captures to open; these tests make sure
the committed bytes are what the scenarios write today, and that tshark, the reference
dissector, reads the Android heart-rate session as a clean, well-paired ATT flow.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from corpus import SAMPLES, tshark_fields

from attscope.capture import open_capture

SCRIPT = SAMPLES / "make_samples.py"
HEART_RATE = SAMPLES / "heart_rate.btsnoop"
CAPTURE_SUFFIXES = {".btsnoop", ".pcap", ".pcapng", ".log", ".pklg", ".zip"}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("samples")
    subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out


def test_regenerating_gives_the_committed_bytes(regenerated: Path) -> None:
    written = sorted(p.name for p in regenerated.iterdir())
    committed = sorted(p.name for p in SAMPLES.iterdir() if p.suffix in CAPTURE_SUFFIXES)
    assert "heart_rate.btsnoop" in written
    assert written == committed, "samples/ holds a capture no scenario writes, or misses one"
    for name in written:
        fresh = (regenerated / name).read_bytes()
        assert fresh == (SAMPLES / name).read_bytes(), (
            f"samples/{name} differs from a fresh run; run python samples/make_samples.py"
        )


def test_two_runs_are_byte_identical(regenerated: Path, tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path), "heart_rate.btsnoop"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    fresh = (tmp_path / "heart_rate.btsnoop").read_bytes()
    assert fresh == (regenerated / "heart_rate.btsnoop").read_bytes()


@pytest.mark.tshark
@pytest.mark.parametrize("sample", [HEART_RATE, SAMPLES / "heart_rate.pklg"])
def test_tshark_reads_every_frame_cleanly(sample: Path) -> None:
    frames = list(open_capture(sample))
    assert all(f.problem is None for f in frames)
    rows = tshark_fields(sample, ["frame.number"])
    assert len(rows) == len(frames)
    flagged = tshark_fields(
        sample,
        ["frame.number", "_ws.expert.message"],
        "-Y",
        "_ws.malformed || _ws.expert.severity >= warning",
    )
    assert flagged == []


@pytest.mark.tshark
def test_tshark_sees_an_android_gatt_session() -> None:
    rows = tshark_fields(
        HEART_RATE,
        ["frame.number", "btatt.opcode", "btatt.request_in_frame", "btatt.error_code"],
        "-Y",
        "btatt",
    )
    opcodes = Counter(int(row[1], 16) for row in rows)
    expected = {
        0x02: 1,  # Exchange MTU Request
        0x03: 1,  # Exchange MTU Response
        0x10: 2,  # Read By Group Type Request, the second answered Attribute Not Found
        0x11: 1,  # Read By Group Type Response
        0x04: 3,  # Find Information Request (three CCCDs)
        0x05: 3,
        0x0A: 8,  # Read Request
        0x0B: 8,
        0x12: 6,  # Write Request: 4 CCCDs, Heart Rate Control Point, Device Name
        0x13: 6,
    }
    for opcode, count in expected.items():
        assert opcodes[opcode] == count, f"opcode 0x{opcode:02x}"
    assert opcodes[0x08] >= 10 and opcodes[0x09] >= 5  # Read By Type: includes, characteristics
    assert opcodes[0x1B] == 31  # 30 heart-rate measurements and one battery level
    errors = {row[3] for row in rows if int(row[1], 16) == 0x01}
    assert errors == {"0x0a"}  # only Attribute Not Found, ending each discovery procedure
    # tshark pairs each response with its request (request opcode + 1), the one just before
    opcode_of = {int(row[0]): int(row[1], 16) for row in rows}
    previous_request = 0
    for row in rows:
        frame, opcode = int(row[0]), int(row[1], 16)
        if opcode in (0x02, 0x04, 0x08, 0x0A, 0x10, 0x12):
            previous_request = frame
        elif opcode in (0x03, 0x05, 0x09, 0x0B, 0x11, 0x13):
            assert row[2] == str(previous_request), f"frame {frame}"
            assert opcode_of[previous_request] == opcode - 1


@pytest.mark.tshark
def test_att_pdus_are_fragmented_both_ways() -> None:
    rows = tshark_fields(
        HEART_RATE, ["frame.p2p_dir", "bthci_acl.pb_flag", "bthci_acl.length"], "-Y", "bthci_acl"
    )
    assert max(int(length) for _, _, length in rows) == 27  # LE ACL buffers of 27 octets
    continuations = Counter(direction for direction, pb, _ in rows if pb == "1")
    assert continuations["0"] >= 1  # host to controller (sent)
    assert continuations["1"] >= 1  # controller to host (received)
    starts = {(direction, pb) for direction, pb, _ in rows if pb != "1"}
    assert starts == {("0", "0"), ("1", "2")}  # 0b00 from the host, 0b10 from the controller
