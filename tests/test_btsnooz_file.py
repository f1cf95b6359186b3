"""A btsnooz log kept as a file of its own: the base64 text copied out of a bug report, its
decoded bytes, or the header and records uncompressed; each read as the bug report's
section is, with what the phone cut said."""

from __future__ import annotations

import base64
import zlib
from pathlib import Path

import pytest
from corpus import SAMPLES

from attscope.capture import CaptureError, Encap, open_capture
from attscope.capture.btsnooz import btsnooz_section, find_btsnooz, sniff_btsnooz
from attscope.capture.btsnooz_file import BtsnoozReader
from attscope.cli.main import main
from attscope.dissector.analysis.analyzer import Analyzer

SAMPLE = SAMPLES / "heart_rate.btsnoop"


def _hci() -> list:
    return [f for f in open_capture(SAMPLE) if f.encap == Encap.HCI]


def _raw(version: int = 2) -> bytes:
    """The section's decoded bytes: header and zlib stream, ACL cut to 16 bytes."""
    blob = find_btsnooz(btsnooz_section(_hci(), version=version, acl_bytes=16))
    assert blob is not None
    return base64.b64decode(blob)


def _files(tmp_path: Path) -> dict[str, Path]:
    raw = _raw()
    uncompressed = raw[:9] + zlib.decompress(raw[9:])
    text = base64.b64encode(raw)
    made = {
        "base64": text,
        "base64 in lines": b"\n".join(text[i : i + 76] for i in range(0, len(text), 76)) + b"\n",
        "section": btsnooz_section(_hci(), version=2, acl_bytes=16),
        "binary": raw,
        "uncompressed": uncompressed,
    }
    paths = {}
    for kind, data in made.items():
        paths[kind] = tmp_path / f"{kind.replace(' ', '_')}.btsnooz"
        paths[kind].write_bytes(data)
    return paths


def test_every_form_of_a_btsnooz_file_gives_the_logs_frames(tmp_path: Path) -> None:
    frames = _hci()
    for kind, path in _files(tmp_path).items():
        reader = open_capture(path)
        got = list(reader)
        assert len(got) == len(frames), kind
        assert [f.hci_type for f in got] == [f.hci_type for f in frames], kind
        # the commands and events whole, the ACL packets cut to 16 bytes with their length
        cut = [f for f in got if f.orig_len is not None]
        assert cut and all(len(f.payload) == 16 for f in cut), kind
        warnings = " ".join(w.message for w in reader.warnings)
        assert "cut short by the log's writer" in warnings, kind


def test_the_section_file_is_read_as_a_btsnooz_log(tmp_path: Path) -> None:
    reader = open_capture(_files(tmp_path)["binary"])
    assert isinstance(reader, BtsnoozReader)
    list(reader)
    assert reader.detail == "version 2; ACL payloads are cut by the phone"


def test_a_btsnooz_file_gives_no_att_values_it_did_not_see(tmp_path: Path) -> None:
    analyzer = Analyzer()
    cut = set()
    for frame in open_capture(_files(tmp_path)["uncompressed"]):
        if frame.orig_len is not None:
            cut.add(frame.index)
        analyzer.feed(frame)
    analyzer.finish()
    values = [v for db in analyzer.gatt_databases.values() for v in db.values]
    # a value is only ever taken from a packet the phone kept whole
    assert values and not [v for v in values if v.frame in cut]


def test_version_1_says_its_acl_payloads_may_be_cut(tmp_path: Path) -> None:
    path = tmp_path / "v1.btsnooz"
    path.write_bytes(_raw(version=1))
    reader = open_capture(path)
    assert len(list(reader)) == len(_hci())
    assert any("version 1 does not record packet lengths" in w.message for w in reader.warnings)


@pytest.mark.parametrize(
    "head",
    [
        b"\x02" + bytes(8) + b"\x78\x9c",  # the time 1970: no phone wrote it
        b"\x03" + (1_765_000_000_000).to_bytes(8, "little") + b"\x78\x9c",  # version 3
        b"hello world, this is text",
        base64.b64encode(b"\x05" * 40),
    ],
)
def test_other_files_are_not_taken_for_btsnooz(head: bytes) -> None:
    assert sniff_btsnooz(head) is None


def test_a_damaged_btsnooz_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "damaged.btsnooz"
    raw = _raw()
    path.write_bytes(raw[:9] + b"\x78\x9c" + b"\xff" * 50)  # a zlib header, then garbage
    with pytest.raises(CaptureError, match="does not inflate"):
        list(open_capture(path))
    assert main(["info", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_btsnooz_file_cut_short_keeps_every_whole_record(tmp_path: Path) -> None:
    raw = _raw()
    uncompressed = raw[:9] + zlib.decompress(raw[9:])
    path = tmp_path / "cut.btsnooz"
    path.write_bytes(uncompressed[: len(uncompressed) - 5])
    reader = open_capture(path)
    frames = list(reader)
    assert len(frames) == len(_hci()) - 1
    assert any("cut short" in w.message for w in reader.warnings)


def test_a_cut_answer_says_which_answer_it_was_and_ends_its_request(tmp_path: Path) -> None:
    from attscope.dissector.decoding.att_pdus import AttCut
    from attscope.dissector.decoding.decoder import CutRest, Decoder

    path = _files(tmp_path)["binary"]
    decoder = Decoder()
    packets = {f.index: decoder.decode(f) for f in open_capture(path)}
    # frame 54 starts the Read By Group Type Response (27 + 9 bytes in two ACL packets),
    # cut to 16 bytes: its opcode and 7 parameter bytes are left
    start, rest = packets[54].pdu, packets[55].pdu
    assert isinstance(start, AttCut) and start.opcode == 0x11 and start.length == 32
    assert len(start.kept) == 7 and not packets[54].lost
    assert isinstance(rest, CutRest) and rest.first == 54
    analyzer = Analyzer()
    for frame in open_capture(path):
        analyzer.feed(frame)
    analyzer.finish()
    txn = next(t for t in analyzer.transactions() if t.request_frame == 52)
    assert (txn.response_frame, txn.outcome, txn.value) == (54, "cut", None)
    assert not txn.capture_gap and analyzer.violations == []
