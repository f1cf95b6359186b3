"""Android bug reports straight in: the zip, the folder, the text alone; the snoop logs
in them oldest first, or the btsnooz section with what it cuts said."""

from __future__ import annotations

import base64
import io
import tarfile
import zipfile
from pathlib import Path

import pytest
from corpus import SAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st

from attscope.capture import CaptureError, Encap, open_capture, write_capture
from attscope.capture.btsnooz import Btsnooz, btsnooz_section, find_btsnooz
from attscope.capture.bugreport import BugreportReader, is_bugreport_text
from attscope.cli.main import main
from attscope.dissector.analysis.analyzer import Analyzer

SAMPLE = SAMPLES / "heart_rate.btsnoop"
LOGS = "FS/data/misc/bluetooth/logs/"


def _hci() -> list:
    return [f for f in open_capture(SAMPLE) if f.encap == Encap.HCI]


def _text(**kw: object) -> bytes:
    return b"== dumpsys bluetooth_manager ==\nsome state\n" + btsnooz_section(_hci(), **kw)  # type: ignore[arg-type]


def _requests(frames: object) -> list:
    analyzer = Analyzer()
    for frame in frames:  # type: ignore[attr-defined]
        analyzer.feed(frame)
    analyzer.finish()
    return [t.request for t in analyzer.transactions()]


def _two_logs(tmp_path: Path, text: bytes) -> tuple[Path, int]:
    """A bug report zip holding the sample split in two: the current log (its second
    half, listed first) and the rotated one (its first half), and a main text; returns
    it and the older log's frame count."""
    frames = _hci()
    half = len(frames) // 2
    older, newer = tmp_path / "older.btsnoop", tmp_path / "newer.btsnoop"
    write_capture(older, frames[:half], "btsnoop", 1002)
    write_capture(newer, frames[half:], "btsnoop", 1002)
    report = tmp_path / "bugreport-panther-2026-12-06.zip"
    with zipfile.ZipFile(report, "w") as archive:
        archive.writestr("bugreport-panther-2026-12-06.txt", text)
        archive.write(newer, LOGS + "btsnoop_hci.log")  # listed first, yet newer
        archive.write(older, LOGS + "btsnoop_hci.log.last")
    return report, half


def test_a_zip_with_the_current_and_rotated_logs_reads_them_oldest_first(tmp_path: Path) -> None:
    frames = _hci()
    report, _half = _two_logs(tmp_path, b"no btsnooz here\n")
    reader = open_capture(report)
    assert isinstance(reader, BugreportReader)
    names = reader.detail.split(": ", 1)[1].split(", ")
    assert names == [LOGS + "btsnoop_hci.log.last", LOGS + "btsnoop_hci.log"]
    read = list(reader)
    assert [f.index for f in read] == list(range(1, len(frames) + 1))
    assert [(f.ts_us, f.payload) for f in read] == [(f.ts_us, f.payload) for f in frames]
    assert _requests(read) == _requests(frames)


def test_the_unzipped_folder_reads_the_same(tmp_path: Path) -> None:
    folder = tmp_path / "bugreport"
    (folder / LOGS).mkdir(parents=True)
    write_capture(folder / LOGS / "btsnoop_hci.log", _hci(), "btsnoop", 1002)
    assert [f.payload for f in open_capture(folder)] == [f.payload for f in _hci()]


