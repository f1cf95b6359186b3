"""Apple PacketLogger files read natively: both byte orders, every record type, notes
kept, damage reported, and the same frames and ATT PDUs as the btsnoop they came from."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from corpus import SAMPLES, corpus_files, need_corpus, need_tshark, tshark_fields
from hypothesis import given, settings
from hypothesis import strategies as st

from attscope.capture import CaptureError, Encap, open_capture, write_capture
from attscope.capture.packetlogger import PacketLoggerReader, byte_order
from attscope.capture.packetlogger_types import LINKTYPE
from attscope.dissector.analysis.analyzer import Analyzer
from attscope.dissector.decoding.decoder import Decoder, LoggerNote

BTSNOOP = SAMPLES / "heart_rate.btsnoop"


def _records(path: Path) -> list[tuple[int, int, int, bytes]]:
    """(time, direction, HCI type, payload) of each frame."""
    return [(f.ts_us, f.direction, f.hci_type or -1, f.payload) for f in open_capture(path)]


def _swap(path: Path, out: Path) -> None:
    """The same records with little-endian headers, as some writers make them."""
    data, pos, parts = path.read_bytes(), 0, []
    while pos < len(data):
        length, secs, usecs = struct.unpack_from(">III", data, pos)
        parts.append(struct.pack("<III", length, secs, usecs) + data[pos + 12 : pos + 4 + length])
        pos += 4 + length
    out.write_bytes(b"".join(parts))


def _analysed(path: Path) -> Analyzer:
    analyzer = Analyzer()
    for frame in open_capture(path):
        analyzer.feed(frame)
    analyzer.finish()
    return analyzer


@pytest.mark.parametrize("order", ["big", "little"])
def test_a_packetlogger_copy_reads_as_its_btsnoop_original(tmp_path: Path, order: str) -> None:
    pklg = tmp_path / "big.pklg"
    write_capture(pklg, open_capture(BTSNOOP), "pklg", LINKTYPE)
    if order == "little":
        _swap(pklg, tmp_path / "little.pklg")
        pklg = tmp_path / "little.pklg"
    reader = open_capture(pklg)
    assert isinstance(reader, PacketLoggerReader) and reader.detail == f"{order}-endian"
    assert _records(pklg) == _records(BTSNOOP)
    assert reader.warnings == []
    original, copy = _analysed(BTSNOOP), _analysed(pklg)
    assert [t.request for t in copy.transactions()] == [t.request for t in original.transactions()]
    assert len(copy.transactions()) > 10


def test_notes_and_other_records_are_kept_as_notes(tmp_path: Path) -> None:
    path = tmp_path / "notes.pklg"
    note = b"\xfcBluetooth powered on\x00"
    kernel = b"\xf8IOBluetoothHCIController::start"
    data = b"".join(struct.pack(">III", 8 + len(b), 1_700_000_000, n) + b
                    for n, b in enumerate([note, b"\x01\x0e\x04\x01\x03\x0c\x00", kernel]))  # fmt: skip
    path.write_bytes(data)
    frames = list(open_capture(path))
    assert [f.encap for f in frames] == [Encap.OTHER, Encap.HCI, Encap.OTHER]
    decoder = Decoder()
    notes = [decoder.decode(f).pdu for f in frames]
    assert isinstance(notes[0], LoggerNote) and notes[0].summary() == (
        "PacketLogger note: 'Bluetooth powered on'"
    )
    assert isinstance(notes[2], LoggerNote) and "kernel" in notes[2].summary()


def test_a_cut_file_gives_every_whole_record_and_a_warning(tmp_path: Path) -> None:
    pklg = tmp_path / "whole.pklg"
    total = write_capture(pklg, open_capture(BTSNOOP), "pklg", LINKTYPE)
    cut = tmp_path / "cut.pklg"
    cut.write_bytes(pklg.read_bytes()[:-5])
    reader = open_capture(cut)
    assert len(list(reader)) == total - 1
    (warning,) = reader.warnings
    assert "cut short" in warning.message


@pytest.mark.tshark
def test_tshark_reads_the_copy_as_the_same_packets(tmp_path: Path) -> None:
    need_tshark()
    pklg = tmp_path / "copy.pklg"
    write_capture(pklg, open_capture(BTSNOOP), "pklg", LINKTYPE)
    rows = tshark_fields(pklg, ["frame.len"])
    ours = [len(f.payload) + 1 for f in open_capture(pklg)]  # tshark counts the type byte
    assert [int(r[0]) for r in rows] == ours


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "any.pklg"


@settings(max_examples=300, deadline=None)
@given(data=st.binary(min_size=13, max_size=400))
def test_any_bytes_are_records_or_one_clear_error(scratch: Path, data: bytes) -> None:
    scratch.write_bytes(data)
    try:
        reader = PacketLoggerReader(scratch, data)
    except CaptureError:
        assert byte_order(data) is None  # refused only when its records do not read
        return
    frames = list(reader)
    assert [f.index for f in frames] == list(range(1, len(frames) + 1))
    assert frames or reader.warnings  # something came of it: records, or why not


def test_a_file_that_is_no_packetlogger_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CaptureError):
        PacketLoggerReader(tmp_path / "x.pklg", b"not a packetlogger file at all")


@pytest.mark.corpus
@pytest.mark.parametrize(
    "name", [n for n in corpus_files() if n.endswith(".btsnoop")] or ["<corpus missing>"]
)
def test_every_android_and_bluez_log_reads_the_same_as_packetlogger(
    tmp_path: Path, name: str
) -> None:
    original = need_corpus(name)
    hci = [f for f in open_capture(original) if f.encap == Encap.HCI]
    pklg = tmp_path / "copy.pklg"
    assert write_capture(pklg, hci, "pklg", LINKTYPE) == len(hci)
    assert _records(pklg) == [(f.ts_us, f.direction, f.hci_type or -1, f.payload) for f in hci]
    before, after = Analyzer(), _analysed(pklg)
    for frame in hci:
        before.feed(frame)
    before.finish()
    assert [(t.request, t.response) for t in after.transactions()] == [
        (t.request, t.response) for t in before.transactions()
    ]
