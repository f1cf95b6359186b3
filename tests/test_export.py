"""`attscope export`: every export of every capture valid against the shipped JSON Schema,
the records' conventions (type, hex, frames, times), agreement with tshark on which frames
carry ATT, atomic output, --fail-on-violation, --format json, and golden files."""

from __future__ import annotations

import difflib
import io
import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import msgspec
import pytest
from corpus import REPO, SAMPLES, corpus_files, need_corpus, tshark_fields
from frames import Script
from sample_facts import facts

import attscope.export.stream
from attscope.capture import open_capture
from attscope.capture.summary import iso_time
from attscope.cli.main import main
from attscope.dissector.decoding import att_pdus as att
from attscope.export.convert import PDU_FIELDS, Clock
from attscope.export.records import LINE_TYPES, ExportDocument
from attscope.export.schema import export_schema
from attscope.export.stream import DEFAULT_KINDS, export_capture

SAMPLE = SAMPLES / "heart_rate.btsnoop"
GOLDEN = REPO / "tests" / "golden"
# varied on purpose: an Android log with six connections, a BlueZ monitor log, an nRF
# Sniffer air capture, an LE pseudo-header air capture with violations, a pcapng H4 log,
# an Android log with indications, and the generated samples (one of them breaking rules)
GOLDEN_CAPTURES = [
    "android_fossibot_broadcom.btsnoop",
    "btmon_ble_gatt.btsnoop",
    "nrf3_hid_mouse.pcapng",
    "crackle_lesc_pairing.pcapng",
    "h4phdr_smartwatch.pcapng",
    "android_yeelock_indications.btsnoop",
    "heart_rate.btsnoop",
    "smart_lock.btsnoop",
    "heart_rate.pklg",
    "heart_rate_bugreport.zip",
]


def export(tmp_path: Path, capture: Path, *options: str, name: str = "out.jsonl") -> Path:
    out = tmp_path / name
    assert main(["export", str(capture), "-o", str(out), *options]) == 0
    return out


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def ref(record_type: type) -> str:
    return f"#/$defs/{record_type.__name__}"