@pytest.mark.parametrize("where", ["zip", "text"])
def test_without_a_snoop_log_the_btsnooz_section_is_read(tmp_path: Path, where: str) -> None:
    text = _text()  # v2, nothing cut
    if where == "zip":
        path = tmp_path / "bugreport.zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("bugreport-x.txt", text)
    else:
        path = tmp_path / "bugreport-x.txt"
        path.write_bytes(text)
    reader = open_capture(path)
    read = list(reader)
    frames = _hci()
    assert [(f.direction, f.hci_type, f.payload) for f in read] == [
        (f.direction, f.hci_type, f.payload) for f in frames
    ]
    assert [f.ts_us for f in read] == [f.ts_us // 1000 * 1000 for f in frames]  # ms
    assert _requests(read) == _requests(frames)
    assert reader.warnings == []


def test_a_btsnooz_log_says_it_cut_the_acl_payloads(tmp_path: Path) -> None:
    path = tmp_path / "bugreport.txt"
    path.write_bytes(_text(acl_bytes=12))
    reader = open_capture(path)
    read = list(reader)
    cut = [f for f in read if f.orig_len is not None]
    assert cut and all(len(f.payload) == 12 and f.orig_len > 12 for f in cut)
    (warning,) = reader.warnings
    assert f"{len(cut)} record(s) cut short" in warning.message and "ATT values" in warning.message
    assert f"the first at frame {cut[0].index}" in warning.message
    path.write_bytes(_text(version=1))
    reader = open_capture(path)
    assert len(list(reader)) == len(_hci())
    assert "does not record packet lengths" in reader.warnings[0].message


def test_a_report_without_any_log_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bugreport.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("bugreport-x.txt", b"nothing about bluetooth\n")
    with pytest.raises(CaptureError, match="HCI snoop log in the developer options"):
        open_capture(path)
    assert main(["info", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_btsnooz_bytes_give_records_or_one_clear_error(data: bytes) -> None:
    try:
        snooz = Btsnooz.from_base64(base64.b64encode(data), "fuzz")
    except CaptureError:
        return
    frames = list(snooz.frames())
    assert [f.index for f in frames] == list(range(1, len(frames) + 1))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([1, 2]), st.binary(max_size=300))
def test_any_uncompressed_btsnooz_records_give_records_or_one_clear_error(
    version: int, records: bytes
) -> None:
    header = bytes([version]) + (1_765_000_000_000).to_bytes(8, "little")
    try:
        snooz = Btsnooz(header + records, "fuzz")
    except CaptureError:
        return
    frames = list(snooz.read())
    assert [f.index for f in frames] == list(range(1, len(frames) + 1))
    assert sum(len(f.payload) for f in frames) <= len(records)


def test_the_section_is_found_among_the_dumpsys_text() -> None:
    assert find_btsnooz(b"nothing") is None
    blob = find_btsnooz(_text())
    assert blob is not None and b"\n" not in blob and b"BEGIN" not in blob


def test_a_sysdiagnose_archive_reads_its_packetlogger_files_oldest_first(tmp_path: Path) -> None:
    frames = _hci()
    half = len(frames) // 2
    parts = []
    for name, chunk in (("bluetoothd-hci-latest.pklg", frames[half:]),
                        ("bluetoothd-hci-2026-03-14.pklg", frames[:half])):  # fmt: skip
        path = tmp_path / name
        write_capture(path, chunk, "pklg", 1002)
        parts.append((name, path.read_bytes()))
    archive = tmp_path / "sysdiagnose_2026.03.14_09-30-00_iPhone.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in parts:
            member = tarfile.TarInfo(f"sysdiagnose_2026.03.14/logs/Bluetooth/{name}")
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    reader = open_capture(archive)
    assert isinstance(reader, BugreportReader) and "PacketLogger" in reader.format
    assert reader.detail.index("2026-03-14.pklg") < reader.detail.index("latest.pklg")
    read = list(reader)
    assert [(f.ts_us, f.payload) for f in read] == [(f.ts_us, f.payload) for f in frames]
    assert _requests(read) == _requests(frames)


def test_a_sysdiagnose_without_bluetooth_logs_says_what_to_install(tmp_path: Path) -> None:
    archive = tmp_path / "sysdiagnose.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        member = tarfile.TarInfo("sysdiagnose/logs/readme.txt")
        member.size = 5
        tar.addfile(member, io.BytesIO(b"hello"))
    with pytest.raises(CaptureError, match="Bluetooth logging profile"):
        open_capture(archive)


def test_log_picks_one_log_of_a_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frames = _hci()
    report, half = _two_logs(tmp_path, _text())
    older = tmp_path / "older.btsnoop"
    assert len(list(open_capture(report, "btsnoop_hci.log.last"))) == half
    assert len(list(open_capture(report, LOGS + "btsnoop_hci.log"))) == len(frames) - half
    snooz = open_capture(report, "btsnooz")  # the buffer, though the logs are there
    assert "btsnooz section" in snooz.detail and len(list(snooz)) == len(frames)
    assert main(["info", "--log", "btsnoop_hci.log.last", str(report)]) == 0
    assert f"Frames:      {half}" in capsys.readouterr().out
    for args in (["dump", "--log", "nope", str(report)], ["info", "--log", "x", str(older)]):
        assert main(args) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert main(["dump", "--log", "nope", str(report)]) == 2
    assert "btsnoop_hci.log.last" in capsys.readouterr().err  # it says what the report holds


@pytest.mark.parametrize("before", [0, (1 << 20) - 10, 3 << 20])
def test_the_section_is_found_wherever_the_text_puts_it(tmp_path: Path, before: int) -> None:
    # the marker is looked for a megabyte at a time: here also across two chunks
    path = tmp_path / "bugreport.txt"
    path.write_bytes(b"x" * before + _text())
    assert is_bugreport_text(path)
    path.write_bytes(b"x" * before + _text().split(b"--- END")[0])  # no end marker
    assert not is_bugreport_text(path)