class Validators:
    """The export schema, and one validator per record type: a line is valid against the
    root `oneOf` exactly when it is valid against its own type's definition (the `type`
    values differ), and checking that one alone is five times quicker."""

    def __init__(self) -> None:
        schema = export_schema()
        jsonschema.Draft202012Validator.check_schema(schema)
        self.root = jsonschema.Draft202012Validator(schema)
        self.by_type = {
            str(t.__struct_config__.tag): jsonschema.Draft202012Validator(
                {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": ref(t)}
            )
            for t in (*LINE_TYPES, ExportDocument)
        }

    def errors(self, record: dict[str, Any]) -> list[str]:
        validator = self.by_type.get(record.get("type", ""), self.root)
        return [e.message for e in validator.iter_errors(record)]


@pytest.fixture(scope="module")
def validator() -> Validators:
    return Validators()


def check_conventions(records: list[dict[str, Any]], validator: Validators) -> None:
    """Valid, header first and end last; the schema checks hex (lowercase, whole bytes) and
    frames (from 1); the times' ISO text is checked against iso_time here."""
    assert records[0]["type"] == "header" and records[-1]["type"] == "end"
    assert [r["type"] for r in records].count("header") == 1
    first: dict[str, dict[str, Any]] = {}
    for record in records:
        assert not validator.errors(record), (record, validator.errors(record)[:3])
        first.setdefault(record["type"], record)
        for key in ("time_us", "start_us", "end_us"):
            if record.get(key) is not None:
                assert record[key.removesuffix("_us") or "time"] == iso_time(record[key])
    for record in first.values():  # the root schema takes each type
        assert validator.root.is_valid(record)
    counts: dict[str, int] = {}
    for record in records[1:-1]:
        counts[record["type"]] = counts.get(record["type"], 0) + 1
    assert {k: v for k, v in records[-1]["records"].items() if v} == counts


# -- the schema ----------------------------------------------------------------------------


def test_schema_prints_a_valid_2020_12_schema(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert main(["export", "--schema"]) == 0
    schema = json.loads(capsysbinary.readouterr().out)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema == export_schema()
    names = {t.__name__ for t in (*LINE_TYPES, ExportDocument)}
    assert {r["$ref"].rsplit("/", 1)[1] for r in schema["oneOf"]} == names
    assert names <= set(schema["$defs"])
    for name in names:  # closed objects whose type is fixed
        definition = schema["$defs"][name]
        assert definition["additionalProperties"] is False
        assert "type" in definition["required"]


def test_every_att_pdu_field_goes_somewhere() -> None:
    for cls in [*att.ATT_PDUS.values(), att.AttUnknown]:
        missing = set(cls.__struct_fields__) - set(PDU_FIELDS)
        assert not missing, (cls.__name__, missing)


@pytest.mark.parametrize(
    "ts_us",
    [0, 1, 999_999, 1_000_000, 1_773_480_415_208_380, -1, -1_500_000, -62_135_596_800_000_000,
     -63_000_000_000_000_000, 2**62],
)  # fmt: skip
def test_clock_says_what_iso_time_says(ts_us: int) -> None:
    clock = Clock()
    assert clock(ts_us) == iso_time(ts_us)
    assert clock(ts_us + 1) == iso_time(ts_us + 1)  # same second, from the cache
    assert clock(ts_us) == iso_time(ts_us)


# -- every capture -------------------------------------------------------------------------


@pytest.mark.corpus
@pytest.mark.parametrize("name", corpus_files())
def test_export_of_every_capture_is_valid(name: str, tmp_path: Path, validator: Validators) -> None:
    records = lines(export(tmp_path, need_corpus(name), "--what", "all"))
    check_conventions(records, validator)
    assert records[0]["file"] == name
    assert records[-1]["frames"] == sum(1 for _ in open_capture(need_corpus(name)))


def test_export_of_the_sample_is_valid(tmp_path: Path, validator: Validators) -> None:
    records = lines(export(tmp_path, SAMPLE, "--what", "all"))
    check_conventions(records, validator)
    header = records[0]
    assert header["file"] == "heart_rate.btsnoop" and header["tool"] == "attscope"
    assert header["what"] == ["connections", "transactions", "violations", "gatt", "pdus"]
    assert header["link_types"] == [{"linktype": 1002, "name": "btsnoop HCI UART (H4)"}]
    kinds = {r["type"] for r in records}
    assert kinds == {"header", "connection", "transaction", "pdu", "gatt_server",
                     "gatt_service", "end"}  # fmt: skip
    read = next(r for r in records if r["type"] == "transaction" and r["handle"] == 0x0003)
    assert read["kind"] == "read" and read["outcome"] == "ok"
    assert bytes.fromhex(read["value"]) == b"Northwind HR2 5DC8"
    assert read["value_decoded"] == '"Northwind HR2 5DC8"'
    assert read["characteristic_uuid"] == "2a00" and read["characteristic_name"] == "Device Name"
    assert read["service_name"] == "Generic Access"
    assert read["request"]["opcode_name"] == "ATT_READ_REQ" and read["request"]["handle"] == 3
    assert read["response"]["frame"] == read["response_frame"]
    assert read["client_address"] == "3C:28:6D:A1:47:0E"


def test_default_export_to_stdout(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert main(["export", str(SAMPLE)]) == 0
    records = [json.loads(line) for line in capsysbinary.readouterr().out.splitlines()]
    assert records[0]["type"] == "header" and records[-1]["type"] == "end"
    assert "pdu" not in {r["type"] for r in records}  # pdus only when asked for
    assert records[-1]["frames"] == facts(str(SAMPLE)).frames


def test_what_picks_the_kinds(tmp_path: Path) -> None:
    records = lines(export(tmp_path, SAMPLE, "--what", "violations,pdus"))
    assert {r["type"] for r in records} == {"header", "pdu", "end"}
    assert records[0]["what"] == ["violations", "pdus"]
    known = facts(str(SAMPLE))
    assert records[-1]["records"] == {"violation": 0, "pdu": known.att_pdus}  # the ATT frames
    with pytest.raises(SystemExit) as stop:
        main(["export", str(SAMPLE), "--what", "transactions,frames"])
    assert stop.value.code == 2


@pytest.mark.corpus
def test_connections_come_as_they_end(tmp_path: Path) -> None:
    """Streaming: a connection is written when it ends, before later transactions."""
    records = lines(export(tmp_path, need_corpus("android_blefun_multiconn.btsnoop")))
    order = [r["type"] for r in records]
    assert order.index("connection") < len(order) - 1 - order[::-1].index("transaction")


@pytest.mark.tshark
@pytest.mark.corpus
@pytest.mark.parametrize(
    "name",
    ["btmon_ble_gatt.btsnoop", "h4phdr_smartwatch.pcapng", "android_fossibot_broadcom.btsnoop"],
)
def test_pdu_frames_are_tsharks_att_frames(name: str, tmp_path: Path) -> None:
    path = need_corpus(name)
    pdus = [r for r in lines(export(tmp_path, path, "--what", "pdus")) if r["type"] == "pdu"]
    ours = [(r["frame"], r["opcode"]) for r in pdus]
    rows = tshark_fields(path, ["frame.number", "btatt.opcode"], "-Y", "btatt")
    assert ours == [(int(number), int(opcode, 16)) for number, opcode in rows]


# -- --format json ---------------------------------------------------------------------------


@pytest.mark.parametrize("what", ["all", "transactions,gatt"])
def test_json_document_groups_the_same_records(
    what: str, tmp_path: Path, validator: Validators
) -> None:
    records = lines(export(tmp_path, SAMPLE, "--what", what))
    doc_path = export(tmp_path, SAMPLE, "--what", what, "--format", "json", name="out.json")
    doc = json.loads(doc_path.read_bytes())
    assert not validator.errors(doc) and validator.root.is_valid(doc)
    msgspec.json.decode(doc_path.read_bytes(), type=ExportDocument)  # the same types
    assert doc["type"] == "export"
    assert doc["header"] == records[0] and doc["end"] == records[-1]
    keys = {"connection": "connections", "transaction": "transactions",
            "violation": "violations", "gatt_server": "gatt_servers",
            "gatt_service": "gatt_services", "pdu": "pdus"}  # fmt: skip
    grouped: dict[str, list[Any]] = {}
    for record in records[1:-1]:
        grouped.setdefault(keys[record["type"]], []).append(record)
    arrays = {k: v for k, v in doc.items() if k not in ("type", "header", "end")}
    assert arrays == {k: grouped.get(k, []) for k in arrays}
    expected = {"all": set(keys.values()), "transactions,gatt": {"transactions",
                "gatt_servers", "gatt_services"}}[what]  # fmt: skip
    assert set(arrays) == expected
    assert list(doc) == ["type", *(k for k in ExportDocument.__struct_fields__ if k in doc)]


# -- nothing half-written -------------------------------------------------------------------


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("attscope"), err
    return err


def test_output_appears_only_when_complete(tmp_path: Path) -> None:
    out = export(tmp_path, SAMPLE)
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]
    mask = os.umask(0)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~mask


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_a_failure_midway_leaves_no_file(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.jsonl"
    out.write_bytes(b"an older export")

    def disk_full(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(attscope.export.stream, "gatt_records", disk_full)  # at the end
    assert main(["export", str(SAMPLE), "-o", str(out), "--format", fmt]) == 2
    assert "No space left on device" in one_line_error(capsys)
    assert out.read_bytes() == b"an older export"  # kept, not replaced by half an export
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left


def test_errors_are_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing" / "out.jsonl"
    assert main(["export", str(SAMPLE), "-o", str(missing)]) == 2  # no such folder
    one_line_error(capsys)
    assert main(["export", str(tmp_path / "absent.btsnoop"), "-o", str(tmp_path / "o")]) == 2
    one_line_error(capsys)
    assert main(["export", "-o", str(tmp_path / "o")]) == 2  # no FILE
    one_line_error(capsys)
    assert list(tmp_path.iterdir()) == []


# -- --fail-on-violation ----------------------------------------------------------------------


def test_fail_on_violation(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    script = Script()
    first = script.local(att.ReadRequest(0x0003))
    second = script.local(att.ReadRequest(0x0005))  # while the first is unanswered
    script.remote(att.ReadResponse(b"a"))
    script.remote(att.ReadResponse(b"b"))
    capture = tmp_path / "pending.btsnoop"
    script.analyse(tmp_path, capture.name)
    assert main(["export", str(capture), "--what", "violations"]) == 0  # found, not asked
    assert main(["export", str(capture), "--fail-on-violation"]) == 1
    records = [json.loads(x) for x in capsysbinary.readouterr().out.splitlines()]
    found = [r for r in records if r["type"] == "violation"]
    assert found and found[0]["kind"] == "request_while_pending"
    assert found[0]["severity"] == "error" and found[0]["frames"] == [first, second]
    assert found[0]["pending_opcode_name"] == "ATT_READ_REQ"
    assert found[0]["spec"] == "Core 5.4 Vol 3, Part F, 3.3.2"
    assert records[-1]["violations"]["error"] == 1
    out = tmp_path / "ci.jsonl"  # the export is still written whole
    assert main(["export", str(capture), "-o", str(out), "--fail-on-violation"]) == 1
    assert json.loads(out.read_bytes().splitlines()[-1])["type"] == "end"
    assert main(["export", str(SAMPLE), "--fail-on-violation"]) == 0


def test_queued_write_keeps_its_execute_write_and_values(tmp_path: Path) -> None:
    script = Script()
    first = script.local(att.PrepareWriteRequest(0x0010, 0, b"hello "))
    script.remote(att.PrepareWriteResponse(0x0010, 0, b"hello "))
    script.local(att.PrepareWriteRequest(0x0010, 6, b"world"))
    script.remote(att.PrepareWriteResponse(0x0010, 6, b"world"))
    execute = script.local(att.ExecuteWriteRequest(1))
    done = script.remote(att.ExecuteWriteResponse())
    script.analyse(tmp_path, "queued.btsnoop")
    records = lines(export(tmp_path, tmp_path / "queued.btsnoop"))
    (txn,) = [r for r in records if r["type"] == "transaction"]
    assert txn["kind"] == "queued_write" and txn["outcome"] == "ok"
    assert (txn["request_frame"], txn["response_frame"]) == (first, done)
    assert txn["values"] == [{"handle": 0x0010, "value": b"hello world".hex()}]
    assert txn["value"] == b"hello world".hex()
    request, response = txn["request"], txn["response"]
    assert request["opcode_name"] == "ATT_EXECUTE_WRITE_REQ" and request["frame"] == execute
    assert request["flags"] == 1 and "time_us" not in request  # its time is not kept
    assert response["opcode_name"] == "ATT_EXECUTE_WRITE_RSP" and response["frame"] == done
    assert response["time_us"] == txn["end_us"] == script.ts(done)
    assert len(txn["exchanges"]) == 3


def test_indication_is_sent_by_the_server(tmp_path: Path) -> None:
    script = Script()
    sent = script.remote(att.HandleValueIndication(0x0012, b"\x01"))
    confirmed = script.local(att.HandleValueConfirmation())
    script.analyse(tmp_path, "ind.btsnoop")
    (txn,) = [
        r for r in lines(export(tmp_path, tmp_path / "ind.btsnoop")) if r["type"] == "transaction"
    ]
    assert (txn["client"], txn["server"]) == ("local", "remote")
    assert txn["request"]["frame"] == sent and txn["request"]["sender"] == "remote"
    assert txn["request"]["direction"] == "controller_to_host"
    assert txn["response"]["frame"] == confirmed and txn["response"]["sender"] == "local"


# -- golden files -----------------------------------------------------------------------------


def golden_name(name: str) -> str:
    """The golden file of a capture: its stem, and the format too where the same
    recording is kept in another format (heart_rate.pklg beside heart_rate.btsnoop)."""
    path = Path(name)
    if path.suffix in (".btsnoop", ".pcap", ".pcapng"):
        return f"{path.stem}.json"
    return f"{path.stem}_{path.suffix.lstrip('.')}.json"


def golden_source(name: str) -> Path:
    sample = SAMPLES / name  # the generated samples: checked on a fresh clone too
    return sample if sample.is_file() else need_corpus(name)


def comparable(text: bytes) -> list[Any]:
    """The records, with the tool's version left out (a release does not change them)."""
    records = [json.loads(line) for line in text.splitlines()]
    records[0].pop("version", None)
    return records


def pretty(records: list[Any]) -> str:
    """Golden text: one key per line, so a change of one field is a one-line diff."""
    return "".join(json.dumps(r, indent=1, ensure_ascii=False) + "\n" for r in records)


@pytest.mark.parametrize("name", GOLDEN_CAPTURES)
def test_golden(name: str, tmp_path: Path, update_golden: bool) -> None:
    """Reviewed exports of varied captures, stored pretty-printed (one record after the
    other); `pytest --update-golden` rewrites them (read the diff before committing it)."""
    fresh = pretty(comparable(export(tmp_path, golden_source(name)).read_bytes()))
    golden = GOLDEN / golden_name(name)
    if update_golden:
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(fresh)
        return
    assert golden.is_file(), f"{golden} missing: run pytest --update-golden and review it"
    expected = golden.read_text()
    if fresh != expected:
        diff = difflib.unified_diff(
            expected.splitlines(), fresh.splitlines(), str(golden), "today", lineterm="", n=2
        )
        pytest.fail("export differs from its golden file:\n" + "\n".join(list(diff)[:80]))


def test_readme_shows_what_export_writes() -> None:
    """The README's export example is today's output of the sample."""
    section = (REPO / "README.md").read_text().split("### `attscope export`", 1)[1]
    example = section.split("```console", 1)[1].split("```", 1)[0]
    shown = [line for line in example.splitlines() if line.startswith('{"type"')]
    buffer = io.BytesIO()
    export_capture(open_capture(SAMPLE), buffer, list(DEFAULT_KINDS))
    written = buffer.getvalue().decode().splitlines()
    assert shown == [written[0], *(x for x in written if '"request_frame":117,' in x), written[-1]]
